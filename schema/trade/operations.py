"""Trade queries and mutations. Resolvers only translate; rules live in market/ (inquiries, quotations,
dealing, deals, permissions)."""

from collections.abc import Awaitable
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from bson import ObjectId
from strawberry.types import Info

from market import dealing, inquiries, quotations
from market.deals import DealState
from market.models import BuyerKind, Certification, ProductGroup
from market.paging import Page, fetch_page
from market.permissions import trade_visibility_filter
from market.trade import Deal as DealRecord
from market.trade import Inquiry as InquiryRecord
from market.trade import TradeEvent as TradeEventRecord
from schema.catalog.inputs import PriceTierInput, sent_fields
from schema.errors import UserError, attempt
from schema.pagination import FIRST_DESCRIPTION, CountedConnection, decode_global_id, page_request, to_connection
from schema.scalars import Vnd
from schema.trade.types import Deal, Inquiry, Message, Quotation, TradeEvent
from search.matchmaking import matcher_for
from search.rfqs import board_filter, board_narrowing
from search.service import clean_query, decode_offset, encode_offset

if TYPE_CHECKING:
    from schema.context import Context

First = Annotated[int | None, strawberry.argument(description=FIRST_DESCRIPTION)]
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
    inquiry: Inquiry | None
    errors: list[UserError]


@strawberry.type
class QuotationPayload:
    quotation: Quotation | None
    errors: list[UserError]


@strawberry.type
class MessagePayload:
    message: Message | None
    errors: list[UserError]


@strawberry.type
class DealPayload:
    deal: Deal | None
    errors: list[UserError]


@strawberry.type
class TradeEventPayload:
    event: TradeEvent | None
    errors: list[UserError]


async def _inquiry_payload(work: Awaitable[InquiryRecord]) -> InquiryPayload:
    record, errors = await attempt(work)
    return InquiryPayload(inquiry=Inquiry.of(record) if record else None, errors=errors)


async def _deal_payload(work: Awaitable[DealRecord]) -> DealPayload:
    record, errors = await attempt(work)
    return DealPayload(deal=Deal.of(record) if record else None, errors=errors)


def _inquiry_data(input: SubmitInquiryInput) -> dict[str, Any]:
    data = sent_fields(input)
    data["productId"] = _node(input.product_id, "Product", "productId")
    if input.criteria is not None:
        data["criteria"] = sent_fields(input.criteria)
    return data


# --- queries -----------------------------------------------------------------------------------------


def _visible(info: Info["Context", None], buyer: str, producer: str, province: str) -> dict[str, Any]:
    flt = trade_visibility_filter(info.context.require_viewer(), buyer_field=buyer, producer_field=producer,
                                  province_field=province)  # fmt: skip
    if flt is None:
        return {"_id": None}  # an account without an organisation sees nothing
    return flt


@strawberry.type
class TradeQuery:
    @strawberry.field(description="Your inbox: inquiries you sent (buyers), were invited to (producers), or oversee.")
    async def inquiries(
        self, info: Info["Context", None], first: First = None, after: str | None = None, open_only: bool = False
    ) -> CountedConnection[Inquiry]:
        store = info.context.store
        query = _visible(info, "buyerOrgId", "producerIds", "producerProvinceCodes")
        if open_only:
            query = {**query, "status": "open", "expiresAt": {"$gt": dealing.utcnow()}}
        page = await fetch_page(
            store.trade.inquiries, query, [("createdAt", -1)], page_request(first, after), InquiryRecord.from_doc
        )
        return to_connection(page, Inquiry.of, lambda: store.trade.inquiries.count_documents(query))

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
        after: str | None = None,
    ) -> CountedConnection[Inquiry]:
        ctx = info.context
        assert ctx.board is not None
        profile = await inquiries.board_profile(ctx.store, ctx.require_viewer())
        filters = (
            board_filter(profile.groups, profile.province_code, profile.best_stars)
            if profile
            else board_filter([], None, 5)
        )
        if profile is None:  # admins see every open RFQ
            filters = filters[:1]
        if filter is not None:
            filters = filters + board_narrowing(
                [g.value for g in filter.groups or []],
                filter.provinces or [],
                [k.value for k in filter.buyer_kinds or []],
            )
        request = page_request(first, after)
        offset = decode_offset(request.after)
        ids, total = await ctx.board.search(clean_query(query), filters, offset, request.first + 1)
        records = {str(i.id): i for i in await ctx.store.trade.inquiries_by_id([ObjectId(i) for i in ids])}
        # The index may lag a closing by a moment: what MongoDB says is closed is left out.
        items = [
            (records[i], encode_offset(offset + n))
            for n, i in enumerate(ids[: request.first])
            if i in records and records[i].effective_status.value == "open"
        ]
        page = Page(items=items, has_next=len(ids) > request.first, has_previous=request.after is not None)

        async def count() -> int:
            return total

        return to_connection(page, Inquiry.of, count)

    @strawberry.field
    async def inquiry(self, info: Info["Context", None], id: strawberry.ID) -> Inquiry | None:
        return (await Inquiry.resolve_nodes(info=info, node_ids=[decode_global_id(id, "Inquiry", "id")]))[0]

    @strawberry.field
    async def deal(self, info: Info["Context", None], id: strawberry.ID) -> Deal | None:
        return (await Deal.resolve_nodes(info=info, node_ids=[decode_global_id(id, "Deal", "id")]))[0]

    @strawberry.field(description="Deals you are a party to, or oversee.")
    async def deals(
        self, info: Info["Context", None], first: First = None, after: str | None = None, state: DealState | None = None
    ) -> CountedConnection[Deal]:
        store = info.context.store
        query = _visible(info, "buyerOrgId", "producerId", "producerProvinceCode")
        if state is not None:
            query = {**query, "state": state.value}
        page = await fetch_page(
            store.trade.deals, query, [("createdAt", -1)], page_request(first, after), DealRecord.from_doc
        )
        return to_connection(page, Deal.of, lambda: store.trade.deals.count_documents(query))

    @strawberry.field(description="Trade events, latest first.")
    async def trade_events(
        self, info: Info["Context", None], first: First = None, after: str | None = None
    ) -> CountedConnection[TradeEvent]:
        store = info.context.store
        page = await fetch_page(
            store.trade.events, {}, [("startsOn", -1)], page_request(first, after), TradeEventRecord.from_doc
        )
        return to_connection(page, TradeEvent.of, lambda: store.trade.events.count_documents({}))


# --- mutations ---------------------------------------------------------------------------------------


@strawberry.type
class TradeMutation:
    @strawberry.mutation(description="A buyer asks one producer (productId) or the best-matching ones (criteria).")
    async def submit_inquiry(
        self,
        info: Info["Context", None],
        input: SubmitInquiryInput,
        idempotency_key: Annotated[str | None, strawberry.argument(description=IDEMPOTENCY)] = None,
    ) -> InquiryPayload:
        ctx = info.context
        viewer = ctx.require_viewer()

        async def work() -> InquiryRecord:
            return await inquiries.submit_inquiry(
                ctx.store, viewer, _inquiry_data(input), matcher_for(ctx.search), idempotency_key=idempotency_key,
                invite_limit=ctx.rfq_invites,
            )  # fmt: skip

        return await _inquiry_payload(work())

    @strawberry.mutation(description="The buyer closes an inquiry; it accepts no more quotations.")
    async def close_inquiry(self, info: Info["Context", None], id: strawberry.ID) -> InquiryPayload:
        ctx = info.context
        viewer = ctx.require_viewer()

        async def work() -> InquiryRecord:
            return await inquiries.close_inquiry(ctx.store, viewer, decode_global_id(id, "Inquiry", "id"))

        return await _inquiry_payload(work())

    @strawberry.mutation(description="Write in an inquiry's thread; the buyer may attach a counter-offer.")
    async def send_message(
        self, info: Info["Context", None], inquiry_id: strawberry.ID, input: MessageInput
    ) -> MessagePayload:
        ctx = info.context
        viewer = ctx.require_viewer()

        async def work() -> Any:
            data = sent_fields(input)
            data["producerId"] = _node(input.producer_id, "Producer", "producerId")
            return await inquiries.send_message(
                ctx.store, viewer, decode_global_id(inquiry_id, "Inquiry", "inquiryId"), data
            )

        record, errors = await attempt(work())
        return MessagePayload(message=Message.of(record) if record else None, errors=errors)

    @strawberry.mutation(description="Quote, or revise your quotation (each revision is kept for the buyer).")
    async def submit_quotation(
        self,
        info: Info["Context", None],
        inquiry_id: strawberry.ID,
        input: QuotationInput,
        idempotency_key: Annotated[str | None, strawberry.argument(description=IDEMPOTENCY)] = None,
    ) -> QuotationPayload:
        ctx = info.context
        viewer = ctx.require_viewer()

        async def work() -> Any:
            return await quotations.submit_quotation(
                ctx.store, viewer, decode_global_id(inquiry_id, "Inquiry", "inquiryId"), sent_fields(input),
                idempotency_key=idempotency_key,
            )  # fmt: skip

        record, errors = await attempt(work())
        return QuotationPayload(quotation=Quotation.of(record) if record else None, errors=errors)

    @strawberry.mutation
    async def decline_quotation(self, info: Info["Context", None], id: strawberry.ID, reason: str) -> QuotationPayload:
        ctx = info.context
        viewer = ctx.require_viewer()

        async def work() -> Any:
            return await quotations.decline_quotation(
                ctx.store, viewer, decode_global_id(id, "Quotation", "quotationId"), reason
            )

        record, errors = await attempt(work())
        return QuotationPayload(quotation=Quotation.of(record) if record else None, errors=errors)

    @strawberry.mutation(description="Accept exactly this revision: closes the inquiry and opens a deal.")
    async def accept_quotation(
        self,
        info: Info["Context", None],
        id: strawberry.ID,
        revision: int,
        idempotency_key: Annotated[str | None, strawberry.argument(description=IDEMPOTENCY)] = None,
    ) -> DealPayload:
        ctx = info.context
        viewer = ctx.require_viewer()

        async def work() -> DealRecord:
            return await quotations.accept_quotation(
                ctx.store, viewer, decode_global_id(id, "Quotation", "quotationId"), revision,
                idempotency_key=idempotency_key,
            )  # fmt: skip

        return await _deal_payload(work())

    @strawberry.mutation(description="Move a deal; see `Deal.allowedTransitions`. CANCELLED and LOST need a note.")
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

        async def work() -> DealRecord:
            return await dealing.advance_deal(
                ctx.store, viewer, decode_global_id(id, "Deal", "id"), to, expected_version, note=note,
                order=sent_fields(order) if order else None, idempotency_key=idempotency_key,
            )  # fmt: skip

        return await _deal_payload(work())

    @strawberry.mutation(description="Record the MoU of a deal, optionally signed at a trade event.")
    async def sign_mou(
        self,
        info: Info["Context", None],
        deal_id: strawberry.ID,
        input: MouInput,
        idempotency_key: Annotated[str | None, strawberry.argument(description=IDEMPOTENCY)] = None,
    ) -> DealPayload:
        ctx = info.context
        viewer = ctx.require_viewer()

        async def work() -> DealRecord:
            data = sent_fields(input)
            data["eventId"] = _node(input.event_id, "TradeEvent", "eventId")
            return await dealing.sign_mou(
                ctx.store, viewer, decode_global_id(deal_id, "Deal", "dealId"), data, idempotency_key=idempotency_key
            )

        return await _deal_payload(work())

    @strawberry.mutation(description="Admins and provincial offices organise trade events.")
    async def create_trade_event(self, info: Info["Context", None], input: TradeEventInput) -> TradeEventPayload:
        ctx = info.context
        viewer = ctx.require_viewer()

        async def work() -> TradeEventRecord:
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
                decode_global_id(b, "BuyerOrganisation", "buyerOrganisationIds")
                for b in input.buyer_organisation_ids or []
            ]
            return await dealing.create_trade_event(ctx.store, viewer, data)

        record, errors = await attempt(work())
        return TradeEventPayload(event=TradeEvent.of(record) if record else None, errors=errors)
