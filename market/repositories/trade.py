"""Collections of the trade side and the indexes their lists and statistics need."""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from market.repositories.base import utcnow
from market.trade import Deal, Inquiry, InvitationStatus, Message, Quotation, TradeEvent


class TradeRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.inquiries = db["inquiries"]
        self.quotations = db["quotations"]
        self.messages = db["messages"]
        self.deals = db["deals"]
        self.events = db["trade_events"]

    async def ensure_indexes(self) -> None:
        await self.inquiries.create_indexes(
            [
                IndexModel([("buyerOrgId", ASCENDING), ("createdAt", DESCENDING)], name="buyer_inbox"),
                IndexModel([("producerIds", ASCENDING), ("createdAt", DESCENDING)], name="producer_inbox"),
                IndexModel([("producerProvinceCodes", ASCENDING), ("createdAt", DESCENDING)], name="province"),
                IndexModel([("status", ASCENDING), ("kind", ASCENDING), ("expiresAt", ASCENDING)], name="board"),
            ]
        )
        await self.quotations.create_indexes(
            [IndexModel([("inquiryId", ASCENDING), ("producerId", ASCENDING)], unique=True, name="one_per_producer")]
        )
        await self.messages.create_indexes(
            [IndexModel([("inquiryId", ASCENDING), ("producerId", ASCENDING), ("createdAt", ASCENDING)], name="thread")]
        )
        await self.deals.create_indexes(
            [
                IndexModel([("buyerOrgId", ASCENDING), ("createdAt", DESCENDING)], name="buyer"),
                IndexModel([("producerId", ASCENDING), ("createdAt", DESCENDING)], name="producer"),
                IndexModel([("producerProvinceCode", ASCENDING), ("state", ASCENDING)], name="province_state"),
                IndexModel([("mou.eventId", ASCENDING)], name="mou_event", sparse=True),
                IndexModel([("quotationId", ASCENDING)], unique=True, name="one_deal_per_quotation"),
            ]
        )
        await self.events.create_indexes([IndexModel([("startsOn", DESCENDING)], name="starts")])

    async def inquiry(self, _id: ObjectId, session: AsyncClientSession | None = None) -> Inquiry | None:
        doc = await self.inquiries.find_one({"_id": _id}, session=session)
        return Inquiry.from_doc(doc) if doc else None

    async def inquiries_by_id(self, ids: list[ObjectId]) -> list[Inquiry]:
        return [Inquiry.from_doc(d) for d in await self.inquiries.find({"_id": {"$in": ids}}).to_list(None)]

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
        await self.inquiries.update_one(
            {"_id": inquiry_id, "invitations.producerId": producer_id}, update, session=session
        )

    async def quotation(self, _id: ObjectId, session: AsyncClientSession | None = None) -> Quotation | None:
        doc = await self.quotations.find_one({"_id": _id}, session=session)
        return Quotation.from_doc(doc) if doc else None

    async def quotations_by_id(self, ids: list[ObjectId]) -> list[Quotation]:
        return [Quotation.from_doc(d) for d in await self.quotations.find({"_id": {"$in": ids}}).to_list(None)]

    async def quotations_of(self, inquiry_ids: list[ObjectId]) -> list[Quotation]:
        docs = await self.quotations.find({"inquiryId": {"$in": inquiry_ids}}).sort("createdAt", 1).to_list(None)
        return [Quotation.from_doc(d) for d in docs]

    async def thread(self, inquiry_id: ObjectId, producer_id: ObjectId) -> list[Message]:
        cursor = self.messages.find({"inquiryId": inquiry_id, "producerId": producer_id}).sort("createdAt", 1)
        return [Message.from_doc(d) for d in await cursor.to_list(None)]

    async def message(self, _id: ObjectId) -> Message | None:
        doc = await self.messages.find_one({"_id": _id})
        return Message.from_doc(doc) if doc else None

    async def deal(self, _id: ObjectId) -> Deal | None:
        doc = await self.deals.find_one({"_id": _id})
        return Deal.from_doc(doc) if doc else None

    async def deals_by_id(self, ids: list[ObjectId]) -> list[Deal]:
        return [Deal.from_doc(d) for d in await self.deals.find({"_id": {"$in": ids}}).to_list(None)]

    async def events_by_id(self, ids: list[ObjectId]) -> list[TradeEvent]:
        return [TradeEvent.from_doc(d) for d in await self.events.find({"_id": {"$in": ids}}).to_list(None)]

    async def event(self, _id: ObjectId) -> TradeEvent | None:
        doc = await self.events.find_one({"_id": _id})
        return TradeEvent.from_doc(doc) if doc else None
