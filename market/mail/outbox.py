"""The outbox: every email is first a document in `mail_outbox`, written in the caller's transaction, and
the worker delivers it from there.

A message is rendered when it is enqueued, so what is sent is what the change that caused it saw. It is still
to be delivered while it has a `dueAt`: `pending` until then, or `sending` under a worker's lease until then. A
lease that runs out (the worker died mid-send) makes the message due again, so delivery is at least once;
the receiving side de-duplicates by its Message-ID, which is derived from the outbox id. Sent and failed
messages lose their bodies (they carry single-use tokens) and are purged after `KEEP_DAYS`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from market.core.clock import utcnow
from market.mail.links import DEFAULT_PUBLIC_URL, public_link
from market.mail.templates import render

KEEP_DAYS = 30
# An address as the outbox accepts it; callers validate what users type and give clear errors themselves.
_ADDRESS = re.compile(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+")


class MailStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    first_delay: float = 30.0
    """Seconds before the first retry; each later retry waits twice as long, up to `max_delay`."""
    max_delay: float = 3600.0
    max_attempts: int = 25
    give_up_after: timedelta = timedelta(hours=24)
    lease: float = 120.0
    """Seconds a worker has to send what it claimed before another worker may take it over."""

    def delay(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(self.max_delay, self.first_delay * 2 ** max(0, attempts - 1)))


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    id: ObjectId
    to: str
    template: str
    locale: str
    subject: str
    text: str | None
    html: str | None
    status: MailStatus
    attempts: int
    created_at: datetime
    due_at: datetime | None
    sent_at: datetime | None
    last_error: str | None

    @property
    def recipient_domain(self) -> str:
        """What logs may say about the recipient."""
        return self.to.rpartition("@")[2]

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> OutboxMessage:
        return cls(
            id=doc["_id"],
            to=doc["to"],
            template=doc["template"],
            locale=doc["locale"],
            subject=doc["subject"],
            text=doc.get("text"),
            html=doc.get("html"),
            status=MailStatus(doc["status"]),
            attempts=doc.get("attempts", 0),
            created_at=doc["createdAt"],
            due_at=doc.get("dueAt"),
            sent_at=doc.get("sentAt"),
            last_error=doc.get("lastError"),
        )


class MailOutbox:
    def __init__(
        self,
        db: AsyncDatabase[dict[str, Any]],
        *,
        policy: RetryPolicy | None = None,
        public_url: str = DEFAULT_PUBLIC_URL,
    ) -> None:
        self.messages = db["mail_outbox"]
        self.policy = policy or RetryPolicy()
        self.public_url = public_url
        """Where links in emails point (OCOP_PUBLIC_URL); the API and the CLI set it from their settings."""

    async def ensure_indexes(self) -> None:
        await self.messages.create_indexes(
            [
                # Only messages still to deliver have a dueAt: the claim reads this small index alone.
                IndexModel([("dueAt", ASCENDING)], sparse=True, name="due"),
                IndexModel([("to", ASCENDING), ("createdAt", ASCENDING)], name="recipient"),
                IndexModel([("purgeAt", ASCENDING)], expireAfterSeconds=0, name="purge"),
            ]
        )

    def link(self, path: str, **query: str) -> str:
        """A link to the public site: outbox.link(VERIFY_EMAIL_PATH, token=token)."""
        return public_link(self.public_url, path, **query)

    async def enqueue(
        self,
        *,
        to: str,
        template: str,
        locale: str,
        params: Mapping[str, object],
        session: AsyncClientSession | None = None,
    ) -> ObjectId:
        """Render `template` and queue it for `to`. With `session`, inside its transaction: a change that is
        rolled back sends nothing. Raises TemplateError or ValueError on a programming error."""
        address = to.strip()
        if not _ADDRESS.fullmatch(address):
            raise ValueError("the outbox takes one plain email address (name@domain)")
        mail = render(template, locale, params)
        now = utcnow()
        doc = {
            "to": address,
            "template": template,
            "locale": locale,
            "subject": mail.subject,
            "text": mail.text,
            "html": mail.html,
            "status": MailStatus.PENDING.value,
            "attempts": 0,
            "createdAt": now,
            "dueAt": now,
        }
        result = await self.messages.insert_one(doc, session=session)
        return ObjectId(result.inserted_id)

    async def get(self, message_id: ObjectId) -> OutboxMessage | None:
        doc = await self.messages.find_one({"_id": message_id})
        return OutboxMessage.from_doc(doc) if doc else None

    async def claim(self, owner: str, *, limit: int, now: datetime | None = None) -> list[OutboxMessage]:
        """Up to `limit` due messages, oldest due first, leased to `owner`: no other claim returns them until
        they are marked or their lease runs out. Each claim counts as an attempt."""
        now = now or utcnow()
        lease_until = now + timedelta(seconds=self.policy.lease)
        claimed = []
        for _ in range(limit):
            doc = await self.messages.find_one_and_update(
                {"dueAt": {"$lte": now}, "status": {"$in": [MailStatus.PENDING.value, MailStatus.SENDING.value]}},
                {
                    "$set": {"status": MailStatus.SENDING.value, "leaseOwner": owner, "dueAt": lease_until},
                    "$inc": {"attempts": 1},
                },
                sort=[("dueAt", ASCENDING)],
                return_document=ReturnDocument.AFTER,
            )
            if doc is None:
                break
            claimed.append(OutboxMessage.from_doc(doc))
        return claimed

    async def mark_sent(self, message_id: ObjectId, *, now: datetime | None = None) -> None:
        """The SMTP server accepted it. Recorded whoever holds the lease: it was sent either way."""
        now = now or utcnow()
        await self.messages.update_one(
            {"_id": message_id, "status": {"$ne": MailStatus.SENT.value}},
            {
                "$set": {"status": MailStatus.SENT.value, "sentAt": now, "purgeAt": now + timedelta(days=KEEP_DAYS)},
                "$unset": {"dueAt": "", "leaseOwner": "", "text": "", "html": ""},
            },
        )

    async def retry_later(
        self, message: OutboxMessage, owner: str, error: str, *, now: datetime | None = None
    ) -> datetime | None:
        """Schedule another attempt after the policy's backoff, or give up (None) once the message has had
        its attempts or its day. Only the lease holder may: a worker that lost the lease changes nothing."""
        now = now or utcnow()
        policy = self.policy
        if message.attempts >= policy.max_attempts or now - message.created_at >= policy.give_up_after:
            await self.mark_failed(message.id, owner, error, now=now)
            return None
        due = now + policy.delay(message.attempts)
        await self.messages.update_one(
            {"_id": message.id, "status": MailStatus.SENDING.value, "leaseOwner": owner},
            {
                "$set": {"status": MailStatus.PENDING.value, "dueAt": due, "lastError": error[:300]},
                "$unset": {"leaseOwner": ""},
            },
        )
        return due

    async def mark_failed(self, message_id: ObjectId, owner: str, error: str, *, now: datetime | None = None) -> None:
        """No more attempts: the server refused the message for good, or retries ran out."""
        now = now or utcnow()
        await self.messages.update_one(
            {"_id": message_id, "status": MailStatus.SENDING.value, "leaseOwner": owner},
            {
                "$set": {
                    "status": MailStatus.FAILED.value,
                    "failedAt": now,
                    "lastError": error[:300],
                    "purgeAt": now + timedelta(days=KEEP_DAYS),
                },
                "$unset": {"dueAt": "", "leaseOwner": "", "text": "", "html": ""},
            },
        )

    async def counts(self) -> dict[str, int]:
        """Messages by status, for the CLI and the worker's log."""
        rows = await (await self.messages.aggregate([{"$group": {"_id": "$status", "n": {"$sum": 1}}}])).to_list(None)
        return {row["_id"]: row["n"] for row in rows}
