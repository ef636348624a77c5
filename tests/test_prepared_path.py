"""Operations whose document is cached run on a shorter path (schema/prepared.py): every answer must be the one
Strawberry's full path gives, errors and refusals included."""

from __future__ import annotations

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
