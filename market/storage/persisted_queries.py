"""Automatic persisted queries, shared by every API process: a query's text stored under its SHA-256, so a
client may send the hash alone. Entries not used for PERSISTED_DAYS are dropped by a TTL index."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from market.core.clock import utcnow

PERSISTED_DAYS = 30
# How stale `lastUsedAt` may get before a read refreshes it: most reads then write nothing.
TOUCH_AFTER = timedelta(days=1)


class PersistedQueries:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._collection = db["persisted_queries"]

    async def ensure_indexes(self) -> None:
        await self._collection.create_indexes(
            [IndexModel([("lastUsedAt", ASCENDING)], expireAfterSeconds=PERSISTED_DAYS * 86400, name="unused_ttl")]
        )

    async def get(self, sha256: str) -> str | None:
        doc = await self._collection.find_one({"_id": sha256})
        if doc is None:
            return None
        now = utcnow()
        if doc["lastUsedAt"] < now - TOUCH_AFTER:
            await self._collection.update_one({"_id": sha256}, {"$set": {"lastUsedAt": now}})
        query: str = doc["query"]
        return query

    async def count(self) -> int:
        return await self._collection.estimated_document_count()

    async def put(self, sha256: str, query: str) -> None:
        now = utcnow()
        await self._collection.update_one(
            {"_id": sha256},
            {"$setOnInsert": {"query": query, "createdAt": now}, "$set": {"lastUsedAt": now}},
            upsert=True,
        )
