"""Live trade notifications, read from MongoDB change streams.

Every API process follows the database itself, so a write made through any process reaches the subscribers
of all of them, and nothing waits in memory between events. Each subscription has its own change stream:
the server filters it down to what the viewer may see (`$match` on the collection and on the visibility
fields), and every event is checked again here with the rules of `market.trade.policy` before it is passed
on. An event names what changed, never its contents; readers load those through the same checks as queries.

Each event carries its resume token as an opaque cursor. Subscribing again with `after` set to the last
cursor received replays everything written since, so a client that reconnects misses nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from bson import ObjectId

from market.accounts.policy import Principal
from market.accounts.records import Role
from market.core.errors import forbidden
from market.storage.changes import Change, EndOfFeed, Feed, added, change_time, encode_cursor, touches, updated_fields
from market.trade import policy
from market.trade.deals import visible_deal
from market.trade.pipeline import Party
from market.trade.records import Deal, InquiryStatus, QuotationStatus, SampleRequest, SampleRequestStatus

if TYPE_CHECKING:
    from market.store import Store

CHANGES = {"operationType": {"$in": ["insert", "update"]}}


class InquiryEventKind(StrEnum):
    INQUIRY_SUBMITTED = "inquiry_submitted"  # for the buyer's colleagues, the provincial offices, admins
    INQUIRY_INVITED = "inquiry_invited"  # for the producer invited
    INQUIRY_CLOSED = "inquiry_closed"
    QUOTATION_SUBMITTED = "quotation_submitted"
    QUOTATION_REVISED = "quotation_revised"
    QUOTATION_DECLINED = "quotation_declined"
    QUOTATION_ACCEPTED = "quotation_accepted"
    MESSAGE = "message"  # written by the other side of a thread


@dataclass(frozen=True, slots=True)
class InquiryEvent:
    kind: InquiryEventKind
    inquiry_id: ObjectId
    quotation_id: ObjectId | None
    message_id: ObjectId | None
    at: datetime
    cursor: str


@dataclass(frozen=True, slots=True)
class DealUpdate:
    deal: Deal
    at: datetime
    cursor: str


def _comment(feed: str, viewer: Principal) -> str:
    """Names the stream in the server's current operations: which feed, for which account."""
    return f"ocop:{feed}:{viewer.account_id}"


# --- inquiry events ----------------------------------------------------------------------------------


def _inquiry_match(viewer: Principal, province_producers: list[ObjectId]) -> dict[str, Any]:
    """One `$match` over the three collections, each branch narrowed to what the viewer may see."""

    def visible(producer_field: str, province_field: str) -> dict[str, object] | None:
        return policy.trade_filter(
            viewer,
            buyer_field="fullDocument.buyerOrgId",
            producer_field=f"fullDocument.{producer_field}",
            province_field=f"fullDocument.{province_field}",
        )

    branches: list[dict[str, Any]] = []
    if (inquiries := visible("producerIds", "producerProvinceCodes")) is not None:
        branches.append({"ns.coll": "inquiries", **inquiries})
    if viewer.role is Role.COORDINATOR:
        # Quotations do not carry the producer's province: the office follows its province's producers.
        branches.append({"ns.coll": "quotations", "fullDocument.producerId": {"$in": province_producers}})
    else:
        if (quotations := visible("producerId", "-")) is not None:
            branches.append({"ns.coll": "quotations", **quotations})
        if (messages := visible("producerId", "-")) is not None:
            side = {Role.BUYER: Party.PRODUCER, Role.PRODUCER: Party.BUYER}.get(viewer.role)
            branches.append({"ns.coll": "messages", **messages, **({"fullDocument.side": side.value} if side else {})})
    if not branches:
        raise forbidden("forbidden_no_organisation", action="follow inquiries")
    return {**CHANGES, "$or": branches}


def _inquiry_kind(viewer: Principal, change: Change, doc: Mapping[str, Any]) -> InquiryEventKind | None:
    party = policy.party_for(viewer, doc["buyerOrgId"], doc.get("producerIds", []))
    if change["operationType"] == "insert":
        return InquiryEventKind.INQUIRY_INVITED if party is Party.PRODUCER else InquiryEventKind.INQUIRY_SUBMITTED
    fields = updated_fields(change)
    if fields.get("status") == InquiryStatus.CLOSED.value:
        return InquiryEventKind.INQUIRY_CLOSED
    newly_invited = added(fields, "producerIds")
    if not newly_invited:
        return None  # e.g. a competitor's invitation changing status: nothing for this viewer
    if party is Party.PRODUCER and policy.party_for(viewer, doc["buyerOrgId"], newly_invited) is None:
        return None  # another producer was invited
    return InquiryEventKind.INQUIRY_INVITED


def _quotation_kind(change: Change) -> InquiryEventKind | None:
    if change["operationType"] == "insert":
        return InquiryEventKind.QUOTATION_SUBMITTED
    fields = updated_fields(change)
    status = fields.get("status")
    if status == QuotationStatus.DECLINED.value:
        return InquiryEventKind.QUOTATION_DECLINED
    if status == QuotationStatus.ACCEPTED.value:
        return InquiryEventKind.QUOTATION_ACCEPTED
    return InquiryEventKind.QUOTATION_REVISED if touches(fields, "revisions") else None


async def _province_of(store: Store, producer_id: ObjectId) -> list[str]:
    producer = await store.producers.get(producer_id)
    return [producer.address.province_code] if producer else []


async def inquiry_event_for(store: Store, viewer: Principal, change: Change) -> InquiryEvent | None:
    """The event for this viewer, or None: not visible (checked again here), or nothing it needs to know."""
    doc = change.get("fullDocument")
    if doc is None:
        return None  # deleted since
    coll = change["ns"]["coll"]
    quotation_id = message_id = None
    if coll == "inquiries":
        inquiry_id = doc["_id"]
        producers, provinces = doc.get("producerIds", []), doc.get("producerProvinceCodes", [])
        visible = policy.can_see_trade(viewer, doc["buyerOrgId"], producers, provinces)
        kind = _inquiry_kind(viewer, change, doc)
    elif coll == "quotations":
        inquiry_id, quotation_id = doc["inquiryId"], doc["_id"]
        provinces = await _province_of(store, doc["producerId"]) if viewer.role is Role.COORDINATOR else []
        visible = policy.can_see_trade(viewer, doc["buyerOrgId"], [doc["producerId"]], provinces)
        kind = _quotation_kind(change)
    elif coll == "messages":
        inquiry_id, message_id = doc["inquiryId"], doc["_id"]
        own = policy.party_for(viewer, doc["buyerOrgId"], [doc["producerId"]])
        visible = policy.can_see_thread(viewer, doc["buyerOrgId"], doc["producerId"])
        kind = InquiryEventKind.MESSAGE if change["operationType"] == "insert" and doc["side"] != own else None
    else:
        return None
    if not visible or kind is None:
        return None
    return InquiryEvent(kind, inquiry_id, quotation_id, message_id, change_time(change), encode_cursor(change["_id"]))


async def inquiry_events(store: Store, viewer: Principal, *, after: str | None = None) -> Feed[InquiryEvent]:
    """What happens to the viewer's inquiries: invitations for a producer, quotations for a buyer, messages
    from the other side of a thread, closings; everything for admins. The stream is open on return."""
    province_producers: list[ObjectId] = []
    if viewer.role is Role.COORDINATOR and viewer.province_code:
        province_producers = await store.producers.ids_in_province(viewer.province_code)
    match = _inquiry_match(viewer, province_producers)
    stream = await store.trade.watch_feed(
        match, owner=viewer.account_id, after=after, comment=_comment("inquiryEvents", viewer)
    )

    async def convert(change: Change) -> InquiryEvent | None:
        return await inquiry_event_for(store, viewer, change)

    return Feed(stream, convert)


# --- deal events -------------------------------------------------------------------------------------


async def deal_events(store: Store, viewer: Principal, deal_id: str, *, after: str | None = None) -> Feed[DealUpdate]:
    """The deal after each change to it. NOT_FOUND when it does not exist or is not the viewer's, as in
    queries; the feed ends if the viewer stops being allowed to see it."""
    deal = await visible_deal(store, viewer, deal_id, field="dealId")
    stream = await store.trade.watch_deal(
        deal.id, owner=viewer.account_id, after=after, comment=_comment("dealEvents", viewer)
    )
    seen = 0

    async def convert(change: Change) -> DealUpdate | None:
        nonlocal seen
        doc = change.get("fullDocument")
        if doc is None:
            return None
        current = Deal.from_doc(doc)
        if not policy.can_see_deal(viewer, current):
            raise EndOfFeed
        # The looked-up document can be newer than the change: a version is sent once.
        if current.version <= seen:
            return None
        seen = current.version
        return DealUpdate(current, change_time(change), encode_cursor(change["_id"]))

    return Feed(stream, convert)


# --- sample request events -----------------------------------------------------------------------------


class SampleRequestEventKind(StrEnum):
    SAMPLE_REQUESTED = "sample_requested"
    SAMPLE_ACCEPTED = "sample_accepted"
    SAMPLE_DECLINED = "sample_declined"
    SAMPLE_CONVERTED = "sample_converted"  # it led to an inquiry


@dataclass(frozen=True, slots=True)
class SampleRequestEvent:
    kind: SampleRequestEventKind
    sample_request_id: ObjectId
    at: datetime
    cursor: str


_ANSWERS = {
    SampleRequestStatus.ACCEPTED.value: SampleRequestEventKind.SAMPLE_ACCEPTED,
    SampleRequestStatus.DECLINED.value: SampleRequestEventKind.SAMPLE_DECLINED,
}


def sample_request_event_for(viewer: Principal, change: Change) -> SampleRequestEvent | None:
    """The event for this viewer, or None: not visible (checked again here), or no news."""
    doc = change.get("fullDocument")
    if doc is None:
        return None
    if not policy.can_see_sample_request(viewer, SampleRequest.from_doc(doc)):
        return None
    kind: SampleRequestEventKind | None
    if change["operationType"] == "insert":
        kind = SampleRequestEventKind.SAMPLE_REQUESTED
    else:
        fields = updated_fields(change)
        if fields.get("inquiryId") is not None:
            kind = SampleRequestEventKind.SAMPLE_CONVERTED
        else:
            kind = _ANSWERS.get(fields.get("status", ""))
    if kind is None:
        return None
    return SampleRequestEvent(kind, doc["_id"], change_time(change), encode_cursor(change["_id"]))


async def sample_request_events(
    store: Store, viewer: Principal, *, after: str | None = None
) -> Feed[SampleRequestEvent]:
    """What happens to the viewer's sample requests: new requests for the producer (and the buyer's colleagues),
    the producer's answer and the inquiry it led to for both; the province's for an office, all for admins."""
    visible = policy.trade_filter(
        viewer,
        buyer_field="fullDocument.buyerOrgId",
        producer_field="fullDocument.producerId",
        province_field="fullDocument.producerProvinceCode",
    )
    if visible is None:
        raise forbidden("forbidden_no_organisation", action="follow sample requests")
    stream = await store.sample_requests.watch(
        visible, owner=viewer.account_id, after=after, comment=_comment("sampleRequestEvents", viewer)
    )

    async def convert(change: Change) -> SampleRequestEvent | None:
        return sample_request_event_for(viewer, change)

    return Feed(stream, convert)
