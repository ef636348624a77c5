"""Sample requests: the type, its queries, mutations and live feed. Rules and who may do what live in
market/trade/samples.py and market/trade/policy.py."""

from collections.abc import AsyncIterator, Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from market.trade import feeds, policy, samples
from market.trade import records as trade
from market.trade.feeds import SampleRequestEventKind
from market.trade.inquiries import DEFAULT_EXPIRY_DAYS, MAX_EXPIRY_DAYS, MAX_MESSAGE
from schema.catalog.types import BuyerOrganisation, Producer, Product
from schema.enums import describe_enum
from schema.errors import UserError, returns_user_errors
from schema.loaders import Loaders
from schema.nodes import resolve_visible
from schema.pagination import (
    After,
    Before,
    CountedConnection,
    First,
    Last,
    decode_global_id,
    page_request,
    to_connection,
)
from schema.scalars import Vnd
from schema.trade.operations import IdempotencyKey, InquiryPayload
from schema.trade.types import Inquiry

if TYPE_CHECKING:
    from schema.context import Context

describe_enum(
    trade.SampleRequestStatus,
    "Where a sample request stands.",
    {
        trade.SampleRequestStatus.REQUESTED: "Waiting for the producer's answer.",
        trade.SampleRequestStatus.ACCEPTED: "The producer shipped the samples; `shipping` says how. The buyer may "
        "turn it into an inquiry (`convertToInquiry`).",
        trade.SampleRequestStatus.DECLINED: "The producer declined, with a reason. Final.",
    },
    name="SampleRequestStatus",
)
describe_enum(
    SampleRequestEventKind,
    "What happened to a sample request.",
    {
        SampleRequestEventKind.SAMPLE_REQUESTED: "A buyer asked for samples.",
        SampleRequestEventKind.SAMPLE_ACCEPTED: "The producer shipped the samples.",
        SampleRequestEventKind.SAMPLE_DECLINED: "The producer declined.",
        SampleRequestEventKind.SAMPLE_CONVERTED: "The buyer turned it into an inquiry.",
    },
)


@strawberry.type(description="How the samples travel.")
class SampleShipping:
    carrier: str = strawberry.field(description="The carrier, e.g. `Viettel Post`.")
    tracking_number: str | None = strawberry.field(description="The carrier's tracking number; null when none.")
    shipped_on: date = strawberry.field(description="The day the samples were (or will be) handed to the carrier.")


@strawberry.type(
    description="A buyer's request for samples of a product. Seen by its buyer organisation, the product's producer, "
    "the OCOP office of that producer's province (read-only) and admins (read-only)."
)
class SampleRequest(relay.Node):
    id: relay.NodeID[str]
    status: trade.SampleRequestStatus = strawberry.field(description="Waiting, shipped or declined.")
    quantity: int = strawberry.field(description="How many samples, in `unit`.")
    unit: str = strawberry.field(description="The unit of `quantity`: as asked, else the product's selling unit.")
    delivery_address: str = strawberry.field(description="Where to send them.")
    needed_by: date | None = strawberry.field(description="When the buyer needs them; null when not given.")
    note: str = strawberry.field(description="The buyer's note; empty when none.")
    decline_reason: str | None = strawberry.field(description="The producer's reason; null unless DECLINED.")
    created_at: datetime = strawberry.field(description="When it was sent.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    version: int = strawberry.field(description="Grows by one with each change.")
    record: strawberry.Private[trade.SampleRequest]

    @classmethod
    def from_record(cls, r: trade.SampleRequest) -> "SampleRequest":
        return cls(
            id=str(r.id), status=r.status, quantity=r.quantity, unit=r.unit, delivery_address=r.delivery_address,
            needed_by=r.needed_by, note=r.note, decline_reason=r.decline_reason, created_at=r.created_at,
            updated_at=r.updated_at, version=r.version, record=r,
        )  # fmt: skip

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info["Context", None], node_ids: Iterable[str], required: bool = False
    ) -> list["SampleRequest | None"]:
        viewer = info.context.viewer
        return await resolve_visible(
            node_ids, info.context.loaders.sample_request.load_many,
            lambda r: policy.can_see_sample_request(viewer, r), cls.from_record,
        )  # fmt: skip

    @strawberry.field(description="How the samples travel; null until the producer accepts.")
    def shipping(self) -> SampleShipping | None:
        s = self.record.shipping
        if s is None:
            return None
        return SampleShipping(carrier=s.carrier, tracking_number=s.tracking_number, shipped_on=s.shipped_on)

    @strawberry.field(description="The buyer that asked.")
    async def buyer_organisation(self, info: Info["Context", None]) -> BuyerOrganisation | None:
        record = await info.context.loaders.buyer_org.load(self.record.buyer_org_id)
        return BuyerOrganisation.from_record(record) if record else None

    @strawberry.field(description="The producer asked.")
    async def producer(self, info: Info["Context", None]) -> Producer | None:
        record = await info.context.loaders.producer.load(self.record.producer_id)
        return Producer.from_record(record) if record else None

    @strawberry.field(description="The product sampled; null if you may no longer see it.")
    async def product(self, info: Info["Context", None]) -> Product | None:
        return (await Product.resolve_nodes(info=info, node_ids=[str(self.record.product_id)]))[0]

    @strawberry.field(description="The inquiry it led to; null until `convertToInquiry`, or if you may not see it.")
    async def inquiry(self, info: Info["Context", None]) -> Inquiry | None:
        if self.record.inquiry_id is None:
            return None
        return (await Inquiry.resolve_nodes(info=info, node_ids=[str(self.record.inquiry_id)]))[0]


@strawberry.input(description="What samples a buyer asks for.")
class RequestSamplesInput:
    product_id: strawberry.ID = strawberry.field(
        description="A published product (a Product id); NOT_FOUND for an unpublished or unknown one."
    )
    quantity: int = strawberry.field(description=f"How many samples, 1 to {samples.MAX_SAMPLE_QUANTITY:,}.")
    delivery_address: str = strawberry.field(
        description=f"Where to send them, at most {samples.MAX_ADDRESS} characters."
    )
    unit: str | None = strawberry.field(
        default=None,
        description="The unit of `quantity`, at most 50 characters; the product's selling unit by default.",
    )
    needed_by: date | None = strawberry.field(default=None, description="When they are needed: from today on.")
    note: str | None = strawberry.field(
        default=None, description=f"A note to the producer, at most {samples.MAX_NOTE:,} characters."
    )


@strawberry.input(description="How the producer ships the samples.")
class ShippingInput:
    carrier: str = strawberry.field(description=f"The carrier, at most {samples.MAX_CARRIER} characters.")
    tracking_number: str | None = strawberry.field(
        default=None, description="The carrier's tracking number, at most 100 characters."
    )
    shipped_on: date | None = strawberry.field(
        default=None, description="The day they are handed to the carrier, not before the request; today by default."
    )


@strawberry.input(
    description="The inquiry an accepted sample request becomes: about the same product, to its producer."
)
class ConvertToInquiryInput:
    quantity: int = strawberry.field(description="How much is wanted, in `unit`.")
    unit: str = strawberry.field(description="The unit of `quantity`, e.g. `hộp 250g`; at most 50 characters.")
    target_unit_price_vnd: Vnd | None = strawberry.field(default=None, description="The unit price hoped for.")
    delivery_province: str | None = strawberry.field(
        default=None, description="Where to deliver: a current or old province name, or a code."
    )
    needed_by: date | None = strawberry.field(default=None, description="When the goods are needed: from today.")
    message: str | None = strawberry.field(
        default=None, description=f"A note to the producer, at most {MAX_MESSAGE:,} characters."
    )
    expires_in_days: int | None = strawberry.field(
        default=None, description=f"Days it stays open, 1 to {MAX_EXPIRY_DAYS}; {DEFAULT_EXPIRY_DAYS} by default."
    )


@strawberry.type(description="The result of a sample request mutation: the request, or the errors.")
class SampleRequestPayload:
    sample_request: SampleRequest | None = strawberry.field(
        default=None, description="The request as saved; null when `errors` is not empty."
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing was written; empty on success."
    )


SAMPLE_ID = Annotated[strawberry.ID, strawberry.argument(description="The SampleRequest id.")]
NOT_YOURS = "NOT_FOUND (no such sample request, or one you may not see), INVALID (an id of another type)"


@strawberry.type
class SampleQuery:
    @strawberry.field(
        description="Sample requests your organisation sent (buyers) or received (producers), or of your province's "
        "producers (OCOP offices); all of them for admins. Newest first. Needs an API key (UNAUTHENTICATED "
        "otherwise)."
    )
    async def sample_requests(
        self,
        info: Info["Context", None],
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        status: Annotated[
            trade.SampleRequestStatus | None, strawberry.argument(description="Only requests in this state.")
        ] = None,
    ) -> CountedConnection[SampleRequest]:
        ctx = info.context
        listing = await samples.sample_request_list(
            ctx.store, ctx.require_viewer(), page_request(first, after, last, before), status=status
        )
        return to_connection(listing.page, SampleRequest.from_record, listing.count)


@strawberry.type
class SampleMutation:
    @strawberry.mutation(
        description="A buyer asks the producer of a published product for samples. Members of a buyer organisation "
        "only. `errors`: FORBIDDEN, REQUIRED, OUT_OF_RANGE, TOO_LONG, INVALID, NOT_FOUND (`productId`), "
        "IDEMPOTENCY_KEY_REUSED."
    )
    @returns_user_errors(SampleRequestPayload)
    async def request_samples(
        self,
        info: Info["Context", None],
        input: Annotated[RequestSamplesInput, strawberry.argument(description="What is asked for.")],
        idempotency_key: IdempotencyKey = None,
    ) -> SampleRequestPayload:
        ctx = info.context
        data = {
            "productId": decode_global_id(input.product_id, "Product", "productId"),
            "quantity": input.quantity,
            "unit": input.unit,
            "deliveryAddress": input.delivery_address,
            "neededBy": input.needed_by,
            "note": input.note,
        }
        record = await samples.request_samples(ctx.store, ctx.require_viewer(), data, idempotency_key=idempotency_key)
        return SampleRequestPayload(sample_request=SampleRequest.from_record(record))

    @strawberry.mutation(
        description="The producer ships the samples. `errors`: " + NOT_YOURS + ", FORBIDDEN (not its producer), "
        "INVALID_STATE (already answered), REQUIRED, TOO_LONG, OUT_OF_RANGE, INVALID (`shipping.shippedOn` before "
        "the request)."
    )
    @returns_user_errors(SampleRequestPayload)
    async def accept_sample_request(
        self,
        info: Info["Context", None],
        id: SAMPLE_ID,
        shipping: Annotated[ShippingInput, strawberry.argument(description="How the samples travel.")],
    ) -> SampleRequestPayload:
        ctx = info.context
        data = {
            "carrier": shipping.carrier,
            "trackingNumber": shipping.tracking_number,
            "shippedOn": shipping.shipped_on,
        }
        record = await samples.accept_sample_request(
            ctx.store, ctx.require_viewer(), decode_global_id(id, "SampleRequest", "id"), data
        )
        return SampleRequestPayload(sample_request=SampleRequest.from_record(record))

    @strawberry.mutation(
        description="The producer declines, with a reason the buyer reads. `errors`: " + NOT_YOURS + ", FORBIDDEN "
        "(not its producer), INVALID_STATE (already answered), REQUIRED, TOO_LONG."
    )
    @returns_user_errors(SampleRequestPayload)
    async def decline_sample_request(
        self,
        info: Info["Context", None],
        id: SAMPLE_ID,
        reason: Annotated[str, strawberry.argument(description=f"Why, at most {samples.MAX_REASON} characters.")],
    ) -> SampleRequestPayload:
        ctx = info.context
        record = await samples.decline_sample_request(
            ctx.store, ctx.require_viewer(), decode_global_id(id, "SampleRequest", "id"), reason
        )
        return SampleRequestPayload(sample_request=SampleRequest.from_record(record))

    @strawberry.mutation(
        description="After the samples, the buyer asks for a quotation: a direct inquiry about the same product, "
        "linked to the request (`SampleRequest.inquiry`), once per request. The request's buyer only, once the "
        "producer has accepted. `errors`: " + NOT_YOURS + ", FORBIDDEN (not its buyer), INVALID_STATE (not "
        "accepted, or already converted), NOT_FOUND on `productId` (the product is no longer published), REQUIRED, "
        "INVALID, OUT_OF_RANGE, TOO_LONG, UNKNOWN_PROVINCE, IDEMPOTENCY_KEY_REUSED."
    )
    @returns_user_errors(InquiryPayload)
    async def convert_to_inquiry(
        self,
        info: Info["Context", None],
        id: SAMPLE_ID,
        input: Annotated[ConvertToInquiryInput, strawberry.argument(description="What is wanted now.")],
        idempotency_key: IdempotencyKey = None,
    ) -> InquiryPayload:
        ctx = info.context
        data = {
            k: v
            for k, v in {
                "quantity": input.quantity,
                "unit": input.unit,
                "targetUnitPriceVnd": input.target_unit_price_vnd,
                "deliveryProvince": input.delivery_province,
                "neededBy": input.needed_by,
                "message": input.message,
                "expiresInDays": input.expires_in_days,
            }.items()
            if v is not None
        }
        record = await samples.convert_to_inquiry(
            ctx.store, ctx.require_viewer(), decode_global_id(id, "SampleRequest", "id"), data,
            idempotency_key=idempotency_key,
        )  # fmt: skip
        return InquiryPayload(inquiry=Inquiry.from_record(record))


@strawberry.type(name="SampleRequestEvent", description="Something happened to a sample request.")
class SampleRequestEventType:
    kind: SampleRequestEventKind = strawberry.field(description="What happened.")
    cursor: str = strawberry.field(description="Pass it as `after` to resume right after this event.")
    at: datetime = strawberry.field(description="When it happened.")
    record: strawberry.Private[feeds.SampleRequestEvent]

    @strawberry.field(description="The sample request as it is now; null if you may no longer see it.")
    async def sample_request(self, info: Info["Context", None]) -> SampleRequest | None:
        return (await SampleRequest.resolve_nodes(info=info, node_ids=[str(self.record.sample_request_id)]))[0]


@strawberry.type
class SampleSubscription:
    @strawberry.subscription(
        description="Your sample requests as they move: new requests, shipments, refusals, inquiries they led to. "
        "OCOP offices follow their province's producers, admins every request. Errors: FORBIDDEN for an account "
        "of no organisation, TOO_MANY_SUBSCRIPTIONS, UNAVAILABLE."
    )
    async def sample_request_events(
        self,
        info: Info["Context", None],
        after: Annotated[
            str | None,
            strawberry.argument(description="The cursor of the last event you received: replays everything since."),
        ] = None,
    ) -> AsyncIterator[SampleRequestEventType]:
        ctx = info.context
        feed = ctx.following(await feeds.sample_request_events(ctx.store, ctx.require_viewer(), after=after))

        def event(record: feeds.SampleRequestEvent) -> SampleRequestEventType:
            # A WebSocket connection keeps one context; each event is read with empty loaders.
            info.context.loaders = Loaders.create(info.context.store)
            return SampleRequestEventType(kind=record.kind, cursor=record.cursor, at=record.at, record=record)

        return feed.map(event)
