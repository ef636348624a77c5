"""An event as stored in the outbox, and who may hear of it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bson import ObjectId


@dataclass(frozen=True, slots=True)
class Audience:
    """Who may hear of an event, decided by the domain's policy: the members of these organisations (buyer
    organisations or producers), the OCOP offices of these provinces, and these accounts by name. Delivery
    sends to no one else, and a webhook only for an organisation named here."""

    orgs: tuple[ObjectId, ...] = ()
    provinces: tuple[str, ...] = ()
    accounts: tuple[ObjectId, ...] = ()

    @classmethod
    def of(
        cls,
        orgs: Iterable[ObjectId | None] = (),
        provinces: Iterable[str | None] = (),
        accounts: Iterable[ObjectId | None] = (),
    ) -> Audience:
        """Without blanks and repeats, in a stable order."""

        def unique(values: Iterable[Any]) -> tuple[Any, ...]:
            return tuple(dict.fromkeys(v for v in values if v))

        return cls(unique(orgs), unique(provinces), unique(accounts))

    @property
    def empty(self) -> bool:
        return not (self.orgs or self.provinces or self.accounts)

    def to_doc(self) -> dict[str, list[Any]]:
        return {"orgs": list(self.orgs), "provinces": list(self.provinces), "accounts": list(self.accounts)}

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Audience:
        return cls(tuple(doc.get("orgs", ())), tuple(doc.get("provinces", ())), tuple(doc.get("accounts", ())))


@dataclass(frozen=True, slots=True)
class Event:
    """`id` is the event's identity everywhere it goes (the in-app notification, the webhook's
    X-Ocop-Delivery header): a receiver drops a repeat by it."""

    id: ObjectId
    name: str
    payload: dict[str, Any]
    audience: Audience
    occurred_at: datetime
    attempts: int = 0
    subject: dict[str, str] = field(default_factory=dict)
    """What the event is about, by GraphQL type name: {"Inquiry": "<object id>"}, for links and the API."""

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Event:
        return cls(
            id=doc["_id"],
            name=doc["name"],
            payload=doc.get("payload") or {},
            audience=Audience.from_doc(doc.get("audience") or {}),
            occurred_at=doc["occurredAt"],
            attempts=doc.get("attempts", 0),
            subject=doc.get("subject") or {},
        )
