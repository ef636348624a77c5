"""Accounts, their API keys, and buyer organisations."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from typing import Any, Literal

from bson import ObjectId
from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.change_stream import AsyncChangeStream
from pymongo.asynchronous.database import AsyncDatabase

from market.accounts.records import Account, ApiKey, BuyerOrg
from market.core.clock import utcnow

KEY_PREFIX = "ocop_"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class AccountRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.accounts = db["accounts"]
        self.keys = db["api_keys"]

    async def ensure_indexes(self) -> None:
        await self.keys.create_indexes(
            [
                IndexModel([("hash", ASCENDING)], unique=True, name="hash_unique"),
                IndexModel([("hint", ASCENDING)], name="hint"),
                IndexModel([("accountId", ASCENDING), ("createdAt", ASCENDING)], name="account_keys"),
            ]
        )
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

    async def account_for_key(self, key: str) -> tuple[ObjectId, Account] | None:
        """The key's id and its account, in one round trip; None for an unknown or revoked key."""
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
                    {"$project": {"a": 1}},
                ]
            )
        ).to_list(None)
        return (rows[0]["_id"], Account.from_doc(rows[0]["a"])) if rows else None

    async def find_keys(
        self, *, key: str | None = None, hint: str | None = None, key_id: ObjectId | None = None
    ) -> list[ApiKey]:
        """Keys by the whole key, by its hint (several may share one) or by id."""
        if key is not None:
            query: dict[str, Any] = {"hash": hash_key(key)}
        elif hint is not None:
            query = {"hint": hint}
        else:
            query = {"_id": key_id}
        return [ApiKey.from_doc(d) for d in await self.keys.find(query).limit(20).to_list(None)]

    async def keys_of(self, account_id: ObjectId) -> list[ApiKey]:
        cursor = self.keys.find({"accountId": account_id}).sort("createdAt", ASCENDING).limit(100)
        return [ApiKey.from_doc(d) for d in await cursor.to_list(None)]

    async def revoke_key(self, key_id: ObjectId) -> ApiKey | None:
        """Mark the key revoked (once: a second revocation keeps the first time)."""
        await self.keys.update_one(
            {"_id": key_id, "revoked": False}, {"$set": {"revoked": True, "revokedAt": utcnow()}}
        )
        doc = await self.keys.find_one({"_id": key_id})
        return ApiKey.from_doc(doc) if doc else None

    async def watch_keys(self) -> AsyncChangeStream[dict[str, Any]]:
        """Changes to keys and accounts, for the API processes' caches of who a key is."""
        pipeline: list[dict[str, Any]] = [
            {"$match": {"ns.coll": {"$in": [self.keys.name, self.accounts.name]}}},
            {"$project": {"ns": 1, "documentKey": 1, "operationType": 1}},
        ]
        return await self.accounts.database.watch(pipeline, max_await_time_ms=500)

    def changed_record(self, change: Mapping[str, Any]) -> tuple[Literal["key", "account"], ObjectId] | None:
        """What a change from `watch_keys` is about: a key or an account, and its id."""
        document_id = (change.get("documentKey") or {}).get("_id")
        collection = (change.get("ns") or {}).get("coll")
        if not isinstance(document_id, ObjectId):
            return None
        return ("key" if collection == self.keys.name else "account"), document_id


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
