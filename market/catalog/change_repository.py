"""The product change log, `productChanges`, and the commit counter it is numbered by (see
market.catalog.changes for why it is built this way)."""

from __future__ import annotations

import asyncio
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.read_concern import ReadConcern

from market.catalog.changes import ProductChange
from market.core.clock import utcnow
from market.core.paging import Page, PageRequest
from market.storage.keyset import fetch_page

COUNTER = "productChanges"
ORDER = [("seq", ASCENDING), ("i", ASCENDING)]


class ProductChangeLog:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._rows = db["productChanges"]
        self._counters = db["sequences"]
        # Only what a majority holds: a row a failover could still take back must not move a reader past it.
        self._reader = db.get_collection("productChanges", read_concern=ReadConcern("majority"))
        self.turn = asyncio.Lock()

    async def ensure_indexes(self) -> None:
        await self._rows.create_indexes([IndexModel([*ORDER, ("_id", ASCENDING)], name="commit_order", unique=True)])
        # Created here rather than on the first write, where two first writers would both try to insert it.
        await self._counters.update_one({"_id": COUNTER}, {"$setOnInsert": {"seq": 0}}, upsert=True)

    async def record(self, rows: list[dict[str, Any]], session: AsyncClientSession) -> None:
        """Log the rows of one commit. `session` must be in the transaction that makes the product writes."""
        if not rows:
            return
        assert session.in_transaction, "product changes are logged in the transaction of the write"
        head = await self._counters.find_one_and_update(
            {"_id": COUNTER}, {"$inc": {"seq": 1}}, upsert=True, return_document=ReturnDocument.AFTER, session=session
        )
        assert head is not None  # an upsert returning the document after it always has one
        at = utcnow()
        docs = [{**row, "_id": ObjectId(), "seq": head["seq"], "i": i, "at": at} for i, row in enumerate(rows)]
        await self._rows.insert_many(docs, session=session)

    async def rows_after(self, seq: int, i: int, limit: int) -> list[dict[str, Any]]:
        """Raw rows in commit order from just after (seq, i): for readers inside the marketplace that keep
        their own position (the saved-search matcher), not for the public feed."""
        query = {"$or": [{"seq": {"$gt": seq}}, {"seq": seq, "i": {"$gt": i}}]}
        return await self._reader.find(query).sort(ORDER).limit(limit).to_list(None)

    async def head(self) -> tuple[int, int]:
        """The position of the last row written, (0, -1) before the first."""
        last = await self._reader.find_one({}, sort=[("seq", -1), ("i", -1)])
        return (last["seq"], last["i"]) if last else (0, -1)

    async def page(self, visibility: dict[str, Any], request: PageRequest) -> Page[ProductChange]:
        return await fetch_page(self._reader, visibility, ORDER, request, ProductChange.from_doc)

    async def count(self, visibility: dict[str, Any]) -> int:
        return await self._reader.count_documents(visibility)
