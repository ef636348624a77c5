"""Accounts and API keys: who can sign in, as what."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bson import ObjectId

from market.accounts import audit, policy
from market.accounts.passwords import hash_password, strength_errors
from market.accounts.people import email_errors, name_errors, normal_email
from market.accounts.policy import Principal
from market.accounts.records import Account, ApiKey, MemberRole, Role
from market.accounts.repository import KEY_PREFIX
from market.core.errors import DomainError, not_found
from market.core.ids import object_id_of
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
    org_role: MemberRole = MemberRole.OWNER,
    password: str | None = None,
) -> Account:
    """Members belong to an existing producer or buyer organisation (as its owner unless `org_role` says
    otherwise); coordinators to a province. With a password, the person can also sign in."""
    doc: dict[str, object] = {"name": nfc(name), "role": role.value}
    if errors := name_errors(str(doc["name"]), "name"):
        raise DomainError(errors)
    if email:
        # The address the person signs in with, checked as sign-up checks it.
        doc["email"] = normal_email(email)
        if errors := email_errors(str(doc["email"]), "email"):
            raise DomainError(errors)
    if role in (Role.PRODUCER, Role.BUYER):
        if not org_id:
            raise DomainError.of("org_required", "org", role=role.value)
        oid = object_id_of(org_id, ("Producer", "BuyerOrganisation"))
        if oid is None:
            raise DomainError.of("not_an_org_id", "org", got=org_id)
        org = await store.producers.get(oid) if role is Role.PRODUCER else await store.buyers.get(oid)
        if org is None:
            what = "producer" if role is Role.PRODUCER else "buyer organisation"
            raise DomainError.of("no_org_with_id", "org", what=what, id=org_id)
        doc["orgId"] = oid
        doc["orgRole"] = org_role.value
        doc["orgStatus"] = org.status.value
    elif org_id:
        raise DomainError.of("org_not_allowed", "org", role=role.value)
    if role is Role.COORDINATOR:
        match = load_provinces().resolve(province or "")
        if match is None:
            raise DomainError.of("province_required", "province")
        doc["provinceCode"] = match.province.code
    if password is not None:
        errors = strength_errors(password, "password", email=str(doc.get("email", "")), name=str(doc["name"]))
        if errors:
            raise DomainError(errors)
        doc["passwordHash"] = await hash_password(password)
        doc["emailVerified"] = bool(doc.get("email"))
    if doc.get("email") and await store.accounts.email_taken(str(doc["email"])):
        raise DomainError.of("email_taken", "email")
    return await store.accounts.insert(doc)


async def issue_api_key(store: Store, account_id: ObjectId, name: str) -> str:
    return await store.accounts.issue_key(account_id, nfc(name) or "key")


async def find_api_key(store: Store, reference: str, field: str = "key", *, viewer: Principal | None = None) -> ApiKey:
    """One key, named by the key itself, its hint (`ocop_AbCd`, when no other key shares it), its global id
    (`ApiKey:…` in base64) or its raw id. With a `viewer`, only keys it may revoke are considered, so that
    neither the answer nor the ids of an ambiguous hint tell it about other accounts' keys."""
    reference = reference.strip()
    if reference.startswith(KEY_PREFIX) and len(reference) > len(KEY_PREFIX) + 4:
        found = await store.accounts.find_keys(key=reference)
    elif reference.startswith(KEY_PREFIX):
        found = await store.accounts.find_keys(hint=reference)
    elif (key_id := object_id_of(reference, ("ApiKey",))) is not None:
        found = await store.accounts.find_keys(key_id=key_id)
    else:
        raise DomainError.of("key_reference", field)
    if viewer is not None:
        found = [k for k in found if await _may_revoke(store, viewer, k)]
    if not found:
        raise not_found(field, "API key")
    if len(found) > 1:
        raise DomainError.of("ambiguous_key_hint", field, ids=[str(k.id) for k in found])
    return found[0]


async def _may_revoke(store: Store, viewer: Principal, key: ApiKey) -> bool:
    if policy.can_revoke_key(viewer, key.account_id):
        return True
    if viewer.org_id is None or viewer.org_role is not MemberRole.OWNER:
        return False
    holder = await store.accounts.get(key.account_id)
    return holder is not None and holder.org_id == viewer.org_id and viewer.is_member_of(holder.org_id)


async def revoke_api_key(store: Store, viewer: Principal, reference: str, field: str = "id") -> ApiKey:
    """Revoke a key for good, as an admin or the key's own account. Another account's key looks like one
    that does not exist. API processes stop accepting it within a couple of seconds and close its
    subscriptions (api/revocations.py)."""
    key = await find_api_key(store, reference, field, viewer=viewer)
    revoked = await _revoke(store, key, field)
    await audit.record(store, viewer, "api_key.revoked", "ApiKey", key.id, org_id=viewer.org_id)
    return revoked


async def revoke_api_key_as_operator(store: Store, reference: str) -> ApiKey:
    """`ocop revoke-api-key`: whoever runs the command line holds the database, and may revoke any key."""
    key = await find_api_key(store, reference)
    revoked = await _revoke(store, key, "key")
    await audit.record(store, None, "api_key.revoked", "ApiKey", key.id, operator=True)
    return revoked


async def _revoke(store: Store, key: ApiKey, field: str) -> ApiKey:
    revoked = await store.accounts.revoke_key(key.id)
    if revoked is None:
        raise not_found(field, "API key")
    return revoked
