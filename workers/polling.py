"""The loop the worker's polling jobs share (mail, notifications, alerts): run a round; go again at once when
it had a full batch, else wait for the next poll; after a failure wait longer each time, so that an outage
is not a log line a second; stop when `stop` is set."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from pymongo.errors import PyMongoError

from market.storage.faults import is_unavailable

MAX_BACKOFF_SECONDS = 30.0


def mongodb_unavailable(exc: Exception) -> bool:
    return isinstance(exc, PyMongoError) and is_unavailable(exc)


async def wait_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def poll_until_stopped(
    run_round: Callable[[], Awaitable[bool]],
    stop: asyncio.Event,
    *,
    job: str,
    log: logging.Logger,
    poll: float,
    outage: Callable[[Exception], bool],
    other_errors_too: bool = False,
    pause: Callable[[float], Awaitable[None]] | None = None,
) -> None:
    """`run_round` answers whether there is more to do at once. An error `outage` recognises is waited out
    with backoff; any other is raised, or with `other_errors_too` logged and waited out likewise (a job that
    must not take the other loops of the worker down with it). `pause(seconds)` replaces the plain wait (a
    job that a change stream can wake early)."""
    backoff = poll
    while not stop.is_set():
        wait = poll
        try:
            more = await run_round()
        except Exception as exc:
            if outage(exc):
                log.warning("%s paused, a service is unavailable: %s", job, type(exc).__name__)
            elif other_errors_too:
                log.exception("%s failed; trying again later", job)
            else:
                raise
            backoff = min(MAX_BACKOFF_SECONDS, backoff * 2)
            wait = backoff
        else:
            backoff = poll
            if more:
                continue
        await (pause(wait) if pause is not None else wait_or_stop(stop, wait))
