"""The notification loop of `ocop worker`: fans out the event outbox, delivers webhooks and sends the daily
digests. It polls, like the mail loop (workers/mail.py), since retries fall due with no write to announce
them, and a change stream on the outbox wakes it as soon as an event is committed, so a new event does not
wait for the next poll. Any number of workers may run it: leases keep them from handling one event or
delivery twice at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

import httpx
from pymongo.errors import PyMongoError

from market.notifications.digests import send_digests
from market.notifications.fanout import DEFAULT_BATCH, fan_out_pending
from market.notifications.webhook_delivery import deliver_webhooks
from market.store import Store
from workers.polling import MAX_BACKOFF_SECONDS, mongodb_unavailable, poll_until_stopped, wait_or_stop

log = logging.getLogger("ocop.notify")
POLL_SECONDS = 0.5
WEBHOOK_BATCH = 50


@dataclass(slots=True)
class NotifyTotals:
    events: int = 0
    notifications: int = 0
    emails: int = 0
    webhooks_delivered: int = 0
    webhooks_waiting: int = 0
    webhooks_failed: int = 0
    digests: int = 0


def webhook_client() -> httpx.AsyncClient:
    # Redirects are not followed: a receiver could send the request on to an address that was never checked.
    return httpx.AsyncClient(follow_redirects=False, trust_env=False)


async def notify_round(store: Store, client: httpx.AsyncClient, *, production: bool, totals: NotifyTotals) -> bool:
    """One round of each job; True when a job had a full batch (there is more to do at once)."""
    fanned = await fan_out_pending(store, limit=DEFAULT_BATCH)
    hooks = await deliver_webhooks(store, client, production=production, limit=WEBHOOK_BATCH)
    totals.events += fanned.events
    totals.notifications += fanned.notifications
    totals.emails += fanned.emails
    totals.webhooks_delivered += hooks.succeeded
    totals.webhooks_waiting += hooks.retried
    totals.webhooks_failed += hooks.failed
    totals.digests += await send_digests(store)
    if fanned.events or hooks.claimed:
        log.info(
            "notify: %d event(s) fanned out, webhooks %d delivered / %d to retry / %d failed",
            fanned.events, hooks.succeeded, hooks.retried, hooks.failed,
        )  # fmt: skip
    return fanned.events + fanned.retried >= DEFAULT_BATCH or hooks.claimed >= WEBHOOK_BATCH


async def _wake_on_new_events(store: Store, wake: asyncio.Event, stop: asyncio.Event) -> None:
    """Set `wake` whenever an event is committed. Without the stream (an outage), polling alone carries on."""
    while not stop.is_set():
        try:
            async with await store.events.watch_new() as stream:
                while not stop.is_set():
                    if await stream.try_next() is not None:
                        wake.set()
        except PyMongoError as exc:
            log.debug("outbox change stream interrupted: %s", type(exc).__name__)
            await wait_or_stop(stop, MAX_BACKOFF_SECONDS)


async def _pause(stop: asyncio.Event, wake: asyncio.Event, seconds: float) -> None:
    waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
    try:
        await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiting in waits:
            waiting.cancel()
    wake.clear()


async def deliver_notifications(
    store: Store, stop: asyncio.Event, *, production: bool, poll: float = POLL_SECONDS
) -> None:
    """Run until `stop` is set."""
    totals = NotifyTotals()
    wake = asyncio.Event()
    watcher = asyncio.create_task(_wake_on_new_events(store, wake, stop))
    try:
        async with webhook_client() as client:
            await poll_until_stopped(
                lambda: notify_round(store, client, production=production, totals=totals),
                stop, job="notifications", log=log, poll=poll, outage=mongodb_unavailable,
                pause=lambda seconds: _pause(stop, wake, seconds),
            )  # fmt: skip
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher


async def drain_notifications(store: Store, *, production: bool) -> NotifyTotals:
    """Fan out every pending event and attempt every due webhook delivery once; what waits for a retry later
    stays pending. For `ocop worker --once`, before the mail is drained."""
    totals = NotifyTotals()
    async with webhook_client() as client:
        while await notify_round(store, client, production=production, totals=totals):
            pass
    return totals
