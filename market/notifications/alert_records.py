"""Saved searches (buyers) and RFQ board follows (producers) as stored. Both belong to one person: nobody
else reads them, and their alerts reach that person only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from bson import ObjectId


class AlertFrequency(StrEnum):
    """How a saved search alerts its owner of a product that newly matches it."""

    NONE = "none"
    INSTANT = "instant"
    DAILY = "daily"


# The filter fields a saved search keeps, as `searchProducts`' filter names them inside the search layer
# (search.query.SearchFilter); stored as plain values so the domain needs nothing of the search layer.
FILTER_FIELDS = (
    "provinces", "groups", "min_stars", "price_min", "price_max", "certifications", "producer_id", "max_moq",
    "certificate_statuses", "packaging",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class SavedSearch:
    id: ObjectId
    account_id: ObjectId
    name: str
    query: str
    filter: dict[str, Any]
    alert: AlertFrequency
    created_at: datetime
    alerted: int = 0
    """How many products it has alerted of (those already matching when it was saved count as seen)."""

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> SavedSearch:
        return cls(
            id=doc["_id"],
            account_id=doc["accountId"],
            name=doc["name"],
            query=doc.get("query") or "",
            filter=dict(doc.get("filter") or {}),
            alert=AlertFrequency(doc.get("alert") or AlertFrequency.NONE.value),
            created_at=doc["createdAt"],
            alerted=doc.get("alerted", 0),
        )


@dataclass(frozen=True, slots=True)
class RfqFollow:
    """A producer member's standing interest in RFQs of some groups and provinces (the board filter)."""

    id: ObjectId
    account_id: ObjectId
    producer_id: ObjectId
    name: str
    groups: list[str] = field(default_factory=list)
    provinces: list[str] = field(default_factory=list)
    buyer_kinds: list[str] = field(default_factory=list)
    created_at: datetime | None = None

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> RfqFollow:
        return cls(
            id=doc["_id"],
            account_id=doc["accountId"],
            producer_id=doc["producerId"],
            name=doc.get("name") or "",
            groups=list(doc.get("groups") or []),
            provinces=list(doc.get("provinces") or []),
            buyer_kinds=list(doc.get("buyerKinds") or []),
            created_at=doc.get("createdAt"),
        )
