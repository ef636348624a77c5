"""The mail delivery loop of `ocop worker`: polls the outbox and sends what is due.

Polling (every `POLL_SECONDS`) rather than a change stream: a retry falls due with no write to announce it,
and a second's delay is nothing for email. A full batch is followed at once by the next one. Any number of
workers may run this loop: the outbox's leases keep them from sending one message twice at once.
"""

from __future__ import annotations

import asyncio
import logging

from market.mail.delivery import DEFAULT_BATCH, deliver_pending
from market.mail.sender import MailSender
from market.store import Store
from workers.polling import mongodb_unavailable, poll_until_stopped

log = logging.getLogger("ocop.mail")
POLL_SECONDS = 1.0


async def deliver_mail(
    store: Store,
    sender: MailSender,
    stop: asyncio.Event,
    *,
    poll: float = POLL_SECONDS,
    batch: int = DEFAULT_BATCH,
) -> None:
    """Deliver until `stop` is set."""

    async def run_round() -> bool:
        report = await deliver_pending(store, sender, limit=batch)
        if report.claimed:
            log.info("mail: %d sent, %d to retry, %d failed", report.sent, report.retried, report.failed)
        return report.claimed == batch and report.sent > 0

    await poll_until_stopped(run_round, stop, job="mail delivery", log=log, poll=poll, outage=mongodb_unavailable)
