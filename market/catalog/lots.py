"""Production lots and their traceability: a producer records a lot of one of its products, and the lot gets a
code nobody can guess. The code is all a trace page needs: whoever holds the printed QR code reads where the
lot came from, and nothing else is reachable from it."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from bson import ObjectId

from market.accounts.policy import Viewer
from market.catalog import policy
from market.catalog.records import Producer, Product, ProductStatus
from market.catalog.validation import MAX_MOQ, Checker, add_months, latest_done_day
from market.core.clock import as_day, midnight, today, utcnow
from market.core.errors import DomainError, not_found
from market.core.ids import parse_object_id
from market.core.paging import Listing, Page, PageRequest

if TYPE_CHECKING:
    from market.store import Store

# 12 random bytes: 16 URL-safe characters, 96 bits, beyond any guessing through the API's rate limits.
CODE_BYTES = 12
_CODE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MAX_LOT_NUMBER = 50
MAX_NOTES = 1000
# How long a lot may keep: twenty years covers wines and spirits; anything later is a typing mistake.
MAX_SHELF_YEARS = 20


@dataclass(slots=True)
class Lot:
    id: ObjectId
    product_id: ObjectId
    producer_id: ObjectId
    lot_number: str
    produced_on: date
    expires_on: date | None
    quantity: int | None
    unit: str
    notes: str
    code: str
    created_at: datetime

    @property
    def expired(self) -> bool:
        return self.expires_on is not None and self.expires_on < today()

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Lot:
        return cls(
            id=doc["_id"],
            product_id=doc["productId"],
            producer_id=doc["producerId"],
            lot_number=doc["lotNumber"],
            produced_on=as_day(doc["producedOn"]) or today(),
            expires_on=as_day(doc.get("expiresOn")),
            quantity=doc.get("quantity"),
            unit=doc.get("unit", ""),
            notes=doc.get("notes", ""),
            code=doc["code"],
            created_at=doc["createdAt"],
        )


def new_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


def is_code(text: str) -> bool:
    """Whether text could be a lot code at all; anything else is not looked up."""
    return bool(_CODE.match(text))


def _clean(data: Mapping[str, Any]) -> dict[str, Any]:
    check = Checker()
    lot_number = check.text("lotNumber", data.get("lotNumber"), required=True, max_len=MAX_LOT_NUMBER)
    # Produced "today" is the producer's today, which in Vietnam may already be tomorrow in UTC.
    produced = check.day("producedOn", data.get("producedOn"), latest=latest_done_day())
    if produced is None and not data.get("producedOn"):
        check.add("required", "producedOn")
    latest_expiry = add_months(today(), 12 * MAX_SHELF_YEARS)
    expires = check.day("expiresOn", data.get("expiresOn"), latest=latest_expiry)
    if produced is not None and expires is not None and expires < produced:
        check.add("before", "expiresOn", other="producedOn")
    quantity = check.integer("quantity", data.get("quantity"), required=False, minimum=1, maximum=MAX_MOQ)
    notes = check.text("notes", data.get("notes"), required=False, max_len=MAX_NOTES) or ""
    check.raise_if_any()
    assert produced is not None
    return {
        "lotNumber": lot_number,
        "producedOn": midnight(produced),
        "expiresOn": midnight(expires) if expires else None,
        "quantity": quantity,
        "notes": notes,
    }


async def record_lot(store: Store, viewer: Viewer, data: Mapping[str, Any]) -> Lot:
    """A new lot of a product, by its producer's members (or an admin). A lot number is unique per product."""
    if not data.get("productId"):
        raise DomainError.of("required", "productId")
    product = await store.products.get(parse_object_id(str(data["productId"]), "productId", "product"))
    producer = await store.producers.get(product.producer_id) if product else None
    if product is None or producer is None or not policy.can_see_product(viewer, product):
        raise not_found("productId", "product")
    policy.ensure_can_record_lots(viewer, producer)
    if product.status is ProductStatus.ARCHIVED:
        raise DomainError.of("archived_product", "productId")
    if not policy.trace_shows(product):
        raise DomainError.of("draft_product_lot", "productId")
    fields = _clean(data)
    doc = {
        **fields,
        "productId": product.id,
        "producerId": producer.id,
        "unit": product.unit,
        "code": new_code(),
        "createdAt": utcnow(),
    }
    return await store.lots.insert(doc)


async def lot_list(
    store: Store, viewer: Viewer, product: Product, producer: Producer | None, request: PageRequest
) -> Listing[Lot]:
    """A product's lots, latest production first; empty for whoever may not see them."""
    if producer is None or not policy.can_see_lots(viewer, product, producer):
        return Listing(Page(items=[], has_next=False, has_previous=False), _zero)
    return Listing(await store.lots.page(product.id, request), lambda: store.lots.count(product.id))


async def _zero() -> int:
    return 0


@dataclass(frozen=True, slots=True)
class Trace:
    """What a trace page shows: the lot, its product and its producer."""

    lot: Lot
    product: Product
    producer: Producer


async def trace(store: Store, code: str) -> Trace | None:
    """The lot with this code, for anyone who holds it; None for a code no lot has, or whose product the page
    may not show."""
    if not is_code(code):
        return None
    lot = await store.lots.by_code(code)
    if lot is None:
        return None
    product = await store.products.get(lot.product_id)
    producer = await store.producers.get(lot.producer_id)
    if product is None or producer is None or not policy.trace_shows(product):
        return None
    return Trace(lot, product, producer)
