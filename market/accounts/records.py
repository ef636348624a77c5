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


class OrgStatus(StrEnum):
    """Where an organisation stands with the marketplace. Organisations made by operators (the command line,
    the demo) carry no status and count as verified."""

    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


class OrgKind(StrEnum):
    BUYER = "buyer"
    PRODUCER = "producer"


class MemberRole(StrEnum):
    """A person's role inside their organisation, from most to least rights."""

    OWNER = "owner"
    MANAGER = "manager"
    MEMBER = "member"
    VIEWER = "viewer"


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
    status: OrgStatus = OrgStatus.VERIFIED

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
            status=OrgStatus(doc.get("status", OrgStatus.VERIFIED.value)),
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
    # Inside the organisation; accounts made before roles existed act as plain members.
    org_role: MemberRole | None = None
    # A copy of the organisation's status, kept on each member so that authentication reads one document.
    org_status: OrgStatus = OrgStatus.VERIFIED
    spending_limit_vnd: int | None = None
    locale: str = "vi"
    email_verified: bool = False
    deleted: bool = False

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Account:
        role = Role(doc["role"])
        member = role in (Role.PRODUCER, Role.BUYER)
        return cls(
            id=doc["_id"],
            name=doc["name"],
            email=doc.get("email"),
            role=role,
            org_id=doc.get("orgId"),
            province_code=doc.get("provinceCode"),
            created_at=doc["createdAt"],
            org_role=MemberRole(doc.get("orgRole", MemberRole.MEMBER.value)) if member else None,
            org_status=OrgStatus(doc.get("orgStatus", OrgStatus.VERIFIED.value)),
            spending_limit_vnd=doc.get("spendingLimitVnd"),
            locale=doc.get("locale", "vi"),
            email_verified=bool(doc.get("emailVerified")),
            deleted=bool(doc.get("deleted")),
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
    # At most this role inside the organisation, whatever the account's own (an ERP reading, say).
    scope: MemberRole | None = None
    expires_at: datetime | None = None
    last_used_at: datetime | None = None

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
            scope=MemberRole(doc["scope"]) if doc.get("scope") else None,
            expires_at=doc.get("expiresAt"),
            last_used_at=doc.get("lastUsedAt"),
        )


@dataclass(slots=True)
class Session:
    """A person signed in: hashes of its current access and refresh tokens, never the tokens."""

    id: ObjectId
    account_id: ObjectId
    created_at: datetime
    access_expires_at: datetime
    refresh_expires_at: datetime
    revoked: bool

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Session:
        return cls(
            id=doc["_id"],
            account_id=doc["accountId"],
            created_at=doc["createdAt"],
            access_expires_at=doc["accessExpiresAt"],
            refresh_expires_at=doc["refreshExpiresAt"],
            revoked=bool(doc.get("revoked")),
        )
