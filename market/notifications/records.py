"""Notifications, preferences and webhooks as stored."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from bson import ObjectId


class Frequency(StrEnum):
    IMMEDIATE = "immediate"
    DAILY = "daily"
    OFF = "off"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERING = "delivering"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Notification:
    id: ObjectId
    account_id: ObjectId
    event_id: ObjectId
    event: str
    payload: dict[str, Any]
    subject: dict[str, str]
    occurred_at: datetime
    read_at: datetime | None

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Notification:
        return cls(
            id=doc["_id"],
            account_id=doc["accountId"],
            event_id=doc["eventId"],
            event=doc["event"],
            payload=doc.get("payload") or {},
            subject=doc.get("subject") or {},
            occurred_at=doc["occurredAt"],
            read_at=doc.get("readAt"),
        )


def stored_key(event: str) -> str:
    """An event name as a key of a stored map: MongoDB reads a dot in a key as a path."""
    return event.replace(".", ":")


@dataclass(frozen=True, slots=True)
class Preferences:
    """A person's choices; what they never chose falls back to `defaults.DEFAULT_EMAIL`."""

    account_id: ObjectId
    email: dict[str, Frequency] = field(default_factory=dict)
    locale: str | None = None

    @classmethod
    def from_doc(cls, account_id: ObjectId, doc: dict[str, Any] | None) -> Preferences:
        if not doc:
            return cls(account_id)
        email = {name.replace(":", "."): Frequency(value) for name, value in (doc.get("email") or {}).items()}
        return cls(account_id, email, doc.get("locale"))


@dataclass(frozen=True, slots=True)
class Webhook:
    id: ObjectId
    org_id: ObjectId
    url: str
    events: list[str]
    secret: str
    enabled: bool
    created_at: datetime
    failing_since: datetime | None
    disabled_reason: str | None
    version: int

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Webhook:
        return cls(
            id=doc["_id"],
            org_id=doc["orgId"],
            url=doc["url"],
            events=list(doc.get("events") or []),
            secret=doc["secret"],
            enabled=bool(doc.get("enabled", True)),
            created_at=doc["createdAt"],
            failing_since=doc.get("failingSince"),
            disabled_reason=doc.get("disabledReason"),
            version=doc.get("version", 1),
        )


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    id: ObjectId
    webhook_id: ObjectId
    org_id: ObjectId
    event_id: ObjectId
    event: str
    body: bytes
    status: DeliveryStatus
    attempts: int
    created_at: datetime
    started_at: datetime
    due_at: datetime | None
    delivered_at: datetime | None
    response_status: int | None
    last_error: str | None

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> WebhookDelivery:
        return cls(
            id=doc["_id"],
            webhook_id=doc["webhookId"],
            org_id=doc["orgId"],
            event_id=doc["eventId"],
            event=doc["event"],
            body=bytes(doc.get("body") or b""),
            status=DeliveryStatus(doc["status"]),
            attempts=doc.get("attempts", 0),
            created_at=doc["createdAt"],
            started_at=doc.get("startedAt", doc["createdAt"]),
            due_at=doc.get("dueAt"),
            delivered_at=doc.get("deliveredAt"),
            response_status=doc.get("responseStatus"),
            last_error=doc.get("lastError"),
        )
