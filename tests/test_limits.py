"""Document limits: token count, depth and aliases are refused before execution, with a clear message."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api

# An inquiry's quotations and a quotation's inquiry, seven times over: 15 levels.
DEEP = '{ node(id: "x") { ... on Inquiry { ' + "quotations { inquiry { " * 7 + "id" + " } }" * 7 + " } } }"


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
    from strawberry.extensions.parser_cache import _get_parse_cache
    from strawberry.extensions.validation_cache import _get_validate_cache

    from schema import CACHE_SIZE

    parse: Any = _get_parse_cache(CACHE_SIZE)  # functools.lru_cache wrappers
    validate: Any = _get_validate_cache(CACHE_SIZE)
    query = "query LimitsCacheProbe { __typename }"
    await api.data(query)
    parsed, validated = parse.cache_info(), validate.cache_info()
    for _ in range(3):
        await api.data(query)
    assert parse.cache_info().hits == parsed.hits + 3
    assert validate.cache_info().hits == validated.hits + 3
    assert validate.cache_info().misses == validated.misses
