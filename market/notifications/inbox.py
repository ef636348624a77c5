"""A person's in-app notifications: the list, the unread count, marking read, and the live feed. Each
account reads its own notifications only; who got one at all was decided by the event's audience."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bson import ObjectId
from bson.errors import InvalidId

from market.accounts.policy import Principal
from market.core.errors import DomainError
from market.core.ids import object_id_of
from market.core.paging import Listing, PageRequest
from market.notifications.records import Notification
from market.storage.changes import Change, Feed, encode_cursor

if TYPE_CHECKING:
    from market.store import Store

MAX_MARK = 100


async def notifications(
    store: Store, viewer: Principal, request: PageRequest, *, unread_only: bool = False
) -> Listing[Notification]:
    """Newest first."""
    account = viewer.account_id
    page = await store.notifications.page(account, unread_only, request)
    return Listing(page, lambda: store.notifications.count(account, unread_only))


async def unread_count(store: Store, viewer: Principal) -> int:
    return await store.notifications.count(viewer.account_id, True)


def parse_notification_id(value: str, field: str) -> ObjectId:
    oid = object_id_of(value, ("Notification",))
    if oid is None:
        try:
            return ObjectId(value)
        except (InvalidId, TypeError) as exc:
            raise DomainError.of("not_an_id_of", field, type="Notification") from exc
    return oid


async def mark_read(store: Store, viewer: Principal, ids: Sequence[str] | None, all_: bool) -> int:
    """Mark these notifications (or all) read; ids of notifications that are not the viewer's change nothing.
    How many were unread."""
    if (ids is None) == (not all_) or (ids is not None and all_):
        raise DomainError.of("ids_or_all", "ids")
    if ids is not None and len(ids) > MAX_MARK:
        raise DomainError.of("too_many_notification_ids", "ids", max=MAX_MARK)
    parsed = None if ids is None else [parse_notification_id(v, f"ids[{n}]") for n, v in enumerate(ids)]
    return await store.notifications.mark_read(viewer.account_id, parsed)


async def notification_feed(store: Store, viewer: Principal, *, after: str | None) -> Feed[tuple[Notification, str]]:
    """New notifications of the viewer as they are written; each with its cursor, to resume after it."""
    stream = await store.notifications.watch(
        viewer.account_id, owner=viewer.account_id, after=after, comment=f"ocop:notificationEvents:{viewer.account_id}"
    )

    async def convert(change: Change) -> tuple[Notification, str] | None:
        doc = change.get("fullDocument")
        if doc is None or doc.get("accountId") != viewer.account_id:
            return None
        return Notification.from_doc(doc), encode_cursor(change["_id"])

    return Feed(stream, convert)
