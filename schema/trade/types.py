"""GraphQL types of the trade side: inquiries, quotations, messages, deals, trade events."""

from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from bson import ObjectId
from strawberry import relay
from strawberry.types import Info

from market.accounts.records import BuyerOrg as BuyerOrgRecord
from market.catalog import records as catalog
from market.core.provinces import load_provinces
from market.trade import policy
from market.trade import records as trade
from market.trade.events import event_report
from market.trade.pipeline import DealState, Party
from schema.catalog.types import (
    BuyerOrganisation,
    PriceTier,
    Producer,
    Product,
    ProductVariant,
    Province,
    producer_node,
    visible_product,
)
from schema.enums import describe_enum
from schema.loaders import ready, ready_many
from schema.nodes import everyone, resolve_visible
from schema.pagination import decode_global_id
from schema.scalars import Vnd

if TYPE_CHECKING:
    from schema.context import Context

describe_enum(
    DealState,
    "Where a deal stands in the pipeline: NEGOTIATING → AGREED → ORDERED → DELIVERED → COMPLETED, and from any "
    "state before COMPLETED to CANCELLED or LOST. `Deal.allowedTransitions` lists the moves you may make.",
    {
        DealState.NEGOTIATING: "Opened by the buyer accepting a quotation; terms are being settled. Either party "
        "moves it to AGREED.",
        DealState.AGREED: "Both sides agree on the terms. The buyer moves it to ORDERED, with the order's terms.",
        DealState.ORDERED: "The buyer has placed the order. The producer moves it to DELIVERED.",
        DealState.DELIVERED: "The producer has delivered. The buyer moves it to COMPLETED on receipt.",
        DealState.COMPLETED: "The buyer confirmed receipt. Final.",
        DealState.CANCELLED: "Called off by either party, with a note. Final.",
        DealState.LOST: "Fell through (e.g. lost to another supplier), recorded by either party with a note. Final.",
    },
)
describe_enum(
    Party,
    "The side of a trade: the buyer or the producer.",
    {
        Party.BUYER: "The buyer organisation's side.",
        Party.PRODUCER: "The producer's side.",
    },
)
describe_enum(
    trade.InquiryKind,
    "How an inquiry reached producers.",
    {
        trade.InquiryKind.DIRECT: "About one product, sent to its producer (`productId`).",
        trade.InquiryKind.OPEN: "An RFQ described by `criteria`, sent to the best-matching producers and shown "
        "on the RFQ board while open.",
    },
    name="InquiryKind",
)
describe_enum(
    trade.InquiryStatus,
    "Whether an inquiry still takes quotations and messages.",
    {
        trade.InquiryStatus.OPEN: "Takes quotations and messages until it expires, is closed, or a quotation is "
        "accepted.",
        trade.InquiryStatus.CLOSED: "Takes nothing more; `closedReason` says why.",
    },
    name="InquiryStatus",
)
describe_enum(
    trade.ClosedReason,
    "Why an inquiry closed.",
    {
        trade.ClosedReason.EXPIRED: "Its `expiresAt` passed.",
        trade.ClosedReason.BUYER_CLOSED: "The buyer closed it (`closeInquiry`).",
        trade.ClosedReason.ACCEPTED: "The buyer accepted a quotation, which opened a deal.",
    },
    name="InquiryClosedReason",
)
describe_enum(
    trade.InvitationStatus,
    "Where one invited producer stands on an inquiry.",
    {
        trade.InvitationStatus.INVITED: "Invited; no quotation yet.",
        trade.InvitationStatus.QUOTED: "Has quoted; the quotation is open to the buyer.",
        trade.InvitationStatus.ACCEPTED: "The buyer accepted its quotation.",
        trade.InvitationStatus.DECLINED: "The buyer declined its quotation.",
    },
    name="InvitationStatus",
)
describe_enum(
    trade.QuotationStatus,
    "Where a quotation stands.",
    {
        trade.QuotationStatus.ACTIVE: "Open: the producer may revise it, the buyer may accept or decline it.",
        trade.QuotationStatus.ACCEPTED: "The buyer accepted one revision (the latest at the time); a deal was "
        "opened. Final.",
        trade.QuotationStatus.DECLINED: "The buyer declined it, with a reason. Final.",
    },
    name="QuotationStatus",
)


# The nested objects of trade records come back at once when a list loaded them ahead (schema.loaders.ready,
# schema/prefetch.py), else as awaitables.


def _buyer(info: Info["Context", None], org_id: ObjectId) -> BuyerOrganisation | None:
    def wrap(record: BuyerOrgRecord | None) -> BuyerOrganisation | None:
        return BuyerOrganisation.from_record(record) if record else None

    return ready(info.context.loaders.buyer_org, org_id, wrap)


def _producer(info: Info["Context", None], producer_id: ObjectId) -> Producer | None:
    return ready(info.context.loaders.producer, producer_id, producer_node)


def _product(info: Info["Context", None], product_id: ObjectId | None) -> Product | None:
    return None if product_id is None else visible_product(info, product_id)


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


def _variant(record: catalog.Variant | None) -> ProductVariant | None:
    return ProductVariant.from_record(record) if record else None


def _province(code: str | None) -> Province | None:
    record = load_provinces().get(code) if code else None
    return Province.from_record(record) if record else None


@strawberry.type(description="What an open RFQ asks for. An empty list or null sets no condition.")
class RfqCriteria:
    query: str = strawberry.field(description="The product asked for, as the buyer typed it; empty when none.")
    groups: list[str] = strawberry.field(
        description="OCOP product groups asked for, in lower case as stored (`food` for FOOD)."
    )
    provinces: list[Province] = strawberry.field(description="Provinces the products must come from.")
    min_stars: int | None = strawberry.field(description="Lowest OCOP rating accepted, 3 to 5.")
    certifications: list[str] = strawberry.field(description="Certifications asked for, by name (`VIETGAP`).")


@strawberry.type(description="A producer invited to an inquiry, and why.")
class Invitation:
    record: strawberry.Private[trade.Invitation]
    reason: str = strawberry.field(description="Why matchmaking chose this producer.")
    status: trade.InvitationStatus = strawberry.field(description="Whether it has quoted, and how that ended.")

    @strawberry.field(description="The invited producer.")
    def producer(self, info: Info["Context", None]) -> Producer | None:
        return _producer(info, self.record.producer_id)

    @strawberry.field(description="The producer's products that matched, those you may see.")
    async def matched_products(self, info: Info["Context", None]) -> list[Product]:
        nodes = await Product.resolve_nodes(info=info, node_ids=[str(i) for i in self.record.product_ids])
        return [n for n in nodes if n is not None]


@strawberry.type(description="One version of a quotation's terms. Revisions are never changed, only added.")
class QuotationRevision:
    number: int = strawberry.field(
        description="1 for the first quotation, then one more per revision; `acceptQuotation` names it."
    )
    unit_price_vnd: Vnd = strawberry.field(description="Price of one unit, in đồng, before volume tiers.")
    price_tiers: list[PriceTier] = strawberry.field(
        description="Volume prices, by ascending `minQuantity`; a deal takes the tier its quantity reaches."
    )
    moq: int = strawberry.field(description="Minimum order quantity; 1 when none.")
    lead_time_days: int = strawberry.field(description="Days from order to delivery, 0 to 365.")
    valid_until: date | None = strawberry.field(description="Last day it can be accepted; null when unlimited.")
    note: str = strawberry.field(description="The producer's remarks; empty when none.")
    created_at: datetime = strawberry.field(description="When this revision was submitted.")
    variant: ProductVariant | None = strawberry.field(
        description="The variant (pack size) quoted, as it was when quoted; null when none was named."
    )

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
            variant=_variant(r.variant),
        )


@strawberry.type(
    description="A producer's quotation on an inquiry; every revision is kept. Seen by the inquiry's buyer, the "
    "producer that quoted (never a competitor), the OCOP office of that producer's province, and admins."
)
class Quotation(relay.Node):
    id: relay.NodeID[str]
    status: trade.QuotationStatus = strawberry.field(description="ACTIVE until the buyer accepts or declines it.")
    decline_reason: str | None = strawberry.field(description="The buyer's reason; null unless DECLINED.")
    version: int = strawberry.field(description="Grows by one with each change.")
    created_at: datetime = strawberry.field(description="When the first revision was submitted.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
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

    @strawberry.field(
        description="The variant (pack size) the latest revision quotes, as it was then; null when it names none."
    )
    def variant(self) -> ProductVariant | None:
        return _variant(self.record.current.variant)

    @strawberry.field(description="Every revision, oldest first.")
    def revisions(self) -> list[QuotationRevision]:
        return [QuotationRevision.from_record(r) for r in self.record.revisions]

    @strawberry.field(description="The producer that quoted.")
    def producer(self, info: Info["Context", None]) -> Producer | None:
        return _producer(info, self.record.producer_id)

    @strawberry.field(description="The inquiry it answers; null if you may not see it.")
    async def inquiry(self, info: Info["Context", None]) -> "Inquiry | None":
        nodes = await Inquiry.resolve_nodes(info=info, node_ids=[str(self.record.inquiry_id)])
        return nodes[0]


@strawberry.type(
    description="A message in the thread of one inquiry and one producer. Threads are read by the buyer, that "
    "producer and admins; OCOP offices do not see them."
)
class Message:
    author_name: str = strawberry.field(description="The name of the account that wrote it.")
    side: Party = strawberry.field(description="Which side wrote it.")
    body: str = strawberry.field(description="The text, plain, as written.")
    counter_unit_price_vnd: Vnd | None = strawberry.field(
        description="A buyer's counter-offer: the unit price it proposes, in đồng; null when none."
    )
    counter_quantity: int | None = strawberry.field(
        description="A buyer's counter-offer: the quantity it proposes; null when none."
    )
    created_at: datetime = strawberry.field(description="When it was sent.")

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


@strawberry.type(
    description="A purchase inquiry (to one producer) or an open RFQ (to the best-matching ones). Seen by its "
    "buyer organisation, the producers invited, the OCOP offices of those producers' provinces and admins; an "
    "open RFQ also by any producer, as the RFQ board shows it, without the other producers' invitations, "
    "quotations or threads."
)
class Inquiry(relay.Node):
    id: relay.NodeID[str]
    kind: trade.InquiryKind = strawberry.field(description="DIRECT (one product) or OPEN (an RFQ).")
    quantity: int = strawberry.field(description="How much the buyer wants, in `unit`.")
    unit: str = strawberry.field(description="The unit of `quantity`, e.g. `hộp 250g`.")
    target_unit_price_vnd: Vnd | None = strawberry.field(
        description="The unit price the buyer hopes for, in đồng; null when not given."
    )
    needed_by: date | None = strawberry.field(description="When the buyer needs the goods; null when not given.")
    message: str = strawberry.field(description="The buyer's note to producers; empty when none.")
    expires_at: datetime = strawberry.field(description="When it closes by itself unless closed earlier.")
    created_at: datetime = strawberry.field(description="When it was submitted.")
    version: int = strawberry.field(description="Grows by one with each change.")
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

    @strawberry.field(description="Why it closed; null while OPEN.")
    def closed_reason(self) -> trade.ClosedReason | None:
        return self.record.effective_closed_reason

    @strawberry.field(description="The buyer that sent it.")
    def buyer_organisation(self, info: Info["Context", None]) -> BuyerOrganisation | None:
        return _buyer(info, self.record.buyer_org_id)

    @strawberry.field(
        description="The product of a direct inquiry; null for an RFQ, or when you may no longer see the product."
    )
    def product(self, info: Info["Context", None]) -> Product | None:
        return _product(info, self.record.product_id)

    @strawberry.field(
        description="The product's variant (pack size) a direct inquiry names, as it was when asked; null when none."
    )
    def variant(self) -> ProductVariant | None:
        return _variant(self.record.variant)

    @strawberry.field(description="What an RFQ asks for; null for a direct inquiry.")
    def criteria(self) -> RfqCriteria | None:
        c = self.record.criteria
        if c is None:
            return None
        provinces = [p for p in (_province(code) for code in c.provinces) if p is not None]
        return RfqCriteria(
            query=c.query, groups=c.groups, provinces=provinces, min_stars=c.min_stars, certifications=c.certifications
        )

    @strawberry.field(description="Where the goods are to be delivered; null when not given.")
    def delivery_province(self) -> Province | None:
        return _province(self.record.delivery_province_code)

    @strawberry.field(
        description="Invited producers: all of them for the buyer, OCOP offices and admins; a producer only sees "
        "its own invitation (none when it reads an RFQ from the board without being invited)."
    )
    def invitations(self, info: Info["Context", None]) -> list[Invitation]:
        rows = policy.visible_invitations(info.context.viewer, self.record)
        return [Invitation(record=i, reason=i.reason, status=i.status) for i in rows]

    @strawberry.field(
        description="Quotations you may see: the buyer and admins see all, a producer only its own, an OCOP "
        "office those of its province's producers."
    )
    def quotations(self, info: Info["Context", None]) -> list[Quotation]:
        viewer, inquiry, producers = info.context.viewer, self.record, info.context.loaders.producer

        def visible(records: list[trade.Quotation]) -> Any:
            # Visibility also depends on the quoting producer's province.
            def wrap(makers: list[catalog.Producer | None]) -> list[Quotation]:
                return [
                    Quotation.from_record(q)
                    for q, maker in zip(records, makers, strict=True)
                    if policy.can_see_quotation(viewer, q, inquiry, maker.address.province_code if maker else None)
                ]

            return ready_many(producers, [q.producer_id for q in records], wrap)

        return ready(info.context.loaders.quotations_by_inquiry, inquiry.id, visible)

    @strawberry.field(
        description="The negotiation thread with one producer, oldest first (the buyer names it; a producer sees "
        "its own). Empty for anyone else, OCOP offices included."
    )
    async def thread(
        self,
        info: Info["Context", None],
        producer_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="The invited producer whose thread to read (a Producer id): needed by the buyer and "
                "admins, ignored for a producer."
            ),
        ] = None,
    ) -> list[Message]:
        named = ObjectId(decode_global_id(producer_id, "Producer", "producerId")) if producer_id is not None else None
        producer = policy.thread_producer(info.context.viewer, self.record, named)
        if producer is None:
            return []
        return [Message.from_record(m) for m in await info.context.store.trade.thread(self.record.id, producer)]


@strawberry.type(description="The order the buyer placed when moving the deal to ORDERED.")
class DealOrder:
    quantity: int = strawberry.field(description="Units ordered, in the deal's `unit`.")
    value_vnd: Vnd = strawberry.field(description="The order's total value, in đồng.")
    delivery_date: date | None = strawberry.field(description="The agreed delivery day.")


@strawberry.type(description="One move of a deal.")
class DealHistoryEntry:
    at: datetime = strawberry.field(description="When the move was made.")
    by: str = strawberry.field(description="The name of the account that made it.")
    party: Party = strawberry.field(description="The side that made it.")
    source: DealState | None = strawberry.field(
        name="from", description="The state before; null for the first entry, when the deal was opened."
    )
    target: DealState = strawberry.field(name="to", description="The state after.")
    note: str = strawberry.field(description="The note sent with the move; empty when none.")


@strawberry.type(description="A memorandum of understanding recorded for a deal.")
class Mou:
    signed_on: date = strawberry.field(description="The day it was signed.")
    parties: list[str] = strawberry.field(description="The names of the signatories: the buyer, then the producer.")
    terms_summary: str = strawberry.field(description="What the parties agreed, in short.")
    document_url: str | None = strawberry.field(description="Link to the signed document; null when none.")
    record: strawberry.Private[trade.Mou]

    @strawberry.field(description="The trade event it was signed at; null when none.")
    async def event(self, info: Info["Context", None]) -> "TradeEvent | None":
        if self.record.event_id is None:
            return None
        event = await info.context.loaders.trade_event.load(self.record.event_id)
        return TradeEvent.from_record(event) if event else None


@strawberry.type(
    description="An agreement tracked from negotiation to delivery, opened when a buyer accepts a quotation. "
    "Seen by its buyer organisation, its producer, the OCOP office of the producer's province (read-only) and "
    "admins (read-only)."
)
class Deal(relay.Node):
    id: relay.NodeID[str]
    state: DealState = strawberry.field(description="Where it stands in the pipeline.")
    quantity: int = strawberry.field(description="The inquiry's quantity, in `unit`.")
    unit: str = strawberry.field(description="The inquiry's unit, e.g. `hộp 250g`.")
    unit_price_vnd: Vnd = strawberry.field(
        description="The agreed unit price, in đồng: the accepted revision's tier price for `quantity`."
    )
    value_vnd: Vnd = strawberry.field(description="Quantity × agreed unit price, in đồng.")
    quotation_revision: int = strawberry.field(description="The number of the quotation revision accepted.")
    created_at: datetime = strawberry.field(description="When the quotation was accepted.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
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

    @strawberry.field(
        description="Where you may move this deal now: the buttons a UI shows. Empty for OCOP offices, admins, "
        "and in final states."
    )
    def allowed_transitions(self, info: Info["Context", None]) -> list[DealState]:
        return policy.deal_moves(info.context.viewer, self.record)

    @strawberry.field(description="The order's terms; null until the buyer moves the deal to ORDERED.")
    def order(self) -> DealOrder | None:
        r = self.record
        if r.order_quantity is None or r.order_value_vnd is None:
            return None
        return DealOrder(quantity=r.order_quantity, value_vnd=Vnd(r.order_value_vnd), delivery_date=r.delivery_date)

    @strawberry.field(description="Every move, oldest first, starting with the opening.")
    def history(self) -> list[DealHistoryEntry]:
        return [
            DealHistoryEntry(at=h.at, by=h.by_name, party=h.party, source=h.source, target=h.target, note=h.note)
            for h in self.record.history
        ]

    @strawberry.field(description="The MoU; null until one is recorded with `signMou`.")
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

    @strawberry.field(description="The buyer side.")
    def buyer_organisation(self, info: Info["Context", None]) -> BuyerOrganisation | None:
        return _buyer(info, self.record.buyer_org_id)

    @strawberry.field(description="The producer side.")
    def producer(self, info: Info["Context", None]) -> Producer | None:
        return _producer(info, self.record.producer_id)

    @strawberry.field(
        description="The product traded: the direct inquiry's, or the producer's first matched product of an "
        "RFQ; null when none or when you may not see it."
    )
    def product(self, info: Info["Context", None]) -> Product | None:
        return _product(info, self.record.product_id)

    @strawberry.field(
        description="The variant (pack size) traded: the accepted revision's, else the one the inquiry named, as "
        "it was then; null when none."
    )
    def variant(self) -> ProductVariant | None:
        return _variant(self.record.variant)

    @strawberry.field(description="The inquiry it came from; null if you may not see it.")
    async def inquiry(self, info: Info["Context", None]) -> Inquiry | None:
        return (await Inquiry.resolve_nodes(info=info, node_ids=[str(self.record.inquiry_id)]))[0]

    @strawberry.field(description="The quotation accepted; null if you may not see it.")
    async def quotation(self, info: Info["Context", None]) -> Quotation | None:
        return (await Quotation.resolve_nodes(info=info, node_ids=[str(self.record.quotation_id)]))[0]


@strawberry.type(description="A producer's booth at a trade event.")
class Booth:
    number: str = strawberry.field(description="The booth's number or label, e.g. `A12`.")
    record: strawberry.Private[trade.Booth]

    @strawberry.field(description="The producer exhibiting.")
    def producer(self, info: Info["Context", None]) -> Producer | None:
        return _producer(info, self.record.producer_id)

    @strawberry.field(description="The products shown there, those you may see.")
    async def products(self, info: Info["Context", None]) -> list[Product]:
        nodes = await Product.resolve_nodes(info=info, node_ids=[str(i) for i in self.record.product_ids])
        return [n for n in nodes if n is not None]


@strawberry.type(description="What an event produced: MoUs signed there, the deals behind them, their value.")
class TradeEventReport:
    mous_signed: int = strawberry.field(description="MoUs signed at the event, over the deals you may see.")
    value_vnd: Vnd = strawberry.field(
        description="Value of the deals behind those MoUs, in đồng, cancelled and lost ones excluded."
    )
    deals: list[Deal] = strawberry.field(
        description="The deals behind those MoUs: all for admins, its own producers' for an OCOP office."
    )


@strawberry.type(
    description="A supply–demand matchmaking forum: booths of producers, visiting buyers, MoUs. Public, except "
    "its `report`."
)
class TradeEvent(relay.Node):
    id: relay.NodeID[str]
    name: str = strawberry.field(description="The event's name.")
    organiser: str = strawberry.field(description="Who organises it, e.g. a provincial department.")
    venue: str = strawberry.field(description="Where it takes place; empty when not given.")
    starts_on: date = strawberry.field(description="First day.")
    ends_on: date = strawberry.field(description="Last day; the same as `startsOn` for a one-day event.")
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

    @strawberry.field(description="The province hosting it, whose OCOP office reads its report.")
    def province(self) -> Province | None:
        return _province(self.record.province_code)

    @strawberry.field(description="The producers' booths.")
    def booths(self) -> list[Booth]:
        return [Booth(number=b.number, record=b) for b in self.record.booths]

    @strawberry.field(description="The buyer organisations taking part.")
    async def buyers(self, info: Info["Context", None]) -> list[BuyerOrganisation]:
        found = await info.context.loaders.buyer_org.load_many(self.record.buyer_org_ids)
        return [BuyerOrganisation.from_record(b) for b in found if b is not None]

    @strawberry.field(
        description="What the event produced. For admins and the host province's OCOP office; null for others."
    )
    async def report(self, info: Info["Context", None]) -> TradeEventReport | None:
        report = await event_report(info.context.store, info.context.viewer, self.record)
        if report is None:
            return None
        return TradeEventReport(
            mous_signed=report.mous_signed,
            value_vnd=Vnd(report.value_vnd),
            deals=[Deal.from_record(d) for d in report.deals],
        )
