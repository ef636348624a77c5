"""The event outbox: `events`, one document per business event, written in the transaction of the change.

An event waits for fan-out while it has a `dueAt`. A worker claims it under a lease (the `dueAt` moves to
the lease's end), fans it out to every channel in one transaction that also removes the `dueAt`, and so an
event is fanned out exactly once, or retried when the worker died first: a lease that runs out makes it due
again. Fanned-out events are kept `KEEP_DAYS` for redelivery and inspection, then purged.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.change_stream import AsyncChangeStream
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from market.core.clock import utcnow
from market.events.backoff import Backoff
from market.events.names import is_event_name
from market.events.records import Audience, Event

KEEP_DAYS = 30
LEASE_SECONDS = 60.0


class EventOutbox:
    def __init__(self, db: AsyncDatabase[dict[str, Any]], *, backoff: Backoff | None = None) -> None:
        self.events = db["events"]
        self.backoff = backoff or Backoff(first=5.0, ceiling=600.0)

    async def ensure_indexes(self) -> None:
        await self.events.create_indexes(
            [
                IndexModel([("dueAt", ASCENDING)], sparse=True, name="due"),
                IndexModel([("purgeAt", ASCENDING)], expireAfterSeconds=0, name="purge"),
            ]
        )

    async def record(
        self,
        name: str,
        payload: Mapping[str, Any],
        audience: Audience,
        session: AsyncClientSession | None,
        *,
        subject: Mapping[str, ObjectId] | None = None,
    ) -> ObjectId | None:
        """Write event `name` in `session`'s transaction: rolled back with the change, it never happened. An
        audience of no one writes nothing (None). `payload` holds only what every member of the audience may
        see; `subject` names the objects it is about by GraphQL type, for links."""
        if not is_event_name(name):
            raise ValueError(f"{name!r} is not an event name (domain.event)")
        if audience.empty:
            return None
        now = utcnow()
        doc = {
            "name": name,
            "payload": dict(payload),
            "audience": audience.to_doc(),
            "subject": {k: str(v) for k, v in (subject or {}).items()},
            "occurredAt": now,
            "dueAt": now,
            "attempts": 0,
        }
        result = await self.events.insert_one(doc, session=session)
        return ObjectId(result.inserted_id)

    async def watch_new(self) -> AsyncChangeStream[dict[str, Any]]:
        """New events as they are committed: a worker wakes on them rather than at its next poll."""
        return await self.events.watch([{"$match": {"operationType": "insert"}}], max_await_time_ms=1000)

    async def get(self, event_id: ObjectId) -> Event | None:
        doc = await self.events.find_one({"_id": event_id})
        return Event.from_doc(doc) if doc else None

    async def claim(self, owner: str, *, limit: int, now: datetime | None = None) -> list[Event]:
        """Up to `limit` due events, oldest first, leased to `owner`, in three round trips: the ids due, the lease
        on those still due (a worker claiming at the same time gets the others), and the events leased."""
        now = now or utcnow()
        until = now + timedelta(seconds=LEASE_SECONDS)
        due = self.events.find({"dueAt": {"$lte": now}}, {"_id": 1}).sort("dueAt", ASCENDING).limit(limit)
        ids = [doc["_id"] for doc in await due.to_list(None)]
        if not ids:
            return []
        await self.events.update_many(
            {"_id": {"$in": ids}, "dueAt": {"$lte": now}},
            {"$set": {"dueAt": until, "leaseOwner": owner}, "$inc": {"attempts": 1}},
        )
        leased = self.events.find({"_id": {"$in": ids}, "leaseOwner": owner, "dueAt": until})
        return [Event.from_doc(doc) for doc in await leased.sort("occurredAt", ASCENDING).to_list(None)]

    async def mark_fanned_out(
        self, event_id: ObjectId, owner: str, session: AsyncClientSession, *, now: datetime | None = None
    ) -> bool:
        """Inside the fan-out's transaction; False when the lease was lost (another worker took over), and the
        caller then aborts so the two never both fan it out."""
        now = now or utcnow()
        result = await self.events.update_one(
            {"_id": event_id, "leaseOwner": owner, "dueAt": {"$exists": True}},
            {
                "$set": {"fannedOutAt": now, "purgeAt": now + timedelta(days=KEEP_DAYS)},
                "$unset": {"dueAt": "", "leaseOwner": ""},
            },
            session=session,
        )
        return result.modified_count == 1

    async def retry_later(self, event: Event, owner: str, error: str, *, now: datetime | None = None) -> None:
        now = now or utcnow()
        due = self.backoff.next_attempt(event.attempts, event.occurred_at, now) or now + self.backoff.delay(
            event.attempts
        )
        await self.events.update_one(
            {"_id": event.id, "leaseOwner": owner},
            {"$set": {"dueAt": due, "lastError": error[:300]}, "$unset": {"leaseOwner": ""}},
        )

    async def pending(self) -> int:
        return await self.events.count_documents({"dueAt": {"$exists": True}})
