"""The pure rules behind documents, lots and sample requests, as tables: what a file's bytes say it is, who
reads a document or a lot's list (market/catalog/policy.py), who sees and answers a sample request
(market/trade/policy.py). No database."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from bson import ObjectId

from market.accounts.policy import Viewer
from market.accounts.records import Role
from market.catalog import policy as catalog_policy
from market.catalog.documents import MAX_DOCUMENT_BYTES, check_file, safe_file_name
from market.catalog.files import FileKind, claimed, sniff
from market.catalog.lots import is_code, new_code
from market.catalog.records import Address, Contact, Producer, ProducerType, Product, ProductGroup, ProductStatus
from market.core.errors import DomainError, ErrorCode
from market.trade import policy as trade_policy
from market.trade.pipeline import Party
from market.trade.records import SampleRequest, SampleRequestStatus
from tests.unit.principals import principal

NOW = datetime.now(UTC)
MAKER, OTHER_PRODUCER, BUYER_ORG, OTHER_BUYER_ORG = ObjectId(), ObjectId(), ObjectId(), ObjectId()

VIEWERS: dict[str, Viewer] = {
    "anonymous": None,
    "buyer": principal(Role.BUYER, BUYER_ORG),
    "other_buyer": principal(Role.BUYER, OTHER_BUYER_ORG),
    "member": principal(Role.PRODUCER, MAKER),
    "other_producer": principal(Role.PRODUCER, OTHER_PRODUCER),
    "office": principal(Role.COORDINATOR, province_code="86"),
    "other_office": principal(Role.COORDINATOR, province_code="01"),
    "admin": principal(Role.ADMIN),
    "producer_without_org": principal(Role.PRODUCER),
}
PRODUCER = Producer(
    id=MAKER, name="HTX Dừa sáp Cầu Kè", type=ProducerType.COOPERATIVE,
    address=Address(province_code="86", former_province="Trà Vinh"), contact=Contact(), verified=True,
    created_at=NOW, updated_at=NOW, version=1,
)  # fmt: skip


def product(status: ProductStatus) -> Product:
    return Product(
        id=ObjectId(), producer_id=MAKER, name="Kẹo dừa sáp", description="", group=ProductGroup.FOOD,
        category="Kẹo", stars=4, province_code="86", former_province="Trà Vinh", price_vnd=55000, unit="hộp",
        moq=1, status=status, created_at=NOW, updated_at=NOW, version=1,
    )  # fmt: skip


# --- files -------------------------------------------------------------------------------------------------

PDF, JPEG, PNG = b"%PDF-1.7\n", b"\xff\xd8\xff\xdb\x00", b"\x89PNG\r\n\x1a\n\x00"


@pytest.mark.parametrize(
    ("content", "kind"),
    [(PDF, FileKind.PDF), (JPEG, FileKind.JPEG), (PNG, FileKind.PNG), (b"PK\x03\x04", None), (b"GIF89a", None),
     (b"%PD", None), (b"<svg xmlns='http://www.w3.org/2000/svg'/>", None), (b"", None)],
)  # fmt: skip
def test_the_content_says_what_a_file_is(content: bytes, kind: FileKind | None) -> None:
    assert sniff(content) is kind


@pytest.mark.parametrize(
    ("name", "content_type", "said"),
    [("a.PDF", None, FileKind.PDF), ("scan.jpeg", "", FileKind.JPEG), ("x", "image/png; q=1", FileKind.PNG),
     ("a.png", "application/pdf", FileKind.PDF), ("a.docx", "application/octet-stream", None), (None, None, None)],
)  # fmt: skip
def test_what_a_sender_claims(name: str | None, content_type: str | None, said: FileKind | None) -> None:
    assert claimed(name, content_type) is said


@pytest.mark.parametrize(
    ("content", "name", "content_type", "key"),
    [(b"", "a.pdf", None, "required"), (PDF + b"0" * MAX_DOCUMENT_BYTES, "a.pdf", None, "file_too_large"),
     (b"PK\x03\x04", "a.pdf", "application/pdf", "file_type_not_allowed"),
     (PNG, "a.pdf", None, "file_type_mismatch"), (PDF, "a.jpg", "application/octet-stream", "file_type_mismatch")],
)  # fmt: skip
def test_refused_files(content: bytes, name: str, content_type: str | None, key: str) -> None:
    with pytest.raises(DomainError) as raised:
        check_file(content, name, content_type)
    assert [(e.field, e.key) for e in raised.value.errors] == [("file", key)]


def test_a_stored_name_keeps_no_folder_nor_control_characters_and_ends_as_the_content_is() -> None:
    assert safe_file_name("C:\\scans\\giấy ATTP.PDF", FileKind.PDF) == "giấy ATTP.pdf"
    assert safe_file_name("../../etc/passwd", FileKind.PNG) == "passwd.png"
    assert safe_file_name("bad\x00\r\nname.jpg", FileKind.JPEG) == "badname.jpg"
    assert safe_file_name(None, FileKind.PDF) == "document.pdf"
    assert len(safe_file_name("x" * 500 + ".pdf", FileKind.PDF)) <= 200


# --- who reads documents and lots ------------------------------------------------------------------------

PUBLISHED, DRAFT = product(ProductStatus.PUBLISHED), product(ProductStatus.DRAFT)
SIDE = {"member", "office", "admin"}
DOCUMENT_READERS = {
    "producer's own": SIDE | {"buyer", "other_buyer"},
    "published product's": SIDE | {"buyer", "other_buyer"},
    "draft product's": SIDE,
}


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("what", DOCUMENT_READERS)
def test_who_reads_a_document(viewer: str, what: str) -> None:
    target = {"producer's own": None, "published product's": PUBLISHED, "draft product's": DRAFT}[what]
    seen = catalog_policy.can_see_document(VIEWERS[viewer], target.id if target else None, PRODUCER, target)
    assert seen == (viewer in DOCUMENT_READERS[what])


@pytest.mark.parametrize("viewer", VIEWERS)
def test_who_attaches_documents_and_lists_lots(viewer: str) -> None:
    v = VIEWERS[viewer]
    assert catalog_policy.can_see_lots(v, PUBLISHED, PRODUCER) == (viewer in SIDE)
    assert catalog_policy.can_see_lots(v, DRAFT, PRODUCER) == (viewer in SIDE)
    if viewer in ("member", "admin"):
        catalog_policy.ensure_can_attach_documents(v, PRODUCER)
    else:
        with pytest.raises(DomainError) as raised:
            catalog_policy.ensure_can_attach_documents(v, PRODUCER)
        assert raised.value.errors[0].code is ErrorCode.FORBIDDEN


def test_lot_codes_are_random_and_checked_before_any_lookup() -> None:
    codes = {new_code() for _ in range(1000)}
    assert len(codes) == 1000 and all(len(c) == 16 and is_code(c) for c in codes)
    assert not any(is_code(c) for c in ("", "short", "a" * 65, "abc/defghijklmnop", "<script>xxxxxxxxxx"))


# --- sample requests ---------------------------------------------------------------------------------------

REQUEST = SampleRequest(
    id=ObjectId(), buyer_org_id=BUYER_ORG, created_by=ObjectId(), product_id=PUBLISHED.id, producer_id=MAKER,
    producer_province_code="86", quantity=6, unit="hộp", delivery_address="TP HCM", needed_by=date(2031, 1, 1),
    note="", status=SampleRequestStatus.REQUESTED, shipping=None, decline_reason=None, inquiry_id=None,
    created_at=NOW, updated_at=NOW, version=1,
)  # fmt: skip
SAMPLE_SEEN_BY = {"buyer", "member", "office", "admin"}
PARTY = {"buyer": Party.BUYER, "member": Party.PRODUCER}


@pytest.mark.parametrize("viewer", VIEWERS)
def test_who_sees_and_answers_a_sample_request(viewer: str) -> None:
    v = VIEWERS[viewer]
    assert trade_policy.can_see_sample_request(v, REQUEST) == (viewer in SAMPLE_SEEN_BY)
    assert trade_policy.sample_request_party(v, REQUEST) is PARTY.get(viewer)
    for side in (Party.PRODUCER, Party.BUYER):
        if PARTY.get(viewer) is side:
            trade_policy.ensure_sample_party(v, REQUEST, side, "accept it")
        else:
            with pytest.raises(DomainError):
                trade_policy.ensure_sample_party(v, REQUEST, side, "accept it")


@pytest.mark.parametrize("viewer", VIEWERS)
def test_the_list_filter_matches_the_rule(viewer: str) -> None:
    """The MongoDB filter of the list, evaluated on the request's fields, agrees with `can_see_sample_request`."""
    query = trade_policy.sample_request_filter(VIEWERS[viewer])
    fields = {"buyerOrgId": BUYER_ORG, "producerId": MAKER, "producerProvinceCode": "86", "_id": REQUEST.id}
    matches = all(fields.get(k) == v for k, v in query.items())
    assert matches == (viewer in SAMPLE_SEEN_BY)
