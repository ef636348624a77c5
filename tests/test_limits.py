"""Document limits: token count, depth and aliases are refused before execution, with a clear message."""

from __future__ import annotations

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
