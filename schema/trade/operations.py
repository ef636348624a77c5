"""Trade queries and mutations. Resolvers only translate; rules and who may do what live in market/trade/."""

from datetime import date
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from market.accounts.records import BuyerKind
from market.catalog.records import Certification, ProductGroup
from market.trade import deals, events, inquiries, quotations
from market.trade.pipeline import DealState
from schema.catalog.inputs import PriceTierInput, sent_fields
from schema.errors import UserError, returns_user_errors
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
from schema.trade.types import Deal, Inquiry, Message, Quotation, TradeEvent
from search.matchmaking import matcher_for
from search.rfqs import board_narrowing

if TYPE_CHECKING:
    from schema.context import Context

IDEMPOTENCY = "Retrying with the same key returns the first result and creates nothing new."


def _node(value: strawberry.ID | None, type_name: str, field: str) -> str | None:
    return decode_global_id(value, type_name, field) if value else None


# --- inputs ------------------------------------------------------------------------------------------


@strawberry.input(description="What an open RFQ asks for; at least one condition.")
class RfqCriteriaInput:
    query: str | None = None
    groups: list[ProductGroup] | None = None
    provinces: list[str] | None = strawberry.field(default=None, description="Old or new names, or codes.")
    min_stars: int | None = None
    certifications: list[Certification] | None = None


@strawberry.input(description="Give `productId` for a direct inquiry, or `criteria` for an open RFQ.")
class SubmitInquiryInput:
    product_id: strawberry.ID | None = None
    criteria: RfqCriteriaInput | None = None
    quantity: int
    unit: str
    target_unit_price_vnd: Vnd | None = None
    delivery_province: str | None = None
    needed_by: date | None = None
    message: str | None = None
    expires_in_days: int | None = strawberry.field(default=None, description="14 by default, at most 90.")


@strawberry.input(description="Narrows the RFQ board; every given condition must hold.")
class RfqBoardFilter:
    groups: list[ProductGroup] | None = None
    provinces: list[str] | None = strawberry.field(default=None, description="RFQs asking for these provinces (codes).")
    buyer_kinds: list[BuyerKind] | None = None


@strawberry.input
class QuotationInput:
    unit_price_vnd: Vnd
    lead_time_days: int
    price_tiers: list[PriceTierInput] | None = None
    moq: int | None = None
    valid_until: date | None = strawberry.field(default=None, description="30 days from today by default.")
    note: str | None = None


@strawberry.input(description="The buyer names the producer's thread and may add a counter-offer.")
class MessageInput:
    body: str
    producer_id: strawberry.ID | None = None
    counter_unit_price_vnd: Vnd | None = None
    counter_quantity: int | None = None


@strawberry.input(description="Needed when the buyer places the order (to: ORDERED).")
class OrderInput:
    quantity: int
    value_vnd: Vnd
    delivery_date: date


@strawberry.input
class MouInput:
    terms_summary: str
    signed_on: date | None = None
    document_url: str | None = None
    event_id: strawberry.ID | None = None


@strawberry.input
class BoothInput:
    number: str
    producer_id: strawberry.ID
    product_ids: list[strawberry.ID] | None = None


@strawberry.input
class TradeEventInput:
    name: str
    organiser: str
    province: str
    starts_on: date
    ends_on: date | None = None
    venue: str | None = None
    booths: list[BoothInput] | None = None
    buyer_organisation_ids: list[strawberry.ID] | None = None


# --- payloads ----------------------------------------------------------------------------------------


@strawberry.type
class InquiryPayload:
    inquiry: Inquiry | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class QuotationPayload:
    quotation: Quotation | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class MessagePayload:
    message: Message | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DealPayload:
    deal: Deal | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class TradeEventPayload:
    event: TradeEvent | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _inquiry_data(input: SubmitInquiryInput) -> dict[str, object]:
    data = sent_fields(input)
    data["productId"] = _node(input.product_id, "Product", "productId")
    if input.criteria is not None:
        data["criteria"] = sent_fields(input.criteria)
    return data


# --- queries -----------------------------------------------------------------------------------------


@strawberry.type
class TradeQuery:
    @strawberry.field(description="Your inbox: inquiries you sent (buyers), were invited to (producers), or oversee.")
    async def inquiries(
        self,
        info: Info["Context", None],
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        open_only: bool = False,
    ) -> CountedConnection[Inquiry]:
        ctx = info.context
        listing = await inquiries.inbox(
            ctx.store, ctx.require_viewer(), page_request(first, after, last, before), open_only=open_only
        )
        return to_connection(listing.page, Inquiry.from_record, listing.count)

    @strawberry.field(
        description="The RFQ board: open RFQs a producer's catalogue could meet, newest first, or matching `query` "
        "(accents optional). Served from a search index the sync worker keeps in step."
    )
    async def open_requests(
        self,
        info: Info["Context", None],
        query: str = "",
        filter: RfqBoardFilter | None = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> CountedConnection[Inquiry]:
        ctx = info.context
        assert ctx.board is not None
        narrowing = (
            board_narrowing(
                [g.value for g in filter.groups or []],
                filter.provinces or [],
                [k.value for k in filter.buyer_kinds or []],
            )
            if filter is not None
            else []
        )
        listing = await ctx.board.open_requests(
            ctx.store, ctx.require_viewer(), query, narrowing, page_request(first, after, last, before)
        )
        return to_connection(listing.page, Inquiry.from_record, listing.count)

    @strawberry.field
    async def inquiry(self, info: Info["Context", None], id: strawberry.ID) -> Inquiry | None:
        return (await Inquiry.resolve_nodes(info=info, node_ids=[decode_global_id(id, "Inquiry", "id")]))[0]

    @strawberry.field
    async def deal(self, info: Info["Context", None], id: strawberry.ID) -> Deal | None:
        return (await Deal.resolve_nodes(info=info, node_ids=[decode_global_id(id, "Deal", "id")]))[0]

    @strawberry.field(description="Deals you are a party to, or oversee.")
    async def deals(
        self,
        info: Info["Context", None],
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        state: DealState | None = None,
    ) -> CountedConnection[Deal]:
        ctx = info.context
        request = page_request(first, after, last, before)
        listing = await deals.deal_list(ctx.store, ctx.require_viewer(), request, state=state)
        return to_connection(listing.page, Deal.from_record, listing.count)

    @strawberry.field(description="Trade events, latest first.")
    async def trade_events(
        self,
        info: Info["Context", None],
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> CountedConnection[TradeEvent]:
        listing = await events.event_list(info.context.store, page_request(first, after, last, before))
        return to_connection(listing.page, TradeEvent.from_record, listing.count)


# --- mutations ---------------------------------------------------------------------------------------


@strawberry.type
class TradeMutation:
    @strawberry.mutation(description="A buyer asks one producer (productId) or the best-matching ones (criteria).")
    @returns_user_errors(InquiryPayload)
    async def submit_inquiry(
        self,
        info: Info["Context", None],
        input: SubmitInquiryInput,
        idempotency_key: Annotated[str | None, strawberry.argument(description=IDEMPOTENCY)] = None,
    ) -> InquiryPayload:
        ctx = info.context
        viewer = ctx.require_viewer()
        record = await inquiries.submit_inquiry(
            ctx.store, viewer, _inquiry_data(input), matcher_for(ctx.search), idempotency_key=idempotency_key,
            invite_limit=ctx.rfq_invites,
        )  # fmt: skip
        return InquiryPayload(inquiry=Inquiry.from_record(record))

    @strawberry.mutation(description="The buyer closes an inquiry; it accepts no more quotations.")
    @returns_user_errors(InquiryPayload)
    async def close_inquiry(self, info: Info["Context", None], id: strawberry.ID) -> InquiryPayload:
        ctx = info.context
        viewer = ctx.require_viewer()
        record = await inquiries.close_inquiry(ctx.store, viewer, decode_global_id(id, "Inquiry", "id"))
        return InquiryPayload(inquiry=Inquiry.from_record(record))

    @strawberry.mutation(description="Write in an inquiry's thread; the buyer may attach a counter-offer.")
    @returns_user_errors(MessagePayload)
    async def send_message(
        self, info: Info["Context", None], inquiry_id: strawberry.ID, input: MessageInput
    ) -> MessagePayload:
        ctx = info.context
        viewer = ctx.require_viewer()
        data = sent_fields(input)
        data["producerId"] = _node(input.producer_id, "Producer", "producerId")
        record = await inquiries.send_message(
            ctx.store, viewer, decode_global_id(inquiry_id, "Inquiry", "inquiryId"), data
        )
        return MessagePayload(message=Message.from_record(record))

    @strawberry.mutation(description="Quote, or revise your quotation (each revision is kept for the buyer).")
    @returns_user_errors(QuotationPayload)
    async def submit_quotation(
        self,
        info: Info["Context", None],
        inquiry_id: strawberry.ID,
        input: QuotationInput,
        idempotency_key: Annotated[str | None, strawberry.argument(description=IDEMPOTENCY)] = None,
    ) -> QuotationPayload:
        ctx = info.context
        viewer = ctx.require_viewer()
        record = await quotations.submit_quotation(
            ctx.store, viewer, decode_global_id(inquiry_id, "Inquiry", "inquiryId"), sent_fields(input),
            idempotency_key=idempotency_key,
        )  # fmt: skip
        return QuotationPayload(quotation=Quotation.from_record(record))

    @strawberry.mutation
    @returns_user_errors(QuotationPayload)
    async def decline_quotation(self, info: Info["Context", None], id: strawberry.ID, reason: str) -> QuotationPayload:
        ctx = info.context
        viewer = ctx.require_viewer()
        record = await quotations.decline_quotation(
            ctx.store, viewer, decode_global_id(id, "Quotation", "quotationId"), reason
        )
        return QuotationPayload(quotation=Quotation.from_record(record))

    @strawberry.mutation(description="Accept exactly this revision: closes the inquiry and opens a deal.")
    @returns_user_errors(DealPayload)
    async def accept_quotation(
        self,
        info: Info["Context", None],
        id: strawberry.ID,
        revision: int,
        idempotency_key: Annotated[str | None, strawberry.argument(description=IDEMPOTENCY)] = None,
    ) -> DealPayload:
        ctx = info.context
        viewer = ctx.require_viewer()
        record = await quotations.accept_quotation(
            ctx.store, viewer, decode_global_id(id, "Quotation", "quotationId"), revision,
            idempotency_key=idempotency_key,
        )  # fmt: skip
        return DealPayload(deal=Deal.from_record(record))

    @strawberry.mutation(description="Move a deal; see `Deal.allowedTransitions`. CANCELLED and LOST need a note.")
    @returns_user_errors(DealPayload)
    async def advance_deal(
        self,
        info: Info["Context", None],
        id: strawberry.ID,
        to: DealState,
        expected_version: int,
        note: str | None = None,
        order: OrderInput | None = None,
        idempotency_key: Annotated[str | None, strawberry.argument(description=IDEMPOTENCY)] = None,
    ) -> DealPayload:
        ctx = info.context
        viewer = ctx.require_viewer()
        record = await deals.advance_deal(
            ctx.store, viewer, decode_global_id(id, "Deal", "id"), to, expected_version, note=note,
            order=sent_fields(order) if order else None, idempotency_key=idempotency_key,
        )  # fmt: skip
        return DealPayload(deal=Deal.from_record(record))

    @strawberry.mutation(description="Record the MoU of a deal, optionally signed at a trade event.")
    @returns_user_errors(DealPayload)
    async def sign_mou(
        self,
        info: Info["Context", None],
        deal_id: strawberry.ID,
        input: MouInput,
        idempotency_key: Annotated[str | None, strawberry.argument(description=IDEMPOTENCY)] = None,
    ) -> DealPayload:
        ctx = info.context
        viewer = ctx.require_viewer()
        data = sent_fields(input)
        data["eventId"] = _node(input.event_id, "TradeEvent", "eventId")
        record = await deals.sign_mou(
            ctx.store, viewer, decode_global_id(deal_id, "Deal", "dealId"), data, idempotency_key=idempotency_key
        )
        return DealPayload(deal=Deal.from_record(record))

    @strawberry.mutation(description="Admins and provincial offices organise trade events.")
    @returns_user_errors(TradeEventPayload)
    async def create_trade_event(self, info: Info["Context", None], input: TradeEventInput) -> TradeEventPayload:
        ctx = info.context
        viewer = ctx.require_viewer()
        data = sent_fields(input)
        data["booths"] = [
            {
                "number": b.number,
                "producerId": decode_global_id(b.producer_id, "Producer", "booths.producerId"),
                "productIds": [decode_global_id(p, "Product", "booths.productIds") for p in b.product_ids or []],
            }
            for b in input.booths or []
        ]
        data["buyerOrgIds"] = [
            decode_global_id(b, "BuyerOrganisation", "buyerOrganisationIds") for b in input.buyer_organisation_ids or []
        ]
        return TradeEventPayload(event=TradeEvent.from_record(await events.create_trade_event(ctx.store, viewer, data)))
