"""Zero-downtime rebuild of the products index: fill a temporary index from MongoDB, then atomically
swap it with the live one.

Live sync keeps writing to the live index meanwhile. Changes that land after the rebuild's snapshot
started are replayed by the sync worker afterwards: `rebuild` returns the snapshot's cluster time and the
caller asks the worker to rewind its change stream to it (see workers/sync.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import Any

from bson import Timestamp

from market.store import Store
from search.client import MeiliClient, MeiliError, MeiliUnavailable
from search.settings import PRODUCT_SETTINGS
from workers.indexer import Indexer, ProductIndexer

Progress = Callable[[int, int], None]  # (done, total)


async def apply_settings(meili: MeiliClient, uid: str, settings: Mapping[str, Any] = PRODUCT_SETTINGS) -> None:
    await meili.ensure_index(uid)
    current = await meili.get_settings(uid)
    if any(current.get(key) != value for key, value in settings.items()):
        await meili.wait_task(await meili.update_settings(uid, dict(settings)), timeout=300)


async def swap(meili: MeiliClient, live_uid: str, temp_uid: str, timeout: float = 60.0) -> None:
    """Swap the two indexes and wait until it is done. A key limited to some indexes cannot see a swap's task
    (it belongs to no index: meilisearch issue #4103), so the worker, which holds such a key, waits instead
    until the live uid answers with the temporary index's creation time, which a swap carries over."""
    built = await meili.get_index(temp_uid)
    assert built is not None
    task = await meili.swap_indexes([(live_uid, temp_uid)])
    try:
        await meili.wait_task(task, timeout=timeout)
        return
    except MeiliError as exc:
        if exc.code != "task_not_found":
            raise
    deadline = time.monotonic() + timeout
    while (live := await meili.get_index(live_uid)) is None or live["createdAt"] != built["createdAt"]:
        if time.monotonic() > deadline:
            raise MeiliUnavailable(f"the swap of {live_uid} and {temp_uid} was not done after {timeout}s")
        await asyncio.sleep(0.01)


async def rebuild(
    store: Store,
    meili: MeiliClient,
    live_uid: str,
    progress: Progress | None = None,
    indexer: Indexer | None = None,
) -> Timestamp:
    indexer = indexer or ProductIndexer(store, meili)
    started = await store.cluster_time()
    temp_uid = f"{live_uid}__rebuild_{int(time.time() * 1000)}"
    total = await indexer.count()
    try:
        await apply_settings(meili, temp_uid, indexer.settings)
        done = 0
        if progress:
            progress(done, total)
        # Batches are queued without waiting for each other, so Meilisearch always has the next one ready.
        tasks: list[int] = []
        waited = 0
        async for chunk in indexer.all_ids():
            tasks += (await indexer.apply(temp_uid, set(chunk), guard_versions=False, wait=False)).tasks
            if progress and len(tasks) > waited + 2:
                await meili.wait_tasks(tasks[waited:-2], timeout=300)  # report what is indexed, not queued
                waited = len(tasks) - 2
            done += len(chunk)
            if progress:
                progress(done, total)
        await meili.wait_tasks(tasks[waited:], timeout=600)
        await apply_settings(meili, live_uid, indexer.settings)
        await swap(meili, live_uid, temp_uid)
    finally:
        # After the swap the temporary uid holds the previous live content; before it, a half-built index.
        if await meili.get_index(temp_uid) is not None:
            await meili.wait_task(await meili.delete_index(temp_uid))
    return started
