"""Reading the audit log: admins all of it, a provincial office the entries of its province."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bson import ObjectId

from market.accounts import policy as accounts_policy
from market.accounts.policy import Viewer
from market.core.ids import object_id_of
from market.core.paging import Listing, PageRequest

if TYPE_CHECKING:
    from market.store import Store


async def entries(
    store: Store, viewer: Viewer, flt: Mapping[str, Any], request: PageRequest
) -> Listing[dict[str, Any]]:
    province = accounts_policy.can_read_audit(viewer)
    query: dict[str, Any] = {} if province is None else {"provinceCode": province}
    if flt.get("action"):
        query["action"] = flt["action"]
    if flt.get("target_id"):
        raw = str(flt["target_id"])
        target = object_id_of(raw, ("Producer", "BuyerOrganisation", "Member", "ApiKey", "PurchaseApproval"))
        query["target.id"] = target if target is not None else raw
    span: dict[str, datetime] = {}
    if flt.get("since"):
        span["$gte"] = flt["since"]
    if flt.get("until"):
        span["$lt"] = flt["until"]
    if span:
        query["at"] = span
    page = await store.accounts.audit_page(query, request)
    return Listing(page=page, count=lambda: store.accounts.audit_count(query))


def plain(value: Any) -> Any:
    """A stored value as JSON: ids as text, times in ISO 8601."""
    if isinstance(value, ObjectId):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value
