"""Search sync under faults: a worker killed with SIGKILL, Meilisearch down, an expired resume token.
Each ends with zero lost and zero stale documents."""

from __future__ import annotations

import asyncio
import random
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bson import ObjectId

from api.settings import PROJECT_ROOT, Settings
from devservices.local import MONGODB, LocalServices
from market.store import Store
from search.client import MeiliClient
from tests.conftest import World
from tests.test_sync import new_product
from workers.drift import check_drift
from workers.sync import SearchSync


async def wait_clean(store: Store, meili: MeiliClient, index_uid: str, seconds: float = 30) -> Any:
    report = None
    for _ in range(int(seconds / 0.1)):
        report = await check_drift(store, meili, index_uid)
        if report.clean:
            return report
        await asyncio.sleep(0.1)
    raise AssertionError(f"still drifting: {report}")


async def test_sigkilled_worker_loses_and_duplicates_nothing(
    settings: Settings, store: Store, meili: MeiliClient, index_uid: str, world: World, sync: Any
) -> None:
    await sync()
    env = settings.child_environment()
    rng = random.Random(7)
    producer = ObjectId(world.producer_id)
    ids: list[ObjectId] = []
    for round_ in range(3):
        worker = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "cli",
            "worker",
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for i in range(60):
                ids.append(await new_product(store, producer, f"Chịu lỗi {round_} {i}"))
                if ids and rng.random() < 0.5:
                    target = rng.choice(ids)
                    await store.db["products"].update_one({"_id": target}, {"$inc": {"version": 1, "priceVnd": 1}})
                if i == rng.randint(10, 50):
                    await asyncio.sleep(rng.random() * 0.3)
        finally:
            worker.send_signal(signal.SIGKILL)  # at whatever point it has reached
            await worker.wait()
    drain = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "cli", "worker", "--once", "--timeout", "120"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert drain.returncode == 0, drain.stderr[-2000:]
    report = await check_drift(store, meili, index_uid)
    assert report.clean, report
    stats = await meili.stats(index_uid)
    assert stats["numberOfDocuments"] == report.expected  # nothing duplicated


@pytest.fixture
def own_meili(settings: Settings, tmp_path: Path) -> Iterator[tuple[LocalServices, Settings]]:
    """A Meilisearch of this test's own, which it may stop and restart."""
    own = Settings(
        OCOP_HOME=str(tmp_path),
        OCOP_MEILI_PORT=settings.meili_port + 100,
        MONGODB_URL=settings.resolved_mongodb_url,
        MEILI_BIN=str(LocalServices(settings).ensure_meili_binary()),
        OCOP_SMTP_URL=settings.resolved_smtp_url,
        OCOP_DB_NAME=settings.db_name,
        OCOP_INDEX_PREFIX=settings.index_prefix + "own_",
    )
    services = LocalServices(own)
    services.start()
    yield services, own
    services.stop()


async def test_meilisearch_down_then_back_loses_nothing(
    own_meili: tuple[LocalServices, Settings], store: Store, world: World
) -> None:
    services, own = own_meili
    meili = MeiliClient(own.resolved_meili_url, own.resolved_meili_key)
    index_uid = own.index_uid("products")
    stop = asyncio.Event()
    worker = SearchSync(store, meili, index_uid, max_await_ms=50)
    task = asyncio.create_task(worker.run(stop=stop))
    try:
        producer = ObjectId(world.producer_id)
        await new_product(store, producer, "Trước khi sập")
        await wait_clean(store, meili, index_uid)
        services.stop(["meilisearch"])
        written = [await new_product(store, producer, f"Khi Meilisearch tắt {i}") for i in range(25)]
        await store.products.update(written[0], 1, {"priceVnd": 77000})
        await asyncio.sleep(1.0)
        assert worker.stats.errors > 0  # it noticed, and kept its resume token where it was
        services.start()
        report = await wait_clean(store, meili, index_uid, seconds=60)
        assert report.expected >= 26
        assert (await meili.get_document(index_uid, str(written[0])))["priceVnd"] == 77000  # type: ignore[index]
    finally:
        stop.set()
        await task
        await meili.close()


async def test_lost_resume_point_triggers_a_full_rebuild(tmp_path: Path, settings: Settings) -> None:
    """The stored resume token points at oplog history the server no longer has. Here the database is
    restored from a backup onto a fresh replica set, the same situation as an oplog that rolled over
    while the worker was away: MongoDB refuses to resume, and the worker must rebuild the index."""
    own = Settings(
        OCOP_HOME=str(tmp_path),
        OCOP_MONGO_PORT=settings.mongo_port + 100,
        MEILI_URL=settings.resolved_meili_url,
        MEILI_MASTER_KEY=settings.resolved_meili_key,
        OCOP_SMTP_URL=settings.resolved_smtp_url,
        OCOP_DB_NAME="expiry",
        OCOP_INDEX_PREFIX=settings.index_prefix + "expiry_",
    )
    services = LocalServices(own)
    services.start()
    meili = MeiliClient(own.resolved_meili_url, own.resolved_meili_key)
    index_uid = own.index_uid("products")
    store = Store.connect(own.resolved_mongodb_url, own.db_name)
    try:
        producer = await store.producers.insert(
            {"name": "HTX Khôi phục", "type": "cooperative", "address": {"provinceCode": "01"}}
        )
        await new_product(store, producer.id, "Trước khi sao lưu")
        await SearchSync(store, meili, index_uid, max_await_ms=50).run(once=True, timeout=60)
        backup = {name: await store.db[name].find().to_list(None) for name in ("producers", "products", "sync_state")}
        await store.close()

        services.stop([MONGODB])
        shutil.rmtree(tmp_path / f"mongo-{own.mongo_port}")
        services.start()
        store = Store.connect(own.resolved_mongodb_url, own.db_name)
        for name, docs in backup.items():
            await store.db[name].insert_many(docs)
        late = await new_product(store, producer.id, "Sau khi khôi phục")

        worker = SearchSync(store, meili, index_uid, max_await_ms=50)
        await worker.run(once=True, timeout=120)
        assert worker.stats.rebuilds == 1
        assert any("resume point lost" in line for line in worker.stats.history)
        assert await meili.get_document(index_uid, str(late)) is not None
        assert (await check_drift(store, meili, index_uid)).clean
    finally:
        await meili.close()
        await store.close()
        services.stop()
