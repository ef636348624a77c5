"""The trade collections (inquiries, quotations, messages, deals, trade events): every read and write of
them, and the indexes their lists, statistics and feeds need."""

from __future__ import annotations

from collections.abc import AsyncIterator, Hashable
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from market.core.clock import utcnow
from market.core.paging import Page, PageRequest
from market.storage.batches import id_batches
from market.storage.changes import OpenStream, StreamQuota, open_stream
from market.storage.keyset import fetch_page
from market.storage.versioned import versioned_update
from market.trade.pipeline import DealState
from market.trade.records import (
    ApprovalStatus,
    Deal,
    Inquiry,
    InquiryKind,
    InquiryStatus,
    InvitationStatus,
    Message,
    PurchaseApproval,
    Quotation,
    TradeEvent,
)


class TradeRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]], streams: StreamQuota | None = None) -> None:
        self._db = db
        self.streams = streams or StreamQuota()
        self._inquiries = db["inquiries"]
        self._quotations = db["quotations"]
        self._messages = db["messages"]
        self._deals = db["deals"]
        self._approvals = db["purchase_approvals"]
        self._events = db["trade_events"]

    async def ensure_indexes(self) -> None:
        await self._inquiries.create_indexes(
            [
                IndexModel([("buyerOrgId", ASCENDING), ("createdAt", DESCENDING)], name="buyer_inbox"),
                IndexModel([("producerIds", ASCENDING), ("createdAt", DESCENDING)], name="producer_inbox"),
                IndexModel([("producerProvinceCodes", ASCENDING), ("createdAt", DESCENDING)], name="province"),
                IndexModel([("status", ASCENDING), ("kind", ASCENDING), ("expiresAt", ASCENDING)], name="board"),
                # Province statistics: open, unexpired inquiries of a province.
                IndexModel(
                    [("producerProvinceCodes", ASCENDING), ("status", ASCENDING), ("expiresAt", ASCENDING)],
                    name="province_status_expiry",
                ),
            ]
        )
        await self._quotations.create_indexes(
            [IndexModel([("inquiryId", ASCENDING), ("producerId", ASCENDING)], unique=True, name="one_per_producer")]
        )
        await self._messages.create_indexes(
            [IndexModel([("inquiryId", ASCENDING), ("producerId", ASCENDING), ("createdAt", ASCENDING)], name="thread")]
        )
        await self._deals.create_indexes(
            [
                IndexModel([("buyerOrgId", ASCENDING), ("createdAt", DESCENDING)], name="buyer"),
                IndexModel([("producerId", ASCENDING), ("createdAt", DESCENDING)], name="producer"),
                IndexModel([("producerProvinceCode", ASCENDING), ("state", ASCENDING)], name="province_state"),
                IndexModel([("mou.eventId", ASCENDING)], name="mou_event", sparse=True),
                IndexModel([("quotationId", ASCENDING)], unique=True, name="one_deal_per_quotation"),
            ]
        )
        await self._events.create_indexes([IndexModel([("startsOn", DESCENDING)], name="starts")])
        await self._approvals.create_indexes(
            [
                IndexModel([("buyerOrgId", ASCENDING), ("status", ASCENDING), ("createdAt", DESCENDING)], name="org"),
                IndexModel([("quotationId", ASCENDING), ("status", ASCENDING)], name="quotation"),
            ]
        )

    # --- purchase approvals ------------------------------------------------------------------------------

    async def insert_approval(self, doc: dict[str, Any], session: AsyncClientSession) -> ObjectId:
        return (await self._approvals.insert_one(doc, session=session)).inserted_id

    async def approval(self, _id: ObjectId, session: AsyncClientSession | None = None) -> PurchaseApproval | None:
        doc = await self._approvals.find_one({"_id": _id}, session=session)
        return PurchaseApproval.from_doc(doc) if doc else None

    async def pending_approval_for(
        self, quotation_id: ObjectId, revision: int, session: AsyncClientSession | None = None
    ) -> PurchaseApproval | None:
        query = {"quotationId": quotation_id, "revision": revision, "status": ApprovalStatus.PENDING.value}
        doc = await self._approvals.find_one(query, session=session)
        return PurchaseApproval.from_doc(doc) if doc else None

    async def approvals(self, ids: list[ObjectId]) -> list[PurchaseApproval]:
        return [PurchaseApproval.from_doc(d) for d in await self._approvals.find({"_id": {"$in": ids}}).to_list(None)]

    async def decide_approval(self, approval_id: ObjectId, fields: dict[str, Any], session: AsyncClientSession) -> bool:
        """Settle a pending approval; False if someone settled it first."""
        result = await self._approvals.update_one(
            {"_id": approval_id, "status": ApprovalStatus.PENDING.value},
            {"$set": {**fields, "decidedAt": utcnow()}, "$inc": {"version": 1}},
            session=session,
        )
        return result.modified_count == 1

    async def approval_page(self, query: dict[str, Any], request: PageRequest) -> Page[PurchaseApproval]:
        return await fetch_page(self._approvals, query, [("createdAt", -1)], request, PurchaseApproval.from_doc)

    async def approval_count(self, query: dict[str, Any]) -> int:
        return await self._approvals.count_documents(query)

    async def by_person(self, account_id: ObjectId) -> dict[str, list[dict[str, Any]]]:
        """What trade records hold about one person (a copy of their personal data): the inquiries they
        submitted, the messages they wrote, the deal moves they made."""
        inquiries = self._inquiries.find({"createdBy": account_id}, {"_id": 1, "createdAt": 1, "status": 1})
        messages = self._messages.find({"authorId": account_id}, {"_id": 1, "createdAt": 1, "body": 1})
        deals = self._deals.find({"history.by": account_id}, {"_id": 1, "history": 1})
        moves = [
            {"dealId": d["_id"], **{k: h.get(k) for k in ("at", "from", "to", "note")}}
            for d in await deals.limit(1000).to_list(None)
            for h in d.get("history", [])
            if h.get("by") == account_id
        ]
        return {
            "inquiries": await inquiries.limit(1000).to_list(None),
            "messages": await messages.limit(1000).to_list(None),
            "dealMoves": moves,
        }

    async def anonymise_person(self, account_id: ObjectId, name: str, session: AsyncClientSession) -> None:
        """Replace a person's name in trade records; the records, and who acted for which side, stay."""
        await self._messages.update_many({"authorId": account_id}, {"$set": {"authorName": name}}, session=session)
        await self._deals.update_many(
            {"history.by": account_id},
            {"$set": {"history.$[mine].byName": name}},
            array_filters=[{"mine.by": account_id}],
            session=session,
        )
        for who in ("requested", "decided"):
            await self._approvals.update_many(
                {f"{who}By": account_id}, {"$set": {f"{who}ByName": name}}, session=session
            )

    async def inquiry(self, _id: ObjectId, session: AsyncClientSession | None = None) -> Inquiry | None:
        doc = await self._inquiries.find_one({"_id": _id}, session=session)
        return Inquiry.from_doc(doc) if doc else None

    async def inquiries_by_id(self, ids: list[ObjectId]) -> list[Inquiry]:
        return [Inquiry.from_doc(d) for d in await self._inquiries.find({"_id": {"$in": ids}}).to_list(None)]

    async def set_invitation_status(
        self,
        inquiry_id: ObjectId,
        producer_id: ObjectId,
        status: InvitationStatus,
        *,
        also: dict[str, Any] | None = None,
        inc_version: bool = False,
        session: AsyncClientSession | None = None,
    ) -> None:
        """Set one producer's invitation status (and, with `also`, other inquiry fields in the same write)."""
        update: dict[str, Any] = {"$set": {"invitations.$.status": status.value, "updatedAt": utcnow(), **(also or {})}}
        if inc_version:
            update["$inc"] = {"version": 1}
        await self._inquiries.update_one(
            {"_id": inquiry_id, "invitations.producerId": producer_id}, update, session=session
        )

    async def quotation(self, _id: ObjectId, session: AsyncClientSession | None = None) -> Quotation | None:
        doc = await self._quotations.find_one({"_id": _id}, session=session)
        return Quotation.from_doc(doc) if doc else None

    async def quotations_by_id(self, ids: list[ObjectId]) -> list[Quotation]:
        return [Quotation.from_doc(d) for d in await self._quotations.find({"_id": {"$in": ids}}).to_list(None)]

    async def quotations_of(
        self, inquiry_ids: list[ObjectId], session: AsyncClientSession | None = None
    ) -> list[Quotation]:
        cursor = self._quotations.find({"inquiryId": {"$in": inquiry_ids}}, session=session)
        return [Quotation.from_doc(d) for d in await cursor.sort("createdAt", 1).to_list(None)]

    async def thread(self, inquiry_id: ObjectId, producer_id: ObjectId) -> list[Message]:
        cursor = self._messages.find({"inquiryId": inquiry_id, "producerId": producer_id}).sort("createdAt", 1)
        return [Message.from_doc(d) for d in await cursor.to_list(None)]

    async def message(self, _id: ObjectId) -> Message | None:
        doc = await self._messages.find_one({"_id": _id})
        return Message.from_doc(doc) if doc else None

    async def deal(self, _id: ObjectId, session: AsyncClientSession | None = None) -> Deal | None:
        doc = await self._deals.find_one({"_id": _id}, session=session)
        return Deal.from_doc(doc) if doc else None

    async def deals_by_id(self, ids: list[ObjectId]) -> list[Deal]:
        return [Deal.from_doc(d) for d in await self._deals.find({"_id": {"$in": ids}}).to_list(None)]

    async def events_by_id(self, ids: list[ObjectId]) -> list[TradeEvent]:
        return [TradeEvent.from_doc(d) for d in await self._events.find({"_id": {"$in": ids}}).to_list(None)]

    async def event(self, _id: ObjectId) -> TradeEvent | None:
        doc = await self._events.find_one({"_id": _id})
        return TradeEvent.from_doc(doc) if doc else None

    # --- lists -----------------------------------------------------------------------------------------

    async def inquiry_page(self, query: dict[str, Any], request: PageRequest) -> Page[Inquiry]:
        return await fetch_page(self._inquiries, query, [("createdAt", -1)], request, Inquiry.from_doc)

    async def count_inquiries(self, query: dict[str, Any]) -> int:
        return await self._inquiries.count_documents(query)

    def inquiry_id_batches(self, query: dict[str, Any], size: int) -> AsyncIterator[list[ObjectId]]:
        return id_batches(self._inquiries, query, size)

    async def deal_page(self, query: dict[str, Any], request: PageRequest) -> Page[Deal]:
        return await fetch_page(self._deals, query, [("createdAt", -1)], request, Deal.from_doc)

    async def count_deals(self, query: dict[str, Any]) -> int:
        return await self._deals.count_documents(query)

    async def event_page(self, request: PageRequest) -> Page[TradeEvent]:
        return await fetch_page(self._events, {}, [("startsOn", -1)], request, TradeEvent.from_doc)

    async def count_events(self) -> int:
        return await self._events.count_documents({})

    async def deals_signed_at(self, event_id: ObjectId) -> list[Deal]:
        return [Deal.from_doc(d) for d in await self._deals.find({"mou.eventId": event_id}).to_list(None)]

    # --- writes ----------------------------------------------------------------------------------------

    async def insert_inquiry(self, doc: dict[str, Any], session: AsyncClientSession | None = None) -> ObjectId:
        inserted: ObjectId = (await self._inquiries.insert_one(doc, session=session)).inserted_id
        return inserted

    async def close_inquiry(self, _id: ObjectId, reason: str) -> None:
        """Close an open inquiry; one already closed stays as it is."""
        await self._inquiries.update_one(
            {"_id": _id, "status": InquiryStatus.OPEN.value},
            {"$set": {"status": InquiryStatus.CLOSED.value, "closedReason": reason, "updatedAt": utcnow()},
             "$inc": {"version": 1}},
        )  # fmt: skip

    async def close_expired_inquiries(self, reason: str) -> int:
        result = await self._inquiries.update_many(
            {"status": InquiryStatus.OPEN.value, "expiresAt": {"$lte": utcnow()}},
            {"$set": {"status": InquiryStatus.CLOSED.value, "closedReason": reason, "updatedAt": utcnow()},
             "$inc": {"version": 1}},
        )  # fmt: skip
        return result.modified_count

    async def open_rfq_ids(self) -> list[ObjectId]:
        """The RFQs on the board now (open, unexpired), by the board's index: a few hundred at most."""
        query = {"status": InquiryStatus.OPEN.value, "kind": InquiryKind.OPEN.value, "expiresAt": {"$gt": utcnow()}}
        docs = await self._inquiries.find(query, {"_id": 1}).to_list(None)
        return [d["_id"] for d in docs]

    async def insert_message(self, doc: dict[str, Any], session: AsyncClientSession | None = None) -> ObjectId:
        inserted: ObjectId = (await self._messages.insert_one(doc, session=session)).inserted_id
        return inserted

    async def quotation_of(self, inquiry_id: ObjectId, producer_id: ObjectId) -> Quotation | None:
        doc = await self._quotations.find_one({"inquiryId": inquiry_id, "producerId": producer_id})
        return Quotation.from_doc(doc) if doc else None

    async def add_revision(
        self,
        inquiry_id: ObjectId,
        producer_id: ObjectId,
        buyer_org_id: ObjectId,
        revision: dict[str, Any],
        session: AsyncClientSession | None = None,
    ) -> ObjectId:
        """Push a revision onto the producer's active quotation of this inquiry, creating it if needed."""
        now = utcnow()
        doc = await self._quotations.find_one_and_update(
            {"inquiryId": inquiry_id, "producerId": producer_id, "status": "active"},
            {
                "$push": {"revisions": revision},
                "$set": {"updatedAt": now},
                "$inc": {"version": 1},
                "$setOnInsert": {"buyerOrgId": buyer_org_id, "createdAt": now},
            },
            upsert=True,
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        assert doc is not None
        quotation_id: ObjectId = doc["_id"]
        return quotation_id

    async def set_quotation(
        self,
        quotation: Quotation,
        fields: dict[str, Any],
        *,
        expected_version: int | None = None,
        session: AsyncClientSession | None = None,
    ) -> bool:
        """Change an active quotation (optionally only at this version); False when it was no longer so."""
        query: dict[str, Any] = {"_id": quotation.id, "status": "active"}
        if expected_version is not None:
            query["version"] = expected_version
        result = await self._quotations.update_one(
            query, {"$set": {**fields, "updatedAt": utcnow()}, "$inc": {"version": 1}}, session=session
        )
        return result.modified_count == 1

    async def insert_deal(self, doc: dict[str, Any], session: AsyncClientSession | None = None) -> ObjectId:
        inserted: ObjectId = (await self._deals.insert_one(doc, session=session)).inserted_id
        return inserted

    async def update_deal(
        self,
        deal_id: ObjectId,
        expected_version: int,
        set_fields: dict[str, Any],
        push: dict[str, Any] | None = None,
        session: AsyncClientSession | None = None,
    ) -> Deal:
        """A versioned change of a deal: CONFLICT when anyone moved it since `expected_version`."""
        doc = await versioned_update(
            self._deals, deal_id, expected_version=expected_version, set_fields=set_fields, push=push,
            what="deal", session=session,
        )  # fmt: skip
        return Deal.from_doc(doc)

    async def add_mou(self, deal_id: ObjectId, mou: dict[str, Any], session: AsyncClientSession | None = None) -> bool:
        """Record the MoU of a deal that has none yet; False when it already had one."""
        result = await self._deals.update_one(
            {"_id": deal_id, "mou": {"$exists": False}},
            {"$set": {"mou": mou, "updatedAt": utcnow()}, "$inc": {"version": 1}},
            session=session,
        )
        return result.modified_count == 1

    async def insert_event(self, doc: dict[str, Any]) -> TradeEvent:
        result = await self._events.insert_one(doc)
        return TradeEvent.from_doc({**doc, "_id": result.inserted_id})

    # --- statistics and feeds ------------------------------------------------------------------------------

    async def has_no_inquiries(self) -> bool:
        return await self._inquiries.estimated_document_count() == 0

    async def counts(self) -> dict[str, Any]:
        """What the trade collections hold: the demo seed's summary."""
        states = {state.value: 0 for state in DealState}
        async for row in await self._deals.aggregate([{"$group": {"_id": "$state", "n": {"$sum": 1}}}]):
            states[row["_id"]] = row["n"]
        revisions = await (
            await self._quotations.aggregate([{"$group": {"_id": None, "n": {"$sum": {"$size": "$revisions"}}}}])
        ).to_list(None)
        return {
            "events": await self._events.count_documents({}),
            "inquiries": await self._inquiries.count_documents({}),
            "open_inquiries": await self._inquiries.count_documents(
                {"status": InquiryStatus.OPEN.value, "expiresAt": {"$gt": utcnow()}}
            ),
            "quotations": await self._quotations.count_documents({}),
            "revisions": revisions[0]["n"] if revisions else 0,
            "declined": await self._quotations.count_documents({"status": "declined"}),
            "messages": await self._messages.count_documents({}),
            "deals_by_state": states,
            "mous": await self._deals.count_documents({"mou": {"$exists": True}}),
        }

    async def aggregate_inquiries(self, pipeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return await (await self._inquiries.aggregate(pipeline)).to_list(None)

    async def aggregate_deals(self, pipeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return await (await self._deals.aggregate(pipeline)).to_list(None)

    async def watch_feed(
        self, match: dict[str, Any], *, owner: Hashable, after: str | None, comment: str
    ) -> OpenStream:
        """Changes across the database that pass `match` (which names the collections), from `after` on,
        counted against `owner`'s share of the stream quota."""
        return await open_stream(
            self._db, [{"$match": match}], quota=self.streams, owner=owner, after=after, comment=comment
        )

    async def watch_deal(self, deal_id: ObjectId, *, owner: Hashable, after: str | None, comment: str) -> OpenStream:
        pipeline = [{"$match": {"documentKey._id": deal_id, "operationType": {"$in": ["update", "replace"]}}}]
        return await open_stream(self._deals, pipeline, quota=self.streams, owner=owner, after=after, comment=comment)
