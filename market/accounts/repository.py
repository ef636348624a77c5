"""Accounts, their API keys, and buyer organisations."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from market.accounts.records import Account, BuyerOrg
from market.core.clock import utcnow

KEY_PREFIX = "ocop_"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class AccountRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.accounts = db["accounts"]
        self.keys = db["api_keys"]

    async def ensure_indexes(self) -> None:
        await self.keys.create_indexes([IndexModel([("hash", ASCENDING)], unique=True, name="hash_unique")])
        await self.accounts.create_indexes(
            [
                IndexModel([("orgId", ASCENDING)], name="org"),
                IndexModel(
                    [("email", ASCENDING)],
                    unique=True,
                    partialFilterExpression={"email": {"$type": "string"}},
                    name="email_unique",
                ),
            ]
        )

    async def insert(self, doc: dict[str, Any]) -> Account:
        doc = {**doc, "createdAt": utcnow()}
        result = await self.accounts.insert_one(doc)
        return Account.from_doc({**doc, "_id": result.inserted_id})

    async def get(self, _id: ObjectId) -> Account | None:
        doc = await self.accounts.find_one({"_id": _id})
        return Account.from_doc(doc) if doc else None

    async def issue_key(self, account_id: ObjectId, name: str) -> str:
        """Returns the key once; only its hash is stored."""
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        await self.keys.insert_one(
            {
                "accountId": account_id,
                "name": name,
                "hash": hash_key(key),
                "hint": key[: len(KEY_PREFIX) + 4],
                "createdAt": utcnow(),
                "revoked": False,
            }
        )
        return key

    async def account_for_key(self, key: str) -> Account | None:
        """One round trip: the key and its account in a single aggregation."""
        rows = await (
            await self.keys.aggregate(
                [
                    {"$match": {"hash": hash_key(key), "revoked": False}},
                    {"$limit": 1},
                    {
                        "$lookup": {
                            "from": "accounts",
                            "localField": "accountId",
                            "foreignField": "_id",
                            "as": "a",
                        }
                    },
                    {"$unwind": "$a"},
                    {"$replaceRoot": {"newRoot": "$a"}},
                ]
            )
        ).to_list(None)
        return Account.from_doc(rows[0]) if rows else None


class BuyerOrgRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._collection = db["buyer_orgs"]

    async def ensure_indexes(self) -> None:
        await self._collection.create_indexes([IndexModel([("name", ASCENDING)], unique=True, name="name_unique")])

    async def insert(self, doc: dict[str, Any]) -> BuyerOrg:
        doc = {**doc, "createdAt": utcnow(), "version": 1}
        result = await self._collection.insert_one(doc)
        return BuyerOrg.from_doc({**doc, "_id": result.inserted_id})

    async def get(self, _id: ObjectId) -> BuyerOrg | None:
        doc = await self._collection.find_one({"_id": _id})
        return BuyerOrg.from_doc(doc) if doc else None

    async def get_many(self, ids: list[ObjectId]) -> list[BuyerOrg]:
        return [BuyerOrg.from_doc(d) for d in await self._collection.find({"_id": {"$in": ids}}).to_list(None)]

    async def find_by_name(self, name: str) -> BuyerOrg | None:
        doc = await self._collection.find_one({"name": name})
        return BuyerOrg.from_doc(doc) if doc else None
