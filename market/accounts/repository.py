"""Accounts, their API keys, and buyer organisations."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.change_stream import AsyncChangeStream
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from market.accounts.records import Account, ApiKey, BuyerOrg, MemberRole, OrgStatus, Session
from market.accounts.throttle import WINDOW
from market.accounts.tokens import Purpose, digest
from market.core.clock import utcnow
from market.core.paging import Page, PageRequest
from market.storage.keyset import fetch_page

KEY_PREFIX = "ocop_"


class AccountRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.accounts = db["accounts"]
        self.keys = db["api_keys"]
        self.sessions = db["sessions"]
        self._tokens = db["account_tokens"]
        self._failures = db["sign_in_failures"]
        self._audit = db["audit_log"]

    async def ensure_indexes(self) -> None:
        await self.keys.create_indexes(
            [
                IndexModel([("hash", ASCENDING)], unique=True, name="hash_unique"),
                IndexModel([("hint", ASCENDING)], name="hint"),
                IndexModel([("accountId", ASCENDING), ("createdAt", ASCENDING)], name="account_keys"),
            ]
        )
        await self.sessions.create_indexes(
            [
                IndexModel([("accessHash", ASCENDING)], unique=True, name="access_unique"),
                IndexModel([("refreshHash", ASCENDING)], unique=True, name="refresh_unique"),
                IndexModel([("usedRefreshHashes", ASCENDING)], name="used_refresh"),
                IndexModel([("accountId", ASCENDING)], name="account_sessions"),
                # Ended sessions go a day after their refresh token would have expired.
                IndexModel([("purgeAt", ASCENDING)], expireAfterSeconds=0, name="purge"),
            ]
        )
        await self._tokens.create_indexes(
            [
                IndexModel([("hash", ASCENDING)], unique=True, name="hash_unique"),
                IndexModel([("purgeAt", ASCENDING)], expireAfterSeconds=0, name="purge"),
                IndexModel([("purpose", ASCENDING), ("orgId", ASCENDING), ("email", ASCENDING)], name="open"),
            ]
        )
        await self._failures.create_indexes([IndexModel([("expireAt", ASCENDING)], expireAfterSeconds=0)])
        await self._audit.create_indexes(
            [
                IndexModel([("provinceCode", ASCENDING), ("at", DESCENDING)], name="province_time"),
                IndexModel([("action", ASCENDING), ("at", DESCENDING)], name="action_time"),
                IndexModel([("actor.accountId", ASCENDING)], name="actor"),
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

    async def insert(self, doc: dict[str, Any], session: AsyncClientSession | None = None) -> Account:
        doc = {**doc, "createdAt": utcnow()}
        result = await self.accounts.insert_one(doc, session=session)
        return Account.from_doc({**doc, "_id": result.inserted_id})

    async def get(self, _id: ObjectId, session: AsyncClientSession | None = None) -> Account | None:
        doc = await self.accounts.find_one({"_id": _id}, session=session)
        return Account.from_doc(doc) if doc else None

    async def document(self, _id: ObjectId) -> dict[str, Any] | None:
        """Everything stored about an account but its password hash and the owners' conflict counter (a
        person's copy of their data)."""
        return await self.accounts.find_one({"_id": _id}, {"passwordHash": 0, "ownerChecks": 0})

    async def credentials(self, email: str) -> tuple[Account, str | None] | None:
        """The account with this email and its password hash."""
        doc = await self.accounts.find_one({"email": email, "deleted": {"$ne": True}})
        return (Account.from_doc(doc), doc.get("passwordHash")) if doc else None

    async def password_hash(self, account_id: ObjectId) -> str | None:
        doc = await self.accounts.find_one({"_id": account_id}, {"passwordHash": 1})
        return doc.get("passwordHash") if doc else None

    async def email_taken(self, email: str, session: AsyncClientSession | None = None) -> bool:
        return await self.accounts.count_documents({"email": email}, limit=1, session=session) > 0

    async def update(
        self,
        account_id: ObjectId,
        fields: dict[str, Any],
        session: AsyncClientSession | None = None,
        unset: tuple[str, ...] = (),
    ) -> Account | None:
        change: dict[str, Any] = {"$set": {**fields, "updatedAt": utcnow()}}
        if unset:
            change["$unset"] = dict.fromkeys(unset, "")
        doc = await self.accounts.find_one_and_update(
            {"_id": account_id}, change, session=session, return_document=ReturnDocument.AFTER
        )
        return Account.from_doc(doc) if doc else None

    async def members(self, org_id: ObjectId, session: AsyncClientSession | None = None) -> list[Account]:
        cursor = self.accounts.find({"orgId": org_id, "deleted": {"$ne": True}}, session=session)
        return [Account.from_doc(d) for d in await cursor.sort("createdAt", ASCENDING).limit(1000).to_list(None)]

    async def audience(
        self, org_ids: Sequence[ObjectId], province_codes: Sequence[str], account_ids: Sequence[ObjectId]
    ) -> list[Account]:
        """The people an event's audience names: members of these organisations, the offices (coordinators)
        of these provinces, and these accounts; deleted ones never."""
        branches: list[dict[str, Any]] = []
        if org_ids:
            branches.append({"orgId": {"$in": list(org_ids)}, "role": {"$in": ["producer", "buyer"]}})
        if province_codes:
            branches.append({"role": "coordinator", "provinceCode": {"$in": list(province_codes)}})
        if account_ids:
            branches.append({"_id": {"$in": list(account_ids)}})
        if not branches:
            return []
        cursor = self.accounts.find({"$or": branches, "deleted": {"$ne": True}})
        return [Account.from_doc(d) for d in await cursor.limit(5000).to_list(None)]

    async def member_page(self, org_id: ObjectId, request: PageRequest) -> Page[Account]:
        return await fetch_page(
            self.accounts, {"orgId": org_id, "deleted": {"$ne": True}}, [("createdAt", 1)], request, Account.from_doc
        )

    async def member_count(self, org_id: ObjectId) -> int:
        return await self.accounts.count_documents({"orgId": org_id, "deleted": {"$ne": True}})

    async def owners_left(self, org_id: ObjectId, session: AsyncClientSession) -> int:
        """How many owners the organisation has, read in a transaction that changes who they are. Each owner
        counted is written to (`ownerChecks`): two such transactions at once, each taking away a different owner,
        then write a common document, so MongoDB commits one and has the other start over and count what the
        first left. Counting alone would let each see the other's owner still in place, and both commit."""
        query = {"orgId": org_id, "orgRole": MemberRole.OWNER.value, "deleted": {"$ne": True}}
        result = await self.accounts.update_many(query, {"$inc": {"ownerChecks": 1}}, session=session)
        return result.matched_count

    async def set_org_status(self, org_id: ObjectId, status: OrgStatus, session: AsyncClientSession) -> None:
        """Copy the organisation's status onto its members (authentication reads it there)."""
        await self.accounts.update_many(
            {"orgId": org_id}, {"$set": {"orgStatus": status.value, "updatedAt": utcnow()}}, session=session
        )

    async def issue_key(
        self,
        account_id: ObjectId,
        name: str,
        *,
        scope: MemberRole | None = None,
        expires_at: datetime | None = None,
        session: AsyncClientSession | None = None,
    ) -> str:
        """Returns the key once; only its hash is stored."""
        key, _ = await self.issue_key_record(account_id, name, scope=scope, expires_at=expires_at, session=session)
        return key

    async def issue_key_record(
        self,
        account_id: ObjectId,
        name: str,
        *,
        scope: MemberRole | None = None,
        expires_at: datetime | None = None,
        session: AsyncClientSession | None = None,
    ) -> tuple[str, ApiKey]:
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        doc: dict[str, Any] = {
            "accountId": account_id,
            "name": name,
            "hash": digest(key),
            "hint": key[: len(KEY_PREFIX) + 4],
            "createdAt": utcnow(),
            "revoked": False,
        }
        if scope is not None:
            doc["scope"] = scope.value
        if expires_at is not None:
            doc["expiresAt"] = expires_at
        result = await self.keys.insert_one(doc, session=session)
        return key, ApiKey.from_doc({**doc, "_id": result.inserted_id})

    async def touch_key(self, key_id: ObjectId) -> None:
        """Record that the key was used, at most once a minute (a write per request would cost too much)."""
        now = utcnow()
        await self.keys.update_one(
            {"_id": key_id, "$or": [{"lastUsedAt": None}, {"lastUsedAt": {"$lt": now - timedelta(minutes=1)}}]},
            {"$set": {"lastUsedAt": now}},
        )

    async def account_for_key(self, key: str) -> tuple[ApiKey, Account] | None:
        """The key (its id, scope and expiry) and its account, in one round trip; None for an unknown, revoked
        or expired key."""
        rows = await (
            await self.keys.aggregate(
                [
                    {
                        "$match": {
                            "hash": digest(key),
                            "revoked": False,
                            "$or": [{"expiresAt": None}, {"expiresAt": {"$gt": utcnow()}}],
                        }
                    },
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
                    {"$match": {"a.deleted": {"$ne": True}}},
                    {"$project": {"a": 1, "scope": 1, "expiresAt": 1}},
                ]
            )
        ).to_list(None)
        if not rows:
            return None
        row = rows[0]
        return ApiKey.from_doc({**row, "accountId": row["a"]["_id"], "name": "", "createdAt": utcnow()}), (
            Account.from_doc(row["a"])
        )

    async def find_keys(
        self, *, key: str | None = None, hint: str | None = None, key_id: ObjectId | None = None
    ) -> list[ApiKey]:
        """Keys by the whole key, by its hint (several may share one) or by id."""
        if key is not None:
            query: dict[str, Any] = {"hash": digest(key)}
        elif hint is not None:
            query = {"hint": hint}
        else:
            query = {"_id": key_id}
        return [ApiKey.from_doc(d) for d in await self.keys.find(query).limit(20).to_list(None)]

    async def keys_of(self, account_id: ObjectId) -> list[ApiKey]:
        cursor = self.keys.find({"accountId": account_id}).sort("createdAt", ASCENDING).limit(100)
        return [ApiKey.from_doc(d) for d in await cursor.to_list(None)]

    async def key_page(self, account_ids: list[ObjectId], request: PageRequest) -> Page[ApiKey]:
        query = {"accountId": {"$in": account_ids}}
        return await fetch_page(self.keys, query, [("createdAt", 1)], request, ApiKey.from_doc)

    async def key_count(self, account_ids: list[ObjectId]) -> int:
        return await self.keys.count_documents({"accountId": {"$in": account_ids}})

    async def revoke_all(self, account_id: ObjectId, session: AsyncClientSession | None = None) -> None:
        """Every key and session of an account, at once (removed from its organisation, or deleted)."""
        now = utcnow()
        await self.keys.update_many(
            {"accountId": account_id, "revoked": False}, {"$set": {"revoked": True, "revokedAt": now}}, session=session
        )
        await self.end_sessions_of(account_id, session=session)

    # --- sessions ------------------------------------------------------------------------------------------

    async def open_session(
        self, account_id: ObjectId, access: str, refresh: str, access_until: datetime, refresh_until: datetime
    ) -> Session:
        doc = {
            "accountId": account_id,
            "accessHash": digest(access),
            "refreshHash": digest(refresh),
            "usedRefreshHashes": [],
            "accessExpiresAt": access_until,
            "refreshExpiresAt": refresh_until,
            "purgeAt": refresh_until + timedelta(days=1),
            "createdAt": utcnow(),
            "revoked": False,
        }
        result = await self.sessions.insert_one(doc)
        return Session.from_doc({**doc, "_id": result.inserted_id})

    async def account_for_session(self, access: str) -> tuple[Session, Account] | None:
        """The live session of an access token, and its account, in one round trip."""
        rows = await (
            await self.sessions.aggregate(
                [
                    {"$match": {"accessHash": digest(access), "revoked": False, "accessExpiresAt": {"$gt": utcnow()}}},
                    {"$limit": 1},
                    {"$lookup": {"from": "accounts", "localField": "accountId", "foreignField": "_id", "as": "a"}},
                    {"$unwind": "$a"},
                    {"$match": {"a.deleted": {"$ne": True}}},
                    {"$project": {"usedRefreshHashes": 0, "a.passwordHash": 0}},
                ]
            )
        ).to_list(None)
        return (Session.from_doc(rows[0]), Account.from_doc(rows[0]["a"])) if rows else None

    async def rotate_session(
        self, refresh: str, access: str, new_refresh: str, access_until: datetime
    ) -> Session | None:
        """Swap a session's tokens for new ones; None if `refresh` is not its current refresh token. A refresh
        token presented a second time means it was copied: the whole session ends."""
        old = digest(refresh)
        now = utcnow()
        doc = await self.sessions.find_one_and_update(
            {"refreshHash": old, "revoked": False, "refreshExpiresAt": {"$gt": now}},
            {
                "$set": {
                    "accessHash": digest(access),
                    "refreshHash": digest(new_refresh),
                    "accessExpiresAt": access_until,
                },
                "$push": {"usedRefreshHashes": {"$each": [old], "$slice": -50}},
            },
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:
            await self.sessions.update_many(
                {"usedRefreshHashes": old, "revoked": False}, {"$set": {"revoked": True, "revokedAt": now}}
            )
            return None
        return Session.from_doc(doc)

    async def end_session(self, session_id: ObjectId) -> None:
        await self.sessions.update_one({"_id": session_id}, {"$set": {"revoked": True, "revokedAt": utcnow()}})

    async def end_sessions_of(self, account_id: ObjectId, session: AsyncClientSession | None = None) -> None:
        await self.sessions.update_many(
            {"accountId": account_id, "revoked": False},
            {"$set": {"revoked": True, "revokedAt": utcnow()}},
            session=session,
        )

    async def session_ended(self, session_id: ObjectId) -> bool:
        doc = await self.sessions.find_one({"_id": session_id}, {"revoked": 1})
        return doc is None or bool(doc.get("revoked"))

    async def sessions_of(self, account_id: ObjectId) -> list[Session]:
        cursor = self.sessions.find({"accountId": account_id}, {"usedRefreshHashes": 0}).limit(200)
        return [Session.from_doc(d) for d in await cursor.to_list(None)]

    # --- single-use tokens ----------------------------------------------------------------------------------

    async def issue_token(
        self,
        purpose: Purpose,
        secret: str,
        expires_at: datetime,
        data: dict[str, Any],
        session: AsyncClientSession | None = None,
    ) -> ObjectId:
        doc = {
            **data,
            "purpose": purpose.value,
            "hash": digest(secret),
            "expiresAt": expires_at,
            "purgeAt": expires_at + timedelta(days=7),
            "createdAt": utcnow(),
            "usedAt": None,
        }
        return (await self._tokens.insert_one(doc, session=session)).inserted_id

    async def open_invitation(
        self, org_id: ObjectId, email: str, session: AsyncClientSession | None = None
    ) -> dict[str, Any] | None:
        return await self._tokens.find_one(
            {
                "purpose": Purpose.INVITATION.value,
                "orgId": org_id,
                "email": email,
                "usedAt": None,
                "expiresAt": {"$gt": utcnow()},
            },
            session=session,
        )

    async def consume_token(
        self, purpose: Purpose, secret: str, session: AsyncClientSession | None = None
    ) -> dict[str, Any] | None:
        """Use a token once: the stored data, or None if it is unknown, expired or already used."""
        now = utcnow()
        return await self._tokens.find_one_and_update(
            {"purpose": purpose.value, "hash": digest(secret), "usedAt": None, "expiresAt": {"$gt": now}},
            {"$set": {"usedAt": now}},
            session=session,
        )

    async def retire_token(self, token_id: ObjectId, session: AsyncClientSession | None = None) -> None:
        """A token superseded by a newer one: it can no longer be used."""
        await self._tokens.update_one({"_id": token_id}, {"$set": {"usedAt": utcnow()}}, session=session)

    async def peek_token(self, purpose: Purpose, secret: str) -> dict[str, Any] | None:
        query = {"purpose": purpose.value, "hash": digest(secret), "usedAt": None, "expiresAt": {"$gt": utcnow()}}
        return await self._tokens.find_one(query)

    async def drop_tokens(self, account_id: ObjectId, session: AsyncClientSession | None = None) -> None:
        await self._tokens.delete_many({"accountId": account_id}, session=session)

    # --- failed sign-ins --------------------------------------------------------------------------------------

    async def count_attempt(self, *keys: str) -> list[int]:
        """One more attempt under each key (`email:…`, `addr:…`), counted before the password is checked, and
        the count under each, this attempt included. Counting first and atomically is what bounds a burst of
        concurrent guesses: reading the count and recording a failure after the check would let every guess
        of the burst read the same low count. A key's window starts at its first attempt."""
        expire = utcnow() + WINDOW
        counts = []
        for key in keys:
            doc = await self._failures.find_one_and_update(
                {"_id": key},
                {"$inc": {"count": 1}, "$setOnInsert": {"expireAt": expire}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
            counts.append(int(doc["count"]) if doc else 1)
        return counts

    async def forgive_attempt(self, key: str) -> None:
        """An attempt that succeeded does not count against its key."""
        await self._failures.update_one({"_id": key, "count": {"$gt": 0}}, {"$inc": {"count": -1}})

    async def clear_failures(self, key: str) -> None:
        await self._failures.delete_one({"_id": key})

    # --- the audit log ---------------------------------------------------------------------------------------

    async def record_audit(self, entry: dict[str, Any], session: AsyncClientSession | None = None) -> None:
        await self._audit.insert_one({**entry, "at": utcnow()}, session=session)

    async def audit_page(self, query: dict[str, Any], request: PageRequest) -> Page[dict[str, Any]]:
        return await fetch_page(self._audit, query, [("at", -1)], request, lambda d: d)

    async def audit_count(self, query: dict[str, Any]) -> int:
        return await self._audit.count_documents(query)

    async def audit_of_actor(self, account_id: ObjectId) -> list[dict[str, Any]]:
        return await self._audit.find({"actor.accountId": account_id}).limit(1000).to_list(None)

    async def anonymise_audit_actor(
        self, account_id: ObjectId, name: str, email: str | None, session: AsyncClientSession
    ) -> None:
        """The person's name where they acted, their email where they were invited, and their name where they
        were the target (a removal keeps the removed person's name)."""
        await self._audit.update_many({"actor.accountId": account_id}, {"$set": {"actor.name": name}}, session=session)
        if email:
            await self._audit.update_many({"after.email": email}, {"$set": {"after.email": None}}, session=session)
        await self._audit.update_many(
            {"target.id": account_id, "before.name": {"$exists": True}},
            {"$set": {"before.name": name}},
            session=session,
        )

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
            {"$match": {"ns.coll": {"$in": [self.keys.name, self.accounts.name, self.sessions.name]}}},
            {"$project": {"ns": 1, "documentKey": 1, "operationType": 1}},
        ]
        return await self.accounts.database.watch(pipeline, max_await_time_ms=500)

    def changed_record(self, change: Mapping[str, Any]) -> tuple[Literal["key", "account", "session"], ObjectId] | None:
        """What a change from `watch_keys` is about: a key, an account or a session, and its id."""
        document_id = (change.get("documentKey") or {}).get("_id")
        collection = (change.get("ns") or {}).get("coll")
        if not isinstance(document_id, ObjectId):
            return None
        if collection == self.sessions.name:
            return "session", document_id
        return ("key" if collection == self.keys.name else "account"), document_id


class BuyerOrgRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._collection = db["buyer_orgs"]

    async def ensure_indexes(self) -> None:
        await self._collection.create_indexes(
            [
                IndexModel([("name", ASCENDING)], unique=True, name="name_unique"),
            ]
        )

    async def insert(self, doc: dict[str, Any], session: AsyncClientSession | None = None) -> BuyerOrg:
        doc = {**doc, "createdAt": utcnow(), "version": 1}
        result = await self._collection.insert_one(doc, session=session)
        return BuyerOrg.from_doc({**doc, "_id": result.inserted_id})

    async def get(self, _id: ObjectId, session: AsyncClientSession | None = None) -> BuyerOrg | None:
        doc = await self._collection.find_one({"_id": _id}, session=session)
        return BuyerOrg.from_doc(doc) if doc else None

    async def set_status(
        self, org_id: ObjectId, status: OrgStatus, review: dict[str, Any], session: AsyncClientSession
    ) -> BuyerOrg | None:
        """Move a pending organisation to `status`; None if it was not pending any more."""
        doc = await self._collection.find_one_and_update(
            {"_id": org_id, "status": OrgStatus.PENDING.value},
            {"$set": {"status": status.value, "review": review}, "$inc": {"version": 1}},
            session=session,
            return_document=ReturnDocument.AFTER,
        )
        return BuyerOrg.from_doc(doc) if doc else None

    async def get_many(self, ids: list[ObjectId]) -> list[BuyerOrg]:
        return [BuyerOrg.from_doc(d) for d in await self._collection.find({"_id": {"$in": ids}}).to_list(None)]

    async def find_by_name(self, name: str) -> BuyerOrg | None:
        doc = await self._collection.find_one({"name": name})
        return BuyerOrg.from_doc(doc) if doc else None
