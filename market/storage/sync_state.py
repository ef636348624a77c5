"""The search sync worker's durable state, in the `sync_state` collection: one document per synced index,
holding the lease, the resume token and the health figures.

The lease and the token live in the same document on purpose: the token is only written with a filter on
the lease owner, so a worker that lost its lease (paused, partitioned) can never move the token.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import Timestamp
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

LEASE_SECONDS = 15.0


class LeaseLost(Exception):
    """Another worker holds the lease now; stop writing."""


@dataclass(slots=True)
class SyncStatus:
    owner: str | None
    lease_expires_at: datetime | None
    resume_token: dict[str, Any] | None
    rewind_to: Timestamp | None
    heartbeat_at: datetime | None
    # The last commit of a batch or of an idle beat; unlike heartbeat_at, a failure does not move it.
    last_success_at: datetime | None
    lag_seconds: float | None
    applied_events: int
    last_error: str | None
    index_uid: str | None
    fingerprint: str | None

    def heartbeat_age(self, now: datetime) -> float | None:
        """Seconds since the worker last reported; None when it never did."""
        return (now - self.heartbeat_at).total_seconds() if self.heartbeat_at else None

    def worker_alive(self, now: datetime, stale_after: float) -> bool:
        """A worker holds the lease and reported within `stale_after` seconds."""
        age = self.heartbeat_age(now)
        return self.owner is not None and age is not None and age <= stale_after


class SyncStateStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]], name: str) -> None:
        self._collection = db["sync_state"]
        self.name = name

    async def read(self) -> SyncStatus:
        doc = await self._collection.find_one({"_id": self.name}) or {}
        return SyncStatus(
            owner=doc.get("owner"),
            lease_expires_at=doc.get("leaseExpiresAt"),
            resume_token=doc.get("resumeToken"),
            rewind_to=doc.get("rewindTo"),
            heartbeat_at=doc.get("heartbeatAt"),
            last_success_at=doc.get("lastSuccessAt"),
            lag_seconds=doc.get("lagSeconds"),
            applied_events=doc.get("appliedEvents", 0),
            last_error=doc.get("lastError"),
            index_uid=doc.get("indexUid"),
            fingerprint=doc.get("fingerprint"),
        )

    async def try_acquire(self, owner: str) -> bool:
        now = datetime.now(UTC)
        try:
            result = await self._collection.update_one(
                {
                    "_id": self.name,
                    "$or": [{"owner": owner}, {"owner": None}, {"leaseExpiresAt": {"$lt": now}}],
                },
                {"$set": {"owner": owner, "leaseExpiresAt": now + timedelta(seconds=LEASE_SECONDS)}},
                upsert=True,
            )
        except DuplicateKeyError:
            return False  # the document exists and someone else holds a live lease
        return result.matched_count == 1 or result.upserted_id is not None

    async def _owned_update(self, owner: str, update: dict[str, Any]) -> None:
        now = datetime.now(UTC)
        update.setdefault("$set", {})["leaseExpiresAt"] = now + timedelta(seconds=LEASE_SECONDS)
        result = await self._collection.update_one({"_id": self.name, "owner": owner}, update)
        if result.matched_count != 1:
            raise LeaseLost(f"{owner} no longer holds the {self.name} sync lease")

    async def renew(self, owner: str) -> None:
        await self._owned_update(owner, {"$set": {}})

    async def commit(
        self, owner: str, token: dict[str, Any] | None, *, applied: int, lag_seconds: float, index_uid: str
    ) -> None:
        """Advance the resume token; called only after Meilisearch reported the writes as succeeded."""
        now = datetime.now(UTC)
        await self._owned_update(
            owner,
            {
                "$set": {
                    "resumeToken": token,
                    "heartbeatAt": now,
                    "lastSuccessAt": now,
                    "lagSeconds": lag_seconds,
                    "lastError": None,
                    "indexUid": index_uid,
                },
                "$inc": {"appliedEvents": applied},
            },
        )

    async def set_fingerprint(self, fingerprint: str) -> None:
        """What the index was built with (document shape, synonyms): a change means a rebuild. Written by
        whoever rebuilt it, the worker or `ocop reindex`."""
        await self._collection.update_one({"_id": self.name}, {"$set": {"fingerprint": fingerprint}}, upsert=True)

    async def record_error(self, owner: str, message: str) -> None:
        await self._collection.update_one(
            {"_id": self.name, "owner": owner},
            {"$set": {"lastError": message[:500], "heartbeatAt": datetime.now(UTC)}},
        )

    async def request_rewind(self, to: Timestamp) -> None:
        """Ask the live worker to replay changes since `to` (after a rebuild swapped the index)."""
        await self._collection.update_one({"_id": self.name}, {"$set": {"rewindTo": to}}, upsert=True)

    async def clear_rewind(self, owner: str, handled: Timestamp) -> None:
        """The replay from `handled` is committed; a newer request (another rebuild) stays pending."""
        await self._collection.update_one(
            {"_id": self.name, "owner": owner, "rewindTo": handled}, {"$set": {"rewindTo": None}}
        )

    async def release(self, owner: str) -> None:
        await self._collection.update_one({"_id": self.name, "owner": owner}, {"$set": {"owner": None}})

    async def reset(self) -> None:
        await self._collection.delete_one({"_id": self.name})
