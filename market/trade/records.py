"""Records of the trade side: inquiries and RFQs, quotations, negotiation messages, deals, trade events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from bson import ObjectId

from market.catalog.records import PriceTier, Variant
from market.core.clock import as_day, as_utc, today, utcnow
from market.trade.pipeline import DealState, Party


class InquiryKind(StrEnum):
    DIRECT = "direct"  # about one product, sent to its producer
    OPEN = "open"  # an RFQ described by criteria, sent to the best-matching producers


class InquiryStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class ClosedReason(StrEnum):
    EXPIRED = "expired"
    BUYER_CLOSED = "buyer_closed"
    ACCEPTED = "accepted"


class InvitationStatus(StrEnum):
    INVITED = "invited"
    QUOTED = "quoted"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class QuotationStatus(StrEnum):
    ACTIVE = "active"
    ACCEPTED = "accepted"
    DECLINED = "declined"


@dataclass(slots=True)
class Criteria:
    query: str = ""
    groups: list[str] = field(default_factory=list)
    provinces: list[str] = field(default_factory=list)
    min_stars: int | None = None
    certifications: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Invitation:
    producer_id: ObjectId
    product_ids: list[ObjectId]
    reason: str
    status: InvitationStatus


@dataclass(slots=True)
class Inquiry:
    id: ObjectId
    kind: InquiryKind
    buyer_org_id: ObjectId
    created_by: ObjectId
    product_id: ObjectId | None
    criteria: Criteria | None
    quantity: int
    unit: str
    target_unit_price_vnd: int | None
    delivery_province_code: str | None
    needed_by: date | None
    message: str
    expires_at: datetime
    status: InquiryStatus
    closed_reason: ClosedReason | None
    invitations: list[Invitation]
    producer_province_codes: list[str]
    created_at: datetime
    version: int
    variant: Variant | None = None  # the product's variant a direct inquiry names, as it was then

    @property
    def effective_status(self) -> InquiryStatus:
        """An open inquiry past its expiry is closed, whether or not the sweeper has written it yet."""
        if self.status is InquiryStatus.OPEN and self.expires_at <= utcnow():
            return InquiryStatus.CLOSED
        return self.status

    @property
    def effective_closed_reason(self) -> ClosedReason | None:
        if self.closed_reason is None and self.effective_status is InquiryStatus.CLOSED:
            return ClosedReason.EXPIRED
        return self.closed_reason

    def invitation(self, producer_id: ObjectId) -> Invitation | None:
        return next((i for i in self.invitations if i.producer_id == producer_id), None)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Inquiry:
        criteria = doc.get("criteria")
        return cls(
            id=doc["_id"],
            kind=InquiryKind(doc["kind"]),
            buyer_org_id=doc["buyerOrgId"],
            created_by=doc["createdBy"],
            product_id=doc.get("productId"),
            # Each condition once: an RFQ written before its criteria were cleaned of repeats may hold some.
            criteria=Criteria(
                query=criteria.get("query", ""),
                groups=list(dict.fromkeys(criteria.get("groups", []))),
                provinces=list(dict.fromkeys(criteria.get("provinces", []))),
                min_stars=criteria.get("minStars"),
                certifications=list(dict.fromkeys(criteria.get("certifications", []))),
            )
            if criteria
            else None,
            quantity=doc["quantity"],
            unit=doc["unit"],
            target_unit_price_vnd=doc.get("targetUnitPriceVnd"),
            delivery_province_code=doc.get("deliveryProvinceCode"),
            needed_by=as_day(doc.get("neededBy")),
            message=doc.get("message", ""),
            expires_at=as_utc(doc["expiresAt"]) or utcnow(),
            status=InquiryStatus(doc["status"]),
            closed_reason=ClosedReason(doc["closedReason"]) if doc.get("closedReason") else None,
            invitations=[
                Invitation(
                    i["producerId"], list(i.get("productIds", [])), i.get("reason", ""), InvitationStatus(i["status"])
                )
                for i in doc.get("invitations", [])
            ],
            producer_province_codes=list(doc.get("producerProvinceCodes", [])),
            created_at=doc["createdAt"],
            version=doc["version"],
            variant=_variant(doc.get("variant")),
        )


def tier_price(unit_price_vnd: int, tiers: Sequence[PriceTier], quantity: int) -> int:
    """The price of the largest tier this quantity reaches, else the unit price."""
    price = unit_price_vnd
    for tier in sorted(tiers, key=lambda t: t.min_quantity):
        if quantity >= tier.min_quantity:
            price = tier.unit_price_vnd
    return price


def _variant(doc: dict[str, Any] | None) -> Variant | None:
    return Variant.from_doc(doc) if doc else None


@dataclass(slots=True)
class QuotationRevision:
    number: int
    unit_price_vnd: int
    price_tiers: list[PriceTier]
    moq: int
    lead_time_days: int
    valid_until: date | None
    note: str
    created_at: datetime
    # The variant quoted, as it was then, and its product (for an RFQ, any of the producer's products).
    variant: Variant | None = None
    product_id: ObjectId | None = None

    def unit_price_for(self, quantity: int) -> int:
        return tier_price(self.unit_price_vnd, self.price_tiers, quantity)


@dataclass(slots=True)
class Quotation:
    id: ObjectId
    inquiry_id: ObjectId
    producer_id: ObjectId
    buyer_org_id: ObjectId
    status: QuotationStatus
    revisions: list[QuotationRevision]
    decline_reason: str | None
    created_at: datetime
    updated_at: datetime
    version: int

    @property
    def current(self) -> QuotationRevision:
        return self.revisions[-1]

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Quotation:
        return cls(
            id=doc["_id"],
            inquiry_id=doc["inquiryId"],
            producer_id=doc["producerId"],
            buyer_org_id=doc["buyerOrgId"],
            status=QuotationStatus(doc["status"]),
            revisions=[
                QuotationRevision(
                    number=r["number"],
                    unit_price_vnd=r["unitPriceVnd"],
                    price_tiers=[PriceTier(t["minQuantity"], t["unitPriceVnd"]) for t in r.get("priceTiers", [])],
                    moq=r.get("moq", 1),
                    lead_time_days=r.get("leadTimeDays", 0),
                    valid_until=as_day(r.get("validUntil")),
                    note=r.get("note", ""),
                    created_at=r["createdAt"],
                    variant=_variant(r.get("variant")),
                    product_id=r.get("productId"),
                )
                for r in doc["revisions"]
            ],
            decline_reason=doc.get("declineReason"),
            created_at=doc["createdAt"],
            updated_at=doc["updatedAt"],
            version=doc["version"],
        )


@dataclass(slots=True)
class Message:
    id: ObjectId
    inquiry_id: ObjectId
    producer_id: ObjectId
    buyer_org_id: ObjectId
    author_name: str
    side: Party
    body: str
    counter_unit_price_vnd: int | None
    counter_quantity: int | None
    created_at: datetime

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Message:
        counter = doc.get("counterOffer") or {}
        return cls(
            id=doc["_id"],
            inquiry_id=doc["inquiryId"],
            producer_id=doc["producerId"],
            buyer_org_id=doc["buyerOrgId"],
            author_name=doc["authorName"],
            side=Party(doc["side"]),
            body=doc.get("body", ""),
            counter_unit_price_vnd=counter.get("targetUnitPriceVnd"),
            counter_quantity=counter.get("quantity"),
            created_at=doc["createdAt"],
        )


@dataclass(slots=True)
class DealEvent:
    at: datetime
    by_name: str
    party: Party
    source: DealState | None
    target: DealState
    note: str


@dataclass(slots=True)
class Mou:
    signed_on: date
    parties: list[str]
    terms_summary: str
    document_url: str | None
    event_id: ObjectId | None


@dataclass(slots=True)
class Deal:
    id: ObjectId
    inquiry_id: ObjectId
    quotation_id: ObjectId
    quotation_revision: int
    product_id: ObjectId | None
    buyer_org_id: ObjectId
    producer_id: ObjectId
    producer_province_code: str
    state: DealState
    quantity: int
    unit: str
    unit_price_vnd: int
    value_vnd: int
    order_quantity: int | None
    order_value_vnd: int | None
    delivery_date: date | None
    history: list[DealEvent]
    mou: Mou | None
    created_at: datetime
    updated_at: datetime
    version: int
    variant: Variant | None = None  # the variant traded, as quoted (or as the inquiry named it)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Deal:
        order = doc.get("order") or {}
        mou = doc.get("mou")
        return cls(
            id=doc["_id"],
            inquiry_id=doc["inquiryId"],
            quotation_id=doc["quotationId"],
            quotation_revision=doc["quotationRevision"],
            product_id=doc.get("productId"),
            buyer_org_id=doc["buyerOrgId"],
            producer_id=doc["producerId"],
            producer_province_code=doc["producerProvinceCode"],
            state=DealState(doc["state"]),
            quantity=doc["quantity"],
            unit=doc["unit"],
            unit_price_vnd=doc["unitPriceVnd"],
            value_vnd=doc["valueVnd"],
            order_quantity=order.get("quantity"),
            order_value_vnd=order.get("valueVnd"),
            delivery_date=as_day(order.get("deliveryDate")),
            history=[
                DealEvent(
                    at=h["at"],
                    by_name=h["byName"],
                    party=Party(h["party"]),
                    source=DealState(h["from"]) if h.get("from") else None,
                    target=DealState(h["to"]),
                    note=h.get("note", ""),
                )
                for h in doc.get("history", [])
            ],
            mou=Mou(
                signed_on=as_day(mou["signedOn"]) or today(),
                parties=list(mou.get("parties", [])),
                terms_summary=mou.get("termsSummary", ""),
                document_url=mou.get("documentUrl"),
                event_id=mou.get("eventId"),
            )
            if mou
            else None,
            created_at=doc["createdAt"],
            updated_at=doc["updatedAt"],
            version=doc["version"],
            variant=_variant(doc.get("variant")),
        )


@dataclass(slots=True)
class Booth:
    number: str
    producer_id: ObjectId
    product_ids: list[ObjectId]


@dataclass(slots=True)
class TradeEvent:
    id: ObjectId
    name: str
    organiser: str
    province_code: str
    venue: str
    starts_on: date
    ends_on: date
    booths: list[Booth]
    buyer_org_ids: list[ObjectId]
    created_at: datetime
    version: int

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> TradeEvent:
        return cls(
            id=doc["_id"],
            name=doc["name"],
            organiser=doc.get("organiser", ""),
            province_code=doc["provinceCode"],
            venue=doc.get("venue", ""),
            starts_on=as_day(doc["startsOn"]) or today(),
            ends_on=as_day(doc["endsOn"]) or today(),
            booths=[Booth(b["number"], b["producerId"], list(b.get("productIds", []))) for b in doc.get("booths", [])],
            buyer_org_ids=list(doc.get("buyerOrgIds", [])),
            created_at=doc["createdAt"],
            version=doc["version"],
        )


class SampleRequestStatus(StrEnum):
    REQUESTED = "requested"
    ACCEPTED = "accepted"  # the producer ships samples
    DECLINED = "declined"


@dataclass(slots=True)
class Shipping:
    carrier: str
    tracking_number: str | None
    shipped_on: date


@dataclass(slots=True)
class SampleRequest:
    id: ObjectId
    buyer_org_id: ObjectId
    created_by: ObjectId
    product_id: ObjectId
    producer_id: ObjectId
    producer_province_code: str
    quantity: int
    unit: str
    delivery_address: str
    needed_by: date | None
    note: str
    status: SampleRequestStatus
    shipping: Shipping | None
    decline_reason: str | None
    inquiry_id: ObjectId | None  # the inquiry it led to
    created_at: datetime
    updated_at: datetime
    version: int

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> SampleRequest:
        shipping = doc.get("shipping")
        return cls(
            id=doc["_id"],
            buyer_org_id=doc["buyerOrgId"],
            created_by=doc["createdBy"],
            product_id=doc["productId"],
            producer_id=doc["producerId"],
            producer_province_code=doc["producerProvinceCode"],
            quantity=doc["quantity"],
            unit=doc["unit"],
            delivery_address=doc["deliveryAddress"],
            needed_by=as_day(doc.get("neededBy")),
            note=doc.get("note", ""),
            status=SampleRequestStatus(doc["status"]),
            shipping=Shipping(
                carrier=shipping["carrier"],
                tracking_number=shipping.get("trackingNumber"),
                shipped_on=as_day(shipping["shippedOn"]) or today(),
            )
            if shipping
            else None,
            decline_reason=doc.get("declineReason"),
            inquiry_id=doc.get("inquiryId"),
            created_at=doc["createdAt"],
            updated_at=doc["updatedAt"],
            version=doc["version"],
        )


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(slots=True)
class PurchaseApproval:
    """An acceptance above the accepting member's spending limit, waiting for an owner or a manager."""

    id: ObjectId
    quotation_id: ObjectId
    revision: int
    inquiry_id: ObjectId
    buyer_org_id: ObjectId
    producer_id: ObjectId
    requested_by: ObjectId
    requested_by_name: str
    limit_vnd: int | None
    value_vnd: int
    status: ApprovalStatus
    created_at: datetime
    version: int
    decided_by_name: str | None = None
    decided_at: datetime | None = None
    reason: str | None = None
    deal_id: ObjectId | None = None

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> PurchaseApproval:
        return cls(
            id=doc["_id"],
            quotation_id=doc["quotationId"],
            revision=doc["revision"],
            inquiry_id=doc["inquiryId"],
            buyer_org_id=doc["buyerOrgId"],
            producer_id=doc["producerId"],
            requested_by=doc["requestedBy"],
            requested_by_name=doc["requestedByName"],
            limit_vnd=doc.get("limitVnd"),
            value_vnd=doc["valueVnd"],
            status=ApprovalStatus(doc["status"]),
            created_at=doc["createdAt"],
            version=doc["version"],
            decided_by_name=doc.get("decidedByName"),
            decided_at=doc.get("decidedAt"),
            reason=doc.get("reason"),
            deal_id=doc.get("dealId"),
        )
