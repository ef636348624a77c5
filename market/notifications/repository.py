"""Every read and write of `notifications` (one per person and event) and `notification_preferences`."""

from __future__ import annotations

import secrets
from collections.abc import Hashable, Sequence
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from market.core.clock import utcnow
from market.core.paging import Page, PageRequest
from market.events.records import Event
from market.notifications.records import Frequency, Notification, Preferences, stored_key
from market.storage.changes import OpenStream, StreamQuota, open_stream
from market.storage.keyset import fetch_page

KEEP_DAYS = 180
_KEY_ID = "unsubscribe"


class NotificationRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]], streams: StreamQuota | None = None) -> None:
        self.notifications = db["notifications"]
        self.preferences = db["notification_preferences"]
        self.keys = db["notification_keys"]
        self.streams = streams or StreamQuota()
        self._signing_key: bytes | None = None

    async def ensure_indexes(self) -> None:
        await self.notifications.create_indexes(
            [
                # One notification per person and event, however often fan-out is retried or redelivered.
                IndexModel([("accountId", ASCENDING), ("eventId", ASCENDING)], unique=True, name="once"),
                IndexModel([("accountId", ASCENDING), ("_id", DESCENDING)], name="inbox"),
                IndexModel([("accountId", ASCENDING), ("unread", ASCENDING), ("_id", DESCENDING)], name="unread"),
                IndexModel([("digestAt", ASCENDING)], sparse=True, name="digest"),
                IndexModel([("createdAt", ASCENDING)], expireAfterSeconds=KEEP_DAYS * 86400, name="expire"),
            ]
        )

    # --- writing, inside the fan-out's transaction -------------------------------------------------------

    async def add(
        self,
        event: Event,
        accounts: Sequence[ObjectId],
        session: AsyncClientSession,
        *,
        digest_at: dict[ObjectId, datetime] | None = None,
    ) -> None:
        """One notification of `event` for each account; `digest_at` marks those a daily digest will mail."""
        if not accounts:
            return
        now = utcnow()
        digest_at = digest_at or {}
        operations = []
        for account_id in accounts:
            doc: dict[str, Any] = {
                "accountId": account_id,
                "eventId": event.id,
                "event": event.name,
                "payload": event.payload,
                "subject": event.subject,
                "occurredAt": event.occurred_at,
                "createdAt": now,
                "unread": True,
            }
            if account_id in digest_at:
                doc["digestAt"] = digest_at[account_id]
            operations.append(
                UpdateOne({"accountId": account_id, "eventId": event.id}, {"$setOnInsert": doc}, upsert=True)
            )
        await self.notifications.bulk_write(operations, ordered=False, session=session)

    # --- a person's inbox -------------------------------------------------------------------------------

    def _inbox(self, account_id: ObjectId, unread_only: bool) -> dict[str, Any]:
        query: dict[str, Any] = {"accountId": account_id}
        if unread_only:
            query["unread"] = True
        return query

    async def page(self, account_id: ObjectId, unread_only: bool, request: PageRequest) -> Page[Notification]:
        return await fetch_page(
            self.notifications,
            self._inbox(account_id, unread_only),
            [("_id", -1)],
            request,
            Notification.from_doc,
        )

    async def count(self, account_id: ObjectId, unread_only: bool) -> int:
        return await self.notifications.count_documents(self._inbox(account_id, unread_only))

    async def mark_read(self, account_id: ObjectId, ids: Sequence[ObjectId] | None) -> int:
        """The account's own notifications only (others' ids change nothing); None: all of them."""
        query: dict[str, Any] = {"accountId": account_id, "unread": True}
        if ids is not None:
            query["_id"] = {"$in": list(ids)}
        result = await self.notifications.update_many(query, {"$set": {"readAt": utcnow()}, "$unset": {"unread": ""}})
        return result.modified_count

    async def of_event(self, event_id: ObjectId) -> list[Notification]:
        docs = await self.notifications.find({"eventId": event_id}).to_list(None)
        return [Notification.from_doc(d) for d in docs]

    async def watch(self, account_id: ObjectId, *, owner: Hashable, after: str | None, comment: str) -> OpenStream:
        """New notifications of one account, as they are written."""
        pipeline = [{"$match": {"operationType": "insert", "fullDocument.accountId": account_id}}]
        return await open_stream(
            self.notifications, pipeline, quota=self.streams, owner=owner, after=after, comment=comment
        )

    # --- daily digests ----------------------------------------------------------------------------------

    async def digest_due(self, now: datetime, *, limit: int = 100) -> list[ObjectId]:
        """Accounts with items for a digest due by `now`."""
        rows = await (
            await self.notifications.aggregate(
                [
                    {"$match": {"digestAt": {"$lte": now}}},
                    {"$group": {"_id": "$accountId"}},
                    {"$limit": limit},
                ]
            )
        ).to_list(None)
        return [row["_id"] for row in rows]

    async def digest_items(self, account_id: ObjectId, now: datetime, *, limit: int = 50) -> list[Notification]:
        cursor = self.notifications.find({"accountId": account_id, "digestAt": {"$lte": now}})
        docs = await cursor.sort("_id", ASCENDING).limit(limit).to_list(None)
        return [Notification.from_doc(d) for d in docs]

    async def digested(self, ids: Sequence[ObjectId], session: AsyncClientSession) -> int:
        """Taken into a digest: only the first transaction to take them succeeds (a count below len(ids) tells
        the caller another worker got there first)."""
        result = await self.notifications.update_many(
            {"_id": {"$in": list(ids)}, "digestAt": {"$exists": True}}, {"$unset": {"digestAt": ""}}, session=session
        )
        return result.modified_count

    # --- preferences ------------------------------------------------------------------------------------

    async def preferences_of(self, account_ids: Sequence[ObjectId]) -> dict[ObjectId, Preferences]:
        docs = await self.preferences.find({"_id": {"$in": list(account_ids)}}).to_list(None)
        found = {d["_id"]: d for d in docs}
        return {a: Preferences.from_doc(a, found.get(a)) for a in account_ids}

    async def save_preferences(
        self, account_id: ObjectId, email: dict[str, Frequency], locale: str | None
    ) -> Preferences:
        fields: dict[str, Any] = {f"email.{stored_key(name)}": value.value for name, value in email.items()}
        if locale is not None:
            fields["locale"] = locale
        fields["updatedAt"] = utcnow()
        await self.preferences.update_one({"_id": account_id}, {"$set": fields}, upsert=True)
        return (await self.preferences_of([account_id]))[account_id]

    async def turn_off(self, account_id: ObjectId, event: str) -> None:
        await self.preferences.update_one(
            {"_id": account_id},
            {"$set": {f"email.{stored_key(event)}": Frequency.OFF.value, "updatedAt": utcnow()}},
            upsert=True,
        )

    # --- a person's data ---------------------------------------------------------------------------------

    async def of_person(self, account_id: ObjectId) -> dict[str, Any]:
        """Everything kept about one person here: their preferences and their notifications."""
        preferences = await self.preferences.find_one({"_id": account_id}) or {}
        docs = await self.notifications.find({"accountId": account_id}).sort("_id", DESCENDING).to_list(None)
        return {"preferences": preferences, "items": docs}

    async def forget(self, account_id: ObjectId, session: AsyncClientSession) -> None:
        await self.notifications.delete_many({"accountId": account_id}, session=session)
        await self.preferences.delete_one({"_id": account_id}, session=session)

    async def signing_key(self) -> bytes:
        """The key unsubscribe links are signed with: made once, shared by every process through MongoDB, and
        kept in memory once read (it never changes)."""
        if self._signing_key is not None:
            return self._signing_key
        doc = await self.keys.find_one_and_update(
            {"_id": _KEY_ID},
            {"$setOnInsert": {"key": secrets.token_bytes(32), "createdAt": utcnow()}},
            upsert=True,
            return_document=True,
        )
        assert doc is not None  # an upsert returning the document after it
        self._signing_key = bytes(doc["key"])
        return self._signing_key


def next_digest(now: datetime) -> datetime:
    """Digests go out once a day at midnight UTC, 07:00 in Vietnam (the start of a working day)."""
    return (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
