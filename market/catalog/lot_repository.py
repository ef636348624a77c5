"""The `lots` collection: every read and write of production lots, and their indexes."""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from market.catalog.lots import Lot
from market.core.errors import DomainError
from market.core.paging import Page, PageRequest
from market.storage.keyset import fetch_page


class LotRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._collection = db["lots"]

    async def ensure_indexes(self) -> None:
        await self._collection.create_indexes(
            [
                IndexModel([("code", ASCENDING)], unique=True, name="code_unique"),
                IndexModel([("productId", ASCENDING), ("lotNumber", ASCENDING)], unique=True, name="lot_number"),
                IndexModel(
                    [("productId", ASCENDING), ("producedOn", DESCENDING), ("_id", DESCENDING)], name="product_lots"
                ),
            ]
        )

    async def insert(self, doc: dict[str, Any]) -> Lot:
        try:
            result = await self._collection.insert_one(doc)
        except DuplicateKeyError as exc:
            # A code collision (96 random bits) is not worth a retry loop; a repeated lot number is the case.
            raise DomainError.of("duplicate_lot", "lotNumber", lotNumber=doc["lotNumber"]) from exc
        return Lot.from_doc({**doc, "_id": result.inserted_id})

    async def get_many(self, ids: list[ObjectId]) -> list[Lot]:
        return [Lot.from_doc(d) for d in await self._collection.find({"_id": {"$in": ids}}).to_list(None)]

    async def by_code(self, code: str) -> Lot | None:
        doc = await self._collection.find_one({"code": code})
        return Lot.from_doc(doc) if doc else None

    async def page(self, product_id: ObjectId, request: PageRequest) -> Page[Lot]:
        return await fetch_page(
            self._collection, {"productId": product_id}, [("producedOn", -1)], request, Lot.from_doc
        )

    async def count(self, product_id: ObjectId) -> int:
        return await self._collection.count_documents({"productId": product_id})
