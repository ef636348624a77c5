"""The mail delivery loop of `ocop worker`: polls the outbox and sends what is due.

Polling (every `POLL_SECONDS`) rather than a change stream: a retry falls due with no write to announce it,
and a second's delay is nothing for email. A full batch is followed at once by the next one. Any number of
workers may run this loop: the outbox's leases keep them from sending one message twice at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from pymongo.errors import PyMongoError

from market.mail.delivery import DEFAULT_BATCH, deliver_pending
from market.mail.sender import MailSender
from market.storage.faults import is_unavailable
from market.store import Store

log = logging.getLogger("ocop.mail")
POLL_SECONDS = 1.0
# After MongoDB failed: wait longer each time, up to this, so an outage is not a log line a second.
MAX_BACKOFF_SECONDS = 30.0


async def deliver_mail(
    store: Store,
    sender: MailSender,
    stop: asyncio.Event,
    *,
    poll: float = POLL_SECONDS,
    batch: int = DEFAULT_BATCH,
) -> None:
    """Deliver until `stop` is set."""
    backoff = poll
    while not stop.is_set():
        wait = poll
        try:
            report = await deliver_pending(store, sender, limit=batch)
        except PyMongoError as exc:
            if not is_unavailable(exc):
                raise
            log.warning("mail delivery paused, MongoDB unavailable: %s", type(exc).__name__)
            backoff = min(MAX_BACKOFF_SECONDS, backoff * 2)
            wait = backoff
        else:
            backoff = poll
            if report.claimed:
                log.info("mail: %d sent, %d to retry, %d failed", report.sent, report.retried, report.failed)
            if report.claimed == batch and report.sent:
                continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=wait)
