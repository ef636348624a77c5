"""One round of delivery: claim what is due, send it, record each outcome."""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from market.mail.sender import MailSender

if TYPE_CHECKING:
    from market.store import Store

DEFAULT_BATCH = 50


@dataclass(slots=True)
class DeliveryReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0

    def add(self, other: DeliveryReport) -> None:
        self.claimed += other.claimed
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed


def delivery_owner() -> str:
    """A name for one round's lease, unique even between rounds running side by side in one process."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


async def deliver_pending(
    store: Store, sender: MailSender, *, limit: int = DEFAULT_BATCH, now: datetime | None = None
) -> DeliveryReport:
    """Claim up to `limit` messages that are due (at `now`, by default the present) and send them. A message
    the server does not take is retried later with backoff, or marked failed when the refusal is permanent
    or retries have run out. Two rounds at once, in one process or many, never send the same message at the
    same time; one that dies mid-send leaves its messages to be taken over when their lease runs out."""
    outbox = store.mail
    owner = delivery_owner()
    claimed = await outbox.claim(owner, limit=limit, now=now)
    report = DeliveryReport(claimed=len(claimed))
    if not claimed:
        return report
    outcomes = await sender.send_all(claimed)
    for message, failure in zip(claimed, outcomes, strict=True):
        if failure is None:
            await outbox.mark_sent(message.id)
            report.sent += 1
        elif failure.permanent:
            await outbox.mark_failed(message.id, owner, failure.reason)
            report.failed += 1
        elif await outbox.retry_later(message, owner, failure.reason, now=now) is None:
            report.failed += 1
        else:
            report.retried += 1
    return report


async def drain(store: Store, sender: MailSender, *, limit: int = DEFAULT_BATCH) -> DeliveryReport:
    """Deliver rounds until nothing is due; what waits for a retry later stays pending."""
    total = DeliveryReport()
    while True:
        report = await deliver_pending(store, sender, limit=limit)
        total.add(report)
        # A round that sent nothing would find the same messages not yet due: stop rather than spin.
        if report.claimed < limit or report.sent == 0:
            return total
