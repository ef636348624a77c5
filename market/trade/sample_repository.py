"""The `sample_requests` collection: every read and write of sample requests, their indexes and their feed."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from market.core.clock import utcnow
from market.core.paging import Page, PageRequest
from market.storage.changes import OpenStream, StreamQuota, open_stream
from market.storage.keyset import fetch_page
from market.trade.records import SampleRequest, SampleRequestStatus

COLLECTION = "sample_requests"


class SampleRequestRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]], streams: StreamQuota) -> None:
        self._collection = db[COLLECTION]
        self.streams = streams

    async def ensure_indexes(self) -> None:
        await self._collection.create_indexes(
            [
                IndexModel([("buyerOrgId", ASCENDING), ("createdAt", DESCENDING)], name="buyer"),
                IndexModel([("producerId", ASCENDING), ("createdAt", DESCENDING)], name="producer"),
                IndexModel([("producerProvinceCode", ASCENDING), ("createdAt", DESCENDING)], name="province"),
            ]
        )

    async def get(self, _id: ObjectId, session: AsyncClientSession | None = None) -> SampleRequest | None:
        doc = await self._collection.find_one({"_id": _id}, session=session)
        return SampleRequest.from_doc(doc) if doc else None

    async def get_many(self, ids: list[ObjectId]) -> list[SampleRequest]:
        return [SampleRequest.from_doc(d) for d in await self._collection.find({"_id": {"$in": ids}}).to_list(None)]

    async def insert(self, doc: dict[str, Any], session: AsyncClientSession | None = None) -> ObjectId:
        inserted: ObjectId = (await self._collection.insert_one(doc, session=session)).inserted_id
        return inserted

    async def answer(self, _id: ObjectId, status: SampleRequestStatus, fields: dict[str, Any]) -> SampleRequest | None:
        """Accept or decline a request still waiting for its answer; None when it had one already."""
        doc = await self._collection.find_one_and_update(
            {"_id": _id, "status": SampleRequestStatus.REQUESTED.value},
            {"$set": {**fields, "status": status.value, "updatedAt": utcnow()}, "$inc": {"version": 1}},
            return_document=ReturnDocument.AFTER,
        )
        return SampleRequest.from_doc(doc) if doc else None

    async def link_inquiry(self, _id: ObjectId, inquiry_id: ObjectId, session: AsyncClientSession) -> bool:
        """Record the inquiry an accepted request led to, once; False when it already led to one."""
        result = await self._collection.update_one(
            {"_id": _id, "status": SampleRequestStatus.ACCEPTED.value, "inquiryId": None},
            {"$set": {"inquiryId": inquiry_id, "updatedAt": utcnow()}, "$inc": {"version": 1}},
            session=session,
        )
        return result.modified_count == 1

    async def page(self, query: dict[str, Any], request: PageRequest) -> Page[SampleRequest]:
        return await fetch_page(self._collection, query, [("createdAt", -1)], request, SampleRequest.from_doc)

    async def count(self, query: dict[str, Any]) -> int:
        return await self._collection.count_documents(query)

    async def watch(self, match: dict[str, Any], *, owner: Hashable, after: str | None, comment: str) -> OpenStream:
        """Inserts and updates of sample requests that pass `match`, from `after` on, counted against `owner`'s
        share of the stream quota."""
        pipeline = [{"$match": {"operationType": {"$in": ["insert", "update"]}, **match}}]
        return await open_stream(
            self._collection, pipeline, quota=self.streams, owner=owner, after=after, comment=comment
        )
