"""The alert loop of `ocop worker`: saved searches against the product change log, RFQ board follows against new
open RFQs, both through the search indexes (market/notifications/alert_matching.py, search/alerts.py). The
alerts become events in the outbox, which the notification loop delivers. Any number of workers may run it:
each alert is recorded once, whoever records it."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from market.notifications.alert_matching import match_rfq_follows, match_saved_searches
from market.store import Store
from search.alerts import RfqFollowMatcher, SavedSearchMatcher
from search.client import MeiliClient, MeiliError, MeiliUnavailable
from search.service import ProductSearch
from workers.polling import mongodb_unavailable, poll_until_stopped

log = logging.getLogger("ocop.alerts")
POLL_SECONDS = 1.0
# Passes when `--once` waits for the search index to catch up with a change before giving up on it.
DRAIN_PATIENCE = 50


@dataclass(slots=True)
class AlertTotals:
    changes: int = 0
    saved_search_alerts: int = 0
    rfqs: int = 0
    rfq_alerts: int = 0


@dataclass(slots=True)
class Matchers:
    products: SavedSearchMatcher
    rfqs: RfqFollowMatcher

    @classmethod
    def of(cls, store: Store, meili: MeiliClient, products_uid: str, rfqs_uid: str) -> Matchers:
        return cls(SavedSearchMatcher(ProductSearch(meili, products_uid, store)), RfqFollowMatcher(meili, rfqs_uid))

    async def close(self) -> None:
        await self.products.search.close()


async def alert_round(store: Store, matchers: Matchers, totals: AlertTotals) -> tuple[bool, bool]:
    """(more to do now, waiting for the index)."""
    searches = await match_saved_searches(store, matchers.products)
    rfqs = await match_rfq_follows(store, matchers.rfqs)
    totals.changes += searches.changes
    totals.saved_search_alerts += searches.alerts
    totals.rfqs += rfqs.changes
    totals.rfq_alerts += rfqs.alerts
    if searches.alerts or rfqs.alerts:
        log.info("alerts: %d saved-search, %d RFQ board", searches.alerts, rfqs.alerts)
    more = searches.changes > 0 and not searches.waiting
    return more, searches.waiting or rfqs.waiting


async def match_alerts(store: Store, matchers: Matchers, stop: asyncio.Event, *, poll: float = POLL_SECONDS) -> None:
    """Run until `stop` is set. Alerts wait out any failure, with backoff: the index sync and the deliveries
    running beside them go on."""
    totals = AlertTotals()

    async def run_round() -> bool:
        more, _ = await alert_round(store, matchers, totals)
        return more

    await poll_until_stopped(
        run_round, stop, job="alert matching", log=log, poll=poll,
        outage=_outage, other_errors_too=True,
    )  # fmt: skip


def _outage(exc: Exception) -> bool:
    """A service out of reach, or an index the sync worker has not created yet (a new deployment's first
    seconds): waited out with a warning, not logged as a failure."""
    missing_index = isinstance(exc, MeiliError) and exc.code == "index_not_found"
    return missing_index or isinstance(exc, MeiliUnavailable) or mongodb_unavailable(exc)


async def drain_alerts(store: Store, matchers: Matchers, *, pause: float = 0.1) -> AlertTotals:
    """Match everything written so far, for `ocop worker --once` (after the indexes are in sync, so nothing waits
    for long)."""
    totals = AlertTotals()
    waited = 0
    while True:
        more, waiting = await alert_round(store, matchers, totals)
        if more:
            continue
        if not waiting or waited >= DRAIN_PATIENCE:
            return totals
        waited += 1
        await asyncio.sleep(pause)
