"""Persisted documents over HTTP: Apollo's automatic persisted queries shared through MongoDB by every API
process, the trusted-documents mode, and capped batches."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from api.app import create_app
from api.settings import Settings
from market.store import Store

QUERY = "query PersistedProbe { __typename }"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def persisted(text: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha(text)}}


@pytest.fixture
async def apps(settings: Settings, store: Store) -> AsyncIterator[Callable[..., httpx.AsyncClient]]:
    made: list[tuple[Starlette, httpx.AsyncClient]] = []

    def client(**changes: Any) -> httpx.AsyncClient:
        app = create_app(settings.model_copy(update=changes), store=store)
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api")
        made.append((app, http))
        return http

    yield client
    for _, http in made:
        await http.aclose()


async def test_apollo_s_round_trip_and_a_second_process_knows_the_hash(
    apps: Callable[..., httpx.AsyncClient],
) -> None:
    text = f"{QUERY} # {sha(str(id(apps)))}"  # a text no earlier run stored
    first, second = apps(), apps()
    missing = (await first.post("/graphql", json={"extensions": persisted(text)})).json()
    assert missing["errors"][0]["message"] == "PersistedQueryNotFound"
    assert missing["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    stored = await first.post("/graphql", json={"query": text, "extensions": persisted(text)})
    assert stored.json() == {"data": {"__typename": "Query"}}
    by_hash = await first.post("/graphql", json={"extensions": persisted(text)})
    assert by_hash.json() == {"data": {"__typename": "Query"}}
    elsewhere = await second.get("/graphql", params={"extensions": json.dumps(persisted(text))})
    assert elsewhere.status_code == 200 and elsewhere.json() == {"data": {"__typename": "Query"}}


async def test_a_wrong_hash_or_version_is_refused(apps: Callable[..., httpx.AsyncClient]) -> None:
    http = apps()
    wrong = await http.post("/graphql", json={"query": QUERY, "extensions": persisted(QUERY + " ")})
    assert wrong.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"
    version = {"persistedQuery": {"version": 2, "sha256Hash": sha(QUERY)}}
    assert (await http.post("/graphql", json={"extensions": version})).json()["errors"][0]["extensions"][
        "code"
    ] == "PERSISTED_QUERY_NOT_SUPPORTED"
    for digest in ("zz", 5):
        malformed = await http.post(
            "/graphql", json={"extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}}}
        )
        assert malformed.status_code == 400 and malformed.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_with_automatic_persisted_queries_off_clients_are_told(apps: Callable[..., httpx.AsyncClient]) -> None:
    body = (await apps(apq=False).post("/graphql", json={"extensions": persisted(QUERY)})).json()
    assert body["errors"][0]["message"] == "PersistedQueryNotSupported"
    assert body["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_SUPPORTED"


async def test_trusted_documents_run_only_what_the_manifest_holds(
    apps: Callable[..., httpx.AsyncClient], tmp_path: Path
) -> None:
    manifest = tmp_path / "persisted-documents.json"
    manifest.write_text(json.dumps({sha(QUERY): QUERY, "relay-7": "query Seven { __typename }"}))
    http = apps(trusted_documents=manifest)
    assert (await http.post("/graphql", json={"extensions": persisted(QUERY)})).json()["data"] is not None
    assert (await http.post("/graphql", json={"documentId": sha(QUERY)})).json()["data"] is not None
    assert (await http.post("/graphql", json={"doc_id": "relay-7"})).json()["data"] is not None
    assert (await http.post("/graphql", json={"query": QUERY})).json()["data"] is not None  # its text is known
    refused = (await http.post("/graphql", json={"query": "{ products { totalCount } }"})).json()
    assert refused["errors"][0]["extensions"]["code"] == "OPERATION_NOT_TRUSTED"
    assert refused.get("data") is None
    unknown = (await http.post("/graphql", json={"documentId": "nope"})).json()
    assert unknown["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_batches_run_up_to_the_cap(apps: Callable[..., httpx.AsyncClient]) -> None:
    http = apps(max_batch=3)
    two = await http.post("/graphql", json=[{"query": QUERY}, {"query": "{ provinces { code } }"}])
    assert two.status_code == 200
    answers = two.json()
    assert answers[0] == {"data": {"__typename": "Query"}} and answers[1]["data"]["provinces"]
    too_many = await http.post("/graphql", json=[{"query": QUERY}] * 4)
    assert too_many.status_code == 400 and too_many.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    malformed = await http.post("/graphql", json=[{"query": QUERY}, "hello"])
    assert malformed.status_code == 400 and malformed.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    off = await apps(max_batch=0).post("/graphql", json=[{"query": QUERY}])
    assert off.status_code == 400


async def test_in_a_batch_an_unknown_hash_fails_only_its_own_operation(apps: Callable[..., httpx.AsyncClient]) -> None:
    """Apollo's batch link needs one result per operation; the persisted-query link then resends that one."""
    text = f"{QUERY} # batch {sha(str(id(apps)))}"
    answers = (
        await apps().post("/graphql", json=[{"query": QUERY}, {"extensions": persisted(text)}, {"query": QUERY}])
    ).json()
    assert len(answers) == 3 and answers[0] == answers[2] == {"data": {"__typename": "Query"}}
    assert answers[1]["errors"][0]["message"] == "PersistedQueryNotFound"


async def test_an_empty_query_beside_an_id_means_by_id(apps: Callable[..., httpx.AsyncClient]) -> None:
    http = apps()
    await http.post("/graphql", json={"query": QUERY, "extensions": persisted(QUERY)})
    assert (await http.post("/graphql", json={"query": "", "extensions": persisted(QUERY)})).json() == {
        "data": {"__typename": "Query"}
    }


async def test_only_texts_the_schema_accepts_are_stored(apps: Callable[..., httpx.AsyncClient], store: Store) -> None:
    invalid = f"query Broken {{ noSuchField }} # {sha(str(id(store)))}"
    http = apps()
    refused = (await http.post("/graphql", json={"query": invalid, "extensions": persisted(invalid)})).json()
    assert refused["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert await store.persisted_queries.get(sha(invalid)) is None
    again = (await http.post("/graphql", json={"extensions": persisted(invalid)})).json()
    assert again["errors"][0]["message"] == "PersistedQueryNotFound"


async def test_a_refusal_answers_in_the_media_type_the_client_prefers(apps: Callable[..., httpx.AsyncClient]) -> None:
    accept = {"Accept": "application/graphql-response+json,application/json;q=0.9"}
    text = f"{QUERY} # media {sha(str(id(apps)))}"
    response = await apps().post("/graphql", json={"extensions": persisted(text)}, headers=accept)
    assert response.headers["content-type"].startswith("application/graphql-response+json")
    assert response.json()["errors"][0]["message"] == "PersistedQueryNotFound"
