"""Search sync: every kind of write reaches the index, through the real change stream and Meilisearch."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from bson import ObjectId

from market.catalog.records import ProducerType
from market.store import Store
from search.client import MeiliClient
from tests.conftest import Api, World
from workers.drift import check_drift
from workers.indexer import JOINED_READ_MAX, ProductIndexer
from workers.rebuild import rebuild
from workers.sync import SearchSync

SEARCH = (
    "query($q: String!) { searchProducts(query: $q, first: 20) { estimatedTotalCount edges { node { name status } } } }"
)


async def new_product(store: Store, producer_id: ObjectId, name: str, **fields: Any) -> ObjectId:
    doc = {
        "producerId": producer_id,
        "name": name,
        "description": "Đặc sản",
        "group": "food",
        "category": "Kẹo",
        "stars": 4,
        "provinceCode": "86",
        "formerProvince": "Bến Tre",
        "priceVnd": 50000,
        "unit": "hộp",
        "moq": 1,
        "status": "published",
        "certifications": ["HACCP"],
        **fields,
    }
    return (await store.products.insert(doc)).id


async def indexed(meili: MeiliClient, index_uid: str, product_id: ObjectId) -> dict[str, Any] | None:
    return await meili.get_document(index_uid, str(product_id))


async def test_every_write_reaches_the_index(
    store: Store, meili: MeiliClient, index_uid: str, sync: Any, world: World, api: Api
) -> None:
    tag = secrets.token_hex(4)
    producer = ObjectId(world.producer_id)
    published = await new_product(store, producer, f"Kẹo dừa {tag}")
    draft = await new_product(store, producer, f"Kẹo nháp {tag}", status="draft")
    to_archive = await new_product(store, producer, f"Kẹo lưu trữ {tag}")
    to_delete = await new_product(store, producer, f"Kẹo xóa {tag}")
    await sync()

    doc = await indexed(meili, index_uid, published)
    assert doc is not None and doc["version"] == 1 and doc["provinceNames"] == ["Vĩnh Long", "Bến Tre"]
    assert (await indexed(meili, index_uid, draft))["status"] == "draft"  # type: ignore[index]
    found = await api.data(SEARCH, {"q": tag})
    assert sorted(e["node"]["name"] for e in found["searchProducts"]["edges"]) == sorted(
        [f"Kẹo dừa {tag}", f"Kẹo lưu trữ {tag}", f"Kẹo xóa {tag}"]
    )  # the draft is indexed for its producer, never shown to the public

    await store.products.update(published, 1, {"priceVnd": 61000}, ["certifications"])  # update + removed field
    await store.products.update(to_archive, None, {"status": "archived"})
    await store.db["products"].delete_one({"_id": to_delete})
    current = await store.db["products"].find_one({"_id": draft})
    assert current is not None
    await store.db["products"].replace_one(
        {"_id": draft}, {**current, "name": f"Kẹo thay thế {tag}", "status": "published", "version": 2}
    )
    await sync()

    doc = await indexed(meili, index_uid, published)
    assert doc is not None and doc["priceVnd"] == 61000 and doc["version"] == 2 and doc["certifications"] == []
    assert await indexed(meili, index_uid, to_archive) is None
    assert await indexed(meili, index_uid, to_delete) is None
    replaced = await indexed(meili, index_uid, draft)
    assert replaced is not None and replaced["name"] == f"Kẹo thay thế {tag}" and replaced["status"] == "published"
    assert (await check_drift(store, meili, index_uid)).clean


async def test_producer_changes_reach_all_its_products(
    store: Store, meili: MeiliClient, index_uid: str, sync: Any
) -> None:
    tag = secrets.token_hex(4)
    producer = await store.producers.insert(
        {"name": f"HTX Đổi tên {tag}", "type": ProducerType.COOPERATIVE.value, "address": {"provinceCode": "86"}}
    )
    ids = [await new_product(store, producer.id, f"Sản phẩm {tag} {i}") for i in range(5)]
    await sync()
    await store.producers.update(producer.id, 1, {"name": f"HTX Tên mới {tag}", "verified": True}, [])
    await sync()
    for product_id in ids:
        doc = await indexed(meili, index_uid, product_id)
        assert doc is not None
        assert (doc["producerName"], doc["producerVerified"], doc["producerVersion"]) == (f"HTX Tên mới {tag}", True, 2)


async def test_a_large_batch_reads_the_same_documents_as_a_joined_read(
    store: Store, meili: MeiliClient, world: World
) -> None:
    tag = secrets.token_hex(4)
    makers = [ObjectId(world.producer_id), ObjectId(world.other_producer_id)]
    ids = [await new_product(store, makers[i % 2], f"Lô lớn {tag} {i}") for i in range(JOINED_READ_MAX + 8)]
    ids.append(await new_product(store, makers[0], f"Lô lớn lưu trữ {tag}", status="archived"))
    ids.append(ObjectId())  # deleted since the change was read
    indexer = ProductIndexer(store, meili)
    batch = await indexer.documents(ids)
    one_by_one = [
        doc for chunk in (ids[i : i + 4] for i in range(0, len(ids), 4)) for doc in await indexer.documents(chunk)
    ]
    assert len(batch) == JOINED_READ_MAX + 8
    assert sorted(batch, key=lambda d: d["id"]) == sorted(one_by_one, key=lambda d: d["id"])
    assert {d["producerName"] for d in batch} == {p.name for p in await store.producers.get_many(makers)}


async def test_an_older_version_never_overwrites_a_newer_one(
    store: Store, meili: MeiliClient, index_uid: str, sync: Any, world: World
) -> None:
    product_id = await new_product(store, ObjectId(world.producer_id), f"Phiên bản {secrets.token_hex(3)}")
    await sync()
    newer = {**(await indexed(meili, index_uid, product_id) or {}), "version": 99, "name": "from the future"}
    await meili.wait_task(await meili.add_documents(index_uid, [newer]))
    result = await ProductIndexer(store, meili).apply(index_uid, {product_id})
    assert result.skipped == 1 and result.upserted == 0
    assert (await indexed(meili, index_uid, product_id))["name"] == "from the future"  # type: ignore[index]
    await meili.wait_task(await meili.delete_documents(index_uid, [str(product_id)]))
    await ProductIndexer(store, meili).apply(index_uid, {product_id})  # repair for the drift checks of later tests


async def test_two_workers_share_one_lease(
    store: Store, meili: MeiliClient, index_uid: str, sync: Any, world: World
) -> None:
    await sync()
    stop = asyncio.Event()
    first = SearchSync(store, meili, index_uid, max_await_ms=50)
    second = SearchSync(store, meili, index_uid, max_await_ms=50)
    tasks = [asyncio.create_task(w.run(stop=stop)) for w in (first, second)]
    try:
        tag = secrets.token_hex(4)
        ids = [await new_product(store, ObjectId(world.producer_id), f"Song song {tag} {i}") for i in range(20)]
        for _ in range(200):
            # Indexed, and acknowledged: a batch is counted once its tasks are seen to have succeeded.
            if all([await indexed(meili, index_uid, i) for i in ids[-1:]]) and (
                first.stats.events + second.stats.events >= 20
            ):
                break
            await asyncio.sleep(0.05)
        applied = [w.stats.events for w in (first, second)]
        assert sorted(applied)[0] == 0 and sorted(applied)[1] >= 20  # only the lease holder worked
    finally:
        stop.set()
        await asyncio.gather(*tasks)
    for product_id in ids:
        assert await indexed(meili, index_uid, product_id) is not None
    assert (await check_drift(store, meili, index_uid)).clean


async def test_reindex_swaps_atomically_while_live_sync_continues(
    store: Store, meili: MeiliClient, index_uid: str, world: World
) -> None:
    stop = asyncio.Event()
    live = SearchSync(store, meili, index_uid, max_await_ms=50)
    task = asyncio.create_task(live.run(stop=stop))
    tag = secrets.token_hex(4)
    written: list[ObjectId] = []

    async def writer() -> None:
        for i in range(40):
            written.append(await new_product(store, ObjectId(world.producer_id), f"Trong lúc dựng lại {tag} {i}"))
            await asyncio.sleep(0.005)

    try:
        writes = asyncio.create_task(writer())
        started = await rebuild(store, meili, index_uid)
        await store.sync_state(f"search:{index_uid}").request_rewind(started)
        await writes
        for _ in range(300):
            report = await check_drift(store, meili, index_uid)
            if report.clean:
                break
            await asyncio.sleep(0.05)
        assert report.clean, report
    finally:
        stop.set()
        await task
    assert not [i for i in await meili.list_indexes() if i.startswith(f"{index_uid}__rebuild")]


async def test_drift_report_sees_missing_stale_and_orphans(
    store: Store, meili: MeiliClient, index_uid: str, sync: Any, world: World
) -> None:
    await sync()
    product_id = await new_product(store, ObjectId(world.producer_id), f"Trôi {secrets.token_hex(3)}")
    report = await check_drift(store, meili, index_uid)
    assert str(product_id) in report.missing
    await sync()
    await store.db["products"].update_one({"_id": product_id}, {"$inc": {"version": 5}})
    orphan = {"id": str(ObjectId()), "name": "orphan", "version": 1, "producerVersion": 1, "status": "published"}
    await meili.wait_task(await meili.add_documents(index_uid, [orphan]))
    report = await check_drift(store, meili, index_uid)
    assert str(product_id) in report.stale and orphan["id"] in report.orphans
    await sync()  # the version bump is a change event too
    # A version the index holds but MongoDB does not (a write a failover took back) is drift too.
    await store.db["products"].update_one({"_id": product_id}, {"$inc": {"version": -1}})
    assert str(product_id) in (await check_drift(store, meili, index_uid)).ahead
    await store.db["products"].update_one({"_id": product_id}, {"$inc": {"version": 2}})  # a newer write heals it
    await sync()
    await meili.wait_task(await meili.delete_documents(index_uid, [orphan["id"]]))
    assert (await check_drift(store, meili, index_uid)).clean
