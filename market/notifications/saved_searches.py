"""Saved searches: a query and filter of `searchProducts` kept under a name, with alerts (none, instant, or in
the daily digest) when a product newly matches it. The matching itself runs in the worker through the search
index (search/alerts.py, workers/alerts.py); this module keeps the searches and decides what is valid."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bson import ObjectId

from market.accounts.policy import Viewer
from market.catalog.validation import MAX_NAME, Checker
from market.core.errors import DomainError, not_found
from market.core.ids import object_id_of
from market.core.text import nfc
from market.notifications import alert_matching, alert_policy
from market.notifications.alert_records import FILTER_FIELDS, AlertFrequency, SavedSearch

if TYPE_CHECKING:
    from market.store import Store

MAX_SAVED_SEARCHES = 25
MAX_QUERY = 200
MAX_LIST = 20
# Products that already match when a search is saved and are remembered as seen (see `save_search`).
SEEN_AT_SAVE = 1000

CurrentMatches = Callable[[str, Mapping[str, Any], int], Awaitable[Sequence[ObjectId]]]
"""The published products a query and filter match now, at most so many: the search layer's answer."""


def clean_filter(check: Checker, raw: Mapping[str, Any]) -> dict[str, Any]:
    """The filter as stored: lists as lists, absent values as None, unknown provinces and odd ranges refused."""
    out: dict[str, Any] = {}
    for key in FILTER_FIELDS:
        value = raw.get(key)
        if isinstance(value, tuple | list):
            value = [v.value if hasattr(v, "value") else v for v in value]
            if len(value) > MAX_LIST:
                check.add("too_many_values", f"filter.{_public(key)}", max=MAX_LIST)
        out[key] = value
    check.product_filter(
        min_stars=out.get("min_stars"),
        price_min=out.get("price_min"),
        price_max=out.get("price_max"),
        max_moq=out.get("max_moq"),
        provinces=out.get("provinces") or (),
    )
    return out


def _public(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part.title() for part in rest)


async def save_search(
    store: Store, viewer: Viewer, data: Mapping[str, Any], current_matches: CurrentMatches
) -> SavedSearch:
    """Keep a search for the viewer. The products it matches already (up to SEEN_AT_SAVE) are remembered as
    seen: an alert is for what matches newly, so editing the price of a product the buyer saw in the results
    that day tells them nothing. A product beyond that many matches may alert once, the first time it changes."""
    owner = alert_policy.saved_search_owner(viewer)
    check = Checker()
    name = check.text("name", data.get("name"), required=True, max_len=MAX_NAME)
    query = nfc(str(data.get("query") or ""))
    if len(query) > MAX_QUERY:
        check.add("query_too_long", "query", max=MAX_QUERY, got=len(query))
    flt = clean_filter(check, data.get("filter") or {})
    alert = AlertFrequency(data.get("alert") or AlertFrequency.INSTANT)
    check.raise_if_any()
    if await store.alerts.count_searches(owner) >= MAX_SAVED_SEARCHES:
        raise DomainError.of("too_many_saved_searches", None, max=MAX_SAVED_SEARCHES)
    await alert_matching.start_from_now(store)
    seen = await current_matches(query, flt, SEEN_AT_SAVE) if alert is not AlertFrequency.NONE else []
    saved = await store.alerts.insert_search(
        {"accountId": owner, "name": name, "query": query, "filter": flt, "alert": alert.value}
    )
    await store.alerts.seed_hits(saved.id, seen)
    return saved


async def saved_searches(store: Store, viewer: Viewer) -> list[SavedSearch]:
    return await store.alerts.searches_of(alert_policy.saved_search_owner(viewer))


async def delete_saved_search(store: Store, viewer: Viewer, search_id: str) -> ObjectId:
    """Someone else's saved search does not exist, as far as the viewer can tell."""
    owner = alert_policy.saved_search_owner(viewer)
    oid = object_id_of(search_id, ("SavedSearch",))
    if oid is None or not await store.alerts.delete_search(oid, owner):
        raise not_found("id", "saved search")
    return oid
