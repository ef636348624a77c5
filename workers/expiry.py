"""Closes inquiries past their expiry, and once a day announces OCOP certificates about to end. Reads already
treat expired inquiries as closed; closing writes it down, so lists, statistics and the RFQ board (through its
change stream) agree. The certificate sweep fires each threshold once (market/notifications/certificate_expiry.py),
so running it at every start of the worker and again each new day sends nothing twice."""

from __future__ import annotations

import asyncio
import logging
from datetime import date

from pymongo.errors import PyMongoError

from market.core.clock import today
from market.notifications.certificate_expiry import sweep_certificates
from market.store import Store
from market.trade.inquiries import expire_inquiries
from workers.polling import wait_or_stop

log = logging.getLogger("ocop.expiry")
EVERY_SECONDS = 60.0


async def sweep_expired(store: Store, stop: asyncio.Event, every: float = EVERY_SECONDS) -> None:
    swept_on: date | None = None
    while not stop.is_set():
        try:
            closed = await expire_inquiries(store)
            if closed:
                log.info("closed %d expired inquiries", closed)
            if swept_on != today():
                day = today()
                report = await sweep_certificates(store, day=day)
                swept_on = day
                if report.alerts:
                    log.info(
                        "certificate expiry: %d alert(s) for %d certificate(s)", report.alerts, report.certificates
                    )
        except PyMongoError as exc:  # MongoDB away for a moment: the next sweep catches up
            log.warning("expiry sweep failed: %s", exc)
        await wait_or_stop(stop, every)
