"""Least privilege on Meilisearch: the API's key may only search this deployment's indexes, the worker's
only write them, and setup, with the master key, makes the same two keys however often it runs."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from api.settings import Settings
from cli.sync import write_scoped_keys
from market.store import Store
from search.client import MeiliClient
from search.keys import ScopedKeys
from search.settings import PRODUCTS
from tests.conftest import Api
from workers.drift import check_drift
from workers.rebuild import rebuild


@pytest.fixture(scope="module")
async def keys(settings: Settings, scoped_keys: None) -> ScopedKeys:
    return await write_scoped_keys(settings)


async def call(settings: Settings, key: str, method: str, path: str, body: object = None) -> int:
    async with httpx.AsyncClient(base_url=settings.resolved_meili_url) as http:
        response = await http.request(method, path, json=body, headers={"Authorization": f"Bearer {key}"})
    return response.status_code


async def test_setup_is_idempotent_and_the_api_uses_the_search_key(
    settings: Settings, keys: ScopedKeys, api: Api
) -> None:
    again = await write_scoped_keys(settings)
    assert again == keys and keys.search != keys.worker
    assert keys.search not in (settings.resolved_meili_key, None)
    meili: MeiliClient = api.app.state.services.meili
    assert meili._http.headers["authorization"] == f"Bearer {keys.search}"


async def test_the_search_key_only_searches_its_own_indexes(
    settings: Settings, keys: ScopedKeys, meili: MeiliClient, api: Api
) -> None:
    own = settings.index_uid(PRODUCTS)
    await meili.ensure_index(own)
    other = "elsewhere_products"
    await meili.ensure_index(other)
    try:
        assert await call(settings, keys.search, "POST", f"/indexes/{own}/search", {"q": "kẹo"}) == 200
        assert await call(settings, keys.search, "POST", f"/indexes/{other}/search", {"q": "kẹo"}) == 403
        assert await call(settings, keys.search, "POST", f"/indexes/{own}/documents", [{"id": "x"}]) == 403
        assert await call(settings, keys.search, "DELETE", f"/indexes/{own}") == 403
        assert await call(settings, keys.search, "PATCH", f"/indexes/{own}/settings", {"rankingRules": []}) == 403
        assert await call(settings, keys.search, "GET", "/keys") == 403
    finally:
        await meili.wait_task(await meili.delete_index(other))


async def test_the_worker_key_writes_only_its_own_indexes(
    settings: Settings, keys: ScopedKeys, meili: MeiliClient
) -> None:
    worker = MeiliClient(settings.resolved_meili_url, keys.worker)
    scratch = settings.index_uid(PRODUCTS) + "__keys_probe"  # a rebuild's temporary index has this shape
    try:
        await worker.ensure_index(scratch)
        await worker.wait_task(await worker.add_documents(scratch, [{"id": "1", "name": "Kẹo dừa"}]))
        await worker.wait_task(await worker.update_settings(scratch, {"searchableAttributes": ["name"]}))
        assert (await worker.get_document(scratch, "1")) is not None
        await worker.wait_task(await worker.delete_index(scratch))
    finally:
        await worker.close()
        if await meili.get_index(scratch) is not None:
            await meili.wait_task(await meili.delete_index(scratch))
    assert await call(settings, keys.worker, "POST", "/indexes", {"uid": "elsewhere_x"}) == 403
    assert await call(settings, keys.worker, "GET", "/keys") == 403
    assert await call(settings, keys.worker, "POST", "/keys", {"actions": ["*"], "indexes": ["*"]}) == 403


async def test_the_worker_key_rebuilds_and_swaps(
    settings: Settings, keys: ScopedKeys, store: Store, meili: MeiliClient, sync: Any
) -> None:
    """A swap's task is invisible to an index-limited key (meilisearch issue #4103); the rebuild still knows
    when its swap is done."""
    await sync()
    live = settings.index_uid(PRODUCTS)
    before = await meili.get_index(live)
    worker = MeiliClient(settings.resolved_meili_url, keys.worker)
    try:
        await rebuild(store, worker, live)
    finally:
        await worker.close()
    after = await meili.get_index(live)
    assert before is not None and after is not None and after["createdAt"] != before["createdAt"]
    assert (await check_drift(store, meili, live)).clean
    assert not [uid for uid in await meili.list_indexes() if uid.startswith(f"{live}__rebuild")]
