"""Reads over GraphQL, through the real API process, against the raw MongoDB reads they stand for.

`product(id)` with its producer's name, 2000 sequential requests over random ids from one keep-alive
connection, versus 2000 pairs of raw `find_one` (product, then producer) from this process. The first
page of `products(first: 20)` with producers versus the raw `find` of 21 products plus one `find` of
their producers. For scale, what a request costs before any resolver runs: `GET /healthz` and
`{ __typename }`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from bson import ObjectId
from pymongo import DESCENDING, AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from bench.common import (
    Bench,
    Call,
    Latencies,
    SummaryRow,
    api_client,
    api_server,
    bench_clients,
    catalogue_file,
    graphql,
    ms,
    note,
    product_gid,
    ratio,
    sample,
    sample_pair,
    text_table,
)
from market.catalog.importer import import_products

SEED_ROWS = 200
REQUESTS = 2000
PAGE_REQUESTS = 500
FLOOR_REQUESTS = 1000
WARMUP = 200

PRODUCT = "query($id: ID!) { product(id: $id) { id name priceVnd stars producer { name } } }"
TYPENAME = "query { __typename }"
PAGE = "query { products(first: 20) { edges { node { id name priceVnd stars producer { name } } } } }"


@dataclass(slots=True)
class ApiFigures:
    products: int
    healthz: Latencies
    typename: Latencies
    graphql_product: Latencies
    raw_product: Latencies
    graphql_page: Latencies
    raw_page: Latencies


async def _seed(bench: Bench) -> list[tuple[ObjectId, ObjectId]]:
    """Import a small catalogue; (product id, producer id) of every published product."""
    await bench.store.ensure_indexes()
    with catalogue_file(SEED_ROWS, seed=7) as path:
        report = await import_products(bench.store, path)
    if report.failed:
        raise RuntimeError(f"seeding failed: {report.errors[:3]}")
    docs = await bench.store.db["products"].find({"status": "published"}, {"producerId": 1}).to_list(None)
    return [(d["_id"], d["producerId"]) for d in docs]


def _picks(ids: list[tuple[ObjectId, ObjectId]], count: int) -> list[tuple[ObjectId, ObjectId]]:
    rng = random.Random(11)
    return [rng.choice(ids) for _ in range(count)]


def _cycle(items: list[Any]) -> Callable[[], Any]:
    position = -1

    def following() -> Any:
        nonlocal position
        position = (position + 1) % len(items)
        return items[position]

    return following


def _graphql_product(http: httpx.AsyncClient, ids: list[tuple[ObjectId, ObjectId]]) -> Call:
    following = _cycle([product_gid(p) for p, _ in _picks(ids, REQUESTS)])

    async def call() -> None:
        data = await graphql(http, PRODUCT, {"id": following()})
        if data["product"] is None or data["product"]["producer"] is None:
            raise RuntimeError(f"product query returned {data}")

    return call


async def _floors(http: httpx.AsyncClient) -> tuple[Latencies, Latencies]:
    """What a request costs before any resolver: `/healthz` (HTTP only), `{ __typename }` (GraphQL)."""

    async def healthz() -> None:
        (await http.get("/healthz")).raise_for_status()

    async def typename() -> None:
        await graphql(http, TYPENAME)

    return await sample(healthz, FLOOR_REQUESTS, WARMUP), await sample(typename, FLOOR_REQUESTS, WARMUP)


def _graphql_page(http: httpx.AsyncClient) -> Call:
    async def call() -> None:
        data = await graphql(http, PAGE)
        if len(data["products"]["edges"]) != 20:
            raise RuntimeError("the first page does not hold 20 products")

    return call


def _raw_product(db: AsyncDatabase[dict[str, Any]], ids: list[tuple[ObjectId, ObjectId]]) -> Call:
    following = _cycle(_picks(ids, REQUESTS))

    async def call() -> None:
        product_id, producer_id = following()
        product = await db["products"].find_one({"_id": product_id})
        producer = await db["producers"].find_one({"_id": producer_id})
        if product is None or producer is None:
            raise RuntimeError(f"raw read missed {product_id}")

    return call


def _raw_page(db: AsyncDatabase[dict[str, Any]]) -> Call:
    async def call() -> None:
        products = (
            await db["products"]
            .find({"status": "published"})
            .sort([("createdAt", DESCENDING), ("_id", DESCENDING)])
            .limit(21)
            .to_list(None)
        )
        producer_ids = list({p["producerId"] for p in products})
        producers = await db["producers"].find({"_id": {"$in": producer_ids}}).to_list(None)
        if len(products) != 21 or not producers:
            raise RuntimeError("raw page read came back short")

    return call


async def measure() -> ApiFigures:
    async with bench_clients() as bench:
        note(f"api: seeding {SEED_ROWS} products")
        ids = await _seed(bench)
        note("api: starting the API subprocess")
        raw: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(bench.settings.resolved_mongodb_url, tz_aware=True)
        try:
            db = raw[bench.settings.db_name]
            async with api_server(bench.settings) as url, api_client(url) as http:
                note(
                    f"api: {REQUESTS} product(id) and {PAGE_REQUESTS} products(first: 20) requests, each beside its raw reads"
                )
                graphql_product, raw_product = await sample_pair(
                    [_graphql_product(http, ids)], [_raw_product(db, ids)], REQUESTS, WARMUP
                )
                graphql_page, raw_page = await sample_pair(
                    [_graphql_page(http)], [_raw_page(db)], PAGE_REQUESTS, WARMUP // 4
                )
                healthz, typename = await _floors(http)
        finally:
            await raw.close()
    return ApiFigures(len(ids), healthz, typename, graphql_product, raw_product, graphql_page, raw_page)


def report(f: ApiFigures) -> tuple[str, list[SummaryRow]]:
    rows = [
        ("GET /healthz (HTTP only)", str(len(f.healthz.samples)), ms(f.healthz.p50), ms(f.healthz.p95)),
        ("GraphQL { __typename } (no resolver)", str(len(f.typename.samples)), ms(f.typename.p50), ms(f.typename.p95)),
        (
            "GraphQL product(id) + producer",
            str(len(f.graphql_product.samples)),
            ms(f.graphql_product.p50),
            ms(f.graphql_product.p95),
        ),
        (
            "raw find_one product + producer",
            str(len(f.raw_product.samples)),
            ms(f.raw_product.p50),
            ms(f.raw_product.p95),
        ),
        ("ratio of p50s", "", ratio(f.graphql_product.p50, f.raw_product.p50), ""),
        (
            "GraphQL products(first: 20) + producers",
            str(len(f.graphql_page.samples)),
            ms(f.graphql_page.p50),
            ms(f.graphql_page.p95),
        ),
        ("raw find 21 + find producers $in", str(len(f.raw_page.samples)), ms(f.raw_page.p50), ms(f.raw_page.p95)),
        ("ratio of p50s", "", ratio(f.graphql_page.p50, f.raw_page.p50), ""),
    ]
    table = text_table(
        f"Reads over GraphQL vs raw MongoDB ({f.products} published products, sequential, keep-alive)",
        ("request", "n", "p50", "p95"),
        rows,
    )
    summary = [
        SummaryRow(
            "`product(id)` with producer, p50 / p95",
            f"{ms(f.graphql_product.p50)} / {ms(f.graphql_product.p95)}",
            f"{ms(f.raw_product.p50)} / {ms(f.raw_product.p95)} (2 × `find_one`)",
            f"{ratio(f.graphql_product.p50, f.raw_product.p50)} (p50)",
        ),
        SummaryRow(
            "`products(first: 20)` with producers, p50",
            ms(f.graphql_page.p50),
            f"{ms(f.raw_page.p50)} (`find` + `find $in`)",
            f"{ratio(f.graphql_page.p50, f.raw_page.p50)} (p50)",
        ),
    ]
    return table, summary


async def run() -> tuple[str, list[SummaryRow]]:
    return report(await measure())
