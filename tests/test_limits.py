"""Document limits: token count, depth and aliases are refused before execution, with a clear message."""

from __future__ import annotations

from graphql import parse

from schema import Schema
from schema.document_cache import MAX_CACHED_QUERY, DocumentStore, _Entry
from tests.conftest import Api

# An inquiry's quotations and a quotation's inquiry, seven times over: 15 levels.
DEEP = '{ node(id: "x") { ... on Inquiry { ' + "quotations { inquiry { " * 7 + "id" + " } }" * 7 + " } } }"


def graphql_schema(api: Api) -> Schema:
    schema: Schema = api.app.state.schema
    return schema


async def _errors(api: Api, query: str) -> list[str]:
    response = await api.client.post("/graphql", json={"query": query})
    body = response.json()
    assert body.get("data") is None, body
    return [e["message"] for e in body["errors"]]


async def test_too_many_tokens_is_refused(api: Api) -> None:
    query = "{ " + " ".join(f"a{i}: __typename" for i in range(2000)) + " }"
    assert any("token" in m.lower() for m in await _errors(api, query))


async def test_too_deep_is_refused(api: Api) -> None:
    assert any("depth" in m.lower() for m in await _errors(api, DEEP))


async def test_too_many_aliases_is_refused(api: Api) -> None:
    query = "{ " + " ".join(f"a{i}: __typename" for i in range(40)) + " }"
    assert any("alias" in m.lower() for m in await _errors(api, query))


async def test_within_the_limits_is_answered(api: Api) -> None:
    query = "{ " + " ".join(f"a{i}: __typename" for i in range(20)) + " }"
    assert (await api.data(query))["a19"] == "Query"


async def test_limits_leave_the_parse_and_validation_caches_effective(api: Api) -> None:
    # The limiter rules are the same classes on every request, so a repeated document is neither parsed nor
    # validated again (strawberry issue #4635: per-request rule classes defeat the validation cache).
    documents = graphql_schema(api).documents
    query = "query LimitsCacheProbe { __typename }"
    await api.data(query)
    hits, parses, validations = documents.hits, documents.parses, documents.validations
    for _ in range(3):
        await api.data(query)
    assert documents.hits == hits + 3
    assert (documents.parses, documents.validations) == (parses, validations)


async def test_long_documents_are_not_kept(api: Api) -> None:
    documents = graphql_schema(api).documents
    padding = "#" + "x" * MAX_CACHED_QUERY + "\n"
    query = padding + "query LongProbe { __typename }"
    for _ in range(2):
        await api.data(query)
    assert documents.get(query) is None


def test_the_cache_is_bounded_by_the_size_of_its_texts() -> None:
    documents = DocumentStore(budget=1000, max_entries=100)
    document = parse("{ __typename }")
    for n in range(50):
        documents.put(f"{n:03d}" + " " * 97, _Entry(document))  # 100 characters each
    assert len(documents) == 10 and documents.size == 1000
    assert documents.get("049" + " " * 97) is not None and documents.get("000" + " " * 97) is None
