"""Documents producers attach to themselves or to a product: OCOP certificate scans, the self-declared standard,
food-safety and lab papers, VietGAP, organic and Halal certificates. The file is checked by its content (PDF,
JPEG or PNG, at most MAX_DOCUMENT_BYTES) and stored with its description in one write (GridFS); who may read
it is market.catalog.policy's question."""

from __future__ import annotations

import unicodedata
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from bson import ObjectId

from market.accounts.policy import Viewer
from market.catalog import policy
from market.catalog.files import EXTENSIONS, FileKind, claimed, sniff
from market.catalog.records import Producer, Product
from market.catalog.validation import MAX_NAME, MAX_SHORT, Checker, latest_done_day
from market.core.clock import as_day, midnight, today
from market.core.errors import DomainError, not_found
from market.core.ids import parse_object_id

if TYPE_CHECKING:
    from market.store import Store

MAX_DOCUMENT_BYTES = 8 * 1024 * 1024
MAX_FILE_NAME = 200


class DocumentType(StrEnum):
    OCOP_CERTIFICATE = "ocop_certificate"
    SELF_DECLARED_STANDARD = "self_declared_standard"
    FOOD_SAFETY = "food_safety"
    LAB_TEST = "lab_test"
    VIETGAP = "vietgap"
    ORGANIC = "organic"
    HALAL = "halal"
    OTHER = "other"


@dataclass(slots=True)
class Document:
    id: ObjectId
    type: DocumentType
    producer_id: ObjectId
    product_id: ObjectId | None
    number: str | None
    issuer: str | None
    issued_on: date | None
    valid_until: date | None
    file_name: str
    kind: FileKind
    size: int
    uploaded_at: datetime
    uploaded_by: ObjectId

    @property
    def expired(self) -> bool:
        return self.valid_until is not None and self.valid_until < today()

    @classmethod
    def from_file(cls, doc: Mapping[str, Any]) -> Document:
        """From a GridFS files document; the description lives in its `metadata`."""
        meta = doc["metadata"]
        return cls(
            id=doc["_id"],
            type=DocumentType(meta["type"]),
            producer_id=meta["producerId"],
            product_id=meta.get("productId"),
            number=meta.get("number"),
            issuer=meta.get("issuer"),
            issued_on=as_day(meta.get("issuedOn")),
            valid_until=as_day(meta.get("validUntil")),
            file_name=doc["filename"],
            kind=FileKind(meta["contentType"]),
            size=doc["length"],
            uploaded_at=doc["uploadDate"],
            uploaded_by=meta["uploadedBy"],
        )


def parse_document_type(value: Any) -> DocumentType | None:
    try:
        return DocumentType(str(value).lower())
    except ValueError:
        return None


def check_file(content: bytes, file_name: str | None, content_type: str | None) -> FileKind:
    """The kind of an upload, from its content: an empty, oversize or unaccepted file, or one whose declared type
    or extension names another accepted kind, is refused with an error on `file`."""
    if not content:
        raise DomainError.of("required", "file")
    if len(content) > MAX_DOCUMENT_BYTES:
        raise DomainError.of("file_too_large", "file", max=MAX_DOCUMENT_BYTES, got=len(content))
    kind = sniff(content)
    if kind is None:
        raise DomainError.of("file_type_not_allowed", "file", allowed=[k.name for k in FileKind])
    said = claimed(file_name, content_type)
    if said is not None and said is not kind:
        raise DomainError.of("file_type_mismatch", "file", declared=said.name, detected=kind.name)
    return kind


def safe_file_name(name: str | None, kind: FileKind) -> str:
    """The sender's name without any folder, control characters or surrounding space, ending in the extension
    of what the content is; `document.<ext>` when nothing usable is left."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in unicodedata.normalize("NFC", base) if unicodedata.category(c)[0] != "C").strip(" .")
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = stem[: MAX_FILE_NAME - 5] or "document"
    return f"{stem}.{EXTENSIONS[kind]}"


def _description(data: Mapping[str, Any]) -> dict[str, Any]:
    check = Checker()
    doc_type = check.choice("type", data.get("type"), parse_document_type, required=True, label="document type")
    number = check.text("number", data.get("number"), required=False, max_len=MAX_SHORT)
    issuer = check.text("issuer", data.get("issuer"), required=False, max_len=MAX_NAME)
    # Issued "today" is the producer's today, which in Vietnam may already be tomorrow in UTC.
    issued = check.day("issuedOn", data.get("issuedOn"), earliest=date(1990, 1, 1), latest=latest_done_day())
    valid = check.day("validUntil", data.get("validUntil"), earliest=date(1990, 1, 1))
    if issued is not None and valid is not None and valid < issued:
        check.add("before", "validUntil", other="issuedOn")
    check.raise_if_any()
    assert isinstance(doc_type, DocumentType)
    return {
        "type": doc_type.value,
        "number": number,
        "issuer": issuer,
        "issuedOn": midnight(issued) if issued else None,
        "validUntil": midnight(valid) if valid else None,
    }


async def _target(store: Store, data: Mapping[str, Any]) -> tuple[Producer, Product | None]:
    """The producer a document belongs to, and its product when it is about one."""
    product_ref, producer_ref = data.get("productId"), data.get("producerId")
    if product_ref and producer_ref:
        raise DomainError.of("document_target", "productId")
    if product_ref:
        product = await store.products.get(parse_object_id(str(product_ref), "productId", "product"))
        owner = await store.producers.get(product.producer_id) if product else None
        if product is None or owner is None:
            raise not_found("productId", "product")
        return owner, product
    if not producer_ref:
        raise DomainError.of("document_target", "productId")
    producer = await store.producers.get(parse_object_id(str(producer_ref), "producerId", "producer"))
    if producer is None:
        raise not_found("producerId", "producer")
    return producer, None


async def upload_document(
    store: Store,
    viewer: Viewer,
    data: Mapping[str, Any],
    content: bytes,
    *,
    file_name: str | None,
    content_type: str | None,
) -> Document:
    """Check everything, then store the file and its description in one GridFS write."""
    if viewer is None:
        raise DomainError.of("forbidden_documents", None)
    producer, product = await _target(store, data)
    if product is not None and not policy.can_see_product(viewer, product):
        raise not_found("productId", "product")
    policy.ensure_can_attach_documents(viewer, producer)
    description = _description(data)
    kind = check_file(content, file_name, content_type)
    metadata = {
        **description,
        "producerId": producer.id,
        "productId": product.id if product else None,
        "contentType": kind.value,
        "uploadedBy": viewer.account_id,
    }
    return await store.documents.insert(safe_file_name(file_name, kind), content, metadata)


async def _document(store: Store, document_id: str, field: str) -> tuple[Document, Producer, Product | None]:
    document = await store.documents.get(parse_object_id(document_id, field, "document"))
    if document is None:
        raise not_found(field, "document")
    producer = await store.producers.get(document.producer_id)
    if producer is None:
        raise not_found(field, "document")
    product = await store.products.get(document.product_id) if document.product_id else None
    return document, producer, product


async def delete_document(store: Store, viewer: Viewer, document_id: str) -> Document:
    document, producer, product = await _document(store, document_id, "id")
    if not policy.can_see_document(viewer, document.product_id, producer, product):
        raise not_found("id", "document")
    policy.ensure_can_attach_documents(viewer, producer)
    await store.documents.delete(document.id)
    return document


@dataclass(frozen=True, slots=True)
class Download:
    document: Document
    chunks: AsyncIterator[bytes]


async def open_document(store: Store, viewer: Viewer, document_id: str) -> Download:
    """The file, for whoever may read it; NOT_FOUND for anyone else, as for a document that does not exist."""
    document, producer, product = await _document(store, document_id, "id")
    if not policy.can_see_document(viewer, document.product_id, producer, product):
        raise not_found("id", "document")
    chunks = await store.documents.open(document.id)
    if chunks is None:
        raise not_found("id", "document")
    return Download(document, chunks)
