"""Failover on a real three-member replica set, while writes go through the API: the primary is stepped
down, then the member that took over is killed with SIGKILL. No acknowledged write is lost, the API and the
sync worker carry on with the third primary without a restart, and the search index ends without drift.

The replica set is this test's own (free ports, a temporary directory), so the session's shared single
node is never disturbed; Meilisearch is the shared one, under an index prefix of this test's own.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from bson import ObjectId
from pymongo.read_concern import ReadConcern

from api.app import create_app
from api.settings import Settings
from bench.failover import (
    ACKS_AFTER,
    PrimaryWatch,
    ReplicaSet,
    Write,
    WriteLoad,
    clients,
    describe,
    run_failover,
    seed_producer,
    wait_no_drift,
    wait_worker_following,
)
from market.store import Store
from search.settings import PRODUCTS
from workers.sync import SearchSync

# MongoDB's default (10 s) would spend most of the test waiting for the second election.
ELECTION_TIMEOUT_MS = 2000
DEADLINE_SECONDS = 150


@pytest.fixture
async def replica_set(settings: Settings, tmp_path: Path) -> AsyncIterator[ReplicaSet]:
    rs = await asyncio.to_thread(
        ReplicaSet.start, tmp_path, settings, tag=secrets.token_hex(3), election_timeout_ms=ELECTION_TIMEOUT_MS
    )
    try:
        yield rs
    finally:
        await asyncio.to_thread(rs.stop)


def _holds(doc: dict[str, Any] | None, write: Write) -> bool:
    """The product holds what the write was acknowledged with, or a later version of it."""
    if doc is None or write.version is None:
        return False
    if doc["version"] != write.version:
        return bool(doc["version"] > write.version)
    return bool(doc["priceVnd"] == write.price)


async def test_acknowledged_writes_survive_a_stepdown_and_a_killed_primary(replica_set: ReplicaSet) -> None:
    own = replica_set.settings
    index_uid = own.index_uid(PRODUCTS)
    # A hang fails the test instead of the session, and the fixture still stops the replica set.
    async with asyncio.timeout(DEADLINE_SECONDS), clients(own) as (store, meili):
        producer, key = await seed_producer(store)
        app = create_app(own)
        worker_store = Store.connect(own.resolved_mongodb_url, own.db_name)
        worker = SearchSync(worker_store, meili, index_uid, max_await_ms=50)
        stop = asyncio.Event()
        worker_task = asyncio.create_task(worker.run(stop=stop))
        try:
            await wait_worker_following(store, index_uid)
            transport = httpx.ASGITransport(app=app)
            async with (
                httpx.AsyncClient(transport=transport, base_url="http://test", timeout=30) as http,
                PrimaryWatch(replica_set.ports) as watch,
            ):
                load = WriteLoad(http, key, producer)
                failover = await run_failover(replica_set, watch, load)

            # Two real elections: away from the stepped-down member, then away from the killed one.
            assert failover.second != failover.first
            assert failover.killed_port == failover.second
            assert failover.third not in (failover.first, failover.second)
            assert failover.during(), "no write was attempted during the failover"

            # Every acknowledged write is on the survivors, read back with majority.
            acknowledged = [w for w in failover.writes if w.ok]
            products = store.db.get_collection("products", read_concern=ReadConcern("majority"))
            ids = list({ObjectId(w.product_id) for w in acknowledged})
            held = {d["_id"]: d for d in await products.find({"_id": {"$in": ids}}).to_list(None)}
            lost = [w for w in acknowledged if not _holds(held.get(ObjectId(w.product_id)), w)]
            assert not lost, lost[:5]

            # The same API process acknowledges writes again once the third primary is elected.
            assert load.acknowledged_since(failover.elected_after_kill) >= ACKS_AFTER

            # The same worker follows the new primary, and the index ends where MongoDB is.
            drift = await wait_no_drift(store, meili, index_uid, timeout=45)
            assert drift.clean, (describe(drift), worker.stats.history[-5:])
            assert not worker_task.done(), worker_task
            assert drift.expected >= len(ids) > 0
            assert (await meili.stats(index_uid))["numberOfDocuments"] == drift.expected
        finally:
            stop.set()
            await asyncio.wait_for(worker_task, timeout=15)
            await worker_store.close()
            await app.state.services.close()
