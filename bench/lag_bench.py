"""Mutation-to-searchable lag, through the real API process and the real sync worker process.

Measured one mutation at a time, and under a steady write rate (PACED_RATE writes a second, each started on
its own clock and measured on its own, so a slow one does not slow the rate): the worker then has changes
arriving while earlier ones are still being indexed.

Each round sends a mutation over GraphQL as an admin, then polls Meilisearch every 5 ms with a raw
search for a token unique to the round, until the product's document is found at the version the
mutation returned. The lag runs from the mutation's response to the poll that found it, so it is exact
to within one poll interval plus one search round trip.

The raw floor, measured the same way before the subprocesses start: `find_one_and_update` on a copy of
the products, then at once `add_documents` of that one document to an index with the same settings.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import string
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from bson import ObjectId
from pymongo import ReturnDocument

from bench.common import (
    Bench,
    Child,
    Latencies,
    SummaryRow,
    api_client,
    api_server,
    bench_clients,
    catalogue_file,
    graphql,
    ms,
    node_id,
    note,
    producer_gid,
    product_gid,
    ratio,
    text_table,
    worker_process,
)
from market.accounts.records import Role
from market.accounts.services import create_account, issue_api_key
from market.catalog.importer import import_products
from market.catalog.records import Producer, ProducerType, Product
from search.client import MeiliClient
from search.documents import product_document
from search.settings import PRODUCT_SETTINGS

ROUNDS = 200
PACED_RATE = 20.0
PACED_ROUNDS = 200
SEED_ROWS = 200
POLL_SECONDS = 0.005
VISIBLE_TIMEOUT = 60.0

PAYLOAD = "product { id version status } errors { field code message }"
UPDATE = f"mutation($id: ID!, $v: Int!, $input: UpdateProductInput!) {{ updateProduct(id: $id, expectedVersion: $v, input: $input) {{ {PAYLOAD} }} }}"
CREATE = f"mutation($input: CreateProductInput!) {{ createProduct(input: $input) {{ {PAYLOAD} }} }}"
PUBLISH = f"mutation($id: ID!, $v: Int) {{ publishProduct(id: $id, expectedVersion: $v) {{ {PAYLOAD} }} }}"


@dataclass(slots=True)
class LagFigures:
    raw_lag: Latencies
    update_lag: Latencies
    update_rtt: Latencies
    publish_lag: Latencies
    create_publish_rtt: Latencies
    raw_paced: Latencies
    update_paced: Latencies


@dataclass(slots=True)
class Target:
    product_id: ObjectId
    name: str
    version: int


def _token(rng: random.Random) -> str:
    """A word no generated product holds: letters only, so the search tokenizer keeps it whole."""
    return "zq" + "".join(rng.choice(string.ascii_lowercase) for _ in range(10))


async def _mutate(http: httpx.AsyncClient, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    data = await graphql(http, query, variables)
    payload: dict[str, Any] = next(iter(data.values()))
    if payload["errors"]:
        raise RuntimeError(f"mutation refused: {payload['errors']}")
    product: dict[str, Any] = payload["product"]
    return product


async def _visible(meili: MeiliClient, uid: str, token: str, product_id: str, version: int) -> bool:
    body = await meili.search(
        uid, {"q": token, "filter": f'id = "{product_id}"', "attributesToRetrieve": ["id", "version"], "limit": 1}
    )
    return any(hit["version"] >= version for hit in body["hits"])


async def _lag(meili: MeiliClient, uid: str, token: str, product_id: str, version: int, since: float) -> float:
    """Seconds from `since` until the document is searchable by `token` at `version` or later."""
    while True:
        if await _visible(meili, uid, token, product_id, version):
            return time.perf_counter() - since
        if time.perf_counter() - since > VISIBLE_TIMEOUT:
            raise RuntimeError(f"product {product_id} v{version} not searchable after {VISIBLE_TIMEOUT}s")
        await asyncio.sleep(POLL_SECONDS)


async def _seed(bench: Bench) -> tuple[list[Target], str, str]:
    """Imported products to update, a producer for new products, and an admin API key."""
    await bench.store.ensure_indexes()
    with catalogue_file(SEED_ROWS, seed=13) as path:
        report = await import_products(bench.store, path)
    if report.failed:
        raise RuntimeError(f"seeding failed: {report.errors[:3]}")
    docs = await bench.store.db["products"].find({"status": "published"}, {"name": 1, "version": 1}).to_list(None)
    targets = [Target(d["_id"], d["name"], d["version"]) for d in docs]
    producer = await bench.store.producers.insert(
        {
            "name": f"HTX Kẹo dừa Mỏ Cày {secrets.token_hex(3)}",
            "type": ProducerType.COOPERATIVE.value,
            "address": {"provinceCode": "86", "formerProvince": "Bến Tre", "commune": "Xã Thành Thới B"},
            "verified": True,
        }
    )
    admin = await create_account(bench.store, name="Benchmark admin", role=Role.ADMIN)
    key = await issue_api_key(bench.store, admin.id, "benchmark")
    return targets, producer_gid(producer.id), key


async def _raw_index(bench: Bench, uid: str, documents: list[dict[str, Any]]) -> None:
    await bench.meili.ensure_index(uid)
    tasks = [await bench.meili.update_settings(uid, PRODUCT_SETTINGS), await bench.meili.add_documents(uid, documents)]
    await bench.meili.wait_tasks(tasks, timeout=120)


async def _paced(one: Callable[[int], Awaitable[float]], rounds: int, rate: float) -> Latencies:
    """`one(i)` started every 1/rate seconds, whether or not the earlier ones are done."""
    began = time.perf_counter()

    async def at(i: int) -> float:
        await asyncio.sleep(max(0.0, began + i / rate - time.perf_counter()))
        return await one(i)

    return Latencies(tuple(await asyncio.gather(*(at(i) for i in range(rounds)))))


async def _raw_rounds(bench: Bench, rng: random.Random) -> tuple[Latencies, Latencies]:
    """Write to MongoDB, then send the projected document to Meilisearch directly: no worker in between. One
    at a time, then PACED_RATE a second."""
    uid = f"{bench.settings.index_prefix}raw_products"
    raw = bench.store.db["raw_products"]
    products = await bench.store.db["products"].find({"status": "published"}).to_list(None)
    producers = {d["_id"]: Producer.from_doc(d) for d in await bench.store.db["producers"].find().to_list(None)}
    await raw.insert_many([dict(p) for p in products])
    await _raw_index(bench, uid, [product_document(Product.from_doc(p), producers[p["producerId"]]) for p in products])

    async def one(i: int) -> float:
        current = products[i % len(products)]
        token = _token(rng)
        updated = await raw.find_one_and_update(
            {"_id": current["_id"]},
            {"$set": {"name": f"{current['name'][:150]} {token}"}, "$inc": {"version": 1}},
            return_document=ReturnDocument.AFTER,
        )
        written = time.perf_counter()
        if updated is None:
            raise RuntimeError(f"raw product {current['_id']} disappeared")
        document = product_document(Product.from_doc(updated), producers[updated["producerId"]])
        await bench.meili.add_documents(uid, [document])
        return await _lag(bench.meili, uid, token, document["id"], document["version"], written)

    sequential = Latencies(tuple([await one(i) for i in range(ROUNDS)]))
    return sequential, await _paced(one, PACED_ROUNDS, PACED_RATE)


async def _paced_update_rounds(
    http: httpx.AsyncClient, bench: Bench, targets: list[Target], rng: random.Random
) -> Latencies:
    order = rng.sample(targets, len(targets))  # consecutive writes touch different products

    async def one(i: int) -> float:
        target = order[i % len(order)]
        token = _token(rng)
        variables = {
            "id": product_gid(target.product_id),
            "v": target.version,
            "input": {"name": f"{target.name[:150]} {token}"},
        }
        product = await _mutate(http, UPDATE, variables)
        answered = time.perf_counter()
        target.version = product["version"]
        return await _lag(bench.meili, bench.index_uid, token, str(target.product_id), target.version, answered)

    return await _paced(one, PACED_ROUNDS, PACED_RATE)


async def _wait_caught_up(bench: Bench, worker: Child, expected: int, timeout: float = 120.0) -> None:
    """Until the worker built the index and follows the change stream."""
    state = bench.store.sync_state(f"search:{bench.index_uid}")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.process.returncode is not None:
            raise RuntimeError(f"the worker exited with {worker.process.returncode}:\n{worker.log_tail()}")
        status = await state.read()
        if status.resume_token is not None and status.rewind_to is None:
            index = await bench.meili.get_index(bench.index_uid)
            if index is not None and (await bench.meili.stats(bench.index_uid))["numberOfDocuments"] >= expected:
                return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"the worker did not index the seeded products within {timeout}s:\n{worker.log_tail()}")


async def _update_rounds(
    http: httpx.AsyncClient, bench: Bench, targets: list[Target], rng: random.Random
) -> tuple[Latencies, Latencies]:
    lags, rtts = [], []
    order = rng.sample(targets, len(targets))
    for i in range(ROUNDS):
        target = order[i % len(order)]
        token = _token(rng)
        variables = {
            "id": product_gid(target.product_id),
            "v": target.version,
            "input": {"name": f"{target.name[:150]} {token}"},
        }
        sent = time.perf_counter()
        product = await _mutate(http, UPDATE, variables)
        answered = time.perf_counter()
        target.version = product["version"]
        rtts.append(answered - sent)
        lags.append(await _lag(bench.meili, bench.index_uid, token, str(target.product_id), target.version, answered))
    return Latencies(tuple(lags)), Latencies(tuple(rtts))


async def _create_publish_rounds(
    http: httpx.AsyncClient, bench: Bench, producer: str, rng: random.Random
) -> tuple[Latencies, Latencies]:
    lags, rtts = [], []
    for _ in range(ROUNDS):
        token = _token(rng)
        new = {
            "producerId": producer,
            "name": f"Kẹo dừa sáp lá dứa {token}",
            "group": "FOOD",
            "category": "Kẹo",
            "stars": 4,
            "priceVnd": 45000,
            "unit": "hộp 400g",
            "moq": 50,
        }
        sent = time.perf_counter()
        created = await _mutate(http, CREATE, {"input": new})
        published = await _mutate(http, PUBLISH, {"id": created["id"], "v": created["version"]})
        answered = time.perf_counter()
        rtts.append(answered - sent)
        product_id = node_id(published["id"])
        lags.append(await _lag(bench.meili, bench.index_uid, token, product_id, published["version"], answered))
    return Latencies(tuple(lags)), Latencies(tuple(rtts))


async def measure() -> LagFigures:
    rng = random.Random(17)
    async with bench_clients() as bench:
        note(f"lag: seeding {SEED_ROWS} products")
        targets, producer, key = await _seed(bench)
        expected = await bench.store.db["products"].count_documents({"status": {"$ne": "archived"}})
        note(f"lag: {ROUNDS} × raw find_one_and_update + add_documents")
        raw_lag, raw_paced = await _raw_rounds(bench, rng)
        note("lag: starting the worker and API subprocesses")
        async with worker_process(bench.settings) as worker, api_server(bench.settings) as url:
            await _wait_caught_up(bench, worker, expected)
            async with api_client(url, key) as http:
                note(f"lag: {ROUNDS} × updateProduct")
                update_lag, update_rtt = await _update_rounds(http, bench, targets, rng)
                note(f"lag: {ROUNDS} × createProduct + publishProduct")
                publish_lag, publish_rtt = await _create_publish_rounds(http, bench, producer, rng)
                note(f"lag: {PACED_ROUNDS} × updateProduct at {PACED_RATE:g} writes/s")
                update_paced = await _paced_update_rounds(http, bench, targets, rng)
    return LagFigures(raw_lag, update_lag, update_rtt, publish_lag, publish_rtt, raw_paced, update_paced)


def report(f: LagFigures) -> tuple[str, list[SummaryRow]]:
    def row(label: str, sample: Latencies) -> tuple[str, str, str, str, str]:
        return (label, str(len(sample.samples)), ms(sample.p50), ms(sample.p95), ms(sample.max))

    table = text_table(
        "Mutation → searchable (API and worker subprocesses, 5 ms polls of a raw search)",
        ("measure", "n", "p50", "p95", "max"),
        [
            row("raw find_one_and_update + add_documents → searchable", f.raw_lag),
            row("updateProduct round trip", f.update_rtt),
            row("updateProduct → searchable", f.update_lag),
            row("createProduct + publishProduct round trips", f.create_publish_rtt),
            row("publishProduct → searchable", f.publish_lag),
            row(f"raw → searchable at {PACED_RATE:g} writes/s", f.raw_paced),
            row(f"updateProduct → searchable at {PACED_RATE:g} writes/s", f.update_paced),
        ],
    )

    def lag(sample: Latencies) -> str:
        return f"{ms(sample.p50)} / {ms(sample.p95)} / {ms(sample.max)}"

    raw = f"{lag(f.raw_lag)} (`find_one_and_update`, then `add_documents`)"
    summary = [
        SummaryRow(
            "`updateProduct` → searchable, p50 / p95 / max",
            lag(f.update_lag),
            raw,
            f"{ratio(f.update_lag.p50, f.raw_lag.p50)} (p50)",
        ),
        SummaryRow(
            "`createProduct` + `publishProduct` → searchable, p50 / p95 / max",
            lag(f.publish_lag),
            "the same floor",
            f"{ratio(f.publish_lag.p50, f.raw_lag.p50)} (p50)",
        ),
        SummaryRow(
            f"`updateProduct` → searchable at {PACED_RATE:g} writes/s, p50 / p95 / max",
            lag(f.update_paced),
            f"{lag(f.raw_paced)} (the raw floor at the same rate)",
            f"{ratio(f.update_paced.p50, f.raw_paced.p50)} (p50)",
        ),
    ]
    return table, summary


async def run() -> tuple[str, list[SummaryRow]]:
    return report(await measure())
