"""Batches of changes in flight to Meilisearch, acknowledged strictly in the order they were read.

The sync worker used to send one batch and wait until Meilisearch had indexed it before reading the next:
under a steady stream of writes every change also waited for the batch ahead of it, and a bulk import was
indexed a small task at a time. Now up to `depth` batches are sent while earlier ones are being indexed
(Meilisearch batches consecutive tasks of an index together), and each is watched by a waiter of its own.
Meilisearch processes an index's tasks in the order they were enqueued, so a batch's waiter starts polling
only once the batch ahead of it has its outcome: polling a later batch sooner could not acknowledge it any
sooner, and every poll is a request Meilisearch answers with the CPU it indexes with.

The resume token still only moves past what is indexed: a batch is acknowledged when its own tasks and
those of every batch read before it have succeeded, whichever finished first; the first failure, in read
order, is raised to the worker, which drops what is in flight and replays from the last token it stored.
Documents are keyed by id and re-read from MongoDB, so a replay writes the same index.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bson import Timestamp

DEPTH = 8


@dataclass(slots=True)
class Flight:
    """One batch sent: the resume token just after its last event, and the waiter of its tasks."""

    token: dict[str, Any] | None
    events: int
    oldest: Timestamp | None
    waiter: asyncio.Future[Any]


class Pipeline:
    def __init__(self, depth: int = DEPTH) -> None:
        if depth < 1:
            raise ValueError("depth must be at least 1")
        self.depth = depth
        self._flights: deque[Flight] = deque()

    def __len__(self) -> int:
        return len(self._flights)

    @property
    def full(self) -> bool:
        return len(self._flights) >= self.depth

    @property
    def failed(self) -> bool:
        """The oldest batch in flight failed: `acknowledged` raises its error next."""
        head = self._flights[0].waiter if self._flights else None
        return head is not None and head.done() and (head.cancelled() or head.exception() is not None)

    def after_last(self, wait: Callable[[], Awaitable[Any]]) -> asyncio.Future[Any]:
        """A waiter for the next batch: runs `wait` once the newest batch in flight has its outcome."""
        ahead = self._flights[-1].waiter if self._flights else None

        async def in_turn() -> Any:
            if ahead is not None:
                await asyncio.wait([ahead])  # its outcome is read by `acknowledged`
            return await wait()

        return asyncio.ensure_future(in_turn())

    def send(self, flight: Flight) -> None:
        self._flights.append(flight)

    def acknowledged(self) -> list[Flight]:
        """The batches now safe to store the token of, oldest first, taken off the pipeline: the leading run
        of finished ones. A failed batch ends the run; once it is the oldest, its error is raised and
        everything in flight is dropped."""
        done: list[Flight] = []
        while self._flights and self._flights[0].waiter.done():
            head = self._flights[0]
            if head.waiter.cancelled() or head.waiter.exception() is not None:
                if done:
                    break  # those before it are indexed: store their token first
                self.abandon()
                head.waiter.result()  # raises its error (CancelledError if it was cancelled)
            done.append(self._flights.popleft())
        return done

    async def oldest(self) -> list[Flight]:
        """Wait for the oldest batch, then take what is acknowledged."""
        if self._flights:
            await asyncio.wait([self._flights[0].waiter])  # its outcome is read by `acknowledged`
        return self.acknowledged()

    def abandon(self) -> None:
        """Drop every batch in flight: their tasks may still succeed in Meilisearch, but their tokens are
        never stored, so the worker replays them."""
        while self._flights:
            waiter = self._flights.popleft().waiter
            if not waiter.done():
                waiter.cancel()
            elif not waiter.cancelled():
                waiter.exception()  # retrieved: no "exception never retrieved" in the log
