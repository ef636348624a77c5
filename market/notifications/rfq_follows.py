"""RFQ board follows: a producer member keeps a board filter (groups, provinces, kinds of buyer) and hears of
each new open RFQ that passes it and that its producer's catalogue could meet, as the board would show it to
them. The matching runs in the worker through the RFQ board index (search/alerts.py, workers/alerts.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bson import ObjectId

from market.accounts.policy import Viewer
from market.accounts.records import BuyerKind
from market.catalog.records import ProductGroup
from market.catalog.validation import MAX_NAME, Checker
from market.core.errors import DomainError, not_found
from market.core.ids import object_id_of
from market.core.provinces import load_provinces
from market.notifications import alert_policy
from market.notifications.alert_records import RfqFollow

if TYPE_CHECKING:
    from market.store import Store

MAX_FOLLOWS = 10
MAX_LIST = 20


def _values(value: Any) -> list[str]:
    return [str(v.value if hasattr(v, "value") else v) for v in (value or [])]


async def follow_rfq_board(store: Store, viewer: Viewer, data: Mapping[str, Any]) -> RfqFollow:
    producer = alert_policy.follower_producer(viewer)
    assert viewer is not None
    check = Checker()
    name = check.text("name", data.get("name"), required=False, max_len=MAX_NAME) or ""
    groups, kinds = _values(data.get("groups")), _values(data.get("buyerKinds"))
    provinces: list[str] = []
    registry = load_provinces()
    for index, code in enumerate(_values(data.get("provinces"))):
        match = registry.resolve(code)
        if match is None:
            check.add("unknown_province", f"provinces[{index}]", got=code)
        else:
            provinces.append(match.province.code)  # the board's RFQs name current provinces
    for key, values in (("groups", groups), ("provinces", provinces), ("buyerKinds", kinds)):
        if len(values) > MAX_LIST:
            check.add("too_many_values", key, max=MAX_LIST)
    known_groups = {g.value for g in ProductGroup}
    known_kinds = {k.value for k in BuyerKind}
    for index, group in enumerate(groups):
        if group not in known_groups:
            check.add("unknown_value", f"groups[{index}]", got=group, what="OCOP product group")
    for index, kind in enumerate(kinds):
        if kind not in known_kinds:
            check.add("unknown_value", f"buyerKinds[{index}]", got=kind, what="buyer organisation")
    check.raise_if_any()
    if await store.alerts.count_follows(viewer.account_id) >= MAX_FOLLOWS:
        raise DomainError.of("too_many_rfq_follows", None, max=MAX_FOLLOWS)
    return await store.alerts.insert_follow(
        {
            "accountId": viewer.account_id,
            "producerId": producer,
            "name": name,
            "groups": list(dict.fromkeys(groups)),
            "provinces": list(dict.fromkeys(provinces)),
            "buyerKinds": list(dict.fromkeys(kinds)),
        }
    )


async def rfq_follows(store: Store, viewer: Viewer) -> list[RfqFollow]:
    alert_policy.follower_producer(viewer)
    assert viewer is not None
    return await store.alerts.follows_of(viewer.account_id)


async def unfollow_rfq_board(store: Store, viewer: Viewer, follow_id: str) -> ObjectId:
    alert_policy.follower_producer(viewer)
    assert viewer is not None
    oid = object_id_of(follow_id, ("RfqBoardFollow",))
    if oid is None or not await store.alerts.delete_follow(oid, viewer.account_id):
        raise not_found("id", "RFQ board follow")
    return oid


async def follows_by_id(store: Store, ids: Sequence[ObjectId]) -> list[RfqFollow]:
    return await store.alerts.follows_by_id(ids)
