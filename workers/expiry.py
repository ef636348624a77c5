"""Closes inquiries past their expiry. Reads already treat them as closed; this writes it down, so lists,
statistics and the RFQ board (through its change stream) agree."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from pymongo.errors import PyMongoError

from market.store import Store
from market.trade.inquiries import expire_inquiries

log = logging.getLogger("ocop.expiry")
EVERY_SECONDS = 60.0


async def sweep_expired(store: Store, stop: asyncio.Event, every: float = EVERY_SECONDS) -> None:
    while not stop.is_set():
        try:
            closed = await expire_inquiries(store)
            if closed:
                log.info("closed %d expired inquiries", closed)
        except PyMongoError as exc:  # MongoDB away for a moment: the next sweep catches up
            log.warning("expiry sweep failed: %s", exc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every)
