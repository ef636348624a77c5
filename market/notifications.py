"""Live trade notifications, read from MongoDB change streams.

Every API process follows the database itself, so a write made through any process reaches the subscribers
of all of them, and nothing waits in memory between events. Each subscription has its own change stream:
the server filters it down to what the viewer may see (`$match` on the collection and on the visibility
fields), and every event is checked again here with the rules of `market.permissions` before it is passed
on. An event names what changed, never its contents; readers load those through the same checks as queries.

Each event carries its resume token as an opaque cursor. Subscribing again with `after` set to the last
cursor received replays everything written since, so a client that reconnects misses nothing.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

import bson
from bson import ObjectId
from bson.errors import BSONError
from pymongo.asynchronous.change_stream import AsyncChangeStream
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import OperationFailure

from market import permissions
from market.dealing import can_see_deal, visible_deal
from market.deals import Party
from market.errors import DomainError, ErrorCode, forbidden
from market.models import Role
from market.permissions import Principal
from market.store import Store
from market.trade import Deal, InquiryStatus, QuotationStatus

T = TypeVar("T")
U = TypeVar("U")
Change = dict[str, Any]

MAX_CURSOR = 1024
# A change stream keeps one pooled MongoDB connection busy while it waits for changes. One process holds at
# most this many, so subscribers never take every connection from queries (the pool holds 100).
MAX_OPEN_STREAMS = 60
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


# --- cursors and streams -----------------------------------------------------------------------------


def encode_cursor(token: Mapping[str, Any]) -> str:
    return base64.urlsafe_b64encode(bson.encode(dict(token))).decode().rstrip("=")


def decode_cursor(value: str, field: str = "after") -> dict[str, Any]:
    invalid = DomainError.single(ErrorCode.INVALID, field, f"{field} is not a cursor of this subscription")
    if not value or len(value) > MAX_CURSOR:
        raise invalid
    try:
        token = bson.decode(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    except (binascii.Error, ValueError, BSONError) as exc:
        raise invalid from exc
    if not isinstance(token.get("_data"), str) or not set(token) <= {"_data", "_typeBits"}:
        raise invalid
    return token


class EndOfFeed(Exception):
    """The subscriber may no longer see what it follows."""


class OpenStream:
    """A change stream, counted against MAX_OPEN_STREAMS until it is closed."""

    count = 0  # in this process

    def __init__(self, stream: AsyncChangeStream[Change]) -> None:
        self.stream = stream
        self.closed = False

    async def next(self) -> Change:
        return await self.stream.next()

    async def close(self) -> None:
        if not self.closed:
            self.closed = True
            OpenStream.count -= 1
            await self.stream.close()


class Feed(Generic[T]):
    """The events of one open change stream. Closing it, or reaching its end, closes the server cursor."""

    def __init__(self, stream: OpenStream, convert: Callable[[Change], Awaitable[T | None]]) -> None:
        self._stream = stream
        self._convert = convert

    def map(self, fn: Callable[[T], U]) -> Feed[U]:
        convert = self._convert

        async def mapped(change: Change) -> U | None:
            event = await convert(change)
            return None if event is None else fn(event)

        return Feed(self._stream, mapped)

    def __aiter__(self) -> Feed[T]:
        return self

    async def __anext__(self) -> T:
        try:
            while True:
                event = await self._convert(await self._stream.next())
                if event is not None:
                    return event
        except (EndOfFeed, StopAsyncIteration):
            await self.aclose()
            raise StopAsyncIteration from None

    async def aclose(self) -> None:
        await self._stream.close()


async def _watch(
    target: AsyncDatabase[Change] | AsyncCollection[Change],
    pipeline: list[dict[str, Any]],
    after: str | None,
    comment: str,
) -> OpenStream:
    options: dict[str, Any] = {"full_document": "updateLookup", "comment": comment}
    if after is not None:
        options["resume_after"] = decode_cursor(after)
    if OpenStream.count >= MAX_OPEN_STREAMS:
        raise DomainError.single(ErrorCode.UNAVAILABLE, None, "this server follows all it can; retry in a moment")
    OpenStream.count += 1  # before the await, so concurrent subscribers cannot all pass the check
    try:
        stream = await target.watch(pipeline, **options)
    except BaseException as exc:
        OpenStream.count -= 1
        if isinstance(exc, OperationFailure) and after is not None:
            raise DomainError.single(
                ErrorCode.INVALID, "after", "this cursor can no longer be resumed: subscribe without `after` and reload"
            ) from exc
        raise
    return OpenStream(stream)


def _comment(feed: str, viewer: Principal) -> str:
    """Names the stream in the server's current operations: which feed, for which account."""
    return f"ocop:{feed}:{viewer.account_id}"


def _at(change: Change) -> datetime:
    wall = change.get("wallTime")
    if isinstance(wall, datetime):
        return wall if wall.tzinfo else wall.replace(tzinfo=UTC)
    at: datetime = change["clusterTime"].as_datetime()
    return at


def _updated(change: Change) -> dict[str, Any]:
    fields: dict[str, Any] = (change.get("updateDescription") or {}).get("updatedFields") or {}
    return fields


def _touches(fields: Mapping[str, Any], name: str) -> bool:
    return any(key == name or key.startswith(name + ".") for key in fields)


def _added(fields: Mapping[str, Any], name: str) -> list[Any]:
    """Values an update wrote into array `name`: the whole array when set, else the elements pushed."""
    out: list[Any] = []
    for key, value in fields.items():
        if key == name and isinstance(value, list):
            out.extend(value)
        elif key.startswith(name + "."):
            out.append(value)
    return out


# --- inquiry events ----------------------------------------------------------------------------------


def _inquiry_pipeline(viewer: Principal, province_producers: list[ObjectId]) -> list[dict[str, Any]]:
    """One `$match` over the three collections, each branch narrowed to what the viewer may see."""

    def visible(producer_field: str, province_field: str) -> dict[str, object] | None:
        return permissions.trade_visibility_filter(
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
        raise forbidden("this account belongs to no organisation, so it has no inquiries to follow")
    return [{"$match": {**CHANGES, "$or": branches}}]


def _inquiry_kind(viewer: Principal, change: Change, doc: Mapping[str, Any]) -> InquiryEventKind | None:
    party = permissions.inquiry_party(viewer, doc["buyerOrgId"], doc.get("producerIds", []))
    if change["operationType"] == "insert":
        return InquiryEventKind.INQUIRY_INVITED if party is Party.PRODUCER else InquiryEventKind.INQUIRY_SUBMITTED
    fields = _updated(change)
    if fields.get("status") == InquiryStatus.CLOSED.value:
        return InquiryEventKind.INQUIRY_CLOSED
    added = _added(fields, "producerIds")
    if not added:
        return None  # e.g. a competitor's invitation changing status: nothing for this viewer
    if party is Party.PRODUCER and permissions.inquiry_party(viewer, doc["buyerOrgId"], added) is None:
        return None  # another producer was invited
    return InquiryEventKind.INQUIRY_INVITED


def _quotation_kind(change: Change) -> InquiryEventKind | None:
    if change["operationType"] == "insert":
        return InquiryEventKind.QUOTATION_SUBMITTED
    fields = _updated(change)
    status = fields.get("status")
    if status == QuotationStatus.DECLINED.value:
        return InquiryEventKind.QUOTATION_DECLINED
    if status == QuotationStatus.ACCEPTED.value:
        return InquiryEventKind.QUOTATION_ACCEPTED
    return InquiryEventKind.QUOTATION_REVISED if _touches(fields, "revisions") else None


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
        visible = permissions.can_see_trade(viewer, doc["buyerOrgId"], producers, provinces)
        kind = _inquiry_kind(viewer, change, doc)
    elif coll == "quotations":
        inquiry_id, quotation_id = doc["inquiryId"], doc["_id"]
        provinces = await _province_of(store, doc["producerId"]) if viewer.role is Role.COORDINATOR else []
        visible = permissions.can_see_trade(viewer, doc["buyerOrgId"], [doc["producerId"]], provinces)
        kind = _quotation_kind(change)
    elif coll == "messages":
        inquiry_id, message_id = doc["inquiryId"], doc["_id"]
        own = permissions.deal_party(viewer, doc["buyerOrgId"], doc["producerId"])
        visible = permissions.can_see_thread(viewer, doc["buyerOrgId"], doc["producerId"])
        kind = InquiryEventKind.MESSAGE if change["operationType"] == "insert" and doc["side"] != own else None
    else:
        return None
    if not visible or kind is None:
        return None
    return InquiryEvent(kind, inquiry_id, quotation_id, message_id, _at(change), encode_cursor(change["_id"]))


async def inquiry_events(store: Store, viewer: Principal, *, after: str | None = None) -> Feed[InquiryEvent]:
    """What happens to the viewer's inquiries: invitations for a producer, quotations for a buyer, messages
    from the other side of a thread, closings; everything for admins. The stream is open on return."""
    province_producers: list[ObjectId] = []
    if viewer.role is Role.COORDINATOR and viewer.province_code:
        province_producers = await store.producers.collection.distinct(
            "_id", {"address.provinceCode": viewer.province_code}
        )
    pipeline = _inquiry_pipeline(viewer, province_producers)
    stream = await _watch(store.db, pipeline, after, _comment("inquiryEvents", viewer))

    async def convert(change: Change) -> InquiryEvent | None:
        return await inquiry_event_for(store, viewer, change)

    return Feed(stream, convert)


# --- deal events -------------------------------------------------------------------------------------


async def deal_events(store: Store, viewer: Principal, deal_id: str, *, after: str | None = None) -> Feed[DealUpdate]:
    """The deal after each change to it. NOT_FOUND when it does not exist or is not the viewer's, as in
    queries; the feed ends if the viewer stops being allowed to see it."""
    deal = await visible_deal(store, viewer, deal_id, field="dealId")
    pipeline = [{"$match": {"documentKey._id": deal.id, "operationType": {"$in": ["update", "replace"]}}}]
    stream = await _watch(store.trade.deals, pipeline, after, _comment("dealEvents", viewer))
    seen = 0

    async def convert(change: Change) -> DealUpdate | None:
        nonlocal seen
        doc = change.get("fullDocument")
        if doc is None:
            return None
        current = Deal.from_doc(doc)
        if not can_see_deal(viewer, current):
            raise EndOfFeed
        # The looked-up document can be newer than the change: a version is sent once.
        if current.version <= seen:
            return None
        seen = current.version
        return DealUpdate(current, _at(change), encode_cursor(change["_id"]))

    return Feed(stream, convert)
