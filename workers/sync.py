"""The search sync worker: MongoDB change streams → Meilisearch.

Design (the README has the full argument):
- One change stream on the database, filtered to the collections its indexer watches (`products` and
  `producers` for the products index, `inquiries` for the RFQ board). Events only name the ids
  that changed; the indexer re-reads those documents, so `replace`, removed fields and out-of-band writes
  (a mongosh session, a migration) all propagate, and a replay is harmless.
- Several batches are in flight to Meilisearch at once (workers/pipeline.py), and a backlog (a bulk write)
  is read in larger batches. The resume token is stored in MongoDB and advanced only after Meilisearch
  reported every task of the batch, and of every batch read before it, as succeeded. A crash (even
  SIGKILL) at any point replays from the last token: nothing is lost,
  and because documents are keyed by id and re-read, nothing is duplicated.
- A lease in the same state document keeps a second worker idle; token writes are fenced by the lease.
- Index documents carry the MongoDB `version`; the indexer never lets an older one overwrite a newer one.
- An expired resume token (the oplog rolled over) triggers a full rebuild with an atomic index swap.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bson import ObjectId, Timestamp
from pymongo.errors import ConnectionFailure, OperationFailure, PyMongoError

from market.storage.sync_state import LeaseLost
from market.store import Store
from search.client import MeiliClient, MeiliError
from workers.indexer import Indexer, ProductIndexer
from workers.pipeline import DEPTH, Flight, Pipeline
from workers.polling import MAX_BACKOFF_SECONDS, wait_or_stop
from workers.rebuild import apply_settings, rebuild

log = logging.getLogger("ocop.sync")

# Server error codes meaning "this resume point is gone": ChangeStreamHistoryLost, InvalidResumeToken,
# ChangeStreamFatalError.
RESUME_POINT_LOST = {286, 260, 280}
IDLE_COMMIT_SECONDS = 5.0
# How long one getMore waits for new events. The server answers as soon as a watched write commits, so this
# is not a delay on changes: it is how often an idle worker wakes, and how long a finished batch may wait to
# be acknowledged when no write follows it. Each wake is a getMore and a read of the sync state, a
# millisecond of CPU or more on both sides, taken from the indexing that a small host shares with them.
MAX_AWAIT_MS = 250
# `run(once=True)` returns on the first empty getMore after the last batch: wait briefly there.
ONCE_AWAIT_MS = 25
# The token of acknowledged batches is stored at most this often while batches are still in flight (and
# always once none is): each store is a majority write, as much journal work as the product write itself,
# and a crash between two stores only replays what a store would have skipped.
COMMIT_SECONDS = 1.0
# The first poll of a batch's Meilisearch tasks, and the longest between polls (see Pipeline.after_last).
FIRST_POLL_SECONDS = 0.01
LONGEST_POLL_SECONDS = 0.04
# Events read at most into one batch while a backlog lasts (a bulk write); `batch_size` otherwise.
BULK_BATCH = 8000
TASK_TIMEOUT = 120.0


@dataclass(slots=True)
class SyncStats:
    events: int = 0
    flushes: int = 0
    rebuilds: int = 0
    errors: int = 0
    last_lag: float = 0.0
    history: list[str] = field(default_factory=list)


class SyncTimeout(Exception):
    pass


class ResumePointLost(Exception):
    """The oplog no longer reaches back to where the worker stopped."""


def token_time(token: dict[str, Any] | None) -> Timestamp | None:
    """The cluster time inside a resume token: its hex key string starts with 0x82 and a big-endian
    (seconds, increment) timestamp."""
    data = (token or {}).get("_data")
    if not isinstance(data, str) or len(data) < 18 or not data.startswith("82"):
        return None
    try:
        return Timestamp(int(data[2:10], 16), int(data[10:18], 16))
    except ValueError:
        return None


class SearchSync:
    def __init__(
        self,
        store: Store,
        meili: MeiliClient,
        index_uid: str,
        *,
        owner: str | None = None,
        indexer: Indexer | None = None,
        batch_size: int = 500,
        bulk_batch_size: int = BULK_BATCH,
        depth: int = DEPTH,
        max_await_ms: int | None = None,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self.store = store
        self.meili = meili
        self.index_uid = index_uid
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{ObjectId()}"
        self.state = store.sync_state(f"search:{index_uid}")
        self.indexer = indexer or ProductIndexer(store, meili)
        self.batch_size = batch_size
        self.bulk_batch_size = max(bulk_batch_size, batch_size)
        self.depth = depth
        self.max_await_ms = max_await_ms
        self.on_progress = on_progress
        self.stats = SyncStats()

    async def run(self, *, once: bool = False, stop: asyncio.Event | None = None, timeout: float | None = None) -> None:
        """Sync until `stop` is set. With `once`, return as soon as everything pending is in the index."""
        stop = stop or asyncio.Event()
        deadline = time.monotonic() + timeout if timeout else None
        backoff = 0.25
        try:
            while not stop.is_set():
                if deadline and time.monotonic() > deadline:
                    raise SyncTimeout(f"search sync did not catch up within {timeout}s: {self.stats.history[-1:]}")
                try:
                    if not await self.state.try_acquire(self.owner):
                        await wait_or_stop(stop, 1.0)
                        continue
                    await apply_settings(self.meili, self.index_uid, self.indexer.settings)
                    caught_up = await self._follow(once, stop)
                    backoff = 0.25
                    if once and caught_up:
                        return
                except LeaseLost as exc:
                    self._note(str(exc))
                except ResumePointLost as exc:
                    self._note(f"resume point lost ({exc}); rebuilding the index")
                    await self._rebuild_and_restart()
                    continue
                except OperationFailure as exc:
                    if exc.code in RESUME_POINT_LOST:
                        self._note(f"resume point lost (server code {exc.code}); rebuilding the index")
                        await self._rebuild_and_restart()
                        continue
                    await self._failed(exc)
                    await wait_or_stop(stop, backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                except (MeiliError, ConnectionFailure, PyMongoError) as exc:
                    # Meilisearch or MongoDB is down: keep the token where it is and retry with backoff.
                    await self._failed(exc)
                    await wait_or_stop(stop, backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
        finally:
            with contextlib.suppress(PyMongoError):
                await self.state.release(self.owner)

    async def _failed(self, exc: Exception) -> None:
        self.stats.errors += 1
        self._note(f"{type(exc).__name__}: {exc}")
        with contextlib.suppress(PyMongoError):
            await self.state.record_error(self.owner, f"{type(exc).__name__}: {exc}")

    def _note(self, message: str) -> None:
        log.warning(message)
        self.stats.history.append(message)
        del self.stats.history[:-20]

    async def _rebuild_and_restart(self) -> None:
        started = await rebuild(self.store, self.meili, self.index_uid, self.on_progress, self.indexer)
        self.stats.rebuilds += 1
        await self.state.renew(self.owner)
        await self.state.set_fingerprint(self.indexer.fingerprint())
        await self.state.request_rewind(started)

    async def _check_history(self, resume_from: Timestamp | None) -> None:
        """The server itself refuses most lost resume points, but not one older than a fresh oplog (after a
        restore, or a rollover it has not noticed yet); compare with the oldest oplog entry as well."""
        if resume_from is None:
            return
        oldest = await self.store.oldest_oplog_time()
        if oldest is not None and oldest > resume_from:
            raise ResumePointLost(f"the oplog starts at {oldest.as_datetime()}, after the resume point")

    async def _follow(self, once: bool, stop: asyncio.Event) -> bool:
        """Follow the change stream; True when `once` and caught up, False to reopen the stream."""
        status = await self.state.read()
        rewind = status.rewind_to
        if status.resume_token is None and rewind is None:
            # First start on this index: build it whole, then follow changes from the snapshot's start.
            await self._rebuild_and_restart()
            return False
        if status.fingerprint != self.indexer.fingerprint():
            self._note("the document shape or the synonyms changed; rebuilding the index")
            await self._rebuild_and_restart()
            return False
        await self._check_history(rewind or token_time(status.resume_token))
        options: dict[str, Any] = (
            {"start_at_operation_time": rewind} if rewind is not None else {"resume_after": status.resume_token}
        )
        pipeline_stages: list[dict[str, Any]] = [
            {"$match": {"ns.coll": {"$in": list(self.indexer.watched)}}},
            {"$project": {"operationType": 1, "ns": 1, "documentKey": 1, "clusterTime": 1}},
        ]
        pipeline = Pipeline(self.depth)
        try:
            # Without a batch size one getMore returns up to 16 MB of events, all decoded at once: after a bulk
            # import that is the whole backlog in memory. Fetch what one getMore of a batch consumes, no more.
            await_ms = self.max_await_ms
            if await_ms is None:
                await_ms = ONCE_AWAIT_MS if once else MAX_AWAIT_MS
            async with await self.store.watch(
                pipeline_stages, max_await_time_ms=await_ms, batch_size=self.batch_size, **options
            ) as stream:
                last_commit = 0.0
                limit = self.batch_size
                acknowledged: list[Flight] = []  # indexed, their token not stored yet
                while not stop.is_set():
                    changed: dict[str, set[ObjectId]] = {name: set() for name in self.indexer.watched}
                    rebuild_needed = False
                    oldest: Timestamp | None = None
                    count = 0
                    while count < limit:
                        event = await stream.try_next()
                        if event is None:
                            break
                        count += 1
                        oldest = oldest or event.get("clusterTime")
                        kind = event["operationType"]
                        coll = event.get("ns", {}).get("coll")
                        if kind in ("drop", "rename", "dropDatabase", "invalidate"):
                            rebuild_needed = True
                        elif coll in changed:
                            changed[coll].add(event["documentKey"]["_id"])
                        if count < self.batch_size and _drained(stream):
                            break  # a few writes: send them now, rather than wait a getMore's time for more
                    if rebuild_needed:
                        self._note("a watched collection was dropped or renamed; rebuilding the index")
                        pipeline.abandon()
                        await self._rebuild_and_restart()
                        return False
                    backlog = count >= limit
                    # A bulk write (an import, a producer rename) shows as a full read: read the backlog in
                    # larger batches, fewer and larger Meilisearch tasks, until the stream runs dry again.
                    limit = min(limit * 2, self.bulk_batch_size) if backlog else self.batch_size
                    if count:
                        token = _as_dict(stream.resume_token)
                        pipeline.send(await self._send(pipeline, changed, token, count, oldest))
                    # Reading waits only for a full pipeline: the getMore's own wait paces the polling.
                    acknowledged += await pipeline.oldest() if pipeline.full else pipeline.acknowledged()
                    now = time.monotonic()
                    if acknowledged and (not pipeline or pipeline.failed or now - last_commit >= COMMIT_SECONDS):
                        await self._acknowledge(acknowledged, rewind)
                        acknowledged, rewind = [], None
                        last_commit = now
                    elif not count and not pipeline and now - last_commit > IDLE_COMMIT_SECONDS:
                        # Nothing read and nothing in flight: the stream's token is safe to store as it is.
                        await self.state.commit(
                            self.owner, _as_dict(stream.resume_token), applied=0, lag_seconds=0.0,
                            index_uid=self.index_uid,
                        )  # fmt: skip
                        if rewind is not None:
                            await self.state.clear_rewind(self.owner, rewind)
                            rewind = None
                        last_commit = now
                    if count == 0 and not pipeline:
                        if once:
                            return True
                        latest = await self.state.read()
                        if latest.rewind_to is not None:
                            return False  # a rebuild swapped the index; replay from its snapshot
                if acknowledged:
                    await self._acknowledge(acknowledged, rewind)  # stopped: no need to replay those
        finally:
            pipeline.abandon()  # an error or a stop: what was not acknowledged is replayed
        return False

    async def _send(
        self,
        pipeline: Pipeline,
        changed: dict[str, set[ObjectId]],
        token: dict[str, Any] | None,
        count: int,
        oldest: Timestamp | None,
    ) -> Flight:
        """Write the current state of what changed, without waiting for Meilisearch to index it."""
        tasks: list[int] = []
        async for ids in self.indexer.affected(changed):
            tasks += (await self.indexer.apply(self.index_uid, ids, wait=False)).tasks
        waiter = pipeline.after_last(
            lambda: self.meili.wait_tasks(
                tasks, timeout=TASK_TIMEOUT, first=FIRST_POLL_SECONDS, longest=LONGEST_POLL_SECONDS
            )
        )
        return Flight(token, count, oldest, waiter)

    async def _acknowledge(self, flights: list[Flight], rewind: Timestamp | None) -> None:
        """Store the token of the newest of these batches, all indexed, as are all read before them."""
        events = sum(f.events for f in flights)
        self.stats.events += events
        self.stats.flushes += len(flights)
        oldest = next((f.oldest for f in flights if f.oldest is not None), None)
        self.stats.last_lag = max(0.0, time.time() - oldest.time) if oldest else 0.0
        await self.state.commit(
            self.owner, flights[-1].token, applied=events, lag_seconds=self.stats.last_lag, index_uid=self.index_uid
        )
        if rewind is not None:
            await self.state.clear_rewind(self.owner, rewind)


def _drained(stream: Any) -> bool:
    """Whether the events of the last getMore are all read. Reading on would send another getMore and wait up
    to its time for more, and a write waited as long before the batch holding it was sent. PyMongo keeps the
    buffer private: where it cannot be seen, reading goes on until a getMore comes back empty."""
    buffered = getattr(getattr(stream, "_cursor", None), "_data", None)
    return buffered is not None and len(buffered) == 0


def _as_dict(token: Any) -> dict[str, Any] | None:
    return dict(token) if token is not None else None
