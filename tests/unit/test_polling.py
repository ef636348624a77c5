"""The worker's polling loop: full batches follow at once, failures are waited out longer each time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import pytest

from workers.polling import MAX_BACKOFF_SECONDS, poll_until_stopped

log = logging.getLogger("test.polling")


class Outage(Exception):
    pass


def scripted(
    steps: list[bool | Exception], stop: asyncio.Event
) -> tuple[Callable[[], Awaitable[bool]], list[str | float]]:
    """A round that plays `steps` (True: more to do, False: done, an exception: raised), then sets `stop`;
    and the list it writes "round" into for each step played."""
    seen: list[str | float] = []

    async def run_round() -> bool:
        if not steps:
            stop.set()
            return False
        step = steps.pop(0)
        seen.append("round")
        if isinstance(step, Exception):
            raise step
        return step

    return run_round, seen


async def run(steps: list[bool | Exception], *, other_errors_too: bool = False) -> list[str | float]:
    stop = asyncio.Event()
    run_round, events = scripted(steps, stop)

    async def pause(seconds: float) -> None:
        events.append(seconds)

    await poll_until_stopped(
        run_round,
        stop,
        job="test job",
        log=log,
        poll=1.0,
        outage=lambda exc: isinstance(exc, Outage),
        other_errors_too=other_errors_too,
        pause=pause,
    )
    return events


async def test_a_full_batch_is_followed_at_once_and_a_short_one_waits_a_poll() -> None:
    assert await run([True, True, False, False]) == ["round", "round", "round", 1.0, "round", 1.0, 1.0]


async def test_an_outage_is_waited_out_longer_each_time_up_to_the_limit() -> None:
    events = await run([Outage()] * 7 + [False])
    waits = [e for e in events if isinstance(e, float)]
    assert waits[:6] == [2.0, 4.0, 8.0, 16.0, MAX_BACKOFF_SECONDS, MAX_BACKOFF_SECONDS]
    assert waits[7] == 1.0  # a round that succeeds brings the poll back


async def test_other_errors_are_raised_unless_the_job_must_keep_going() -> None:
    with pytest.raises(ValueError):
        await run([False, ValueError("a bug")])
    events = await run([ValueError("a bug"), False], other_errors_too=True)
    assert [e for e in events if isinstance(e, float)][:2] == [2.0, 1.0]


def test_alert_matching_waits_out_an_index_the_sync_has_not_created_yet() -> None:
    from search.client import MeiliError, MeiliUnavailable
    from workers.alerts import _outage

    assert _outage(MeiliError("Index `new_rfqs` not found.", "index_not_found", 404))
    assert _outage(MeiliUnavailable("connection refused"))
    assert not _outage(MeiliError("Attribute `x` is not filterable.", "invalid_search_filter", 400))
