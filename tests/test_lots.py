"""Lots and QR traceability as a producer records them and a shopper scans them: the lot gets an unguessable
code, its QR code (PNG and SVG) opens the public trace page, which reads in Vietnamese or English without
script; an unknown code gets a 404 page; bad lots are refused naming the field."""

from __future__ import annotations

import io
import re
import secrets
import struct
from datetime import date, timedelta
from typing import Any

import segno
from bson import ObjectId

from market.catalog.records import ProductStatus
from market.store import Store
from tests.conftest import Api, World, gid
from tests.pinned_clock import pinned_clock

RECORD = """
mutation($input: RecordLotInput!) {
  recordLot(input: $input) {
    lot { id lotNumber producedOn expiresOn expired quantity unit notes code traceUrl qrCodeUrl qrCodeSvgUrl
          product { id } }
    errors { field code message }
  }
}"""
LOTS = "query($id: ID!) { product(id: $id) { lots(first: 10) { totalCount edges { node { id lotNumber } } } } }"
NODE = "query($id: ID!) { node(id: $id) { id ... on Lot { code } } }"


async def product_of(store: Store, world: World, **fields: Any) -> str:
    product = await store.products.insert(
        {
            "producerId": ObjectId(world.producer_id),
            "name": fields.pop("name", f"Kẹo dừa sáp Cầu Kè {secrets.token_hex(2)}"),
            "description": "",
            "group": "food",
            "category": "Kẹo",
            "stars": 4,
            "provinceCode": "86",
            "formerProvince": "Trà Vinh",
            "priceVnd": 55000,
            "unit": "hộp 250g",
            "moq": 1,
            "status": ProductStatus.PUBLISHED.value,
            "certificate": {"number": "OCOP-TV-2024-017", "validUntil": _midnight(date.today() + timedelta(days=400))},
            **fields,
        }
    )
    return gid("Product", product.id)


def _midnight(day: date) -> Any:
    from market.core.clock import midnight

    return midnight(day)


async def record(api: Api, input: dict[str, Any], as_: str = "producer") -> Any:
    return (await api.data(RECORD, {"input": input}, as_=as_))["recordLot"]


def errors(payload: Any) -> set[tuple[str | None, str]]:
    return {(e["field"], e["code"]) for e in payload["errors"]}


async def test_a_lot_gets_a_code_a_qr_code_and_a_trace_page(api: Api, world: World, store: Store) -> None:
    product = await product_of(store, world)
    produced = date.today() - timedelta(days=3)
    result = await record(
        api,
        {"productId": product, "lotNumber": "L2025-11-A", "producedOn": produced.isoformat(),
         "expiresOn": (produced + timedelta(days=365)).isoformat(), "quantity": 1200,
         "notes": "Dừa sáp thu hoạch tại Cầu Kè <b>không</b> chất bảo quản"},
    )  # fmt: skip
    assert result["errors"] == []
    lot = result["lot"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{16}", lot["code"])
    assert lot["traceUrl"] == f"http://test/t/{lot['code']}"
    assert lot["qrCodeUrl"] == f"http://test/t/{lot['code']}.png"
    assert lot["unit"] == "hộp 250g" and lot["expired"] is False and lot["product"]["id"] == product

    png = await api.client.get(f"/t/{lot['code']}.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png.content[16:24])  # from the IHDR chunk
    assert width == height >= 200  # square, large enough to scan from a label
    svg = await api.client.get(f"/t/{lot['code']}.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.startswith("<svg") and "<script" not in svg.text
    # The QR code carries the trace page's URL, as a phone's camera reads it.
    expected = segno.make(lot["traceUrl"], error="m")
    assert svg.text == _svg_of(expected)

    page = await api.client.get(f"/t/{lot['code']}", headers={"Accept-Language": "vi-VN,vi;q=0.9"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["content-language"] == "vi"
    html = page.text
    assert "<script" not in html.lower() and "http" not in html.replace(lot["code"], "")  # nothing fetched
    assert 'name="viewport"' in html
    assert "Kẹo dừa sáp Cầu Kè" in html and "Truy xuất nguồn gốc" in html
    assert "HTX Dừa sáp Cầu Kè" in html and "Xã Hòa Tân" in html
    assert "Vĩnh Long" in html and "trước đây thuộc Trà Vinh" in html
    assert "★★★★" in html and "4 sao" in html and "OCOP-TV-2024-017" in html and "còn hiệu lực" in html
    assert "L2025-11-A" in html and f"{produced:%d/%m/%Y}" in html and "1.200 hộp 250g" in html
    assert "&lt;b&gt;không&lt;/b&gt;" in html and "<b>không</b>" not in html  # escaped
    assert "default-src 'none'" in page.headers["content-security-policy"]

    english = await api.client.get(f"/t/{lot['code']}?lang=en", headers={"Accept-Language": "vi"})
    assert english.headers["content-language"] == "en"
    assert "Product traceability" in english.text and "formerly Trà Vinh" in english.text
    assert "4 stars" in english.text and "valid until" in english.text and "Produced on" in english.text
    by_header = await api.client.get(f"/t/{lot['code']}", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert "Product traceability" in by_header.text


def _svg_of(qr: Any) -> str:
    out = io.BytesIO()
    qr.save(out, kind="svg", scale=4, border=4, xmldecl=False)
    return out.getvalue().decode()


async def test_an_unknown_code_gets_a_clear_404_page(api: Api) -> None:
    for code in ("AAAAAAAAAAAAAAAA", "nope", "<script>alert(1)<"):
        page = await api.client.get(f"/t/{code}", headers={"Accept-Language": "vi"})
        assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
        assert "Không tìm thấy mã" in page.text and "<script>alert" not in page.text
    english = await api.client.get("/t/AAAAAAAAAAAAAAAA?lang=en")
    assert english.status_code == 404 and "Code not found" in english.text
    for suffix in (".png", ".svg", ".gif"):
        assert (await api.client.get(f"/t/AAAAAAAAAAAAAAAA{suffix}")).status_code == 404


async def test_an_expired_certificate_and_lot_read_as_such(api: Api, world: World, store: Store) -> None:
    product = await product_of(
        store, world, certificate={"number": "OCOP-2019", "validUntil": _midnight(date(2022, 6, 30))}
    )
    lot = (await record(api, {"productId": product, "lotNumber": "OLD-1", "producedOn": "2023-01-02",
                              "expiresOn": "2024-01-02"}))["lot"]  # fmt: skip
    assert lot["expired"] is True
    html = (await api.client.get(f"/t/{lot['code']}?lang=en")).text
    assert "expired on 30 Jun 2022" in html and "past its expiry date" in html


async def test_a_lots_days_are_utc_days_whatever_the_servers_zone(api: Api, world: World, store: Store) -> None:
    """At 06:30 on 11 March in Vietnam, still the 10th in UTC, on a server keeping Vietnam's time: a lot produced
    on the 11th, the producer's today, is taken and one of the 12th is not; a lot kept until the 10th, and a
    certificate valid until then, have not expired yet, on the lot and on its trace page."""
    product = await product_of(
        store, world, certificate={"number": "OCOP-TV-2022-003", "validUntil": _midnight(date(2025, 3, 10))}
    )
    with pinned_clock():
        tomorrow = await record(api, {"productId": product, "lotNumber": "T-2", "producedOn": "2025-03-12"})
        assert errors(tomorrow) == {("producedOn", "OUT_OF_RANGE")}
        today = await record(api, {"productId": product, "lotNumber": "T-1", "producedOn": "2025-03-11",
                                   "expiresOn": "2025-03-11"})  # fmt: skip
        assert today["errors"] == []
        kept = await record(api, {"productId": product, "lotNumber": "K-1", "producedOn": "2025-03-01",
                                  "expiresOn": "2025-03-10"})  # fmt: skip
        assert kept["lot"]["expired"] is False
        html = (await api.client.get(f"/t/{kept['lot']['code']}?lang=en")).text
        assert "valid until 10 Mar 2025" in html and "past its expiry date" not in html
        gone = await record(api, {"productId": product, "lotNumber": "G-1", "producedOn": "2025-03-01",
                                  "expiresOn": "2025-03-09"})  # fmt: skip
        assert gone["lot"]["expired"] is True


async def test_bad_lots_are_refused_naming_the_field(api: Api, world: World, store: Store) -> None:
    product = await product_of(store, world)
    today = date.today()
    cases = [
        ({"producedOn": "2025-06-01", "expiresOn": "2025-05-01"}, {("expiresOn", "INVALID")}),
        ({"producedOn": (today + timedelta(days=2)).isoformat()}, {("producedOn", "OUT_OF_RANGE")}),
        ({"producedOn": "2025-06-01", "quantity": 0}, {("quantity", "OUT_OF_RANGE")}),
        ({"producedOn": "2025-06-01", "lotNumber": " "}, {("lotNumber", "REQUIRED")}),
        ({"producedOn": "2025-06-01", "notes": "x" * 1001}, {("notes", "TOO_LONG")}),
    ]
    for fields, expected in cases:
        result = await record(api, {"productId": product, "lotNumber": "B-1", **fields})
        assert errors(result) == expected, fields
        assert result["lot"] is None
    message = (await record(api, {"productId": product, "lotNumber": "B-1", "producedOn": "2025-06-01",
                                  "expiresOn": "2025-05-01"}))["errors"][0]["message"]  # fmt: skip
    assert message == "expiresOn is before producedOn"
    assert await store.db["lots"].count_documents({"productId": ObjectId(_raw(product))}) == 0

    first = await record(api, {"productId": product, "lotNumber": "B-1", "producedOn": "2025-06-01"})
    assert first["errors"] == []
    again = await record(api, {"productId": product, "lotNumber": "B-1", "producedOn": "2025-06-02"})
    assert errors(again) == {("lotNumber", "DUPLICATE")}
    unknown = await record(api, {"productId": gid("Product", ObjectId()), "lotNumber": "X", "producedOn": "2025-06-01"})
    assert errors(unknown) == {("productId", "NOT_FOUND")}
    rival = await record(api, {"productId": product, "lotNumber": "R", "producedOn": "2025-06-01"}, "other_producer")
    assert errors(rival) == {(None, "FORBIDDEN")}
    wrong_type = await api.gql(RECORD, {"input": {"productId": world.producer_gid, "lotNumber": "X",
                                                   "producedOn": "2025-06-01"}}, as_="producer")  # fmt: skip
    assert errors(wrong_type["data"]["recordLot"]) == {("productId", "INVALID")}
    bad_date = await api.gql(RECORD, {"input": {"productId": product, "lotNumber": "X", "producedOn": "01/06/2025"}},
                             as_="producer")  # fmt: skip
    assert bad_date["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def _raw(global_id: str) -> str:
    import base64

    return base64.b64decode(global_id).decode().split(":", 1)[1]


async def test_lots_are_listed_for_the_producer_its_office_and_admins(api: Api, world: World, store: Store) -> None:
    product = await product_of(store, world)
    lot = (await record(api, {"productId": product, "lotNumber": "V-1", "producedOn": "2025-06-01"}))["lot"]
    readers = {"producer", "coordinator", "admin"}
    for role in ("producer", "other_producer", "coordinator", "other_coordinator", "buyer", "admin", None):
        data = (await api.gql(LOTS, {"id": product}, as_=role))["data"]
        lots = data["product"]["lots"]
        assert ([e["node"]["id"] for e in lots["edges"]] == [lot["id"]]) == (role in readers), role
        assert lots["totalCount"] == (1 if role in readers else 0)
        node = (await api.gql(NODE, {"id": lot["id"]}, as_=role))["data"]["node"]
        assert (node is not None) == (role in readers), role


DRAFT_PATHS = """
query($product: ID!, $producer: ID!, $lot: ID!, $document: ID!) {
  product(id: $product) { id lots(first: 10) { totalCount edges { node { id } } } documents { id } }
  asNode: node(id: $product) { id }
  products(first: 100, filter: {producer: $producer, status: [DRAFT]}) { edges { node { id } } }
  lot: node(id: $lot) { id ... on Lot { product { id } } }
  document: node(id: $document) { id ... on Document { product { id } } }
}"""


async def test_a_draft_certified_outside_its_producers_province_is_its_own_provinces_alone(
    api: Api, world: World, store: Store
) -> None:
    """A draft of the Vĩnh Long producer certified in Hà Nội: the Hà Nội office oversees it, the Vĩnh Long one
    does not. Whoever may not see the draft itself reaches neither its lots nor its papers, on any path; whoever
    may, reaches them all. The trace page of a draft's lot is nobody's (a draft is not public)."""
    from tests.test_documents import PDF, payload, upload

    product = await product_of(store, world, name="Kẹo dừa chứng nhận ở Hà Nội", provinceCode="01",
                               formerProvince=None)  # fmt: skip
    lot = (await record(api, {"productId": product, "lotNumber": "HN-1", "producedOn": "2025-06-01"}))["lot"]
    document = payload(await upload(api, {"productId": product, "type": "LAB_TEST"}, PDF))["document"]
    await store.db["products"].update_one({"_id": ObjectId(_raw(product))}, {"$set": {"status": "draft"}})

    readers = {"producer", "other_coordinator", "admin"}  # its members, the office of Hà Nội (01), admins
    variables = {"product": product, "producer": world.producer_gid, "lot": lot["id"], "document": document["id"]}
    for role in ("producer", "other_producer", "coordinator", "other_coordinator", "buyer", "admin", None):
        data = await api.data(DRAFT_PATHS, variables, as_=role)
        sees = role in readers
        assert (data["product"] is not None) == sees, role
        assert (data["asNode"] is not None) == sees, role
        assert (product in [e["node"]["id"] for e in data["products"]["edges"]]) == sees, role
        if sees:
            lots = data["product"]["lots"]
            assert [e["node"]["id"] for e in lots["edges"]] == [lot["id"]] and lots["totalCount"] == 1, role
            assert [d["id"] for d in data["product"]["documents"]] == [document["id"]], role
            assert data["lot"]["product"] == {"id": product} and data["document"]["product"] == {"id": product}
        else:
            assert data["lot"] is None and data["document"] is None, role
        headers = {"Authorization": f"Bearer {api.keys[role]}"} if role else {}
        download = await api.client.get(f"/documents/{_raw(document['id'])}", headers=headers)
        assert download.status_code == (200 if sees else 401 if role is None else 404), role
    assert (await api.client.get(f"/t/{lot['code']}")).status_code == 404


async def test_a_draft_product_gets_no_lot_and_its_lots_no_page(api: Api, world: World, store: Store) -> None:
    """A trace page shows its product to anyone, which a draft is not; archived goods stay traceable."""
    draft = await product_of(store, world, name="Kẹo dừa chưa đăng", status=ProductStatus.DRAFT.value)
    refused = await record(api, {"productId": draft, "lotNumber": "D-1", "producedOn": "2025-06-01"})
    assert errors(refused) == {("productId", "INVALID_STATE")} and refused["lot"] is None
    assert await store.db["lots"].count_documents({"productId": ObjectId(_raw(draft))}) == 0

    product = await product_of(store, world, name="Kẹo dừa đã đăng")
    code = (await record(api, {"productId": product, "lotNumber": "P-1", "producedOn": "2025-06-01"}))["lot"]["code"]
    oid = ObjectId(_raw(product))
    pages = {}
    for status in (ProductStatus.DRAFT, ProductStatus.ARCHIVED, ProductStatus.PUBLISHED):
        await store.db["products"].update_one({"_id": oid}, {"$set": {"status": status.value}})
        page = await api.client.get(f"/t/{code}")
        pages[status] = (page.status_code, "Kẹo dừa đã đăng" in page.text)
        assert (await api.client.get(f"/t/{code}.png")).status_code == page.status_code
    assert pages == {
        ProductStatus.DRAFT: (404, False),
        ProductStatus.ARCHIVED: (200, True),
        ProductStatus.PUBLISHED: (200, True),
    }
