"""A person's own data (Vietnam's Decree 13/2023/NĐ-CP): a copy of everything held about them, and erasure
that keeps every deal's history whole with an anonymised party."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pymongo.asynchronous.client_session import AsyncClientSession

from market.accounts import audit
from market.accounts.passwords import verify_password
from market.accounts.policy import Principal
from market.accounts.records import MemberRole
from market.core.clock import utcnow
from market.core.errors import DomainError, forbidden
from market.storage.transactions import in_transaction

if TYPE_CHECKING:
    from market.store import Store

ANONYMOUS = "Người dùng đã xóa"  # what trade records show instead of an erased person's name


async def export_my_data(store: Store, viewer: Principal) -> dict[str, Any]:
    """A copy for the person: signed in, or through an API key of their own; a key given a scope serves an
    integration (a read-only one, say), which has no claim on the person's sessions, keys and trade."""
    if viewer.scoped:
        raise forbidden("forbidden_scoped_key", action="export the account's data")
    account = await store.accounts.document(viewer.account_id)
    if account is None:
        raise DomainError.of("session_invalid", None)
    return {
        "account": account,
        "sessions": [
            {"id": s.id, "createdAt": s.created_at, "refreshExpiresAt": s.refresh_expires_at, "ended": s.revoked}
            for s in await store.accounts.sessions_of(viewer.account_id)
        ],
        "apiKeys": [
            {
                "id": k.id,
                "name": k.name,
                "hint": k.hint,
                "createdAt": k.created_at,
                "revoked": k.revoked,
                "lastUsedAt": k.last_used_at,
            }
            for k in await store.accounts.keys_of(viewer.account_id)
        ],
        "auditEntries": await store.accounts.audit_of_actor(viewer.account_id),
        "trade": await store.trade.by_person(viewer.account_id),
        "notifications": await store.notifications.of_person(viewer.account_id),
        "alerts": await store.alerts.of_person(viewer.account_id),
    }


async def delete_my_account(store: Store, viewer: Principal, password: str) -> None:
    """Erase the person: name, email and password go, keys and sessions end; trade records keep the person's
    moves under an anonymous name. The last owner of an organisation that has other members hands over first."""
    if not viewer.via_session:
        raise forbidden("forbidden_people_only", action="delete the account")
    if not await verify_password(await store.accounts.password_hash(viewer.account_id), password):
        raise DomainError.of("password_wrong", "password")
    account = await store.accounts.get(viewer.account_id)
    if account is None:
        raise DomainError.of("session_invalid", None)
    if account.org_id is not None and account.org_role is MemberRole.OWNER:
        others = [m for m in await store.accounts.members(account.org_id) if m.id != account.id]
        if others and not any(m.org_role is MemberRole.OWNER for m in others):
            raise DomainError.of("last_owner", None)

    async def write(session: AsyncClientSession) -> None:
        await store.accounts.update(
            account.id,
            {"name": ANONYMOUS, "deleted": True, "erasedAt": utcnow()},
            session,
            unset=("email", "passwordHash", "locale", "spendingLimitVnd"),
        )
        # Checked again where it is written: another owner may be leaving at the same moment.
        if (
            account.org_id is not None
            and account.org_role is MemberRole.OWNER
            and await store.accounts.owners_left(account.org_id, session) == 0
            and await store.accounts.members(account.org_id, session)
        ):
            raise DomainError.of("last_owner", None)
        await store.accounts.revoke_all(account.id, session)
        await store.accounts.drop_tokens(account.id, session)
        await store.trade.anonymise_person(account.id, ANONYMOUS, session)
        await store.accounts.anonymise_audit_actor(account.id, ANONYMOUS, account.email, session)
        await store.notifications.forget(account.id, session)
        await store.alerts.forget(account.id, session)
        await audit.record(store, None, "account.erased", "Account", account.id, session=session, org_id=account.org_id)

    await in_transaction(store.client, write)
