"""Fan-out: each due event in the outbox becomes, in one transaction, the deliveries of every channel and
the mark that it is done. A worker killed before the commit leaves the event due again once its lease runs
out; one killed after it leaves nothing to redo. Either way each person gets one notification and one email
per event, and each webhook one delivery (whose attempts all carry the event's id)."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import PyMongoError

from market.core.clock import utcnow
from market.events.records import Event
from market.notifications.channels import CHANNELS, Channel, FanOut
from market.storage.faults import is_unavailable
from market.storage.transactions import in_transaction

if TYPE_CHECKING:
    from market.store import Store

log = logging.getLogger("ocop.notify")
DEFAULT_BATCH = 100
# Events of a batch fanned out side by side: each waits mostly on MongoDB round trips and its commit.
CONCURRENCY = 8


class LeaseLost(Exception):
    """Another worker took the event over: this one writes nothing."""


@dataclass(slots=True)
class FanOutReport:
    events: int = 0
    notifications: int = 0
    emails: int = 0
    webhooks: int = 0
    retried: int = 0


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


async def prepare(store: Store, event: Event, now: datetime) -> FanOut:
    audience = event.audience
    recipients = await store.accounts.audience(audience.orgs, audience.provinces, audience.accounts)
    return FanOut(
        event=event,
        recipients=recipients,
        preferences=await store.notifications.preferences_of([a.id for a in recipients]),
        webhooks=await store.webhooks.subscribed(audience.orgs, event.name),
        now=now,
        signing_key=await store.notifications.signing_key(),
    )


async def fan_out_one(
    store: Store, event: Event, owner: str, report: FanOutReport, channels: tuple[Channel, ...] = CHANNELS
) -> None:
    fan = await prepare(store, event, utcnow())
    counts: dict[str, int] = {}

    async def work(session: AsyncClientSession) -> None:
        if not await store.events.mark_fanned_out(event.id, owner, session):
            raise LeaseLost
        for channel in channels:
            counts[channel.name] = await channel.plan(store, fan, session)

    await in_transaction(store.client, work)
    report.events += 1
    report.notifications += counts.get("in_app", 0)
    report.emails += counts.get("email", 0)
    report.webhooks += counts.get("webhook", 0)


async def fan_out_pending(
    store: Store,
    *,
    limit: int = DEFAULT_BATCH,
    now: datetime | None = None,
    owner: str | None = None,
    channels: tuple[Channel, ...] = CHANNELS,
) -> FanOutReport:
    """Claim up to `limit` due events and fan each out, by `channels` (all of them unless told). An event whose
    fan-out fails for a reason other than an outage is retried later with backoff, and logged."""
    owner = owner or worker_name()
    report = FanOutReport()
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(event: Event) -> None:
        async with gate:
            try:
                await fan_out_one(store, event, owner, report, channels)
            except LeaseLost:
                return
            except PyMongoError as exc:
                if is_unavailable(exc):
                    raise
                log.exception("fan-out of event %s (%s) failed; retrying later", event.id, event.name)
                await store.events.retry_later(event, owner, type(exc).__name__, now=now)
                report.retried += 1

    await asyncio.gather(*(one(e) for e in await store.events.claim(owner, limit=limit, now=now)))
    return report
