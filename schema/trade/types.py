"""GraphQL types of the trade side: inquiries, quotations, messages, deals, trade events."""

from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING

import strawberry
from bson import ObjectId
from strawberry import relay
from strawberry.types import Info

from market.core.provinces import load_provinces
from market.trade import policy
from market.trade import records as trade
from market.trade.events import event_report
from market.trade.pipeline import DealState, Party
from schema.catalog.types import BuyerOrganisation, PriceTier, Producer, Product, Province
from schema.nodes import everyone, resolve_visible
from schema.pagination import decode_global_id
from schema.scalars import Vnd

if TYPE_CHECKING:
    from schema.context import Context

strawberry.enum(DealState, description="Where a deal stands in the pipeline.")
strawberry.enum(Party, description="The side of a trade: the buyer or the producer.")
strawberry.enum(trade.InquiryKind, name="InquiryKind")
strawberry.enum(trade.InquiryStatus, name="InquiryStatus")
strawberry.enum(trade.ClosedReason, name="InquiryClosedReason")
strawberry.enum(trade.InvitationStatus, name="InvitationStatus")
strawberry.enum(trade.QuotationStatus, name="QuotationStatus")


async def _buyer(info: Info["Context", None], org_id: ObjectId) -> BuyerOrganisation | None:
    record = await info.context.loaders.buyer_org.load(org_id)
    return BuyerOrganisation.from_record(record) if record else None


async def _producer(info: Info["Context", None], producer_id: ObjectId) -> Producer | None:
    record = await info.context.loaders.producer.load(producer_id)
    return Producer.from_record(record) if record else None


async def _product(info: Info["Context", None], product_id: ObjectId | None) -> Product | None:
    if product_id is None:
        return None
    nodes = await Product.resolve_nodes(info=info, node_ids=[str(product_id)])
    return nodes[0]


async def _visible_quotations(
    info: Info["Context", None], quotations: list[trade.Quotation], inquiries: list[trade.Inquiry | None]
) -> list[trade.Quotation]:
    """The quotations the viewer may see, each with its inquiry: visibility also depends on the quoting
    producer's province, loaded here in one batch."""
    producers = await info.context.loaders.producer.load_many([q.producer_id for q in quotations])
    return [
        q
        for q, inquiry, producer in zip(quotations, inquiries, producers, strict=True)
        if inquiry is not None
        and policy.can_see_quotation(
            info.context.viewer, q, inquiry, producer.address.province_code if producer else None
        )
    ]


def _province(code: str | None) -> Province | None:
    record = load_provinces().get(code) if code else None
    return Province.from_record(record) if record else None


@strawberry.type(description="What an open RFQ asks for.")
class RfqCriteria:
    query: str
    groups: list[str]
    provinces: list[Province]
    min_stars: int | None
    certifications: list[str]


@strawberry.type
class Invitation:
    record: strawberry.Private[trade.Invitation]
    reason: str = strawberry.field(description="Why matchmaking chose this producer.")
    status: trade.InvitationStatus

    @strawberry.field
    async def producer(self, info: Info["Context", None]) -> Producer | None:
        return await _producer(info, self.record.producer_id)

    @strawberry.field(description="The producer's products that matched.")
    async def matched_products(self, info: Info["Context", None]) -> list[Product]:
        nodes = await Product.resolve_nodes(info=info, node_ids=[str(i) for i in self.record.product_ids])
        return [n for n in nodes if n is not None]


@strawberry.type
class QuotationRevision:
    number: int
    unit_price_vnd: Vnd
    price_tiers: list[PriceTier]
    moq: int
    lead_time_days: int
    valid_until: date | None
    note: str
    created_at: datetime

    @classmethod
    def from_record(cls, r: trade.QuotationRevision) -> "QuotationRevision":
        return cls(
            number=r.number,
            unit_price_vnd=Vnd(r.unit_price_vnd),
            price_tiers=[
                PriceTier(min_quantity=t.min_quantity, unit_price_vnd=Vnd(t.unit_price_vnd)) for t in r.price_tiers
            ],
            moq=r.moq,
            lead_time_days=r.lead_time_days,
            valid_until=r.valid_until,
            note=r.note,
            created_at=r.created_at,
        )


@strawberry.type(description="A producer's quotation; every revision is kept.")
class Quotation(relay.Node):
    id: relay.NodeID[str]
    status: trade.QuotationStatus
    decline_reason: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    record: strawberry.Private[trade.Quotation]

    @classmethod
    def from_record(cls, q: trade.Quotation) -> "Quotation":
        return cls(
            id=str(q.id), status=q.status, decline_reason=q.decline_reason, version=q.version,
            created_at=q.created_at, updated_at=q.updated_at, record=q,
        )  # fmt: skip

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info["Context", None], node_ids: Iterable[str], required: bool = False
    ) -> list["Quotation | None"]:
        loaders = info.context.loaders

        async def visible_only(ids: list[ObjectId]) -> list[trade.Quotation]:
            quotations = [q for q in await loaders.quotation.load_many(ids) if q is not None]
            inquiries = await loaders.inquiry.load_many([q.inquiry_id for q in quotations])
            return await _visible_quotations(info, quotations, inquiries)

        return await resolve_visible(node_ids, visible_only, everyone, cls.from_record)

    @strawberry.field(description="The latest revision: the one that can be accepted.")
    def current(self) -> QuotationRevision:
        return QuotationRevision.from_record(self.record.current)

    @strawberry.field(description="Every revision, oldest first.")
    def revisions(self) -> list[QuotationRevision]:
        return [QuotationRevision.from_record(r) for r in self.record.revisions]

    @strawberry.field
    async def producer(self, info: Info["Context", None]) -> Producer | None:
        return await _producer(info, self.record.producer_id)

    @strawberry.field
    async def inquiry(self, info: Info["Context", None]) -> "Inquiry | None":
        nodes = await Inquiry.resolve_nodes(info=info, node_ids=[str(self.record.inquiry_id)])
        return nodes[0]


@strawberry.type(description="A message in the thread of one inquiry and one producer.")
class Message:
    author_name: str
    side: Party
    body: str
    counter_unit_price_vnd: Vnd | None
    counter_quantity: int | None
    created_at: datetime

    @classmethod
    def from_record(cls, m: trade.Message) -> "Message":
        return cls(
            author_name=m.author_name, side=m.side, body=m.body,
            counter_unit_price_vnd=Vnd(m.counter_unit_price_vnd) if m.counter_unit_price_vnd else None,
            counter_quantity=m.counter_quantity, created_at=m.created_at,
        )  # fmt: skip

    @classmethod
    async def resolve(cls, info: Info["Context", None], message_id: ObjectId) -> "Message | None":
        """The message, or None when it does not exist or is not in one of the viewer's threads."""
        record = await info.context.store.trade.message(message_id)
        if record is None or not policy.can_see_message(info.context.viewer, record):
            return None
        return cls.from_record(record)


@strawberry.type(description="A purchase inquiry (to one producer) or an open RFQ (to the best-matching ones).")
class Inquiry(relay.Node):
    id: relay.NodeID[str]
    kind: trade.InquiryKind
    quantity: int
    unit: str
    target_unit_price_vnd: Vnd | None
    needed_by: date | None
    message: str
    expires_at: datetime
    created_at: datetime
    version: int
    record: strawberry.Private[trade.Inquiry]

    @classmethod
    def from_record(cls, i: trade.Inquiry) -> "Inquiry":
        return cls(
            id=str(i.id), kind=i.kind, quantity=i.quantity, unit=i.unit,
            target_unit_price_vnd=Vnd(i.target_unit_price_vnd) if i.target_unit_price_vnd else None,
            needed_by=i.needed_by, message=i.message, expires_at=i.expires_at, created_at=i.created_at,
            version=i.version, record=i,
        )  # fmt: skip

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info["Context", None], node_ids: Iterable[str], required: bool = False
    ) -> list["Inquiry | None"]:
        viewer = info.context.viewer
        return await resolve_visible(
            node_ids, info.context.loaders.inquiry.load_many, lambda i: policy.can_see_inquiry(viewer, i),
            cls.from_record,
        )  # fmt: skip

    @strawberry.field(description="Closed at expiry, by the buyer, or when the buyer accepted a quotation.")
    def status(self) -> trade.InquiryStatus:
        return self.record.effective_status

    @strawberry.field
    def closed_reason(self) -> trade.ClosedReason | None:
        return self.record.effective_closed_reason

    @strawberry.field
    async def buyer_organisation(self, info: Info["Context", None]) -> BuyerOrganisation | None:
        return await _buyer(info, self.record.buyer_org_id)

    @strawberry.field(description="The product of a direct inquiry.")
    async def product(self, info: Info["Context", None]) -> Product | None:
        return await _product(info, self.record.product_id)

    @strawberry.field
    def criteria(self) -> RfqCriteria | None:
        c = self.record.criteria
        if c is None:
            return None
        provinces = [p for p in (_province(code) for code in c.provinces) if p is not None]
        return RfqCriteria(
            query=c.query, groups=c.groups, provinces=provinces, min_stars=c.min_stars, certifications=c.certifications
        )

    @strawberry.field
    def delivery_province(self) -> Province | None:
        return _province(self.record.delivery_province_code)

    @strawberry.field(description="Invited producers: all of them for the buyer, a producer only sees itself.")
    def invitations(self, info: Info["Context", None]) -> list[Invitation]:
        rows = policy.visible_invitations(info.context.viewer, self.record)
        return [Invitation(record=i, reason=i.reason, status=i.status) for i in rows]

    @strawberry.field(description="Quotations you may see: the buyer sees all, a producer only its own.")
    async def quotations(self, info: Info["Context", None]) -> list[Quotation]:
        records = await info.context.loaders.quotations_by_inquiry.load(self.record.id)
        visible = await _visible_quotations(info, records, [self.record] * len(records))
        return [Quotation.from_record(q) for q in visible]

    @strawberry.field(
        description="The negotiation thread with one producer (the buyer names it; a producer sees its own)."
    )
    async def thread(self, info: Info["Context", None], producer_id: strawberry.ID | None = None) -> list[Message]:
        named = ObjectId(decode_global_id(producer_id, "Producer", "producerId")) if producer_id is not None else None
        producer = policy.thread_producer(info.context.viewer, self.record, named)
        if producer is None:
            return []
        return [Message.from_record(m) for m in await info.context.store.trade.thread(self.record.id, producer)]


@strawberry.type
class DealOrder:
    quantity: int
    value_vnd: Vnd
    delivery_date: date | None


@strawberry.type
class DealHistoryEntry:
    at: datetime
    by: str
    party: Party
    source: DealState | None = strawberry.field(name="from")
    target: DealState = strawberry.field(name="to")
    note: str


@strawberry.type
class Mou:
    signed_on: date
    parties: list[str]
    terms_summary: str
    document_url: str | None
    record: strawberry.Private[trade.Mou]

    @strawberry.field
    async def event(self, info: Info["Context", None]) -> "TradeEvent | None":
        if self.record.event_id is None:
            return None
        event = await info.context.loaders.trade_event.load(self.record.event_id)
        return TradeEvent.from_record(event) if event else None


@strawberry.type(description="An agreement tracked from negotiation to delivery.")
class Deal(relay.Node):
    id: relay.NodeID[str]
    state: DealState
    quantity: int
    unit: str
    unit_price_vnd: Vnd
    value_vnd: Vnd = strawberry.field(description="Quantity × agreed unit price.")
    quotation_revision: int
    created_at: datetime
    updated_at: datetime
    version: int = strawberry.field(description="Send it back as `expectedVersion` to advance the deal.")
    record: strawberry.Private[trade.Deal]
    stream_cursor: strawberry.Private[str | None] = None

    @strawberry.field(
        description="In `dealEvents`: this update's place in the stream; pass it as `after` to resume right after "
        "it. Null in queries."
    )
    def event_cursor(self) -> str | None:
        return self.stream_cursor

    @classmethod
    def from_record(cls, d: trade.Deal) -> "Deal":
        return cls(
            id=str(d.id), state=d.state, quantity=d.quantity, unit=d.unit, unit_price_vnd=Vnd(d.unit_price_vnd),
            value_vnd=Vnd(d.value_vnd), quotation_revision=d.quotation_revision, created_at=d.created_at,
            updated_at=d.updated_at, version=d.version, record=d,
        )  # fmt: skip

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info["Context", None], node_ids: Iterable[str], required: bool = False
    ) -> list["Deal | None"]:
        viewer = info.context.viewer
        return await resolve_visible(
            node_ids, info.context.loaders.deal.load_many, lambda d: policy.can_see_deal(viewer, d), cls.from_record
        )

    @strawberry.field(description="Where you may move this deal now: the buttons a UI shows.")
    def allowed_transitions(self, info: Info["Context", None]) -> list[DealState]:
        return policy.deal_moves(info.context.viewer, self.record)

    @strawberry.field
    def order(self) -> DealOrder | None:
        r = self.record
        if r.order_quantity is None or r.order_value_vnd is None:
            return None
        return DealOrder(quantity=r.order_quantity, value_vnd=Vnd(r.order_value_vnd), delivery_date=r.delivery_date)

    @strawberry.field
    def history(self) -> list[DealHistoryEntry]:
        return [
            DealHistoryEntry(at=h.at, by=h.by_name, party=h.party, source=h.source, target=h.target, note=h.note)
            for h in self.record.history
        ]

    @strawberry.field
    def mou(self) -> Mou | None:
        m = self.record.mou
        if m is None:
            return None
        return Mou(
            signed_on=m.signed_on,
            parties=m.parties,
            terms_summary=m.terms_summary,
            document_url=m.document_url,
            record=m,
        )

    @strawberry.field
    async def buyer_organisation(self, info: Info["Context", None]) -> BuyerOrganisation | None:
        return await _buyer(info, self.record.buyer_org_id)

    @strawberry.field
    async def producer(self, info: Info["Context", None]) -> Producer | None:
        return await _producer(info, self.record.producer_id)

    @strawberry.field
    async def product(self, info: Info["Context", None]) -> Product | None:
        return await _product(info, self.record.product_id)

    @strawberry.field
    async def inquiry(self, info: Info["Context", None]) -> Inquiry | None:
        return (await Inquiry.resolve_nodes(info=info, node_ids=[str(self.record.inquiry_id)]))[0]

    @strawberry.field
    async def quotation(self, info: Info["Context", None]) -> Quotation | None:
        return (await Quotation.resolve_nodes(info=info, node_ids=[str(self.record.quotation_id)]))[0]


@strawberry.type
class Booth:
    number: str
    record: strawberry.Private[trade.Booth]

    @strawberry.field
    async def producer(self, info: Info["Context", None]) -> Producer | None:
        return await _producer(info, self.record.producer_id)

    @strawberry.field
    async def products(self, info: Info["Context", None]) -> list[Product]:
        nodes = await Product.resolve_nodes(info=info, node_ids=[str(i) for i in self.record.product_ids])
        return [n for n in nodes if n is not None]


@strawberry.type(description="What an event produced: MoUs signed there, the deals behind them, their value.")
class TradeEventReport:
    mous_signed: int
    value_vnd: Vnd = strawberry.field(
        description="Value of the deals behind those MoUs, cancelled and lost ones excluded."
    )
    deals: list[Deal]


@strawberry.type(description="A supply–demand matchmaking forum: booths of producers, visiting buyers, MoUs.")
class TradeEvent(relay.Node):
    id: relay.NodeID[str]
    name: str
    organiser: str
    venue: str
    starts_on: date
    ends_on: date
    record: strawberry.Private[trade.TradeEvent]

    @classmethod
    def from_record(cls, e: trade.TradeEvent) -> "TradeEvent":
        return cls(
            id=str(e.id), name=e.name, organiser=e.organiser, venue=e.venue, starts_on=e.starts_on,
            ends_on=e.ends_on, record=e,
        )  # fmt: skip

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info["Context", None], node_ids: Iterable[str], required: bool = False
    ) -> list["TradeEvent | None"]:
        return await resolve_visible(node_ids, info.context.loaders.trade_event.load_many, everyone, cls.from_record)

    @strawberry.field
    def province(self) -> Province | None:
        return _province(self.record.province_code)

    @strawberry.field
    def booths(self) -> list[Booth]:
        return [Booth(number=b.number, record=b) for b in self.record.booths]

    @strawberry.field
    async def buyers(self, info: Info["Context", None]) -> list[BuyerOrganisation]:
        found = await info.context.loaders.buyer_org.load_many(self.record.buyer_org_ids)
        return [BuyerOrganisation.from_record(b) for b in found if b is not None]

    @strawberry.field(description="For admins and the province's OCOP office; null for others.")
    async def report(self, info: Info["Context", None]) -> TradeEventReport | None:
        report = await event_report(info.context.store, info.context.viewer, self.record)
        if report is None:
            return None
        return TradeEventReport(
            mous_signed=report.mous_signed,
            value_vnd=Vnd(report.value_vnd),
            deals=[Deal.from_record(d) for d in report.deals],
        )
