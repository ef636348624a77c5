"""The product change feed, for platforms that mirror the catalogue (market.catalog.changes)."""

from datetime import datetime
from typing import TYPE_CHECKING

import strawberry
from strawberry.types import Info

from market.catalog import changes as catalog_changes
from market.catalog import policy
from market.catalog.changes import ProductChangeKind
from schema.catalog.types import Product
from schema.enums import describe_enum
from schema.pagination import global_id

if TYPE_CHECKING:
    from schema.context import Context

describe_enum(
    ProductChangeKind,
    "What a product change did.",
    {
        ProductChangeKind.CREATED: "The product was created (as a draft through the API, or by an import).",
        ProductChangeKind.UPDATED: "Its details changed; its status did not leave or reach PUBLISHED.",
        ProductChangeKind.PUBLISHED: "It became PUBLISHED: buyers and the public see it from now on.",
        ProductChangeKind.UNPUBLISHED: "It left PUBLISHED: archived, or back to DRAFT by an import. For the public "
        "this is a tombstone: remove the product from your copy.",
        ProductChangeKind.DELETED: "It was deleted: a tombstone for everyone who could see it.",
    },
)


@strawberry.type(
    description="One write of one product, as `productChanges` lists them. `product` is the product as it is "
    "now, when you may see it; null otherwise (a tombstone: the product left what you may see, or is gone). To "
    "mirror, apply changes in order: upsert `product` when present, remove `productId` when it is null."
)
class ProductChange:
    kind: ProductChangeKind = strawberry.field(description="What the change did.")
    product_id: strawberry.ID = strawberry.field(
        description="The Product id, the same as `product.id`; present on tombstones too."
    )
    version: int | None = strawberry.field(
        description="The product's `version` the change made; null for a deletion. A copy already at a higher "
        "version is newer than this change."
    )
    at: datetime = strawberry.field(
        description="When it was written. Order by the list's cursors, not by this: clocks of concurrent writers "
        "may disagree by milliseconds."
    )
    record: strawberry.Private[catalog_changes.ProductChange]

    @classmethod
    def from_record(cls, record: catalog_changes.ProductChange) -> "ProductChange":
        return cls(
            kind=record.kind,
            product_id=strawberry.ID(global_id("Product", str(record.product_id))),
            version=record.version,
            at=record.at,
            record=record,
        )

    @strawberry.field(
        description="The product as it is now, when you may see it now; null for a tombstone (you may no longer "
        "see it, or it was deleted). A later change says when it comes back."
    )
    async def product(self, info: Info["Context", None]) -> Product | None:
        current = await info.context.loaders.product.load(self.record.product_id)
        if current is None or not policy.can_see_product(info.context.viewer, current):
            return None
        return Product.from_record(current)
