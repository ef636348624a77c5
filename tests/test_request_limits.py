"""What one client may send: bodies above OCOP_MAX_BODY_BYTES get 413 before anything runs, and requests
beyond a key's or an address's rate get 429 with Retry-After."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from bson import ObjectId

from api.app import create_app
from api.settings import Settings
from market.store import Store
from schema import Schema
from tests.conftest import Api, World

SMALL_LIMIT = 64 * 1024
TWO_MB = 2 * 1024 * 1024
CHUNK = 16 * 1024

PAYLOAD = "product { id } errors { field code message }"
CREATE_PRODUCT = f"mutation($input: CreateProductInput!) {{ createProduct(input: $input) {{ {PAYLOAD} }} }}"
TYPENAME = {"query": "{ __typename }"}


@pytest.fixture(scope="module")
async def small(settings: Settings, store: Store) -> AsyncIterator[Api]:
    """An API that takes bodies of at most 64 KiB."""
    app = create_app(settings.model_copy(update={"max_body_bytes": SMALL_LIMIT}), store=store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        yield Api(client, app=app)
    await app.state.services.meili.close()


def create_body(world: World, size: int, name: str = "Kẹo dừa sáp lá dứa") -> bytes:
    """A createProduct request of exactly `size` bytes: what would be written if it ran. The padding is an
    extension no one reads, so the request is valid at any size."""
    variables = {
        "input": {
            "producerId": world.producer_gid,
            "name": name,
            "group": "FOOD",
            "category": "Kẹo",
            "stars": 4,
            "priceVnd": 45000,
            "unit": "hộp 400g",
        }
    }
    body = {"query": CREATE_PRODUCT, "variables": variables, "extensions": {"padding": ""}}
    bare = len(json.dumps(body).encode())
    if size < bare:
        raise ValueError(f"a create request takes at least {bare} bytes")
    body["extensions"] = {"padding": "x" * (size - bare)}
    encoded = json.dumps(body).encode()
    assert len(encoded) == size
    return encoded


async def products_of(store: Store, world: World) -> int:
    return await store.db["products"].count_documents({"producerId": ObjectId(world.producer_id)})


def parses(api: Api) -> int:
    schema: Schema = api.app.state.schema
    return schema.documents.parses


def assert_too_large(response: httpx.Response) -> None:
    assert response.status_code == 413, response.text
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE", body


async def post_as_producer(api: Api, content: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return await api.client.post(
        "/graphql",
        content=content,
        headers={
            "Authorization": f"Bearer {api.keys['producer']}",
            "Content-Type": "application/json",
            **(headers or {}),
        },
    )


# --- the body limit -----------------------------------------------------------------------------------------


async def test_a_body_over_the_limit_is_refused_unread(api: Api, small: Api, store: Store, world: World) -> None:
    small.keys = api.keys
    before, parsed = await products_of(store, world), parses(small)
    response = await post_as_producer(small, create_body(world, TWO_MB))
    assert_too_large(response)
    assert (await products_of(store, world), parses(small)) == (before, parsed)


async def test_a_body_one_byte_over_the_limit_is_refused(api: Api, small: Api, store: Store, world: World) -> None:
    small.keys = api.keys
    before = await products_of(store, world)
    assert_too_large(await post_as_producer(small, create_body(world, SMALL_LIMIT + 1)))
    assert await products_of(store, world) == before


async def test_a_body_at_the_limit_is_served(api: Api, small: Api, store: Store, world: World) -> None:
    small.keys = api.keys
    before = await products_of(store, world)
    response = await post_as_producer(small, create_body(world, SMALL_LIMIT))
    assert response.status_code == 200, response.text[:500]
    assert response.json()["data"]["createProduct"]["errors"] == []
    assert await products_of(store, world) == before + 1


async def test_a_chunked_body_over_the_limit_is_refused_before_its_end(
    api: Api, small: Api, store: Store, world: World
) -> None:
    small.keys = api.keys
    body = create_body(world, TWO_MB)
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        for start in range(0, len(body), CHUNK):
            sent += CHUNK
            yield body[start : start + CHUNK]

    before, parsed = await products_of(store, world), parses(small)
    response = await post_as_producer(small, chunks())
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert_too_large(response)
    # The app stops reading at the first chunk past the limit, so the rest is never held in memory.
    assert sent <= SMALL_LIMIT + CHUNK
    assert (await products_of(store, world), parses(small)) == (before, parsed)


async def test_a_chunked_body_under_the_limit_is_served(small: Api) -> None:
    body = json.dumps(TYPENAME).encode()

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 4):
            yield body[start : start + 4]

    response = await small.client.post("/graphql", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_a_declared_length_over_the_limit_is_refused_at_once(small: Api) -> None:
    # A Content-Length above the limit is refused before the body is read at all: the stream is never pulled.
    pulled = False

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal pulled
        pulled = True
        yield b"{}"

    response = await small.client.post(
        "/graphql", content=chunks(), headers={"Content-Type": "application/json", "Content-Length": str(TWO_MB)}
    )
    assert_too_large(response)
    assert not pulled


async def test_the_default_limit_refuses_two_megabytes(api: Api, store: Store, world: World) -> None:
    settings: Settings = api.app.state.services.settings
    assert settings.max_body_bytes == 1024 * 1024
    before = await products_of(store, world)
    assert_too_large(await post_as_producer(api, create_body(world, TWO_MB)))
    assert await products_of(store, world) == before
    # A large request under the limit is still answered.
    query = "#" + "x" * 900_000 + "\n{ __typename }"
    assert await api.data(query) == {"__typename": "Query"}


# --- rate limits -------------------------------------------------------------------------------------------


Limits = tuple[float, int]  # tokens a second, burst


@pytest.fixture(scope="module")
async def rate_limited(settings: Settings, store: Store) -> AsyncIterator[Any]:
    """`rate_limited(per_key, per_address)`: an app with those buckets, as a factory of clients that each come
    from the address given."""
    apps: list[Any] = []
    clients: list[httpx.AsyncClient] = []

    def make(per_key: Limits, per_address: Limits) -> Any:
        limits = {
            "rate_limit": True,
            "rate_per_key": per_key[0],
            "rate_burst_per_key": per_key[1],
            "rate_per_address": per_address[0],
            "rate_burst_per_address": per_address[1],
        }
        app = create_app(settings.model_copy(update=limits), store=store)
        apps.append(app)

        def client_at(address: str) -> httpx.AsyncClient:
            transport = httpx.ASGITransport(app=app, client=(address, 123))
            clients.append(httpx.AsyncClient(transport=transport, base_url="http://test"))
            return clients[-1]

        return client_at

    yield make
    for http in clients:
        await http.aclose()
    for app in apps:
        await app.state.services.meili.close()


TINY: Limits = (1.0, 3)
AMPLE: Limits = (1000.0, 1000)


async def typename(http: httpx.AsyncClient, key: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return await http.post("/graphql", json=TYPENAME, headers=headers)


def assert_rate_limited(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert int(response.headers["Retry-After"]) >= 1
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED", body


async def test_a_key_beyond_its_burst_gets_429(api: Api, world: World, rate_limited: Any) -> None:
    client_at = rate_limited(per_key=TINY, per_address=AMPLE)
    here, elsewhere = client_at("10.0.0.1"), client_at("10.0.0.2")
    producer, buyer = api.keys["producer"], api.keys["buyer"]
    for _ in range(3):
        assert (await typename(here, producer)).status_code == 200
    assert_rate_limited(await typename(here, producer))
    # The bucket is the key's, wherever it comes from.
    assert_rate_limited(await typename(elsewhere, producer))
    # Another key, and no key, from the same address are unaffected.
    assert (await typename(here, buyer)).status_code == 200
    assert (await typename(here)).status_code == 200


async def test_a_key_is_served_again_once_its_bucket_refills(api: Api, world: World, rate_limited: Any) -> None:
    client_at = rate_limited(per_key=TINY, per_address=AMPLE)
    http, key = client_at("10.0.0.1"), api.keys["producer"]
    for _ in range(3):
        assert (await typename(http, key)).status_code == 200
    refused = await typename(http, key)
    assert_rate_limited(refused)
    await asyncio.sleep(int(refused.headers["Retry-After"]))
    assert (await typename(http, key)).status_code == 200


async def test_an_address_beyond_its_burst_gets_429_even_without_a_key(
    api: Api, world: World, rate_limited: Any
) -> None:
    client_at = rate_limited(per_key=AMPLE, per_address=TINY)
    here, elsewhere = client_at("10.0.0.1"), client_at("10.0.0.2")
    for _ in range(3):
        assert (await typename(here)).status_code == 200
    assert_rate_limited(await typename(here))
    # A key does not lift an address's limit.
    assert_rate_limited(await typename(here, api.keys["buyer"]))
    # Another address is unaffected, with or without a key.
    assert (await typename(elsewhere)).status_code == 200
    assert (await typename(elsewhere, api.keys["buyer"])).status_code == 200


async def test_limited_requests_do_not_run(api: Api, store: Store, world: World, rate_limited: Any) -> None:
    client_at = rate_limited(per_key=(1.0, 1), per_address=AMPLE)
    http, key = client_at("10.0.0.3"), api.keys["producer"]
    assert (await typename(http, key)).status_code == 200
    before = await products_of(store, world)
    response = await http.post(
        "/graphql",
        content=create_body(world, 1000),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    assert_rate_limited(response)
    assert await products_of(store, world) == before


async def test_a_batch_costs_one_token_per_operation(rate_limited: Any) -> None:
    client = rate_limited((0.01, 100), (0.01, 5))("10.0.8.1")
    five = [{"query": "{ __typename }"}] * 5
    assert (await client.post("/graphql", json=five)).status_code == 200  # exactly the burst
    refused = await client.post("/graphql", json=[{"query": "{ __typename }"}] * 2)
    assert refused.status_code == 429 and refused.headers["retry-after"]
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
