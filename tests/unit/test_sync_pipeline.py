"""The sync pipeline's ordering (workers/pipeline.py), without a server: a resume token is handed out only
for batches whose tasks, and those of every batch read before them, succeeded."""

from __future__ import annotations

import asyncio

import pytest

from workers.pipeline import Flight, Pipeline


def _flight(n: int) -> Flight:
    return Flight(token={"_data": f"t{n}"}, events=n, oldest=None, waiter=asyncio.get_running_loop().create_future())


async def test_a_batch_finished_early_waits_for_the_ones_read_before_it() -> None:
    pipeline = Pipeline(depth=3)
    first, second, third = (_flight(n) for n in (1, 2, 3))
    for flight in (first, second, third):
        pipeline.send(flight)
    assert pipeline.full
    second.waiter.set_result(None)
    third.waiter.set_result(None)
    assert pipeline.acknowledged() == []  # the oldest is still being indexed
    first.waiter.set_result(None)
    assert [f.token for f in pipeline.acknowledged()] == [{"_data": "t1"}, {"_data": "t2"}, {"_data": "t3"}]
    assert len(pipeline) == 0


async def test_only_the_leading_run_of_finished_batches_is_acknowledged() -> None:
    pipeline = Pipeline(depth=4)
    flights = [_flight(n) for n in range(4)]
    for flight in flights:
        pipeline.send(flight)
    flights[0].waiter.set_result(None)
    flights[2].waiter.set_result(None)
    assert pipeline.acknowledged() == [flights[0]]
    assert len(pipeline) == 3 and not pipeline.full


async def test_a_failed_batch_raises_and_drops_everything_after_it() -> None:
    pipeline = Pipeline(depth=3)
    first, second, third = (_flight(n) for n in (1, 2, 3))
    for flight in (first, second, third):
        pipeline.send(flight)
    first.waiter.set_result(None)
    second.waiter.set_exception(RuntimeError("task failed"))
    third.waiter.set_result(None)  # succeeded, but read after the failure: its token must not be stored
    assert pipeline.acknowledged() == [first]
    with pytest.raises(RuntimeError, match="task failed"):
        pipeline.acknowledged()
    assert len(pipeline) == 0


async def test_a_failure_behind_unfinished_batches_is_not_raised_early() -> None:
    pipeline = Pipeline(depth=2)
    first, second = _flight(1), _flight(2)
    pipeline.send(first)
    pipeline.send(second)
    second.waiter.set_exception(RuntimeError("later"))
    assert pipeline.acknowledged() == []
    first.waiter.set_result(None)
    assert await pipeline.oldest() == [first]  # its token is stored; the failure surfaces next
    with pytest.raises(RuntimeError):
        pipeline.acknowledged()
    assert len(pipeline) == 0


async def test_waiting_for_the_oldest_batch() -> None:
    pipeline = Pipeline(depth=1)
    flight = _flight(1)
    pipeline.send(flight)
    asyncio.get_running_loop().call_soon(flight.waiter.set_result, None)
    assert await pipeline.oldest() == [flight]


async def test_abandoning_cancels_what_is_in_flight() -> None:
    pipeline = Pipeline(depth=2)
    pending, failed = _flight(1), _flight(2)
    failed.waiter.set_exception(RuntimeError("x"))
    pipeline.send(pending)
    pipeline.send(failed)
    pipeline.abandon()
    assert pending.waiter.cancelled() and len(pipeline) == 0


def test_depth_is_at_least_one() -> None:
    with pytest.raises(ValueError):
        Pipeline(depth=0)


async def test_a_batch_is_polled_only_once_the_one_ahead_of_it_has_an_outcome() -> None:
    pipeline = Pipeline(depth=3)
    started: list[int] = []

    def poll(n: int) -> asyncio.Future[None]:
        async def wait() -> None:
            started.append(n)

        return pipeline.after_last(wait)

    first = Flight(token=None, events=1, oldest=None, waiter=poll(1))  # nothing ahead: polls at once
    pipeline.send(first)
    await first.waiter
    ahead = _flight(2)
    pipeline.send(ahead)
    behind = Flight(token=None, events=1, oldest=None, waiter=poll(3))
    pipeline.send(behind)
    await asyncio.sleep(0)
    assert started == [1]
    ahead.waiter.set_exception(RuntimeError("task failed"))  # a failure is an outcome too
    await behind.waiter
    assert started == [1, 3]


async def test_a_failed_oldest_batch_is_reported_before_it_is_raised() -> None:
    pipeline = Pipeline(depth=2)
    first, second = _flight(1), _flight(2)
    pipeline.send(first)
    pipeline.send(second)
    assert not pipeline.failed
    first.waiter.set_result(None)
    second.waiter.set_exception(RuntimeError("task failed"))
    assert not pipeline.failed  # the first is acknowledged first
    assert pipeline.acknowledged() == [first]
    assert pipeline.failed
    with pytest.raises(RuntimeError):
        pipeline.acknowledged()
