"""Production lots and their trace codes. The rules live in market/catalog/lots.py, who may list them in
market/catalog/policy.py."""

import asyncio
from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from bson import ObjectId
from strawberry import relay
from strawberry.types import Info

from market.catalog import lots as catalog_lots
from market.catalog import policy
from schema.catalog.types import Product
from schema.errors import UserError, returns_user_errors
from schema.links import absolute_url
from schema.nodes import everyone, resolve_visible
from schema.pagination import decode_global_id

if TYPE_CHECKING:
    from schema.context import Context


@strawberry.type(
    description="A production lot of a product, with the code its QR label carries. Listed for the producer's "
    "members, the OCOP office of the product's province (once it is published, of the producer's province too) "
    "and admins; the public reads one lot's trace page through its code."
)
class Lot(relay.Node):
    id: relay.NodeID[str]
    lot_number: str = strawberry.field(description="The producer's lot number, unique per product.")
    produced_on: date = strawberry.field(description="The day it was produced.")
    expires_on: date | None = strawberry.field(description="Its expiry day; null when it does not expire.")
    expired: bool = strawberry.field(description="True once `expiresOn` has passed.")
    quantity: int | None = strawberry.field(description="How many units the lot holds, in `unit`; null when not given.")
    unit: str = strawberry.field(description="The product's selling unit when the lot was recorded.")
    notes: str = strawberry.field(description="The producer's notes, shown on the trace page; empty when none.")
    code: str = strawberry.field(
        description="The lot's trace code: random, 16 URL-safe characters, nothing anyone could guess."
    )
    created_at: datetime = strawberry.field(description="When it was recorded.")
    record: strawberry.Private[catalog_lots.Lot]

    @classmethod
    def from_record(cls, r: catalog_lots.Lot) -> "Lot":
        return cls(
            id=str(r.id), lot_number=r.lot_number, produced_on=r.produced_on, expires_on=r.expires_on,
            expired=r.expired, quantity=r.quantity, unit=r.unit, notes=r.notes, code=r.code,
            created_at=r.created_at, record=r,
        )  # fmt: skip

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info["Context", None], node_ids: Iterable[str], required: bool = False
    ) -> list["Lot | None"]:
        loaders = info.context.loaders

        async def visible_only(ids: list[ObjectId]) -> list[catalog_lots.Lot]:
            found = [lot for lot in await loaders.lot.load_many(ids) if lot is not None]
            products, producers = await asyncio.gather(
                loaders.product.load_many([lot.product_id for lot in found]),
                loaders.producer.load_many([lot.producer_id for lot in found]),
            )
            return [
                lot
                for lot, product, producer in zip(found, products, producers, strict=True)
                if product is not None
                and producer is not None
                and policy.can_see_lots(info.context.viewer, product, producer)
            ]

        return await resolve_visible(node_ids, visible_only, everyone, cls.from_record)

    @strawberry.field(description="The public trace page of the lot, in Vietnamese or English, readable on a phone.")
    def trace_url(self, info: Info["Context", None]) -> str:
        return absolute_url(info, f"/t/{self.code}")

    @strawberry.field(description="The lot's QR code as a PNG image; it opens `traceUrl`.")
    def qr_code_url(self, info: Info["Context", None]) -> str:
        return absolute_url(info, f"/t/{self.code}.png")

    @strawberry.field(description="The lot's QR code as an SVG image, for print; it opens `traceUrl`.")
    def qr_code_svg_url(self, info: Info["Context", None]) -> str:
        return absolute_url(info, f"/t/{self.code}.svg")

    @strawberry.field(description="The product; null if you may no longer see it.")
    async def product(self, info: Info["Context", None]) -> Product | None:
        return (await Product.resolve_nodes(info=info, node_ids=[str(self.record.product_id)]))[0]


@strawberry.input(
    description="A production lot. Its expiry may not come before its production (INVALID on `expiresOn`)."
)
class RecordLotInput:
    product_id: strawberry.ID = strawberry.field(description="The product (a Product id of your producer).")
    lot_number: str = strawberry.field(
        description=f"Your lot number, at most {catalog_lots.MAX_LOT_NUMBER} characters, unique per product "
        "(DUPLICATE otherwise)."
    )
    produced_on: date = strawberry.field(description="The day it was produced, not after today.")
    expires_on: date | None = strawberry.field(
        default=None, description=f"Its expiry day, from `producedOn` to {catalog_lots.MAX_SHELF_YEARS} years ahead."
    )
    quantity: int | None = strawberry.field(default=None, description="How many units the lot holds, 1 or more.")
    notes: str | None = strawberry.field(
        default=None, description=f"Notes shown on the trace page, at most {catalog_lots.MAX_NOTES:,} characters."
    )


@strawberry.type(description="The result of `recordLot`: the lot, or the errors.")
class LotPayload:
    lot: Lot | None = strawberry.field(
        default=None, description="The lot as recorded; null when `errors` is not empty."
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing was written; empty on success."
    )


@strawberry.type
class LotMutation:
    @strawberry.mutation(
        description="Record a production lot; it gets a trace code and a QR code. The product's producer's members "
        "and admins. `errors`: REQUIRED, INVALID (`expiresOn` before `producedOn`, an id of another type), "
        "OUT_OF_RANGE, TOO_LONG, NOT_FOUND (`productId`), FORBIDDEN, INVALID_STATE (archived product), DUPLICATE "
        "(`lotNumber`)."
    )
    @returns_user_errors(LotPayload)
    async def record_lot(
        self,
        info: Info["Context", None],
        input: Annotated[RecordLotInput, strawberry.argument(description="The lot.")],
    ) -> LotPayload:
        ctx = info.context
        data = {
            "productId": decode_global_id(input.product_id, "Product", "productId"),
            "lotNumber": input.lot_number,
            "producedOn": input.produced_on,
            "expiresOn": input.expires_on,
            "quantity": input.quantity,
            "notes": input.notes,
        }
        record = await catalog_lots.record_lot(ctx.store, ctx.require_viewer(), data)
        return LotPayload(lot=Lot.from_record(record))
