"""The product change feed: every creation, edit, publication, withdrawal and deletion of a product, in commit
order, for platforms that mirror the catalogue (an e-commerce shop, the national OCOP portal).

Why a log written in the product's own transaction, and not a change stream. A change stream follows commit
order too, but only as far back as the oplog reaches: a mirror that pauses for longer than the oplog window
(hours on a busy or small deployment) would have to pull everything again, and a reader's filter (what the
public may see) would be applied by scanning the oplog on every page. A log row is written in the same
transaction as the product write it describes, so it exists exactly when that write does: nothing is lost
on a crash or a restart, nothing rolled back ever shows, and history is as long as the collection is kept.

Commit order, under concurrent writers, comes from one counter document that every product write increments
inside its transaction: each commit takes the next number, and all its rows carry it (`seq`, with `i` ordering
the rows of one commit, as a bulk import writes a thousand products at once). Two transactions that both
increment the counter conflict, so the second one retries after the first has committed: numbers are handed
out in the order the commits become visible, and a reader that has seen number n can never later find a
commit numbered below n. (A sequence taken outside the transaction would not have that property: a slow
writer holding number 5 could commit after a reader moved past 6.) Rows are read with majority read concern,
so a reader never passes a commit that a failover could take back. The price is that product writes are
serialised with each other; they are rare next to reads, and an import takes one number per batch.

Each row records the product's status and province before and after the change, which is what visibility
depends on: a viewer sees a change when `can_see_product` would have let it see the product on either side of
it. On the far side the product may no longer be visible (archived, back to draft, deleted): that change is the
viewer's tombstone, carrying the product's id and why, never its contents. A change never shows the product as
it was then; readers load it as it is now, through the same visibility check as `product(id)`, so a mirror that
applies changes in order always converges, wherever it starts after a full pull.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from bson import ObjectId

from market.accounts.policy import Viewer
from market.catalog import policy
from market.catalog.records import ProductStatus
from market.core.paging import Listing, PageRequest

if TYPE_CHECKING:
    from market.store import Store

# What a change row needs of a product document to say what happened and to whom it is visible.
TRACKED = ("producerId", "status", "provinceCode", "version")


class ProductChangeKind(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    PUBLISHED = "published"
    UNPUBLISHED = "unpublished"  # archived, or back to draft
    DELETED = "deleted"


@dataclass(frozen=True, slots=True)
class ProductChange:
    kind: ProductChangeKind
    product_id: ObjectId
    producer_id: ObjectId
    version: int | None  # the product's version the change made; None for a deletion
    status: ProductStatus | None  # after the change; None for a deletion
    at: datetime

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> ProductChange:
        return cls(
            kind=ProductChangeKind(doc["kind"]),
            product_id=doc["productId"],
            producer_id=doc["producerId"],
            version=doc.get("version"),
            status=ProductStatus(doc["status"]) if doc.get("status") else None,
            at=doc["at"],
        )


def change_kind(before: dict[str, Any] | None, after: dict[str, Any] | None) -> ProductChangeKind:
    if before is None:
        return ProductChangeKind.CREATED
    if after is None:
        return ProductChangeKind.DELETED
    published = ProductStatus.PUBLISHED.value
    if before.get("status") != published and after.get("status") == published:
        return ProductChangeKind.PUBLISHED
    if before.get("status") == published and after.get("status") != published:
        return ProductChangeKind.UNPUBLISHED
    return ProductChangeKind.UPDATED


def change_row(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, Any]:
    """The log row of one product write, from the product's document before it (None: created) and after it
    (None: deleted); only the TRACKED fields of each are read."""
    either = after if after is not None else before
    assert either is not None
    return {
        "kind": change_kind(before, after).value,
        "productId": either["_id"],
        "producerId": either["producerId"],
        "version": after.get("version") if after is not None else None,
        "status": after.get("status") if after is not None else None,
        "provinceCode": after.get("provinceCode") if after is not None else None,
        "wasStatus": before.get("status") if before is not None else None,
        "wasProvinceCode": before.get("provinceCode") if before is not None else None,
    }


def after_update(before: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """The TRACKED fields of a product after a versioned update applies to `before` (as read in the same
    transaction, so nothing came between)."""
    fields = update.get("$set") or {}
    return {
        "_id": before["_id"],
        "producerId": before["producerId"],
        "status": fields.get("status", before.get("status")),
        "provinceCode": fields.get("provinceCode", before.get("provinceCode")),
        "version": before["version"] + 1,
    }


async def product_changes(store: Store, viewer: Viewer, request: PageRequest) -> Listing[ProductChange]:
    """The changes the viewer may see, oldest first, from just after `request.after`."""
    visibility = policy.product_change_filter(viewer)
    page = await store.products.changes.page(visibility, request)
    return Listing(page, lambda: store.products.changes.count(visibility))
