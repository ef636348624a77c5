"""Accounts and API keys: who can sign in, as what."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bson import ObjectId
from bson.errors import InvalidId

from market.accounts.records import Account, Role
from market.core.errors import DomainError, ErrorCode
from market.core.provinces import load_provinces
from market.core.text import nfc

if TYPE_CHECKING:
    from market.store import Store


async def create_account(
    store: Store,
    *,
    name: str,
    role: Role,
    org_id: str | None = None,
    province: str | None = None,
    email: str | None = None,
) -> Account:
    """Members belong to an existing producer or buyer organisation; coordinators to a province."""
    doc: dict[str, object] = {"name": nfc(name), "role": role.value}
    if not doc["name"]:
        raise DomainError.single(ErrorCode.REQUIRED, "name", "name is required")
    if email:
        doc["email"] = nfc(email).lower()
    if role in (Role.PRODUCER, Role.BUYER):
        if not org_id:
            raise DomainError.single(ErrorCode.REQUIRED, "org", f"a {role.value} account needs --org")
        try:
            oid = ObjectId(org_id)
        except (InvalidId, TypeError) as exc:
            raise DomainError.single(ErrorCode.INVALID, "org", f"{org_id!r} is not an organisation id") from exc
        exists = (await store.producers.get(oid) if role is Role.PRODUCER else await store.buyers.get(oid)) is not None
        if not exists:
            what = "producer" if role is Role.PRODUCER else "buyer organisation"
            raise DomainError.single(ErrorCode.NOT_FOUND, "org", f"no {what} with id {org_id}")
        doc["orgId"] = oid
    elif org_id:
        raise DomainError.single(ErrorCode.INVALID, "org", f"a {role.value} account belongs to no organisation")
    if role is Role.COORDINATOR:
        match = load_provinces().resolve(province or "")
        if match is None:
            raise DomainError.single(ErrorCode.UNKNOWN_PROVINCE, "province", "a coordinator needs a known --province")
        doc["provinceCode"] = match.province.code
    return await store.accounts.insert(doc)


async def issue_api_key(store: Store, account_id: ObjectId, name: str) -> str:
    return await store.accounts.issue_key(account_id, nfc(name) or "key")
