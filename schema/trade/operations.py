"""Trade queries and mutations. Resolvers only translate; rules and who may do what live in market/trade/."""

from datetime import date
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from market.accounts.records import BuyerKind
from market.catalog.records import Certification, ProductGroup
from market.catalog.validation import (
    EARLIEST_DAY,
    HORIZON_YEARS,
    MAX_DEAL_VALUE_VND,
    MAX_MOQ,
    MAX_NAME,
    MAX_PRICE_VND,
    MAX_TIERS,
)
from market.core.errors import DomainError
from market.trade import deals, events, inquiries, quotations
from market.trade.inquiries import DEFAULT_EXPIRY_DAYS, MAX_EXPIRY_DAYS, MAX_MESSAGE
from market.trade.pipeline import DealState
from market.trade.quotations import DEFAULT_VALIDITY_DAYS
from schema.catalog.inputs import PriceTierInput, sent_fields
from schema.errors import UserError, returns_user_errors
from schema.pagination import (
    After,
    Before,
    CountedConnection,
    First,
    Last,
    SentIds,
    decode_global_id,
    page_request,
    to_connection,
)
from schema.prefetch import deals_ahead, inquiries_ahead
from schema.scalars import Vnd
from schema.trade.approvals import AcceptQuotationPayload
from schema.trade.types import Deal, Inquiry, Message, Quotation, TradeEvent
from search.matchmaking import matcher_for
from search.rfqs import board_narrowing

if TYPE_CHECKING:
    from schema.context import Context

IDEMPOTENCY = (
    "Any text you choose, unique per operation and account: retrying with the same key and input returns the "
    "first result and writes nothing new; the same key with another input is IDEMPOTENCY_KEY_REUSED."
)
IdempotencyKey = Annotated[str | None, strawberry.argument(description=IDEMPOTENCY)]
# Limits come from the validation they describe, so a changed limit changes its documentation too.
PRICE_RANGE = f"1 to {MAX_PRICE_VND:,} đồng"
QUANTITY_RANGE = f"1 to {MAX_MOQ:,}"
DAYS_AHEAD = f"at most {HORIZON_YEARS} years ahead"
ERRORS = "Why nothing was written; empty on success."
SAVED = "null when `errors` is not empty."
# Written once for the mutations that name an existing object, which refuse it the same ways.
NOT_YOURS = "NOT_FOUND (no such {0}, or one you may not see), INVALID (an id of another type)"


def _node(value: strawberry.ID | None, type_name: str, field: str) -> str | None:
    return decode_global_id(value, type_name, field) if value else None


# --- inputs ------------------------------------------------------------------------------------------


@strawberry.input(
    description="What an open RFQ asks for; at least one condition (REQUIRED on `criteria` otherwise). Producers "
    "whose published products meet them are invited."
)
class RfqCriteriaInput:
    query: str | None = strawberry.field(
        default=None, description="The product wanted, as a buyer would search for it, at most 200 characters."
    )
    groups: list[ProductGroup] | None = strawberry.field(default=None, description="Any of these groups.")
    provinces: list[str] | None = strawberry.field(
        default=None,
        description="Provinces the products must come from: old or new names, or codes; UNKNOWN_PROVINCE on "
        "`criteria.provinces[i]` otherwise.",
    )
    min_stars: int | None = strawberry.field(default=None, description="Lowest OCOP rating accepted, 3 to 5.")
    certifications: list[Certification] | None = strawberry.field(default=None, description="Certifications asked for.")


@strawberry.input(
    description="Give `productId` for a direct inquiry, or `criteria` for an open RFQ: exactly one (INVALID on "
    "`productId` otherwise)."
)
class SubmitInquiryInput:
    product_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="A published product (a Product id): its producer is asked directly. NOT_FOUND for an "
        "unpublished or unknown product.",
    )
    variant_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="One of the product's variants (`Product.variants { id }`), for a direct inquiry only "
        "(INVALID without `productId`); NOT_FOUND when the product has no such variant.",
    )
    criteria: RfqCriteriaInput | None = strawberry.field(
        default=None, description="What an open RFQ asks for: the best-matching producers are invited."
    )
    quantity: int = strawberry.field(description=f"How much is wanted, {QUANTITY_RANGE}, in `unit`.")
    unit: str = strawberry.field(description="The unit of `quantity`, e.g. `hộp 250g`; at most 50 characters.")
    target_unit_price_vnd: Vnd | None = strawberry.field(
        default=None, description=f"The unit price hoped for, {PRICE_RANGE}."
    )
    delivery_province: str | None = strawberry.field(
        default=None, description="Where to deliver: a current or old province name, or a code."
    )
    needed_by: date | None = strawberry.field(
        default=None, description=f"When the goods are needed: from today, {DAYS_AHEAD}."
    )
    message: str | None = strawberry.field(
        default=None, description=f"A note to the producers, at most {MAX_MESSAGE:,} characters."
    )
    expires_in_days: int | None = strawberry.field(
        default=None,
        description=f"Days it stays open, 1 to {MAX_EXPIRY_DAYS}; {DEFAULT_EXPIRY_DAYS} by default.",
    )


@strawberry.input(description="Narrows the RFQ board; every given condition must hold.")
class RfqBoardFilter:
    groups: list[ProductGroup] | None = strawberry.field(
        default=None, description="RFQs asking for any of these groups."
    )
    provinces: list[str] | None = strawberry.field(
        default=None,
        description="RFQs asking for any of these provinces: codes, or current or old names. UNKNOWN_PROVINCE for "
        "one that is neither.",
    )
    buyer_kinds: list[BuyerKind] | None = strawberry.field(
        default=None, description="RFQs from buyers of any of these kinds."
    )


@strawberry.input(description="A quotation's terms; sending it again revises the quotation (a new revision).")
class QuotationInput:
    unit_price_vnd: Vnd = strawberry.field(description=f"Price of one unit, {PRICE_RANGE}.")
    lead_time_days: int = strawberry.field(description="Days from order to delivery, 0 to 365.")
    price_tiers: list[PriceTierInput] | None = strawberry.field(
        default=None,
        description=f"Volume prices, at most {MAX_TIERS}, no two with the same `minQuantity`; a deal takes the tier "
        "its quantity reaches.",
    )
    moq: int | None = strawberry.field(
        default=None, description=f"Minimum order quantity, {QUANTITY_RANGE}; 1 when omitted."
    )
    valid_until: date | None = strawberry.field(
        default=None,
        description=f"Last day it can be accepted: from today, {DAYS_AHEAD}; {DEFAULT_VALIDITY_DAYS} days from "
        "today by default.",
    )
    note: str | None = strawberry.field(default=None, description="Remarks for the buyer, at most 2,000 characters.")
    variant_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The variant (pack size) quoted: of the direct inquiry's product, or of any of your products "
        "for an RFQ (the deal then names that product). NOT_FOUND when there is no such variant.",
    )


@strawberry.input(description="The buyer names the producer's thread and may add a counter-offer.")
class MessageInput:
    body: str = strawberry.field(description=f"The text, at most {MAX_MESSAGE:,} characters.")
    producer_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Whose thread (a Producer id): required from the buyer and must be an invited producer "
        "(NOT_FOUND otherwise); ignored from a producer, who writes in its own.",
    )
    counter_unit_price_vnd: Vnd | None = strawberry.field(
        default=None, description=f"A counter-offer's unit price, {PRICE_RANGE}. Buyers only (FORBIDDEN otherwise)."
    )
    counter_quantity: int | None = strawberry.field(
        default=None, description=f"A counter-offer's quantity, {QUANTITY_RANGE}. Buyers only (FORBIDDEN otherwise)."
    )


@strawberry.input(description="Needed when the buyer places the order (to: ORDERED).")
class OrderInput:
    quantity: int = strawberry.field(description=f"Units ordered, {QUANTITY_RANGE}.")
    value_vnd: Vnd = strawberry.field(description=f"The order's total value, 1 to {MAX_DEAL_VALUE_VND:,} đồng.")
    delivery_date: date = strawberry.field(description=f"The agreed delivery day, from {EARLIEST_DAY}, {DAYS_AHEAD}.")


@strawberry.input(description="A deal's memorandum of understanding.")
class MouInput:
    terms_summary: str = strawberry.field(description="What the parties agreed, in short; at most 2,000 characters.")
    signed_on: date | None = strawberry.field(
        default=None,
        description=f"The day it was signed, from {EARLIEST_DAY} to today; today by default. With `eventId`, this "
        "day, given or by default, falls within the event's days (OUT_OF_RANGE otherwise).",
    )
    document_url: str | None = strawberry.field(
        default=None, description="Link to the signed document, an http or https URL."
    )
    event_id: strawberry.ID | None = strawberry.field(
        default=None, description="The trade event it was signed at (a TradeEvent id); NOT_FOUND if it does not exist."
    )


@strawberry.input(description="A producer's booth at a trade event.")
class BoothInput:
    number: str = strawberry.field(
        description="The booth's number or label, at most 20 characters; no other booth of the event may have it, "
        "whatever the case (DUPLICATE otherwise)."
    )
    producer_id: strawberry.ID = strawberry.field(description="The exhibiting producer (a Producer id).")
    product_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="Product ids of what it shows, each a PUBLISHED product of the booth's producer, listed once "
        "(NOT_FOUND for an unknown product, INVALID for another producer's or one listed twice, INVALID_STATE for a "
        "draft or an archived one, each message listing those ids as you sent them); none by default.",
    )


@strawberry.input(description="A new trade event.")
class TradeEventInput:
    name: str = strawberry.field(description=f"The event's name, at most {MAX_NAME} characters.")
    organiser: str = strawberry.field(description=f"Who organises it, at most {MAX_NAME} characters.")
    province: str = strawberry.field(
        description="The host province: a current or old name, or a code. Its OCOP office reads the event's report."
    )
    starts_on: date = strawberry.field(description=f"First day, from {EARLIEST_DAY}, {DAYS_AHEAD}.")
    ends_on: date | None = strawberry.field(
        default=None, description="Last day, not before `startsOn` (INVALID otherwise); `startsOn` by default."
    )
    venue: str | None = strawberry.field(
        default=None, description=f"Where it takes place, at most {MAX_NAME} characters."
    )
    booths: list[BoothInput] | None = strawberry.field(default=None, description="The producers' booths.")
    buyer_organisation_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="The buyer organisations taking part (BuyerOrganisation ids); NOT_FOUND lists the unknown ones "
        "as you sent them.",
    )


# --- payloads ----------------------------------------------------------------------------------------


@strawberry.type(description="The result of an inquiry mutation: the inquiry, or the errors.")
class InquiryPayload:
    inquiry: Inquiry | None = strawberry.field(default=None, description=f"The inquiry as saved; {SAVED}")
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="The result of a quotation mutation: the quotation, or the errors.")
class QuotationPayload:
    quotation: Quotation | None = strawberry.field(default=None, description=f"The quotation as saved; {SAVED}")
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="The result of `sendMessage`: the message, or the errors.")
class MessagePayload:
    message: Message | None = strawberry.field(default=None, description=f"The message as sent; {SAVED}")
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="The result of a deal mutation: the deal, or the errors.")
class DealPayload:
    deal: Deal | None = strawberry.field(default=None, description=f"The deal as saved; {SAVED}")
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="The result of `createTradeEvent`: the event, or the errors.")
class TradeEventPayload:
    event: TradeEvent | None = strawberry.field(default=None, description=f"The event as saved; {SAVED}")
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


def _inquiry_data(input: SubmitInquiryInput) -> dict[str, object]:
    data = sent_fields(input)
    data["productId"] = _node(input.product_id, "Product", "productId")
    if input.criteria is not None:
        data["criteria"] = sent_fields(input.criteria)
    return data


# --- queries -----------------------------------------------------------------------------------------


@strawberry.type
class TradeQuery:
    @strawberry.field(
        description="Your inbox, newest first: inquiries your organisation sent (buyers), was invited to "
        "(producers), or that involve your province's producers (OCOP offices); all of them for admins. Needs "
        "an API key (UNAUTHENTICATED otherwise)."
    )
    async def inquiries(
        self,
        info: Info["Context", None],
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        open_only: Annotated[
            bool, strawberry.argument(description="Only inquiries still OPEN and not expired.")
        ] = False,
    ) -> CountedConnection[Inquiry]:
        ctx = info.context
        listing = await inquiries.inbox(
            ctx.store, ctx.require_viewer(), page_request(first, after, last, before), open_only=open_only
        )
        await inquiries_ahead(info, [i for i, _ in listing.page.items])
        return to_connection(listing.page, Inquiry.from_record, listing.count)

    @strawberry.field(
        description="The RFQ board: open RFQs a producer's catalogue could meet, newest first, or matching `query` "
        "(accents optional). Served from a search index the sync worker keeps in step. For producers (narrowed "
        "to what their published products meet) and admins (every open RFQ); anyone else gets a top-level "
        "FORBIDDEN error. Reading an RFQ here does not invite you: only invited producers may quote."
    )
    async def open_requests(
        self,
        info: Info["Context", None],
        query: Annotated[
            str,
            strawberry.argument(
                description="Words to look for in the RFQs (what is asked, the message, provinces, the buyer's "
                "name), at most 200 characters; empty for all, newest first."
            ),
        ] = "",
        filter: Annotated[
            RfqBoardFilter | None, strawberry.argument(description="Conditions that must all hold.")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> CountedConnection[Inquiry]:
        ctx = info.context
        assert ctx.board is not None
        viewer = ctx.require_viewer()
        narrowing = (
            board_narrowing(
                [g.value for g in filter.groups or []],
                inquiries.board_provinces(filter.provinces or []),
                [k.value for k in filter.buyer_kinds or []],
            )
            if filter is not None
            else []
        )
        listing = await ctx.board.open_requests(
            ctx.store, viewer, query, narrowing, page_request(first, after, last, before)
        )
        await inquiries_ahead(info, [i for i, _ in listing.page.items])
        return to_connection(listing.page, Inquiry.from_record, listing.count)

    @strawberry.field(
        description="One inquiry; null when it does not exist or you may not see it. An id of another type is a "
        "top-level INVALID error."
    )
    async def inquiry(
        self,
        info: Info["Context", None],
        id: Annotated[strawberry.ID, strawberry.argument(description="An Inquiry id.")],
    ) -> Inquiry | None:
        return (await Inquiry.resolve_nodes(info=info, node_ids=[decode_global_id(id, "Inquiry", "id")]))[0]

    @strawberry.field(
        description="One deal; null when it does not exist or you may not see it. An id of another type is a "
        "top-level INVALID error."
    )
    async def deal(
        self,
        info: Info["Context", None],
        id: Annotated[strawberry.ID, strawberry.argument(description="A Deal id.")],
    ) -> Deal | None:
        return (await Deal.resolve_nodes(info=info, node_ids=[decode_global_id(id, "Deal", "id")]))[0]

    @strawberry.field(
        description="Deals you are a party to, or oversee (OCOP offices: their province's producers'; admins: "
        "all), newest first. Needs an API key (UNAUTHENTICATED otherwise)."
    )
    async def deals(
        self,
        info: Info["Context", None],
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        state: Annotated[
            DealState | None, strawberry.argument(description="Only deals in this state; all by default.")
        ] = None,
    ) -> CountedConnection[Deal]:
        ctx = info.context
        request = page_request(first, after, last, before)
        listing = await deals.deal_list(ctx.store, ctx.require_viewer(), request, state=state)
        await deals_ahead(info, [d for d, _ in listing.page.items])
        return to_connection(listing.page, Deal.from_record, listing.count)

    @strawberry.field(description="Trade events, latest first. Public.")
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
    @strawberry.mutation(
        description="A buyer asks one producer (productId) or the best-matching ones (criteria). Members of a "
        "buyer organisation only. `errors`: FORBIDDEN, REQUIRED, INVALID, OUT_OF_RANGE, TOO_LONG, "
        "UNKNOWN_PROVINCE, NOT_FOUND (`productId`, `variantId`), IDEMPOTENCY_KEY_REUSED."
    )
    @returns_user_errors(InquiryPayload)
    async def submit_inquiry(
        self,
        info: Info["Context", None],
        input: Annotated[SubmitInquiryInput, strawberry.argument(description="What is wanted, and from whom.")],
        idempotency_key: IdempotencyKey = None,
    ) -> InquiryPayload:
        ctx = info.context
        viewer = ctx.require_viewer()
        record = await inquiries.submit_inquiry(
            ctx.store, viewer, _inquiry_data(input), matcher_for(ctx.search), idempotency_key=idempotency_key,
            invite_limit=ctx.rfq_invites,
        )  # fmt: skip
        return InquiryPayload(inquiry=Inquiry.from_record(record))

    @strawberry.mutation(
        description="The buyer closes an inquiry; it accepts no more quotations or messages. `errors`: "
        + NOT_YOURS.format("inquiry")
        + ", FORBIDDEN (not its buyer), INVALID_STATE (already closed)."
    )
    @returns_user_errors(InquiryPayload)
    async def close_inquiry(
        self,
        info: Info["Context", None],
        id: Annotated[strawberry.ID, strawberry.argument(description="The Inquiry id.")],
    ) -> InquiryPayload:
        ctx = info.context
        viewer = ctx.require_viewer()
        record = await inquiries.close_inquiry(ctx.store, viewer, decode_global_id(id, "Inquiry", "id"))
        return InquiryPayload(inquiry=Inquiry.from_record(record))

    @strawberry.mutation(
        description="Write in an inquiry's thread; the buyer may attach a counter-offer. The buyer and invited "
        "producers only, while the inquiry is open. `errors`: "
        + NOT_YOURS.format("inquiry")
        + ", FORBIDDEN, REQUIRED, TOO_LONG, OUT_OF_RANGE, INVALID_STATE (closed)."
    )
    @returns_user_errors(MessagePayload)
    async def send_message(
        self,
        info: Info["Context", None],
        inquiry_id: Annotated[strawberry.ID, strawberry.argument(description="The Inquiry id.")],
        input: Annotated[MessageInput, strawberry.argument(description="The message.")],
    ) -> MessagePayload:
        ctx = info.context
        viewer = ctx.require_viewer()
        data = sent_fields(input)
        data["producerId"] = _node(input.producer_id, "Producer", "producerId")
        record = await inquiries.send_message(
            ctx.store, viewer, decode_global_id(inquiry_id, "Inquiry", "inquiryId"), data
        )
        return MessagePayload(message=Message.from_record(record))

    @strawberry.mutation(
        description="Quote, or revise your quotation (each revision is kept for the buyer). Members of an invited "
        "producer only, while the inquiry is open. `errors`: "
        + NOT_YOURS.format("inquiry")
        + ", FORBIDDEN (not invited), INVALID_STATE (inquiry closed, or your quotation accepted or declined), "
        "REQUIRED, OUT_OF_RANGE, TOO_LONG, INVALID, NOT_FOUND (`variantId`), IDEMPOTENCY_KEY_REUSED."
    )
    @returns_user_errors(QuotationPayload)
    async def submit_quotation(
        self,
        info: Info["Context", None],
        inquiry_id: Annotated[strawberry.ID, strawberry.argument(description="The Inquiry id.")],
        input: Annotated[QuotationInput, strawberry.argument(description="The terms offered.")],
        idempotency_key: IdempotencyKey = None,
    ) -> QuotationPayload:
        ctx = info.context
        viewer = ctx.require_viewer()
        record = await quotations.submit_quotation(
            ctx.store, viewer, decode_global_id(inquiry_id, "Inquiry", "inquiryId"), sent_fields(input),
            idempotency_key=idempotency_key,
        )  # fmt: skip
        return QuotationPayload(quotation=Quotation.from_record(record))

    @strawberry.mutation(
        description="The buyer declines a quotation, with a reason the producer reads. `errors`: "
        + NOT_YOURS.format("quotation")
        + ", FORBIDDEN (not its buyer), REQUIRED, TOO_LONG, INVALID_STATE (already accepted or declined)."
    )
    @returns_user_errors(QuotationPayload)
    async def decline_quotation(
        self,
        info: Info["Context", None],
        id: Annotated[strawberry.ID, strawberry.argument(description="The Quotation id.")],
        reason: Annotated[str, strawberry.argument(description="Why, at most 500 characters.")],
    ) -> QuotationPayload:
        ctx = info.context
        viewer = ctx.require_viewer()
        record = await quotations.decline_quotation(
            ctx.store, viewer, decode_global_id(id, "Quotation", "quotationId"), reason
        )
        return QuotationPayload(quotation=Quotation.from_record(record))

    @strawberry.mutation(
        description="Accept exactly this revision: closes the inquiry and opens a deal in NEGOTIATING, in one "
        "step. Above your `spendingLimitVnd`, nothing is accepted yet: `approval` is set and waits for an owner or "
        "a manager (`approvePurchase`). The quotation's buyer only. `errors`: ORG_NOT_VERIFIED, "
        + NOT_YOURS.format("quotation")
        + ", FORBIDDEN (not its buyer), CONFLICT (`revision` is not the latest, or the quotation changed "
        "meanwhile), INVALID_STATE (quotation no longer active, inquiry closed, or the revision's validity ended), "
        "IDEMPOTENCY_KEY_REUSED."
    )
    @returns_user_errors(AcceptQuotationPayload)
    async def accept_quotation(
        self,
        info: Info["Context", None],
        id: Annotated[strawberry.ID, strawberry.argument(description="The Quotation id.")],
        revision: Annotated[
            int,
            strawberry.argument(
                description="The `number` of the revision you read, which must still be the latest: what you "
                "accept is exactly what you saw."
            ),
        ],
        idempotency_key: IdempotencyKey = None,
    ) -> AcceptQuotationPayload:
        ctx = info.context
        viewer = ctx.require_viewer()
        record = await quotations.accept_quotation(
            ctx.store, viewer, decode_global_id(id, "Quotation", "quotationId"), revision,
            idempotency_key=idempotency_key,
        )  # fmt: skip
        return AcceptQuotationPayload.of(record)

    @strawberry.mutation(
        description="Move a deal; see `Deal.allowedTransitions`. CANCELLED and LOST need a note; ORDERED needs "
        "`order`. The deal's buyer and producer only, each for its own moves. `errors`: "
        + NOT_YOURS.format("deal")
        + ", CONFLICT (stale `expectedVersion`), INVALID_TRANSITION, FORBIDDEN (not your move), REQUIRED, "
        "TOO_LONG, OUT_OF_RANGE, IDEMPOTENCY_KEY_REUSED."
    )
    @returns_user_errors(DealPayload)
    async def advance_deal(
        self,
        info: Info["Context", None],
        id: Annotated[strawberry.ID, strawberry.argument(description="The Deal id.")],
        to: Annotated[DealState, strawberry.argument(description="The state to move the deal to.")],
        expected_version: Annotated[
            int,
            strawberry.argument(
                description="The deal's `version` as you last read it; CONFLICT if it has moved since."
            ),
        ],
        note: Annotated[
            str | None,
            strawberry.argument(
                description="Why, kept in `history`; at most 1,000 characters. Required for CANCELLED and LOST."
            ),
        ] = None,
        order: Annotated[
            OrderInput | None,
            strawberry.argument(description="The order's terms: required for ORDERED, ignored otherwise."),
        ] = None,
        idempotency_key: IdempotencyKey = None,
    ) -> DealPayload:
        ctx = info.context
        viewer = ctx.require_viewer()
        record = await deals.advance_deal(
            ctx.store, viewer, decode_global_id(id, "Deal", "id"), to, expected_version, note=note,
            order=sent_fields(order) if order else None, idempotency_key=idempotency_key,
        )  # fmt: skip
        return DealPayload(deal=Deal.from_record(record))

    @strawberry.mutation(
        description="Record the MoU of a deal, optionally signed at a trade event; once per deal. Either party "
        "of the deal. `errors`: "
        + NOT_YOURS.format("deal")
        + ", FORBIDDEN (not a party), INVALID_STATE (the deal is CANCELLED or LOST, or already has an MoU), "
        "REQUIRED, TOO_LONG, OUT_OF_RANGE (`signedOn` out of its range or of the event's days), INVALID, NOT_FOUND "
        "(`eventId`), IDEMPOTENCY_KEY_REUSED."
    )
    @returns_user_errors(DealPayload)
    async def sign_mou(
        self,
        info: Info["Context", None],
        deal_id: Annotated[strawberry.ID, strawberry.argument(description="The Deal id.")],
        input: Annotated[MouInput, strawberry.argument(description="The MoU.")],
        idempotency_key: IdempotencyKey = None,
    ) -> DealPayload:
        ctx = info.context
        viewer = ctx.require_viewer()
        data = sent_fields(input)
        data["eventId"] = _node(input.event_id, "TradeEvent", "eventId")
        record = await deals.sign_mou(
            ctx.store, viewer, decode_global_id(deal_id, "Deal", "dealId"), data, idempotency_key=idempotency_key
        )
        return DealPayload(deal=Deal.from_record(record))

    @strawberry.mutation(
        description="Organise a trade event. Admins, and the OCOP office of the host province. `errors`: "
        "REQUIRED, TOO_LONG, OUT_OF_RANGE, INVALID, UNKNOWN_PROVINCE, FORBIDDEN, DUPLICATE (two booths with one "
        "number), NOT_FOUND (a booth's producer or product, or a buyer organisation), INVALID_STATE (a booth's "
        "product that is not published)."
    )
    @returns_user_errors(TradeEventPayload)
    async def create_trade_event(
        self,
        info: Info["Context", None],
        input: Annotated[TradeEventInput, strawberry.argument(description="The event.")],
    ) -> TradeEventPayload:
        ctx = info.context
        viewer = ctx.require_viewer()
        data = sent_fields(input)
        sent = SentIds()
        data["booths"] = [
            {
                "number": b.number,
                "producerId": sent.decode(b.producer_id, "Producer", f"booths[{i}].producerId"),
                "productIds": [sent.decode(p, "Product", f"booths[{i}].productIds") for p in b.product_ids or []],
            }
            for i, b in enumerate(input.booths or [])
        ]
        data["buyerOrgIds"] = [
            sent.decode(b, "BuyerOrganisation", "buyerOrganisationIds") for b in input.buyer_organisation_ids or []
        ]
        try:
            record = await events.create_trade_event(ctx.store, viewer, data)
        except DomainError as exc:
            # The domain names the buyers by its own key; the client sent them as buyerOrganisationIds.
            fields = {"buyerOrgIds": "buyerOrganisationIds"}
            raise DomainError([sent.restate(e.moved(fields.get(e.field or "", e.field))) for e in exc.errors]) from exc
        return TradeEventPayload(event=TradeEvent.from_record(record))
