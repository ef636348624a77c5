"""Every read and write of saved searches, RFQ board follows, what each has already alerted of, the matchers'
cursors, and the certificate expiry alerts fired.

"Already alerted" is a row per (saved search, product) and per (follow, RFQ) under a unique index, written in
the transaction that records the alert's event: a matcher that runs twice, or two workers at once, alert once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, IndexModel, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from market.core.clock import utcnow
from market.notifications.alert_records import AlertFrequency, RfqFollow, SavedSearch

# An RFQ is looked at once; the mark only has to outlive the RFQ's time on the board.
CHECK_KEEP_DAYS = 120


class AlertRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.searches = db["saved_searches"]
        self.search_hits = db["saved_search_hits"]
        self.follows = db["rfq_follows"]
        self.follow_hits = db["rfq_follow_hits"]
        self.rfq_checks = db["rfq_alert_checks"]
        self.cursors = db["alert_cursors"]
        self.certificates = db["certificate_alerts"]

    async def ensure_indexes(self) -> None:
        await self.searches.create_indexes(
            [
                IndexModel([("accountId", ASCENDING), ("_id", ASCENDING)], name="owner"),
                IndexModel(
                    [("filter.min_stars", ASCENDING), ("_id", ASCENDING)],
                    partialFilterExpression={"alerting": True},
                    name="alerting",
                ),
            ]
        )
        await self.search_hits.create_indexes(
            [IndexModel([("searchId", ASCENDING), ("productId", ASCENDING)], unique=True, name="once")]
        )
        await self.follows.create_indexes([IndexModel([("accountId", ASCENDING), ("_id", ASCENDING)], name="owner")])
        await self.follow_hits.create_indexes(
            [IndexModel([("followId", ASCENDING), ("inquiryId", ASCENDING)], unique=True, name="once")]
        )
        await self.rfq_checks.create_indexes(
            [IndexModel([("at", ASCENDING)], expireAfterSeconds=CHECK_KEEP_DAYS * 86400, name="expire")]
        )

    # --- saved searches ---------------------------------------------------------------------------------

    async def insert_search(self, doc: dict[str, Any]) -> SavedSearch:
        doc = {**doc, "alerting": doc["alert"] != AlertFrequency.NONE.value, "createdAt": utcnow(), "alerted": 0}
        result = await self.searches.insert_one(doc)
        return SavedSearch.from_doc({**doc, "_id": result.inserted_id})

    async def searches_of(self, account_id: ObjectId) -> list[SavedSearch]:
        docs = await self.searches.find({"accountId": account_id}).sort("_id", ASCENDING).to_list(None)
        return [SavedSearch.from_doc(d) for d in docs]

    async def count_searches(self, account_id: ObjectId) -> int:
        return await self.searches.count_documents({"accountId": account_id})

    async def searches_by_id(self, ids: Sequence[ObjectId]) -> list[SavedSearch]:
        docs = await self.searches.find({"_id": {"$in": list(ids)}}).to_list(None)
        return [SavedSearch.from_doc(d) for d in docs]

    async def delete_search(self, search_id: ObjectId, account_id: ObjectId) -> bool:
        """Only the owner's own; what it alerted of goes with it."""
        result = await self.searches.delete_one({"_id": search_id, "accountId": account_id})
        if result.deleted_count:
            await self.search_hits.delete_many({"searchId": search_id})
        return result.deleted_count == 1

    async def seed_hits(self, search_id: ObjectId, product_ids: Iterable[ObjectId]) -> None:
        """Products that already match when the search is saved: the owner has seen them in the results, so
        they are not news."""
        now = utcnow()
        operations = [
            UpdateOne(
                {"searchId": search_id, "productId": p}, {"$setOnInsert": {"at": now, "seeded": True}}, upsert=True
            )
            for p in product_ids
        ]
        if operations:
            await self.search_hits.bulk_write(operations, ordered=False)

    async def alerting_searches(
        self, *, max_stars: int, groups: Sequence[str], after: ObjectId | None, limit: int
    ) -> list[SavedSearch]:
        """Saved searches that alert and whose stars and groups let at least one of the products changed pass
        (a cheap first cut in MongoDB; the search index decides), in id order from just after `after`."""
        query: dict[str, Any] = {
            "alerting": True,
            "$and": [
                {"$or": [{"filter.min_stars": None}, {"filter.min_stars": {"$lte": max_stars}}]},
                {"$or": [{"filter.groups": {"$in": [None, []]}}, {"filter.groups": {"$in": list(groups)}}]},
            ],
        }
        if after is not None:
            query["_id"] = {"$gt": after}
        docs = await self.searches.find(query).sort("_id", ASCENDING).limit(limit).to_list(None)
        return [SavedSearch.from_doc(d) for d in docs]

    async def claim_search_hit(self, search_id: ObjectId, product_id: ObjectId, session: AsyncClientSession) -> bool:
        """Inside the alert's transaction: True the first time this product matches this search."""
        result = await self.search_hits.update_one(
            {"searchId": search_id, "productId": product_id},
            {"$setOnInsert": {"at": utcnow()}},
            upsert=True,
            session=session,
        )
        if result.upserted_id is None:
            return False
        await self.searches.update_one({"_id": search_id}, {"$inc": {"alerted": 1}}, session=session)
        return True

    async def search_hit_products(self, search_id: ObjectId) -> set[ObjectId]:
        docs = await self.search_hits.find({"searchId": search_id}, {"productId": 1}).to_list(None)
        return {d["productId"] for d in docs}

    # --- RFQ board follows ------------------------------------------------------------------------------

    async def insert_follow(self, doc: dict[str, Any]) -> RfqFollow:
        doc = {**doc, "createdAt": utcnow()}
        result = await self.follows.insert_one(doc)
        return RfqFollow.from_doc({**doc, "_id": result.inserted_id})

    async def follows_of(self, account_id: ObjectId) -> list[RfqFollow]:
        docs = await self.follows.find({"accountId": account_id}).sort("_id", ASCENDING).to_list(None)
        return [RfqFollow.from_doc(d) for d in docs]

    async def count_follows(self, account_id: ObjectId) -> int:
        return await self.follows.count_documents({"accountId": account_id})

    async def follows_by_id(self, ids: Sequence[ObjectId]) -> list[RfqFollow]:
        docs = await self.follows.find({"_id": {"$in": list(ids)}}).to_list(None)
        return [RfqFollow.from_doc(d) for d in docs]

    async def delete_follow(self, follow_id: ObjectId, account_id: ObjectId) -> bool:
        result = await self.follows.delete_one({"_id": follow_id, "accountId": account_id})
        if result.deleted_count:
            await self.follow_hits.delete_many({"followId": follow_id})
        return result.deleted_count == 1

    async def candidate_follows(
        self,
        groups: Sequence[str],
        provinces: Sequence[str],
        buyer_kinds: Sequence[str],
        *,
        after: ObjectId | None,
        limit: int,
    ) -> list[RfqFollow]:
        """Follows whose conditions an RFQ with these groups, provinces and buyer kind could meet."""
        query: dict[str, Any] = {
            "$and": [
                {"$or": [{"groups": {"$size": 0}}, {"groups": {"$in": list(groups)}}]},
                {"$or": [{"provinces": {"$size": 0}}, {"provinces": {"$in": list(provinces)}}]},
                {"$or": [{"buyerKinds": {"$size": 0}}, {"buyerKinds": {"$in": list(buyer_kinds)}}]},
            ]
        }
        if after is not None:
            query["_id"] = {"$gt": after}
        docs = await self.follows.find(query).sort("_id", ASCENDING).limit(limit).to_list(None)
        return [RfqFollow.from_doc(d) for d in docs]

    async def claim_follow_hit(self, follow_id: ObjectId, inquiry_id: ObjectId, session: AsyncClientSession) -> bool:
        result = await self.follow_hits.update_one(
            {"followId": follow_id, "inquiryId": inquiry_id},
            {"$setOnInsert": {"at": utcnow()}},
            upsert=True,
            session=session,
        )
        return result.upserted_id is not None

    async def checked_rfqs(self, inquiry_ids: Sequence[ObjectId]) -> set[ObjectId]:
        docs = await self.rfq_checks.find({"_id": {"$in": list(inquiry_ids)}}, {"_id": 1}).to_list(None)
        return {d["_id"] for d in docs}

    async def mark_rfqs_checked(self, inquiry_ids: Sequence[ObjectId]) -> None:
        now = utcnow()
        operations = [UpdateOne({"_id": i}, {"$setOnInsert": {"at": now}}, upsert=True) for i in inquiry_ids]
        if operations:
            await self.rfq_checks.bulk_write(operations, ordered=False)

    # --- where each matcher stands ----------------------------------------------------------------------

    async def cursor(self, name: str) -> dict[str, Any] | None:
        return await self.cursors.find_one({"_id": name})

    async def start_cursor(self, name: str, fields: dict[str, Any]) -> None:
        """Set only if there is none yet: a matcher already under way keeps its place."""
        await self.cursors.update_one({"_id": name}, {"$setOnInsert": {**fields, "updatedAt": utcnow()}}, upsert=True)

    async def set_cursor(self, name: str, fields: dict[str, Any]) -> None:
        await self.cursors.update_one({"_id": name}, {"$set": {**fields, "updatedAt": utcnow()}}, upsert=True)

    # --- certificate expiry -----------------------------------------------------------------------------

    async def claim_certificate_alert(
        self, key: str, product_id: ObjectId, threshold: int, session: AsyncClientSession
    ) -> bool:
        """Inside the alert's transaction: True the first time this threshold fires for this certificate."""
        result = await self.certificates.update_one(
            {"_id": key},
            {"$setOnInsert": {"productId": product_id, "threshold": threshold, "at": utcnow()}},
            upsert=True,
            session=session,
        )
        return result.upserted_id is not None

    async def fired_certificate_alerts(self, keys: Sequence[str]) -> set[str]:
        docs = await self.certificates.find({"_id": {"$in": list(keys)}}, {"_id": 1}).to_list(None)
        return {d["_id"] for d in docs}

    async def certificate_alerts_of(self, product_id: ObjectId) -> list[dict[str, Any]]:
        return await self.certificates.find({"productId": product_id}).sort("at", ASCENDING).to_list(None)

    # --- a person's data ---------------------------------------------------------------------------------

    async def of_person(self, account_id: ObjectId) -> dict[str, Any]:
        searches = await self.searches.find({"accountId": account_id}).to_list(None)
        follows = await self.follows.find({"accountId": account_id}).to_list(None)
        return {"savedSearches": searches, "rfqFollows": follows}

    async def forget(self, account_id: ObjectId, session: AsyncClientSession) -> None:
        searches = await self.searches.distinct("_id", {"accountId": account_id}, session=session)
        follows = await self.follows.distinct("_id", {"accountId": account_id}, session=session)
        await self.search_hits.delete_many({"searchId": {"$in": searches}}, session=session)
        await self.follow_hits.delete_many({"followId": {"$in": follows}}, session=session)
        await self.searches.delete_many({"accountId": account_id}, session=session)
        await self.follows.delete_many({"accountId": account_id}, session=session)
