"""Operations whose document is cached run on a shorter path (schema/prepared.py): every answer must be the one
Strawberry's full path gives, errors and refusals included."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from market.store import Store
from schema import build_schema
from schema.context import Context
from schema.loaders import Loaders
from tests.conftest import Api, World

REQUESTS: list[dict[str, Any]] = [
    {"query": "{ __typename }"},
    {"query": "query($id: ID!) { product(id: $id) { name } }", "variables": {"id": "UHJvZHVjdDo2NjY2"}},
    {"query": "query($id: ID!) { product(id: $id) { name } }", "variables": {}},
    {"query": "query($id: ID!) { product(id: $id) { name } }", "variables": {"id": 7}},
    {"query": "query($n: Int) { products(first: $n) { totalCount } }", "variables": {"n": 500}},
    {"query": "query A { __typename } query B { products(first: 1) { totalCount } }", "operationName": "B"},
    {"query": "query A { __typename } query B { __typename }"},
    {"query": "query A { __typename }", "operationName": "C"},
    {"query": "mutation { signOut { errors { code } } }"},
    {"query": "{ me { name } }"},
    {"query": "subscription { dealEvents { cursor } }"},
]


async def _answers(api: Api, prepared: bool, as_: str | None) -> list[tuple[int, Any]]:
    schema = api.app.state.schema
    schema.prepared_path = prepared
    headers = {"Authorization": f"Bearer {api.keys[as_]}"} if as_ else {}
    answers = []
    try:
        for body in REQUESTS:
            for _ in range(2):  # the second sight of a document is the one the cache answers
                response = await api.client.post("/graphql", json=body, headers=headers)
                answers.append((response.status_code, response.json()))
            get = await api.client.get("/graphql", params={"query": body["query"]}, headers=headers)
            answers.append((get.status_code, get.json() if get.status_code != 405 else None))
    finally:
        schema.prepared_path = True
    return answers


@pytest.mark.parametrize("as_", [None, "buyer"])
async def test_cached_documents_are_answered_as_the_full_path_answers(api: Api, world: World, as_: str | None) -> None:
    documents = api.app.state.schema.documents
    hits = documents.hits
    short = await _answers(api, True, as_)
    assert documents.hits > hits
    assert short == await _answers(api, False, as_)
    codes = {e["extensions"].get("code") for _, body in short if body and body.get("errors") for e in body["errors"]}
    assert {"INVALID", "OUT_OF_RANGE"} <= codes  # the list reaches the errors it is meant to compare


class _BrokenSearch:
    async def suggest(self, prefix: str, first: int) -> list[tuple[str, str]]:
        raise RuntimeError("the suggester broke")


async def test_production_masks_unexpected_errors_on_both_paths(store: Store) -> None:
    schema = build_schema(production=True)
    query = '{ suggestProducts(prefix: "nuoc") { name } }'

    def context() -> Context:
        return Context(store=store, search=_BrokenSearch(), viewer=None, loaders=Loaders.create(store))  # type: ignore[arg-type]

    results = []
    for prepared in (False, True):
        schema.prepared_path = prepared
        for _ in range(2):
            result = await schema.execute(query, context_value=context())
            assert result.errors is not None
            results.append([(e.message, e.extensions, e.path) for e in result.errors])
    assert results[0] == [("Unexpected error.", {"code": "INTERNAL_SERVER_ERROR"}, ["suggestProducts"])]
    assert all(r == results[0] for r in results)
    introspection = await schema.execute("{ __schema { types { name } } }", context_value=context())
    again = await schema.execute("{ __schema { types { name } } }", context_value=context())
    assert introspection.errors and again.errors and again.errors[0].message == introspection.errors[0].message


async def test_a_mutation_over_get_is_refused_on_both_paths(api: Api, world: World) -> None:
    query = "mutation { signOut { errors { code } } }"
    await api.client.post("/graphql", json={"query": query})  # cached now
    refused: list[httpx.Response] = []
    for prepared in (True, False):
        api.app.state.schema.prepared_path = prepared
        refused.append(await api.client.get("/graphql", params={"query": query}))
    api.app.state.schema.prepared_path = True
    assert [r.status_code for r in refused] == [405, 405] or [r.status_code for r in refused] == [400, 400]
    assert refused[0].text == refused[1].text


async def test_operation_names_a_document_lacks_are_not_kept(api: Api) -> None:
    query = "query Kept { __typename }"
    for name in ("Kept", "Kept"):
        await api.client.post("/graphql", json={"query": query, "operationName": name})
    for n in range(50):
        response = await api.client.post("/graphql", json={"query": query, "operationName": f"Other{n}"})
        assert response.json()["errors"], response.text
    entry = api.app.state.schema.documents.peek(query)
    assert entry is not None and set(entry.operations) == {"Kept"}


# One operation posted as JSON skips Strawberry's `run` (api/graphql.py, `_run_single`): every answer, its
# status and the headers a client reads included, must be the one `run` gives.
SINGLE: list[tuple[dict[str, Any] | list[Any] | str, dict[str, str]]] = [
    ({"query": "{ __typename }"}, {}),
    ({"query": "{ __typename }"}, {"accept": "application/graphql-response+json"}),
    ({"query": "{ me { name } }"}, {"accept-language": "vi"}),
    ({"query": "query($id: ID!) { product(id: $id) { name } }", "variables": {}}, {}),
    (
        {"query": "query($id: ID!) { product(id: $id) { name } }", "variables": {}},
        {"accept": "application/graphql-response+json, application/json;q=0.9"},
    ),
    ({"query": "{ nope }"}, {}),
    ({"query": "query($n: Int) { products(first: $n) { totalCount } }", "variables": {"n": 500}}, {}),
    ({"query": "query A { __typename } query B { __typename }"}, {}),
    ({"query": "mutation { signOut { errors { code } } }"}, {}),
    ({"query": None}, {}),
    ({"query": 5}, {}),
    ({"query": "{ __typename }", "variables": "x"}, {}),
    ({"query": "{ __typename }", "extensions": {"persistedQuery": {"version": 1, "sha256Hash": "ab" * 32}}}, {}),
    ([{"query": "{ __typename }"}], {}),
    ("[not json", {}),
    ({"query": "{ __typename }"}, {"content-type": "application/json; charset=utf-8"}),
    ({"query": "{ __typename }"}, {"content-type": "text/plain"}),
]
_READ_HEADERS = ("content-type", "content-language", "cache-control", "vary", "retry-after")


def _endpoint(api: Api) -> Any:
    return next(route.app for route in api.app.routes if hasattr(getattr(route, "app", None), "single_path"))


async def _single_answers(api: Api, single: bool, as_: str | None) -> list[tuple[int, dict[str, str], bytes]]:
    endpoint = _endpoint(api)
    endpoint.single_path = single
    answers = []
    try:
        for body, headers in SINGLE:
            sent = {"content-type": "application/json", **headers}
            if as_:
                sent["authorization"] = f"Bearer {api.keys[as_]}"
            content = body if isinstance(body, str) else json.dumps(body)
            for _ in range(2):  # the second sight of a document is answered from the cache
                response = await api.client.post("/graphql", content=content, headers=sent)
                kept = {h: response.headers[h] for h in _READ_HEADERS if h in response.headers}
                answers.append((response.status_code, kept, response.content))
    finally:
        endpoint.single_path = True
    return answers


@pytest.mark.parametrize("as_", [None, "buyer"])
async def test_one_posted_operation_is_answered_as_strawberrys_run_answers(
    api: Api, world: World, as_: str | None
) -> None:
    lane = await _single_answers(api, True, as_)
    assert lane == await _single_answers(api, False, as_)
    statuses = {status for status, _, _ in lane}
    assert {200, 400} <= statuses  # the list reaches refusals as well as answers
    assert any(h.get("content-type", "").startswith("application/graphql-response+json") for _, h, _ in lane)
