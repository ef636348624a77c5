"""Who may keep saved searches and RFQ board follows, who reads them, and who hears of their alerts. Both are
one person's own: not their organisation's colleagues, not offices, not admins."""

from __future__ import annotations

from bson import ObjectId

from market.accounts.policy import Principal, Viewer
from market.accounts.records import Role
from market.core.errors import DomainError
from market.events.records import Audience
from market.notifications.alert_records import RfqFollow, SavedSearch


def saved_search_owner(viewer: Viewer) -> ObjectId:
    """Anyone signed in keeps saved searches of the public catalogue, as their own."""
    if viewer is None:
        raise DomainError.of("forbidden_saved_searches", None)
    return viewer.account_id


def can_see_saved_search(viewer: Viewer, search: SavedSearch) -> bool:
    return viewer is not None and viewer.account_id == search.account_id


def follower_producer(viewer: Viewer) -> ObjectId:
    """RFQ board follows are for the members of a producer, whose board they narrow."""
    if viewer is None or viewer.role is not Role.PRODUCER or viewer.org_id is None:
        raise DomainError.of("forbidden_rfq_follows", None)
    return viewer.org_id


def can_see_follow(viewer: Viewer, follow: RfqFollow) -> bool:
    return viewer is not None and viewer.account_id == follow.account_id


def follow_still_stands(follower: Principal, follow: RfqFollow) -> bool:
    """A member who left the producer (or moved to another) no longer hears of its board."""
    return follower.role is Role.PRODUCER and follower.org_id == follow.producer_id


def personal_audience(account_id: ObjectId) -> Audience:
    """A saved search's or a follow's alert: its owner alone (no colleague, no webhook)."""
    return Audience.of(accounts=[account_id])
