"""A request fetches only what its selection shows: Meilisearch is asked for the attributes the selected
product fields read, keyset cursors are encoded only when a client selects them, and a repeated search is
planned once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from market.core import paging
from search.documents import SUMMARY_ATTRIBUTES
from tests.conftest import Catalogue


@pytest.fixture
def sent(catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """The search requests the API sends to the real Meilisearch, one dict of parameters per query."""
    meili = catalogue.api.app.state.services.search.meili
    seen: list[dict[str, Any]] = []
    search, multi_search = meili.search, meili.multi_search

    async def spy_search(uid: str, params: dict[str, Any]) -> dict[str, Any]:
        seen.append(dict(params))
        return await search(uid, params)

    async def spy_multi_search(queries: list[dict[str, Any]], federation: Any = None) -> dict[str, Any]:
        seen.extend(dict(q) for q in queries)
        return await multi_search(queries, federation)

    monkeypatch.setattr(meili, "search", spy_search)
    monkeypatch.setattr(meili, "multi_search", spy_multi_search)
    yield seen


def _retrieved(sent: list[dict[str, Any]]) -> set[str]:
    assert sent, "no search request was sent"
    return {a for params in sent for a in params["attributesToRetrieve"]}


async def test_a_result_list_of_names_retrieves_no_description(catalogue: Catalogue, sent: list[Any]) -> None:
    data = await catalogue.api.data('{ searchProducts(query: "keo dua", first: 20) { edges { node { name } } } }')
    assert data["searchProducts"]["edges"]
    assert _retrieved(sent) == set(SUMMARY_ATTRIBUTES)


async def test_selected_fields_add_their_attributes(catalogue: Catalogue, sent: list[Any]) -> None:
    query = '{ searchProducts(query: "nuoc mam", first: 5) { edges { node { ... on Product { name images } } } } }'
    data = await catalogue.api.data(query)
    assert data["searchProducts"]["edges"][0]["node"]["images"] is not None
    assert _retrieved(sent) == {*SUMMARY_ATTRIBUTES, "images"}


async def test_a_field_of_the_whole_record_retrieves_everything(catalogue: Catalogue, sent: list[Any]) -> None:
    query = '{ searchProducts(query: "mat ong", first: 3) { edges { node { name producer { name } createdAt } } } }'
    edges = (await catalogue.api.data(query))["searchProducts"]["edges"]
    assert edges and all(e["node"]["producer"]["name"] and e["node"]["createdAt"] for e in edges)
    assert {"producerId", "provinceCode", "createdAt", "priceTiers"} <= _retrieved(sent)


async def test_highlights_retrieve_what_they_mark(catalogue: Catalogue, sent: list[Any]) -> None:
    query = '{ searchProducts(query: "keo dua", first: 3) { edges { node { id } highlights { field snippet } } } }'
    edges = (await catalogue.api.data(query))["searchProducts"]["edges"]
    assert any("<mark>" in h["snippet"] for e in edges for h in e["highlights"])
    assert {"name", "description"} <= _retrieved(sent)


async def test_a_repeated_search_is_planned_once(catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch) -> None:
    service = catalogue.api.app.state.services.search
    await service.vocabulary_ready()
    planned: list[str] = []
    plan = service.plan

    def counting_plan(query: str, *args: Any, **kwargs: Any) -> Any:
        planned.append(query)
        return plan(query, *args, **kwargs)

    monkeypatch.setattr(service, "plan", counting_plan)
    query = '{ searchProducts(query: "tra sen", first: 2, filter: {minStars: 4}) { edges { node { name } } } }'
    first = await catalogue.api.data(query)
    again = await catalogue.api.data(query)
    assert first == again
    assert planned == ["tra sen"]
    await catalogue.api.data(query.replace("minStars: 4", "minStars: 5"))  # another filter, another plan
    assert planned == ["tra sen", "tra sen"]


@pytest.fixture
def encoded(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    encode = paging.encode_cursor

    def counting(signature: str, values: list[Any]) -> str:
        calls.append(1)
        return encode(signature, values)

    monkeypatch.setattr(paging, "encode_cursor", counting)
    return calls


async def test_cursors_are_encoded_only_when_selected(catalogue: Catalogue, encoded: list[int]) -> None:
    await catalogue.api.data("{ products(first: 5) { edges { node { id name } } pageInfo { hasNextPage } } }")
    assert encoded == []
    data = await catalogue.api.data("{ products(first: 5) { edges { cursor } pageInfo { endCursor } } }")
    assert len(encoded) == 6
    edges = data["products"]["edges"]
    assert data["products"]["pageInfo"]["endCursor"] == edges[-1]["cursor"]
    after = await catalogue.api.data(
        "query($a: String) { products(first: 1, after: $a) { edges { node { id } } } }", {"a": edges[0]["cursor"]}
    )
    again = await catalogue.api.data("{ products(first: 2) { edges { node { id } } } }")
    assert after["products"]["edges"][0] == again["products"]["edges"][1]  # a lazy cursor pages as before
