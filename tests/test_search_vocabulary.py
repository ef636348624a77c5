"""The catalogue vocabulary is counted in the background: a search never waits for it, and once it is counted
its corrections apply. Real MongoDB and Meilisearch, over the judged relevance fixture."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

import httpx
import pymongo
import pytest

from api.app import create_app
from market.core.text import fold
from tests.conftest import Catalogue

SEARCH = "query($q: String!) { searchProducts(query: $q, first: 5) { edges { node { name } } } }"
PROMPTLY = 5.0


class Gate:
    """Holds the vocabulary's read of MongoDB after its first batch until opened, so that searches can be
    issued while the count is under way however fast the machine is."""

    def __init__(self, read: Any) -> None:
        self.read = read
        self.entered = asyncio.Event()
        self.open = asyncio.Event()

    async def __call__(self, size: int = 1000) -> AsyncGenerator[list[str], None]:
        async for batch in self.read(max(1, size // 100)):
            yield batch
            self.entered.set()
            await self.open.wait()


@pytest.fixture
async def fresh(catalogue: Catalogue) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    """An app of its own over the catalogue, so that its vocabulary is not counted yet."""
    app = create_app(catalogue.settings, store=catalogue.fixture.store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        yield client, app.state.services.search
    await app.state.services.search.close()
    await app.state.services.meili.close()


async def names(client: httpx.AsyncClient, q: str) -> list[str]:
    response = await asyncio.wait_for(client.post("/graphql", json={"query": SEARCH, "variables": {"q": q}}), PROMPTLY)
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    return [e["node"]["name"] for e in body["data"]["searchProducts"]["edges"]]


async def test_searches_answer_while_the_vocabulary_is_counted_and_are_corrected_after(
    fresh: tuple[httpx.AsyncClient, Any], catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, search = fresh
    products = catalogue.fixture.store.products
    gate = Gate(products.published_texts)
    monkeypatch.setattr(products, "published_texts", gate)

    found = await names(client, "nước mắm")  # starts the count
    assert found and all("nuoc mam" in fold(n) for n in found)
    await asyncio.wait_for(gate.entered.wait(), PROMPTLY)
    # The count is under way and cannot finish: searches answer from the index alone, uncorrected.
    assert search.vocabulary() is None
    assert await names(client, "nước mắm") == found
    await names(client, "nuc mam")  # answers, without waiting for the vocabulary

    gate.open.set()
    vocabulary = await asyncio.wait_for(search.vocabulary_ready(), PROMPTLY)
    assert vocabulary is not None and vocabulary.correct("nuc") == "nuoc"
    corrected = await names(client, "nuc mam")  # "nuc" is one letter short of "nuoc"
    assert corrected and "nuoc mam" in fold(corrected[0])


async def test_a_recount_replaces_the_vocabulary_without_holding_searches(
    fresh: tuple[httpx.AsyncClient, Any], catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, search = fresh
    first = await search.vocabulary_ready()
    assert first is not None
    products = catalogue.fixture.store.products
    gate = Gate(products.published_texts)
    monkeypatch.setattr(products, "published_texts", gate)
    search.vocabulary_refresh = 0.0  # the next search starts a recount

    await names(client, "kẹo dừa")
    await asyncio.wait_for(gate.entered.wait(), PROMPTLY)
    assert search.vocabulary() is first  # the old one serves while the new one is counted
    assert await names(client, "nuc mam")
    gate.open.set()
    second = await asyncio.wait_for(search.vocabulary_ready(), PROMPTLY)
    assert second is not None and second is not first and second.counts == first.counts


async def test_a_failed_count_leaves_searches_uncorrected_and_is_retried_later(
    fresh: tuple[httpx.AsyncClient, Any], catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, search = fresh

    async def unreachable(size: int = 1000) -> AsyncGenerator[list[str], None]:
        raise ConnectionError("MongoDB out of reach")
        yield []

    monkeypatch.setattr(catalogue.fixture.store.products, "published_texts", unreachable)
    assert await names(client, "nước mắm")
    assert await search.vocabulary_ready() is None
    await names(client, "nước mắm")
    assert search.vocabulary() is None and search._counting is None  # not tried again at once


async def test_the_count_outlives_the_deadline_of_the_request_that_started_it(
    fresh: tuple[httpx.AsyncClient, Any], catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request's MongoDB deadline (OCOP_DB_TIMEOUT) is no limit on the count it starts in the background."""
    _, search = fresh
    products = catalogue.fixture.store.products
    read = products.published_texts

    async def slow(size: int = 1000) -> AsyncGenerator[list[str], None]:
        await asyncio.sleep(0.3)  # past the deadline below, as a large catalogue's read would be
        async for batch in read(size):
            yield batch

    monkeypatch.setattr(products, "published_texts", slow)
    with pymongo.timeout(0.1):
        assert search.vocabulary() is None  # starts the count, as a search in a request does
    vocabulary = await asyncio.wait_for(search.vocabulary_ready(), PROMPTLY)
    assert vocabulary is not None and vocabulary.correct("nuc") == "nuoc"


async def test_the_api_counts_the_vocabulary_as_it_starts_up(catalogue: Catalogue) -> None:
    """A process corrects its first search once the count it started at start-up is done, without a search
    having started it (its own MongoDB client: the lifespan closes the one it holds)."""
    app = create_app(catalogue.settings)
    search = app.state.services.search
    async with app.router.lifespan_context(app):
        counting = search._counting
        assert counting is not None, "no count under way after start-up"
        await asyncio.wait_for(asyncio.shield(counting), PROMPTLY)
        vocabulary = search._vocabulary
        assert vocabulary is not None and vocabulary.correct("nuc") == "nuoc"
