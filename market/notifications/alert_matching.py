"""Turning what changed into alerts: products that newly match saved searches, and new open RFQs that pass a
producer's followed board filter. The worker runs these (workers/alerts.py) with matchers that ask the search
indexes (search/alerts.py); this module decides what counts as new, and records each alert once, as an event in
the outbox, in the transaction that remembers it was sent.

Products come from the product change log (market/catalog/changes.py), read from a position kept here, so a
worker that restarts carries on where it stopped and sees every write in commit order. A change is matched
only once the search index holds the product at that version or later: the index is the judge of a match,
and must not judge the product as it was before the change.

New RFQs are the open RFQs on the board not yet looked at (a mark per RFQ). An RFQ is looked at once it is in
the board's index. Follows made later are not told of RFQs already on the board.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession

from market.accounts.policy import Principal, principal_of
from market.catalog.records import Product, ProductStatus
from market.core.clock import utcnow
from market.core.ids import global_id_of
from market.events import names
from market.notifications import alert_policy
from market.notifications.alert_records import AlertFrequency, RfqFollow, SavedSearch
from market.storage.transactions import in_transaction
from market.trade import policy as trade_policy
from market.trade.inquiries import BoardProfile, board_profile
from market.trade.records import Inquiry

if TYPE_CHECKING:
    from market.store import Store

log = logging.getLogger("ocop.alerts")

SEARCHES_CURSOR = "saved_searches"
CHANGES_BATCH = 100
SEARCHES_PAGE = 200
FOLLOWS_PAGE = 200
# A change the index has still not caught up with after this long is given up on (and logged), so one product
# the sync cannot index does not hold every later alert back.
INDEX_PATIENCE = timedelta(minutes=10)


class ProductMatcher(Protocol):
    async def indexed_versions(self, product_ids: Sequence[ObjectId]) -> dict[ObjectId, int]:
        """The version of each product the index holds (absent: not in the index)."""
        ...

    async def matching(
        self, searches: Sequence[SavedSearch], product_ids: Sequence[ObjectId]
    ) -> list[tuple[SavedSearch, ObjectId]]:
        """Which of the products each saved search matches, as `searchProducts` would find them for it."""
        ...


class RfqMatcher(Protocol):
    async def indexed(self, inquiry_ids: Sequence[ObjectId]) -> set[ObjectId]: ...

    async def matching(
        self, follows: Sequence[tuple[RfqFollow, BoardProfile | None]], inquiry_ids: Sequence[ObjectId]
    ) -> list[tuple[RfqFollow, ObjectId]]:
        """Which of the RFQs each follow's board (its producer's profile narrowed by the follow) shows."""
        ...


@dataclass(slots=True)
class AlertReport:
    changes: int = 0
    products: int = 0
    alerts: int = 0
    waiting: bool = False
    """The index has not caught up with a change yet: the rest waits for the next round."""


# --- saved searches -------------------------------------------------------------------------------------------


async def start_from_now(store: Store) -> None:
    """Where the saved-search matcher starts when it has never run: the end of the change log. Called when a
    search is saved, so that every product written after the first saved search is looked at."""
    if await store.alerts.cursor(SEARCHES_CURSOR) is None:
        seq, i = await store.products.changes.head()
        await store.alerts.start_cursor(SEARCHES_CURSOR, {"seq": seq, "i": i})


async def match_saved_searches(store: Store, matcher: ProductMatcher, *, batch: int = CHANGES_BATCH) -> AlertReport:
    """One batch of product changes from where the matcher stands."""
    report = AlertReport()
    position = await store.alerts.cursor(SEARCHES_CURSOR)
    if position is None:
        # A new deployment alerts of what changes from now on, not of the catalogue's history.
        await start_from_now(store)
        return report
    rows = await store.products.changes.rows_after(position["seq"], position["i"], batch)
    if not rows:
        return report
    published = [r for r in rows if r.get("status") == ProductStatus.PUBLISHED.value]
    ids = list(dict.fromkeys(r["productId"] for r in published))
    indexed = await matcher.indexed_versions(ids) if ids else {}
    current = {p.id: p for p in await store.products.get_many(ids)} if ids else {}
    ready: dict[ObjectId, Product] = {}
    done = rows
    for n, row in enumerate(rows):
        if row.get("status") != ProductStatus.PUBLISHED.value:
            continue
        product = current.get(row["productId"])
        if product is None or product.status is not ProductStatus.PUBLISHED:
            continue  # withdrawn since: nothing to tell
        if indexed.get(product.id, -1) >= row["version"]:
            ready[product.id] = product
        elif utcnow() - row["at"] > INDEX_PATIENCE:
            log.warning(
                "product %s v%s never reached the search index; no saved-search alert", product.id, row["version"]
            )
        else:
            done, report.waiting = rows[:n], True
            break
    report.changes = len(done)
    report.products = len(ready)
    if ready:
        report.alerts = await _alert_searches(store, matcher, list(ready.values()))
    if done:
        await store.alerts.set_cursor(SEARCHES_CURSOR, {"seq": done[-1]["seq"], "i": done[-1]["i"]})
    return report


async def _alert_searches(store: Store, matcher: ProductMatcher, products: list[Product]) -> int:
    by_id = {p.id: p for p in products}
    groups = sorted({p.group.value for p in products})
    best = max(p.stars for p in products)
    sent, after = 0, None
    while True:
        searches = await store.alerts.alerting_searches(max_stars=best, groups=groups, after=after, limit=SEARCHES_PAGE)
        if not searches:
            return sent
        for search, product_id in await matcher.matching(searches, list(by_id)):
            sent += await _alert_search(store, search, by_id[product_id])
        if len(searches) < SEARCHES_PAGE:
            return sent
        after = searches[-1].id


async def _alert_search(store: Store, search: SavedSearch, product: Product) -> int:
    payload: dict[str, Any] = {
        "savedSearch": global_id_of("SavedSearch", search.id),
        "name": search.name,
        "query": search.query,
        "alert": search.alert.value,
        "product": global_id_of("Product", product.id),
        "producer": global_id_of("Producer", product.producer_id),
        "productName": product.name,
        "stars": product.stars,
        "priceVnd": product.price_vnd,
        "unit": product.unit,
    }

    if search.alert is AlertFrequency.NONE:
        return 0
    return await _record_once(
        store, lambda session: store.alerts.claim_search_hit(search.id, product.id, session),
        names.SAVED_SEARCH_MATCHED, payload, search.account_id, {"Product": product.id},
    )  # fmt: skip


async def _record_once(
    store: Store,
    claim: Callable[[AsyncClientSession], Awaitable[bool]],
    event: str,
    payload: dict[str, Any],
    account_id: ObjectId,
    subject: dict[str, ObjectId],
) -> int:
    """The alert's event for its account, recorded in the transaction that claims the hit: a hit is alerted
    once, however many workers match it. 1 when recorded, 0 when already claimed."""

    async def work(session: AsyncClientSession) -> int:
        if not await claim(session):
            return 0
        await store.events.record(event, payload, alert_policy.personal_audience(account_id), session, subject=subject)
        return 1

    return await in_transaction(store.client, work)


# --- RFQ board follows ----------------------------------------------------------------------------------------


async def match_rfq_follows(store: Store, matcher: RfqMatcher) -> AlertReport:
    """Every RFQ on the board not yet looked at, once the board's index holds it."""
    report = AlertReport()
    on_board = await store.trade.open_rfq_ids()
    if not on_board:
        return report
    checked = await store.alerts.checked_rfqs(on_board)
    new = [i for i in on_board if i not in checked]
    if not new:
        return report
    indexed = await matcher.indexed(new)
    inquiries = await store.trade.inquiries_by_id(new)
    ready = [i for i in inquiries if i.id in indexed]
    stale = [i.id for i in inquiries if i.id not in indexed and utcnow() - i.created_at > INDEX_PATIENCE]
    report.waiting = len(ready) + len(stale) < len(new)
    report.changes = len(ready)
    if ready:
        report.alerts = await _alert_follows(store, matcher, ready)
    await store.alerts.mark_rfqs_checked([i.id for i in ready] + stale)
    return report


async def _alert_follows(store: Store, matcher: RfqMatcher, inquiries: list[Inquiry]) -> int:
    by_id = {i.id: i for i in inquiries}
    groups = sorted({g for i in inquiries if i.criteria for g in i.criteria.groups})
    provinces = sorted({p for i in inquiries if i.criteria for p in i.criteria.provinces})
    kinds = sorted({b.kind.value for b in await store.buyers.get_many([i.buyer_org_id for i in inquiries]) if b})
    followers: dict[ObjectId, Principal | None] = {}
    profiles: dict[ObjectId, BoardProfile | None] = {}
    sent, after = 0, None
    while True:
        follows = await store.alerts.candidate_follows(groups, provinces, kinds, after=after, limit=FOLLOWS_PAGE)
        if not follows:
            return sent
        standing: list[tuple[RfqFollow, BoardProfile | None]] = []
        for follow in follows:
            if follow.account_id not in followers:
                account = await store.accounts.get(follow.account_id)
                followers[follow.account_id] = principal_of(account) if account and not account.deleted else None
            follower = followers[follow.account_id]
            if follower is None or not alert_policy.follow_still_stands(follower, follow):
                continue
            if follow.producer_id not in profiles:
                profiles[follow.producer_id] = await board_profile(store, follower)
            standing.append((follow, profiles[follow.producer_id]))
        for follow, inquiry_id in await matcher.matching(standing, list(by_id)):
            follower = followers[follow.account_id]
            inquiry = by_id[inquiry_id]
            # Only what came onto the board after the follow: it is a subscription to news, not a search.
            fresh = follow.created_at is None or inquiry.created_at >= follow.created_at
            if fresh and follower is not None and trade_policy.can_see_inquiry(follower, inquiry):
                sent += await _alert_follow(store, follow, inquiry)
        if len(follows) < FOLLOWS_PAGE:
            return sent
        after = follows[-1].id


async def _alert_follow(store: Store, follow: RfqFollow, inquiry: Inquiry) -> int:
    criteria = inquiry.criteria
    payload: dict[str, Any] = {
        "follow": global_id_of("RfqBoardFollow", follow.id),
        "name": follow.name,
        "inquiry": global_id_of("Inquiry", inquiry.id),
        "query": criteria.query if criteria else "",
        "groups": list(criteria.groups) if criteria else [],
        "provinces": list(criteria.provinces) if criteria else [],
        "minStars": criteria.min_stars if criteria else None,
        "quantity": inquiry.quantity,
        "unit": inquiry.unit,
        "expiresAt": inquiry.expires_at.isoformat(),
    }

    return await _record_once(
        store, lambda session: store.alerts.claim_follow_hit(follow.id, inquiry.id, session),
        names.RFQ_MATCHED, payload, follow.account_id, {"Inquiry": inquiry.id},
    )  # fmt: skip
