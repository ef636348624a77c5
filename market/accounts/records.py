"""Who uses the marketplace: accounts with their roles, and buyer organisations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from bson import ObjectId


class BuyerKind(StrEnum):
    SUPERMARKET_CHAIN = "supermarket_chain"
    DISTRIBUTOR = "distributor"
    ECOMMERCE = "ecommerce"
    AIRLINE = "airline"
    DUTY_FREE = "duty_free"
    HOTEL_TOURISM = "hotel_tourism"
    OTHER = "other"


class Role(StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"  # a provincial OCOP office, scoped to one province
    PRODUCER = "producer"  # member of a producer organisation
    BUYER = "buyer"  # member of a buyer organisation


@dataclass(slots=True)
class BuyerOrg:
    id: ObjectId
    name: str
    kind: BuyerKind
    province_code: str | None
    contact_email: str | None
    created_at: datetime
    version: int

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> BuyerOrg:
        return cls(
            id=doc["_id"],
            name=doc["name"],
            kind=BuyerKind(doc["kind"]),
            province_code=doc.get("provinceCode"),
            contact_email=doc.get("contactEmail"),
            created_at=doc["createdAt"],
            version=doc["version"],
        )


@dataclass(slots=True)
class Account:
    id: ObjectId
    name: str
    email: str | None
    role: Role
    org_id: ObjectId | None
    province_code: str | None
    created_at: datetime

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Account:
        return cls(
            id=doc["_id"],
            name=doc["name"],
            email=doc.get("email"),
            role=Role(doc["role"]),
            org_id=doc.get("orgId"),
            province_code=doc.get("provinceCode"),
            created_at=doc["createdAt"],
        )


@dataclass(slots=True)
class ApiKey:
    """An API key as stored: its hash, never the key; `hint` is the key's first characters, for people."""

    id: ObjectId
    account_id: ObjectId
    name: str
    hint: str
    created_at: datetime
    revoked: bool
    revoked_at: datetime | None

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> ApiKey:
        return cls(
            id=doc["_id"],
            account_id=doc["accountId"],
            name=doc["name"],
            hint=doc.get("hint", ""),
            created_at=doc["createdAt"],
            revoked=bool(doc.get("revoked")),
            revoked_at=doc.get("revokedAt"),
        )
