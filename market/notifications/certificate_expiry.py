"""OCOP certificate expiry alerts: 90, 30 and 0 days before a certificate's `validUntil`, the producer's members
and the OCOP office of its province hear of it (`certificate.expiring`, with the threshold reached).

A daily sweep (workers/expiry.py, and `ocop worker --once`) looks at the certificates ending within the next 90
days or in the last GRACE_DAYS, and fires the most urgent threshold each has reached. Each (certificate,
threshold) fires once, recorded in the transaction that writes the event, so a sweep run twice, by two
workers, or after a restart sends nothing again. A renewed certificate (a new `validUntil`) starts afresh.
A certificate first seen inside a threshold fires only that one: a product listed 20 days before its
certificate ends is told of 30 days, not of 90 as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from pymongo.asynchronous.client_session import AsyncClientSession

from market.catalog import policy
from market.catalog.records import Product
from market.core.clock import midnight, today
from market.core.ids import global_id_of
from market.events import names
from market.storage.transactions import in_transaction

if TYPE_CHECKING:
    from market.store import Store

THRESHOLDS = (90, 30, 0)
# Certificates that ended longer ago than this when first seen (before this feature, or a worker down for a
# month) are not announced: the catalogue already flags them as expired.
GRACE_DAYS = 30


def threshold_reached(valid_until: date, day: date) -> int | None:
    """The most urgent threshold the certificate has reached on `day`, or None (more than 90 days left, or
    ended more than GRACE_DAYS ago)."""
    left = (valid_until - day).days
    if left > THRESHOLDS[0] or left < -GRACE_DAYS:
        return None
    return min(t for t in THRESHOLDS if left <= t)


@dataclass(slots=True)
class ExpiryReport:
    certificates: int = 0
    alerts: int = 0


async def sweep_certificates(store: Store, *, day: date | None = None) -> ExpiryReport:
    """Fire the thresholds reached by `day` (today by default) that have not fired yet."""
    day = day or today()
    report = ExpiryReport()
    ending = await store.products.certificates_ending(
        midnight(day - timedelta(days=GRACE_DAYS)), midnight(day + timedelta(days=THRESHOLDS[0]))
    )
    due: list[tuple[str, Product, date, int]] = []
    for product in ending:
        if product.valid_until is None:
            continue
        threshold = threshold_reached(product.valid_until, day)
        if threshold is not None:
            key = f"{product.id}:{product.valid_until.isoformat()}:{threshold}"
            due.append((key, product, product.valid_until, threshold))
    report.certificates = len(due)
    # Most have fired on an earlier day: one read spares them a transaction each.
    fired = await store.alerts.fired_certificate_alerts([key for key, *_ in due])
    for key, product, valid_until, threshold in due:
        if key not in fired:
            report.alerts += await _fire(store, key, product, valid_until, threshold, day)
    return report


async def _fire(store: Store, key: str, product: Product, valid_until: date, threshold: int, day: date) -> int:
    payload = {
        "product": global_id_of("Product", product.id),
        "producer": global_id_of("Producer", product.producer_id),
        "name": product.name,
        "certificateNo": product.certificate_no,
        "validUntil": valid_until.isoformat(),
        "threshold": threshold,
        "daysLeft": (valid_until - day).days,
    }

    async def work(session: AsyncClientSession) -> int:
        if not await store.alerts.claim_certificate_alert(key, product.id, threshold, session):
            return 0
        await store.events.record(
            names.CERTIFICATE_EXPIRING, payload, policy.certificate_audience(product), session,
            subject={"Product": product.id},
        )  # fmt: skip
        return 1

    return await in_transaction(store.client, work)
