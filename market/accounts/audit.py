"""The audit log: who did what to whom, when, with the state before and after. Entries are written in the
transaction of the change they record, so the log and the data never disagree."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bson import ObjectId

from market.accounts.policy import Principal

if TYPE_CHECKING:
    from pymongo.asynchronous.client_session import AsyncClientSession

    from market.store import Store


async def record(
    store: Store,
    actor: Principal | None,
    action: str,
    target_type: str,
    target_id: ObjectId,
    *,
    session: AsyncClientSession | None = None,
    org_id: ObjectId | None = None,
    province_code: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    operator: bool = False,
) -> None:
    """`actor` None with `operator`: done from the command line by whoever holds the database."""
    entry: dict[str, Any] = {
        "action": action,
        "actor": {
            "accountId": actor.account_id if actor else None,
            "name": actor.name if actor else ("operator" if operator else "system"),
            "role": actor.role.value if actor else None,
            "viaKey": actor.key_id if actor and not actor.via_session else None,
        },
        "target": {"type": target_type, "id": target_id},
        "orgId": org_id,
        "provinceCode": province_code,
        "before": before,
        "after": after,
    }
    await store.accounts.record_audit(entry, session)
