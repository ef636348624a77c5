"""Integration keys managed through the API: an owner creates keys for an ERP or a shop platform, scoped to a
role and with an expiry; the secret is shown once. An admin creates keys too, without a scope: there is no
organisation role of theirs for one to narrow."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from market.accounts import audit
from market.accounts import policy as accounts_policy
from market.accounts.policy import RANK, Viewer
from market.accounts.records import ApiKey, MemberRole, Role
from market.core.clock import utcnow
from market.core.errors import DomainError, forbidden
from market.core.paging import Listing, PageRequest
from market.core.text import nfc

if TYPE_CHECKING:
    from market.store import Store

MAX_LIFETIME = timedelta(days=2 * 365)


async def create_api_key(
    store: Store, viewer: Viewer, name: str, scope: MemberRole | None, expires_at: datetime | None
) -> tuple[str, ApiKey]:
    if viewer is None:
        raise forbidden("forbidden_members", action="manage API keys")
    own_role: MemberRole | None = None
    if not viewer.is_admin:
        if viewer.org_id is None or viewer.role not in (Role.BUYER, Role.PRODUCER):
            raise forbidden("forbidden_no_organisation", action="manage API keys")
        own_role = accounts_policy.acting_role(viewer, viewer.org_id)
        if own_role is None or not accounts_policy.may_manage_keys(own_role):
            raise forbidden("forbidden_owners", action="manage API keys")
    cleaned = nfc(name)
    if not cleaned:
        raise DomainError.of("required", "name")
    if len(cleaned) > 100:
        raise DomainError.of("too_long", "name", max=100, got=len(cleaned))
    if not accounts_policy.scope_fits(own_role, scope):
        raise DomainError.of("scope_without_org_role", "scope", role=viewer.role.name)
    if scope is not None and own_role is not None and RANK[scope] < RANK[own_role]:
        raise DomainError.of("scope_above_role", "scope", scope=scope.name, role=own_role.name)
    if expires_at is not None:
        now = utcnow()
        if expires_at <= now:
            raise DomainError.of("expiry_in_past", "expiresAt")
        if expires_at - now > MAX_LIFETIME:
            raise DomainError.of("out_of_range", "expiresAt", min="now", max="2 years", got=expires_at.isoformat())
    secret, key = await store.accounts.issue_key_record(viewer.account_id, cleaned, scope=scope, expires_at=expires_at)
    await audit.record(
        store, viewer, "api_key.created", "ApiKey", key.id, org_id=viewer.org_id, province_code=None,
        after={"name": cleaned, "scope": scope.value if scope else None,
               "expiresAt": expires_at.isoformat() if expires_at else None},
    )  # fmt: skip
    return secret, key


async def api_keys(store: Store, viewer: Viewer, request: PageRequest) -> Listing[ApiKey]:
    """An owner sees the keys of every member of the organisation; anyone else their own."""
    if viewer is None:
        raise forbidden("forbidden_members", action="manage API keys")
    accounts = [viewer.account_id]
    if viewer.org_id is not None and viewer.org_role is MemberRole.OWNER:
        accounts = [m.id for m in await store.accounts.members(viewer.org_id)]
    page = await store.accounts.key_page(accounts, request)
    return Listing(page=page, count=lambda: store.accounts.key_count(accounts))
