"""Trade subscriptions (graphql-transport-ws). The feeds come from market/trade/feeds.py; every object an
event points to is loaded through the same visibility checks as in queries."""

from collections.abc import AsyncIterator
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from market.core.errors import not_found
from market.trade import feeds
from market.trade.feeds import InquiryEventKind
from schema.enums import describe_enum
from schema.loaders import Loaders
from schema.pagination import decode_global_id
from schema.trade.types import Deal, Inquiry, Message, Quotation

if TYPE_CHECKING:
    from schema.context import Context

After = Annotated[
    str | None,
    strawberry.argument(description="The cursor of the last event you received: replays everything since."),
]

describe_enum(
    InquiryEventKind,
    "What happened to an inquiry you take part in or oversee.",
    {
        InquiryEventKind.INQUIRY_SUBMITTED: "An inquiry was submitted: for the buyer's colleagues, the OCOP "
        "offices of the invited producers' provinces, and admins.",
        InquiryEventKind.INQUIRY_INVITED: "Your producer was invited to an inquiry.",
        InquiryEventKind.INQUIRY_CLOSED: "An inquiry closed: expired, closed by the buyer, or a quotation accepted.",
        InquiryEventKind.QUOTATION_SUBMITTED: "A producer quoted; `quotation` holds it.",
        InquiryEventKind.QUOTATION_REVISED: "A producer revised its quotation; `quotation.current` is the new "
        "revision.",
        InquiryEventKind.QUOTATION_DECLINED: "The buyer declined a quotation.",
        InquiryEventKind.QUOTATION_ACCEPTED: "The buyer accepted a quotation, which opened a deal.",
        InquiryEventKind.MESSAGE: "The other side wrote in a thread; `message` holds it.",
    },
)


@strawberry.type(name="InquiryEvent", description="Something happened to an inquiry, its quotations or threads.")
class InquiryEventType:
    kind: InquiryEventKind = strawberry.field(description="What happened.")
    cursor: str = strawberry.field(description="Pass it as `after` to resume right after this event.")
    at: datetime = strawberry.field(description="When it happened.")
    record: strawberry.Private[feeds.InquiryEvent]

    @classmethod
    def from_record(cls, event: feeds.InquiryEvent) -> "InquiryEventType":
        return cls(kind=event.kind, cursor=event.cursor, at=event.at, record=event)

    @strawberry.field(description="The inquiry concerned, as it is now.")
    async def inquiry(self, info: Info["Context", None]) -> Inquiry:
        found = (await Inquiry.resolve_nodes(info=info, node_ids=[str(self.record.inquiry_id)]))[0]
        if found is None:
            raise not_found("inquiry", "inquiry")
        return found

    @strawberry.field(
        description="The quotation submitted, revised, declined or accepted; null for other kinds of event."
    )
    async def quotation(self, info: Info["Context", None]) -> Quotation | None:
        if self.record.quotation_id is None:
            return None
        return (await Quotation.resolve_nodes(info=info, node_ids=[str(self.record.quotation_id)]))[0]

    @strawberry.field(description="The message, for `MESSAGE` events; null for others.")
    async def message(self, info: Info["Context", None]) -> Message | None:
        if self.record.message_id is None:
            return None
        return await Message.resolve(info, self.record.message_id)


def _fresh(info: Info["Context", None]) -> None:
    """A WebSocket connection keeps one context; each event is read with empty loaders, never a cached past."""
    info.context.loaders = Loaders.create(info.context.store)


@strawberry.type
class TradeSubscription:
    @strawberry.subscription(
        description="Your inquiries as they move: invitations (producers), quotations (buyers), messages from "
        "the other side, closings. OCOP offices follow their province's producers, admins every inquiry. Errors: "
        "FORBIDDEN for an account of no organisation, TOO_MANY_SUBSCRIPTIONS, UNAVAILABLE."
    )
    async def inquiry_events(self, info: Info["Context", None], after: After = None) -> AsyncIterator[InquiryEventType]:
        ctx = info.context
        feed = ctx.following(await feeds.inquiry_events(ctx.store, ctx.require_viewer(), after=after))

        def event(record: feeds.InquiryEvent) -> InquiryEventType:
            _fresh(info)
            return InquiryEventType.from_record(record)

        return feed.map(event)

    @strawberry.subscription(
        description="The deal after each change: state, order, MoU, version. For whoever may see the deal; the "
        "stream ends if you no longer may. Errors: NOT_FOUND (no such deal, or one you may not see), "
        "TOO_MANY_SUBSCRIPTIONS, UNAVAILABLE."
    )
    async def deal_events(
        self,
        info: Info["Context", None],
        deal_id: Annotated[strawberry.ID, strawberry.argument(description="The Deal id to follow.")],
        after: After = None,
    ) -> AsyncIterator[Deal]:
        ctx = info.context
        viewer = ctx.require_viewer()
        deal = decode_global_id(deal_id, "Deal", "dealId")
        feed = ctx.following(await feeds.deal_events(ctx.store, viewer, deal, after=after))

        def event(update: feeds.DealUpdate) -> Deal:
            _fresh(info)
            deal = Deal.from_record(update.deal)
            deal.stream_cursor = update.cursor
            return deal

        return feed.map(event)
