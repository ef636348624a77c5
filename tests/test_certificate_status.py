"""OCOP certificate status beyond stars: a 4★ product awaiting the Ministry's 5★ (PENDING_5_STAR), and an
expired certificate, flagged on the product and filterable in `products` and `searchProducts`."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tests.conftest import Api, World

CREATE = """
mutation($input: CreateProductInput!) {
  createProduct(input: $input) {
    product { id version certificate { status expired pendingFiveStar isValid } }
    errors { field code }
  }
}"""
UPDATE = """
mutation($id: ID!, $v: Int!, $input: UpdateProductInput!) {
  updateProduct(id: $id, expectedVersion: $v, input: $input) {
    product { version stars certificate { status pendingFiveStar } } errors { field code }
  }
}"""
PUBLISH = "mutation($id: ID!) { publishProduct(id: $id) { product { version } errors { code } } }"
LISTED = """
query($p: ID!, $s: [CertificateStatus!]) {
  products(first: 20, filter: {producer: $p, certificateStatus: $s}) { edges { node { name } } }
}"""
SEARCHED = """
query($p: ID!, $s: [CertificateStatus!]) {
  searchProducts(query: "", first: 20, filter: {producer: $p, certificateStatus: $s}) {
    edges { node { name certificate { status expired } } }
  }
}"""


async def _create(api: Api, world: World, name: str, stars: int, **extra: Any) -> dict[str, Any]:
    payload = {
        "producerId": world.producer_gid, "name": name, "group": "FOOD", "category": "Kẹo", "stars": stars,
        "priceVnd": 50000, "unit": "hộp 250g", **extra,
    }  # fmt: skip
    data = await api.data(CREATE, {"input": payload}, as_="producer")
    return data["createProduct"]


async def test_pending_and_expired_certificates_are_flagged_and_filtered(api: Api, world: World, sync: Any) -> None:
    today = date.today()
    pending = await _create(api, world, "Kẹo dừa chờ 5 sao", 4, pendingFiveStar=True)
    assert pending["product"]["certificate"] == {
        "status": "PENDING_5_STAR", "expired": False, "pendingFiveStar": True, "isValid": True,
    }  # fmt: skip
    lapsed = await _create(
        api, world, "Kẹo dừa hết hạn", 3,
        certifiedAt=(today - timedelta(days=1200)).isoformat(), validUntil=(today - timedelta(days=5)).isoformat(),
    )  # fmt: skip
    assert lapsed["product"]["certificate"]["status"] == "EXPIRED"
    assert lapsed["product"]["certificate"]["expired"] is True
    valid = await _create(api, world, "Kẹo dừa còn hạn", 4, certifiedAt=today.isoformat())
    assert valid["product"]["certificate"]["status"] == "VALID"
    for made in (pending, lapsed, valid):
        assert (await api.data(PUBLISH, {"id": made["product"]["id"]}, as_="producer"))["publishProduct"]["product"]
    await sync()

    async def names(query: str, field: str, statuses: list[str] | None) -> set[str]:
        data = await api.data(query, {"p": world.producer_gid, "s": statuses})
        return {e["node"]["name"] for e in data[field]["edges"]}

    ours = {"Kẹo dừa chờ 5 sao", "Kẹo dừa hết hạn", "Kẹo dừa còn hạn"}
    for query, field in ((LISTED, "products"), (SEARCHED, "searchProducts")):
        assert await names(query, field, ["EXPIRED"]) & ours == {"Kẹo dừa hết hạn"}, field
        assert await names(query, field, ["PENDING_5_STAR"]) & ours == {"Kẹo dừa chờ 5 sao"}, field
        assert await names(query, field, ["VALID", "PENDING_5_STAR"]) & ours == ours - {"Kẹo dừa hết hạn"}, field
        assert await names(query, field, None) >= ours, field


async def test_a_five_star_product_is_not_pending_and_rating_it_five_clears_it(api: Api, world: World) -> None:
    refused = await _create(api, world, "Kẹo dừa đã 5 sao", 5, pendingFiveStar=True)
    assert refused["errors"] == [{"field": "pendingFiveStar", "code": "INVALID"}]
    made = (await _create(api, world, "Kẹo dừa sắp 5 sao", 4, pendingFiveStar=True))["product"]
    rated = await api.data(UPDATE, {"id": made["id"], "v": made["version"], "input": {"stars": 5}}, as_="producer")
    product = rated["updateProduct"]["product"]
    assert product["stars"] == 5 and product["certificate"] == {"status": "VALID", "pendingFiveStar": False}
    again = await api.data(
        UPDATE, {"id": made["id"], "v": product["version"], "input": {"pendingFiveStar": True}}, as_="producer"
    )
    assert again["updateProduct"]["errors"] == [{"field": "pendingFiveStar", "code": "INVALID"}]
