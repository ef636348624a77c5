"""Every read and write of `webhooks` and `webhook_deliveries`.

A delivery is due while it has a `dueAt`; a worker claims it under a lease (its `dueAt` moves to the lease's
end), so a worker killed mid-request leaves it to be claimed again: at least once, with the same
X-Ocop-Delivery (the event id) each time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from market.core.clock import utcnow
from market.core.paging import Page, PageRequest
from market.events.records import Event
from market.notifications.records import DeliveryStatus, Webhook, WebhookDelivery
from market.storage.keyset import fetch_page

KEEP_DAYS = 30
LEASE_SECONDS = 30.0
"""Longer than a request's 10 s timeout, with room for DNS and the write of the outcome."""


class WebhookRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.webhooks = db["webhooks"]
        self.deliveries = db["webhook_deliveries"]

    async def ensure_indexes(self) -> None:
        await self.webhooks.create_indexes(
            [IndexModel([("orgId", ASCENDING), ("events", ASCENDING)], name="org_events")]
        )
        await self.deliveries.create_indexes(
            [
                IndexModel([("webhookId", ASCENDING), ("eventId", ASCENDING)], unique=True, name="once"),
                IndexModel([("webhookId", ASCENDING), ("_id", DESCENDING)], name="log"),
                IndexModel([("dueAt", ASCENDING)], sparse=True, name="due"),
                IndexModel([("purgeAt", ASCENDING)], expireAfterSeconds=0, name="purge"),
            ]
        )

    # --- webhooks ---------------------------------------------------------------------------------------

    async def insert(self, doc: dict[str, Any]) -> Webhook:
        result = await self.webhooks.insert_one(doc)
        return Webhook.from_doc({**doc, "_id": result.inserted_id})

    async def get(self, webhook_id: ObjectId) -> Webhook | None:
        doc = await self.webhooks.find_one({"_id": webhook_id})
        return Webhook.from_doc(doc) if doc else None

    async def get_many(self, ids: Sequence[ObjectId]) -> dict[ObjectId, Webhook]:
        docs = await self.webhooks.find({"_id": {"$in": list(ids)}}).to_list(None)
        return {d["_id"]: Webhook.from_doc(d) for d in docs}

    async def of_org(self, org_id: ObjectId) -> list[Webhook]:
        docs = await self.webhooks.find({"orgId": org_id}).sort("createdAt", ASCENDING).to_list(100)
        return [Webhook.from_doc(d) for d in docs]

    async def count_of_org(self, org_id: ObjectId) -> int:
        return await self.webhooks.count_documents({"orgId": org_id})

    async def update(self, webhook_id: ObjectId, fields: dict[str, Any], unset: Sequence[str] = ()) -> Webhook | None:
        update: dict[str, Any] = {"$set": {**fields, "updatedAt": utcnow()}, "$inc": {"version": 1}}
        if unset:
            update["$unset"] = dict.fromkeys(unset, "")
        doc = await self.webhooks.find_one_and_update({"_id": webhook_id}, update, return_document=ReturnDocument.AFTER)
        return Webhook.from_doc(doc) if doc else None

    async def delete(self, webhook_id: ObjectId) -> None:
        await self.webhooks.delete_one({"_id": webhook_id})
        await self.deliveries.update_many(
            {"webhookId": webhook_id, "dueAt": {"$exists": True}},
            {"$set": {"status": DeliveryStatus.FAILED.value, "lastError": "webhook deleted"}, "$unset": {"dueAt": ""}},
        )

    async def subscribed(self, org_ids: Sequence[ObjectId], event: str) -> list[Webhook]:
        """The enabled webhooks of these organisations that asked for `event`."""
        if not org_ids:
            return []
        docs = await self.webhooks.find({"orgId": {"$in": list(org_ids)}, "events": event, "enabled": True}).to_list(
            None
        )
        return [Webhook.from_doc(d) for d in docs]

    async def failing(self, webhook_id: ObjectId, now: datetime) -> Webhook | None:
        """Note a failure: the webhook has been failing since its first failure after its last success."""
        await self.webhooks.update_one({"_id": webhook_id, "failingSince": None}, {"$set": {"failingSince": now}})
        return await self.get(webhook_id)

    async def healthy(self, webhook_id: ObjectId) -> None:
        await self.webhooks.update_one(
            {"_id": webhook_id, "failingSince": {"$ne": None}}, {"$set": {"failingSince": None}}
        )

    async def disable(self, webhook_id: ObjectId, reason: str, now: datetime) -> bool:
        """True for the one caller that disabled it."""
        result = await self.webhooks.update_one(
            {"_id": webhook_id, "enabled": True},
            {"$set": {"enabled": False, "disabledAt": now, "disabledReason": reason}, "$inc": {"version": 1}},
        )
        return result.modified_count == 1

    # --- deliveries -------------------------------------------------------------------------------------

    async def add_deliveries(
        self, event: Event, webhooks: Sequence[Webhook], body: bytes, session: AsyncClientSession
    ) -> None:
        if not webhooks:
            return
        now = utcnow()
        operations = [
            UpdateOne(
                {"webhookId": hook.id, "eventId": event.id},
                {
                    "$setOnInsert": {
                        "webhookId": hook.id,
                        "orgId": hook.org_id,
                        "eventId": event.id,
                        "event": event.name,
                        "body": body,
                        "status": DeliveryStatus.PENDING.value,
                        "attempts": 0,
                        "createdAt": now,
                        "startedAt": now,
                        "dueAt": now,
                    }
                },
                upsert=True,
            )
            for hook in webhooks
        ]
        await self.deliveries.bulk_write(operations, ordered=False, session=session)

    async def delivery(self, delivery_id: ObjectId) -> WebhookDelivery | None:
        doc = await self.deliveries.find_one({"_id": delivery_id})
        return WebhookDelivery.from_doc(doc) if doc else None

    async def delivery_page(
        self, webhook_id: ObjectId, status: DeliveryStatus | None, request: PageRequest
    ) -> Page[WebhookDelivery]:
        query: dict[str, Any] = {"webhookId": webhook_id}
        if status is not None:
            query["status"] = status.value
        return await fetch_page(self.deliveries, query, [("_id", -1)], request, WebhookDelivery.from_doc)

    async def delivery_count(self, webhook_id: ObjectId, status: DeliveryStatus | None) -> int:
        query: dict[str, Any] = {"webhookId": webhook_id}
        if status is not None:
            query["status"] = status.value
        return await self.deliveries.count_documents(query)

    async def claim(self, owner: str, *, limit: int, now: datetime | None = None) -> list[WebhookDelivery]:
        now = now or utcnow()
        until = now + timedelta(seconds=LEASE_SECONDS)
        claimed = []
        for _ in range(limit):
            doc = await self.deliveries.find_one_and_update(
                {"dueAt": {"$lte": now}},
                {
                    "$set": {"status": DeliveryStatus.DELIVERING.value, "dueAt": until, "leaseOwner": owner},
                    "$inc": {"attempts": 1},
                },
                sort=[("dueAt", ASCENDING)],
                return_document=ReturnDocument.AFTER,
            )
            if doc is None:
                break
            claimed.append(WebhookDelivery.from_doc(doc))
        return claimed

    async def succeeded(self, delivery_id: ObjectId, status_code: int, now: datetime) -> None:
        """Recorded whoever holds the lease: the receiver has it either way."""
        await self.deliveries.update_one(
            {"_id": delivery_id},
            {
                "$set": {
                    "status": DeliveryStatus.SUCCEEDED.value,
                    "deliveredAt": now,
                    "responseStatus": status_code,
                    "purgeAt": now + timedelta(days=KEEP_DAYS),
                },
                "$unset": {"dueAt": "", "leaseOwner": "", "lastError": ""},
            },
        )

    async def retry_at(
        self, delivery_id: ObjectId, owner: str, due: datetime, status_code: int | None, error: str
    ) -> None:
        await self.deliveries.update_one(
            {"_id": delivery_id, "leaseOwner": owner},
            {
                "$set": {
                    "status": DeliveryStatus.PENDING.value,
                    "dueAt": due,
                    "responseStatus": status_code,
                    "lastError": error[:300],
                },
                "$unset": {"leaseOwner": ""},
            },
        )

    async def failed(
        self, delivery_id: ObjectId, owner: str, status_code: int | None, error: str, now: datetime
    ) -> None:
        await self.deliveries.update_one(
            {"_id": delivery_id, "leaseOwner": owner},
            {
                "$set": {
                    "status": DeliveryStatus.FAILED.value,
                    "failedAt": now,
                    "responseStatus": status_code,
                    "lastError": error[:300],
                    "purgeAt": now + timedelta(days=KEEP_DAYS),
                },
                "$unset": {"dueAt": "", "leaseOwner": ""},
            },
        )

    async def redeliver(self, delivery_id: ObjectId, now: datetime) -> WebhookDelivery | None:
        """Due again now, with a fresh retry window; the body and the event id stay the same."""
        doc = await self.deliveries.find_one_and_update(
            {"_id": delivery_id},
            {
                "$set": {"status": DeliveryStatus.PENDING.value, "dueAt": now, "startedAt": now},
                "$unset": {"leaseOwner": "", "purgeAt": ""},
            },
            return_document=ReturnDocument.AFTER,
        )
        return WebhookDelivery.from_doc(doc) if doc else None

    async def pending(self) -> int:
        return await self.deliveries.count_documents({"dueAt": {"$exists": True}})
