"""The floor benchmark's servers answer `product(id)` as the API does, so that its figures compare like with
like."""

import secrets

import httpx
import pytest
from bson import ObjectId

from api.settings import Settings
from bench import floor
from market.catalog.records import ProductStatus
from market.store import Store
from tests.conftest import Api, World, gid

QUERY = "query($id: ID!) { product(id: $id) { id name priceVnd stars producer { name } } }"


@pytest.mark.parametrize("kind", [floor.GRAPHQL_CORE, floor.STARLETTE])
async def test_a_floor_server_answers_product_as_the_api_does(
    kind: str, api: Api, world: World, store: Store, settings: Settings
) -> None:
    product = await store.products.insert(
        {
            "producerId": ObjectId(world.producer_id), "name": f"Kẹo dừa sáp {secrets.token_hex(3)}",
            "description": "", "group": "food", "category": "Kẹo", "stars": 4, "provinceCode": "86",
            "formerProvince": "Trà Vinh", "priceVnd": 55000, "unit": "hộp 250g", "moq": 1,
            "status": ProductStatus.PUBLISHED.value,
        }
    )  # fmt: skip
    variables = {"id": gid("Product", product.id)}
    expected = await api.data(QUERY, variables)
    assert expected["product"]["producer"] is not None
    app = floor.create_app(settings, kind)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://floor") as client,
    ):
        answer = await client.post("/graphql", json={"query": QUERY, "variables": variables})
        missing = await client.post("/graphql", json={"query": QUERY, "variables": {"id": gid("Product", ObjectId())}})
    assert answer.json() == {"data": expected}
    assert missing.json() == {"data": {"product": None}}
