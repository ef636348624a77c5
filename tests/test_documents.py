"""Documents as producers attach them and buyers read them: a multipart upload through GraphQL, the file served
back over HTTP to whom the catalogue policy allows (and the same 404 to everyone else), types told by content,
expiry flagged, bad files refused with a typed error and nothing stored."""

from __future__ import annotations

import json
import secrets
from datetime import date, timedelta
from typing import Any

import pytest
from bson import ObjectId

from market.catalog.documents import MAX_DOCUMENT_BYTES
from market.catalog.records import ProductStatus
from market.store import Store
from tests.conftest import Api, World, gid
from tests.pinned_clock import pinned_clock

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
VALID_UNTIL = (date.today() + timedelta(days=3 * 365)).isoformat()
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 40

UPLOAD = """
mutation($file: Upload!, $input: UploadDocumentInput!) {
  uploadDocument(file: $file, input: $input) {
    document { id type number issuer issuedOn validUntil expired fileName contentType sizeBytes url
               producer { id } product { id } }
    errors { field code message }
  }
}"""
DELETE = "mutation($id: ID!) { deleteDocument(id: $id) { document { id } errors { field code } } }"
PRODUCT_DOCS = "query($id: ID!) { product(id: $id) { documents { id type expired } } }"
PRODUCER_DOCS = "query($id: ID!) { producer(id: $id) { documents { id type } } }"
NODE = "query($id: ID!) { node(id: $id) { id ... on Document { type fileName } } }"

ROLES = ("producer", "other_producer", "coordinator", "other_coordinator", "buyer", "admin", None)


async def product_of(store: Store, world: World, status: ProductStatus = ProductStatus.PUBLISHED) -> str:
    product = await store.products.insert(
        {
            "producerId": ObjectId(world.producer_id),
            "name": f"Kẹo dừa sáp {secrets.token_hex(3)}",
            "description": "",
            "group": "food",
            "category": "Kẹo",
            "stars": 4,
            "provinceCode": "86",
            "formerProvince": "Trà Vinh",
            "priceVnd": 55000,
            "unit": "hộp 250g",
            "moq": 1,
            "status": status.value,
        }
    )
    return gid("Product", product.id)


async def upload(
    api: Api,
    input: dict[str, Any],
    content: bytes,
    *,
    name: str = "giay-chung-nhan.pdf",
    content_type: str = "application/pdf",
    as_: str | None = "producer",
) -> Any:
    """A GraphQL multipart request, as a browser or curl sends it."""
    operations = {"query": UPLOAD, "variables": {"file": None, "input": input}}
    headers = {"Authorization": f"Bearer {api.keys[as_]}"} if as_ else {}
    response = await api.client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": (name, content, content_type)},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return response.json()


def payload(body: Any) -> Any:
    assert "errors" not in body, body
    return body["data"]["uploadDocument"]


async def fetch(api: Api, url: str, as_: str | None) -> Any:
    headers = {"Authorization": f"Bearer {api.keys[as_]}"} if as_ else {}
    return await api.client.get(url.removeprefix("http://test"), headers=headers)


async def test_a_producer_uploads_its_food_safety_certificate_and_reads_it_back(api: Api, world: World) -> None:
    body = await upload(
        api,
        {"producerId": world.producer_gid, "type": "FOOD_SAFETY", "number": "123/2025/ATTP-CNĐK",
         "issuer": "Chi cục An toàn vệ sinh thực phẩm Trà Vinh", "issuedOn": "2025-01-10", "validUntil": VALID_UNTIL},
        PDF,
        name="ATTP 2025 (bản scan).pdf",
    )  # fmt: skip
    result = payload(body)
    assert result["errors"] == []
    document = result["document"]
    assert document["type"] == "FOOD_SAFETY" and document["expired"] is False
    assert document["contentType"] == "application/pdf" and document["sizeBytes"] == len(PDF)
    assert document["fileName"] == "ATTP 2025 (bản scan).pdf"
    assert document["producer"]["id"] == world.producer_gid and document["product"] is None

    response = await fetch(api, document["url"], "producer")
    assert response.status_code == 200
    assert response.content == PDF
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-disposition"].startswith('inline; filename="ATTP 2025 (b_n scan).pdf"')
    assert "filename*=UTF-8''ATTP%202025%20%28b%E1%BA%A3n%20scan%29.pdf" in response.headers["content-disposition"]
    assert "no-store" in response.headers["cache-control"]

    listed = await api.data(PRODUCER_DOCS, {"id": world.producer_gid}, as_="buyer")
    assert document["id"] in [d["id"] for d in listed["producer"]["documents"]]


async def test_who_reads_a_document(api: Api, world: World, store: Store) -> None:
    published = await product_of(store, world)
    draft = await product_of(store, world, ProductStatus.DRAFT)
    own = payload(await upload(api, {"producerId": world.producer_gid, "type": "OCOP_CERTIFICATE"}, PNG,
                               name="ocop.png", content_type="image/png"))["document"]  # fmt: skip
    on_published = payload(await upload(api, {"productId": published, "type": "LAB_TEST"}, PDF))["document"]
    on_draft = payload(await upload(api, {"productId": draft, "type": "SELF_DECLARED_STANDARD"}, JPEG,
                                    name="tu-cong-bo.jpg", content_type="image/jpeg"))["document"]  # fmt: skip
    everyone_of_the_producer = {"producer", "coordinator", "admin"}
    readers = {
        own["id"]: everyone_of_the_producer | {"buyer"},
        on_published["id"]: everyone_of_the_producer | {"buyer"},
        on_draft["id"]: everyone_of_the_producer,
    }
    for document in (own, on_published, on_draft):
        for role in ROLES:
            allowed = role in readers[document["id"]]
            response = await fetch(api, document["url"], role)
            expected = 200 if allowed else (401 if role is None else 404)
            assert response.status_code == expected, (document["type"], role, response.status_code)
            node = (await api.gql(NODE, {"id": document["id"]}, as_=role))["data"]["node"]
            assert (node is not None) == allowed, (document["type"], role)

    # The lists follow the same rule; a draft's documents are reached through the draft, which buyers cannot see.
    for role in ROLES:
        data = (await api.gql(PRODUCT_DOCS, {"id": published}, as_=role))["data"]
        ids = [d["id"] for d in data["product"]["documents"]]
        assert (on_published["id"] in ids) == (role in readers[on_published["id"]]), role
    data = await api.data(PRODUCT_DOCS, {"id": draft}, as_="coordinator")
    assert [d["id"] for d in data["product"]["documents"]] == [on_draft["id"]]


async def test_expired_documents_are_flagged(api: Api, world: World) -> None:
    result = payload(
        await upload(
            api,
            {"producerId": world.producer_gid, "type": "VIETGAP", "issuedOn": "2020-05-01", "validUntil": "2023-05-01"},
            PDF,
        )
    )
    assert result["document"]["expired"] is True


async def test_a_documents_days_are_utc_days_whatever_the_servers_zone(api: Api, world: World) -> None:
    """At 06:30 on 11 March in Vietnam, still the 10th in UTC, on a server keeping Vietnam's time: a paper issued
    on the 11th, the producer's today, is taken and one issued on the 12th is not; a paper valid until the 10th
    has not expired yet, and one valid until the 9th has."""

    async def described(**days: str) -> Any:
        return payload(await upload(api, {"producerId": world.producer_gid, "type": "FOOD_SAFETY", **days}, PDF))

    with pinned_clock():
        tomorrow = await described(issuedOn="2025-03-12")
        assert [(e["field"], e["code"]) for e in tomorrow["errors"]] == [("issuedOn", "OUT_OF_RANGE")]
        today = await described(issuedOn="2025-03-11", validUntil="2028-03-10")
        assert today["errors"] == [] and today["document"]["issuedOn"] == "2025-03-11"
        assert (await described(validUntil="2025-03-10"))["document"]["expired"] is False
        assert (await described(validUntil="2025-03-09"))["document"]["expired"] is True


@pytest.mark.parametrize(
    ("content", "name", "content_type", "error"),
    [
        (ZIP, "chung-nhan.pdf", "application/pdf", ("file", "INVALID")),  # a zip named as a PDF
        (b"MZ\x90\x00" + b"\x00" * 60, "scan.jpg", "image/jpeg", ("file", "INVALID")),  # a Windows program
        (PNG, "chung-nhan.pdf", "application/pdf", ("file", "INVALID")),  # a PNG declared as a PDF
        (PDF, "scan.png", "application/octet-stream", ("file", "INVALID")),  # a PDF named as a PNG
        (b"", "empty.pdf", "application/pdf", ("file", "REQUIRED")),
    ],
)
async def test_a_file_whose_content_is_not_what_it_says_is_refused(
    api: Api, world: World, store: Store, content: bytes, name: str, content_type: str, error: tuple[str, str]
) -> None:
    before = await store.db["documents.files"].count_documents({})
    body = await upload(api, {"producerId": world.producer_gid, "type": "LAB_TEST"}, content, name=name,
                        content_type=content_type)  # fmt: skip
    result = payload(body)
    assert result["document"] is None
    assert [(e["field"], e["code"]) for e in result["errors"]] == [error]
    assert await store.db["documents.files"].count_documents({}) == before


async def test_a_pdf_sent_without_a_type_or_extension_is_taken_for_what_it_is(api: Api, world: World) -> None:
    body = await upload(api, {"producerId": world.producer_gid, "type": "HALAL"}, PDF, name="scan",
                        content_type="application/octet-stream")  # fmt: skip
    document = payload(body)["document"]
    assert document["contentType"] == "application/pdf" and document["fileName"] == "scan.pdf"


async def test_an_oversize_file_is_refused_and_nothing_is_stored(api: Api, world: World, store: Store) -> None:
    before = await store.db["documents.chunks"].count_documents({})
    content = PDF + b"0" * (MAX_DOCUMENT_BYTES + 1 - len(PDF))
    result = payload(await upload(api, {"producerId": world.producer_gid, "type": "LAB_TEST"}, content))
    assert [(e["field"], e["code"]) for e in result["errors"]] == [("file", "OUT_OF_RANGE")]
    assert await store.db["documents.chunks"].count_documents({}) == before


async def test_bad_descriptions_and_unknown_ids(api: Api, world: World, store: Store) -> None:
    published = await product_of(store, world)
    cases: list[tuple[dict[str, Any], str | None, set[tuple[str | None, str]]]] = [
        ({"producerId": world.producer_gid, "type": "LAB_TEST", "issuedOn": "2025-03-01", "validUntil": "2025-01-01"},
         "producer", {("validUntil", "INVALID")}),
        ({"producerId": world.producer_gid, "type": "LAB_TEST", "issuedOn": "2999-01-01"},
         "producer", {("issuedOn", "OUT_OF_RANGE")}),
        ({"producerId": world.producer_gid, "productId": published, "type": "LAB_TEST"},
         "producer", {("productId", "INVALID")}),
        ({"type": "LAB_TEST"}, "producer", {("productId", "INVALID")}),
        ({"productId": gid("Product", ObjectId()), "type": "LAB_TEST"}, "producer", {("productId", "NOT_FOUND")}),
        ({"producerId": gid("Producer", ObjectId()), "type": "LAB_TEST"}, "producer", {("producerId", "NOT_FOUND")}),
        ({"producerId": world.producer_gid, "type": "LAB_TEST"}, "other_producer", {(None, "FORBIDDEN")}),
        ({"producerId": world.producer_gid, "type": "LAB_TEST"}, "buyer", {(None, "FORBIDDEN")}),
        ({"producerId": world.producer_gid, "type": "LAB_TEST"}, "coordinator", {(None, "FORBIDDEN")}),
        ({"producerId": world.producer_gid, "type": "LAB_TEST", "number": "x" * 101},
         "producer", {("number", "TOO_LONG")}),
    ]  # fmt: skip
    for input, role, expected in cases:
        result = payload(await upload(api, input, PDF, as_=role))
        assert {(e["field"], e["code"]) for e in result["errors"]} == expected, input
    anonymous = await upload(api, {"producerId": world.producer_gid, "type": "LAB_TEST"}, PDF, as_=None)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    unknown = await api.gql(DELETE, {"id": gid("Document", ObjectId())}, as_="producer")
    assert unknown["data"]["deleteDocument"]["errors"] == [{"field": "id", "code": "NOT_FOUND"}]
    missing = await api.client.get(f"/documents/{ObjectId()}", headers={"Authorization": f"Bearer {api.keys['admin']}"})
    assert missing.status_code == 404 and missing.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    malformed = await api.client.get("/documents/nope", headers={"Authorization": f"Bearer {api.keys['admin']}"})
    assert malformed.status_code == 404


async def test_deleting_a_document(api: Api, world: World) -> None:
    document = payload(await upload(api, {"producerId": world.producer_gid, "type": "ORGANIC"}, PDF))["document"]
    rival = await api.gql(DELETE, {"id": document["id"]}, as_="other_producer")
    assert rival["data"]["deleteDocument"]["errors"] == [{"field": "id", "code": "NOT_FOUND"}]
    buyer = await api.gql(DELETE, {"id": document["id"]}, as_="buyer")
    assert buyer["data"]["deleteDocument"]["errors"] == [{"field": None, "code": "FORBIDDEN"}]
    done = await api.data(DELETE, {"id": document["id"]}, as_="producer")
    assert done["deleteDocument"] == {"document": {"id": document["id"]}, "errors": []}
    assert (await fetch(api, document["url"], "producer")).status_code == 404
    assert (await api.data(NODE, {"id": document["id"]}, as_="admin"))["node"] is None
