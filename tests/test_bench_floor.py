"""The floor benchmark's servers answer `product(id)` and the light search as the API does, so that its
figures compare like with like."""

import secrets
from typing import Any

import httpx
import pytest
from bson import ObjectId

from api.settings import Settings
from bench import floor, throughput
from bench.common import Bench
from market.catalog.records import ProductStatus
from market.store import Store
from search.client import MeiliClient
from tests.conftest import Api, World, gid

PRODUCT = "query($id: ID!) { product(id: $id) { id name priceVnd stars producer { name } } }"
SEARCH = "query($q: String!) { searchProducts(query: $q, first: 20) { edges { node { name } } } }"


@pytest.mark.parametrize("kind", [floor.GRAPHQL_CORE, floor.STARLETTE])
async def test_a_floor_server_answers_as_the_api_does(
    kind: str, api: Api, world: World, store: Store, meili: MeiliClient, settings: Settings, sync: Any
) -> None:
    name = f"Kẹo dừa sáp lá dứa {secrets.token_hex(3)}"
    product = await store.products.insert(
        {
            "producerId": ObjectId(world.producer_id), "name": name, "description": "", "group": "food",
            "category": "Kẹo", "stars": 4, "provinceCode": "86", "formerProvince": "Trà Vinh", "priceVnd": 55000,
            "unit": "hộp 250g", "moq": 1, "status": ProductStatus.PUBLISHED.value,
        }
    )  # fmt: skip
    await sync()
    variables = {"id": gid("Product", product.id)}
    expected = await api.data(PRODUCT, variables)
    assert expected["product"]["producer"] is not None
    found = await api.data(SEARCH, {"q": name})
    assert {"node": {"name": name}} in found["searchProducts"]["edges"]
    recorded = await throughput.raw_search_request(Bench(settings, store, meili), name)
    app = floor.create_app(settings, kind, recorded)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://floor") as client,
    ):
        answer = await client.post("/graphql", json={"query": PRODUCT, "variables": variables})
        missing = await client.post(
            "/graphql", json={"query": PRODUCT, "variables": {"id": gid("Product", ObjectId())}}
        )
        names = await client.post("/graphql", json={"query": SEARCH, "variables": {"q": name}})
    assert answer.json() == {"data": expected}
    assert missing.json() == {"data": {"product": None}}
    assert names.json() == {"data": found}
