"""Throughput under a bounded concurrent load, on 20,000 products: `searchProducts`, `product(id)` with its
producer and a buyer's inbox page over HTTP through one API process, against the raw service requests they
stand for (Meilisearch `/search` with the plan's own parameters, two MongoDB `find_one`s, the inbox's four
hand-written queries) sent with the same concurrency from this process.

Each side gets `connections` workers, each with a keep-alive connection of its own, that each keep one
request in flight for `seconds` (after an untimed warm-up). Reported: requests per second, p50 and p99 latency, the API process's CPU time per request
(utime + stime from /proc, read before and after the timed run) and, to tell when the load generator
rather than the server was the limit, this process's own CPU time per request.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench import trade_bench
from bench.common import (
    Bench,
    SummaryRow,
    bench_clients,
    graphql,
    ms,
    note,
    percentile,
    product_gid,
    ratio,
    text_table,
)
from bench.memory_bound import api_process
from market.core.paging import PageRequest
from search.client import MeiliClient
from search.service import ProductSearch
from workers.sync import SearchSync

ROWS = trade_bench.ROWS
CONNECTIONS = 32
SECONDS = 20.0
WARMUP_SECONDS = 2.0
VOCABULARY_WAIT = 60.0
PRODUCT_IDS = 2000

SEARCH_TEXT = "keo dua"
SEARCH = f'query {{ searchProducts(query: "{SEARCH_TEXT}", first: 20) {{ edges {{ node {{ name }} }} }} }}'
PRODUCT = "query($id: ID!) { product(id: $id) { id name priceVnd stars producer { name } } }"

# (worker slot, request number): the slot picks the worker's own connection.
Call = Callable[[int, int], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Load:
    requests: int
    errors: int
    seconds: float
    latencies: tuple[float, ...]
    client_cpu: float
    api_cpu: float | None

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @property
    def p50(self) -> float:
        return percentile(self.latencies, 50)

    @property
    def p99(self) -> float:
        return percentile(self.latencies, 99)

    @property
    def client_cpu_per_request(self) -> float:
        return self.client_cpu / max(self.requests, 1)

    @property
    def api_cpu_per_request(self) -> float | None:
        return None if self.api_cpu is None else self.api_cpu / max(self.requests, 1)


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, all its threads included."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    # The command name may hold spaces and parentheses; the fields that follow it do not.
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _drive(call: Call, connections: int, seconds: float) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    errors = 0
    first_error: BaseException | None = None
    began = time.perf_counter()
    deadline = began + seconds

    async def worker(slot: int) -> None:
        nonlocal errors, first_error
        n = slot
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                await call(slot, n)
            except (httpx.HTTPError, RuntimeError) as exc:
                errors += 1
                first_error = first_error or exc
            else:
                latencies.append(time.perf_counter() - started)
            n += connections

    await asyncio.gather(*(worker(slot) for slot in range(connections)))
    elapsed = time.perf_counter() - began
    if first_error is not None:
        note(f"throughput: {errors} failed requests, the first: {first_error!r}")
    if not latencies:
        raise RuntimeError(f"no request succeeded: {first_error!r}")
    return latencies, errors, elapsed


async def measure_load(call: Call, connections: int, seconds: float, api_pid: int | None) -> Load:
    await _drive(call, connections, min(WARMUP_SECONDS, seconds))
    api_before = cpu_seconds(api_pid) if api_pid is not None else 0.0
    client_before = time.process_time()
    latencies, errors, elapsed = await _drive(call, connections, seconds)
    client_cpu = time.process_time() - client_before
    api_cpu = cpu_seconds(api_pid) - api_before if api_pid is not None else None
    return Load(len(latencies), errors, elapsed, tuple(latencies), client_cpu, api_cpu)


async def clients(
    stack: contextlib.AsyncExitStack, base_url: str, headers: dict[str, str], connections: int
) -> list[httpx.AsyncClient]:
    """One client of one keep-alive connection per worker: a shared pool of 32 costs the load generator about
    four times the CPU per request (and a long latency tail), enough to make it the limit on a small machine."""
    return [
        await stack.enter_async_context(
            httpx.AsyncClient(
                base_url=base_url,
                headers={"Accept-Encoding": "identity", **headers},
                timeout=30.0,
                limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            )
        )
        for _ in range(connections)
    ]


def _vocabulary_counted(log: Path) -> bool:
    return "catalogue vocabulary counted" in log.read_text(errors="replace")


async def wait_for_vocabulary(log: Path) -> None:
    """The API counts the catalogue's words in the background after its first search: a few seconds of its
    CPU that belong to no request, so the timed runs start after it."""
    deadline = time.monotonic() + VOCABULARY_WAIT
    while not _vocabulary_counted(log):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the API did not count its vocabulary within {VOCABULARY_WAIT:.0f}s")
        await asyncio.sleep(0.1)


class _Recorded(MeiliClient):
    """A client that notes the last search request it sends."""

    sent: tuple[str, dict[str, Any]] | None = None

    async def search(self, uid: str, params: dict[str, Any]) -> dict[str, Any]:
        self.sent = (f"/indexes/{uid}/search", dict(params))
        return await super().search(uid, params)

    async def multi_search(
        self, queries: list[dict[str, Any]], federation: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        self.sent = ("/multi-search", {"queries": queries, "federation": dict(federation or {})})
        return await super().multi_search(queries, federation)


async def raw_search_request(bench: Bench, text: str = SEARCH_TEXT) -> tuple[str, dict[str, Any]]:
    """The Meilisearch request the API sends for a light search (a page of 20 names), as the product's own
    search service sends it (query reading, vocabulary counted, attributes of the selection)."""
    settings = bench.settings
    meili = _Recorded(settings.resolved_meili_url, settings.resolved_meili_key, timeout=60)
    service = ProductSearch(meili, bench.index_uid, bench.store)
    try:
        await service.vocabulary_ready()
        page = await service.search(text, PageRequest(20), None, attributes=("name",))
    finally:
        await service.close()
        await meili.close()
    if not page.hits or meili.sent is None:
        raise RuntimeError(f"{text!r} finds nothing")
    return meili.sent


async def product_ids(bench: Bench) -> list[tuple[Any, Any]]:
    docs = await bench.store.db["products"].find({"status": "published"}, {"producerId": 1}).to_list(None)
    rng = random.Random(11)
    return [(d["_id"], d["producerId"]) for d in rng.sample(docs, min(PRODUCT_IDS, len(docs)))]


async def measure(connections: int, seconds: float) -> list[tuple[str, str, Load, Load]]:
    async with bench_clients() as bench:
        note(f"throughput: importing {ROWS} products and {trade_bench.INQUIRIES} quoted inquiries, indexing")
        buyer_key, _, buyer = await trade_bench._seed(bench)
        await SearchSync(bench.store, bench.meili, bench.index_uid).run(once=True, timeout=600)
        path, body = await raw_search_request(bench)
        ids = await product_ids(bench)
        gids = [product_gid(p) for p, _ in ids]
        db = bench.store.db
        meili_headers = {"Authorization": f"Bearer {bench.settings.resolved_meili_key}"}
        async with api_process(bench.settings) as (child, url), contextlib.AsyncExitStack() as stack:
            anonymous = await clients(stack, url, {}, connections)
            buyer_http = await clients(stack, url, {"Authorization": f"Bearer {buyer_key}"}, connections)
            meili = await clients(stack, bench.settings.resolved_meili_url, meili_headers, connections)
            pid = child.process.pid
            await graphql(anonymous[0], SEARCH)
            await wait_for_vocabulary(child.log)

            async def api_search(slot: int, n: int) -> None:
                data = await graphql(anonymous[slot], SEARCH)
                if not data["searchProducts"]["edges"]:
                    raise RuntimeError("searchProducts came back empty")

            async def raw_search(slot: int, n: int) -> None:
                response = await meili[slot].post(path, json=body)
                response.raise_for_status()
                if not response.json()["hits"]:
                    raise RuntimeError("Meilisearch came back empty")

            async def api_product(slot: int, n: int) -> None:
                data = await graphql(anonymous[slot], PRODUCT, {"id": gids[n % len(gids)]})
                if data["product"] is None or data["product"]["producer"] is None:
                    raise RuntimeError(f"product query returned {data}")

            async def raw_product(slot: int, n: int) -> None:
                product_id, producer_id = ids[n % len(ids)]
                product = await db["products"].find_one({"_id": product_id})
                producer = await db["producers"].find_one({"_id": producer_id})
                if product is None or producer is None:
                    raise RuntimeError(f"raw read missed {product_id}")

            async def api_inbox(slot: int, n: int) -> None:
                data = await graphql(buyer_http[slot], trade_bench.INBOX, {"n": trade_bench.PAGE})
                if len(data["inquiries"]["edges"]) != trade_bench.PAGE:
                    raise RuntimeError("the inbox page is not full")

            async def raw_inbox(slot: int, n: int) -> None:
                await trade_bench._raw_inbox(bench, buyer)

            search_raw = "Meilisearch " + ("/multi-search" if path == "/multi-search" else "/search")
            workloads: list[tuple[str, str, Call, Call]] = [
                (f'searchProducts("{SEARCH_TEXT}", first: 20) {{ name }}', search_raw, api_search, raw_search),
                ("product(id) + producer", "2 × find_one", api_product, raw_product),
                (
                    f"buyer's inbox page ({trade_bench.PAGE} inquiries, nested)",
                    "4 hand-written queries",
                    api_inbox,
                    raw_inbox,
                ),
            ]
            results = []
            for name, raw_name, ours, raw in workloads:
                note(f"throughput: {name}, {connections} connections × {seconds:g} s, API then raw")
                api_load = await measure_load(ours, connections, seconds, pid)
                raw_load = await measure_load(raw, connections, seconds, None)
                results.append((name, raw_name, api_load, raw_load))
    return results


def _rate(load: Load) -> str:
    return f"{load.rate:,.0f}"


def report(
    results: list[tuple[str, str, Load, Load]], connections: int, seconds: float
) -> tuple[str, list[SummaryRow]]:
    rows = []
    for name, raw_name, ours, raw in results:
        for side, load in ((f"{name} via the API", ours), (f"  raw: {raw_name}", raw)):
            api_cpu = load.api_cpu_per_request
            rows.append(
                (
                    side,
                    f"{load.requests:,}",
                    str(load.errors),
                    _rate(load),
                    ms(load.p50),
                    ms(load.p99),
                    ms(api_cpu) if api_cpu is not None else "—",
                    ms(load.client_cpu_per_request),
                )
            )
        rows.append(("  API / raw", "", "", ratio(ours.rate, raw.rate), ratio(ours.p50, raw.p50), "", "", ""))
    table = text_table(
        f"throughput on {ROWS} products ({connections} connections, {seconds:g} s per side, one API process)",
        ("workload", "requests", "errors", "req/s", "p50", "p99", "API CPU/req", "load-gen CPU/req"),
        rows,
    )
    labels = ("search", "`product(id)`", "inbox page")
    summary = []
    for (_, raw_name, ours, raw), label in zip(results, labels, strict=True):
        api_cpu = ours.api_cpu_per_request
        measure_name = (
            "search throughput via the API vs Meilisearch alone (light `searchProducts`)"
            if label == "search"
            else f"{label} throughput via the API vs the raw MongoDB reads"
        )
        summary.append(
            SummaryRow(
                f"{measure_name}, {connections} connections, req/s (p50 / p99)",
                f"{_rate(ours)} req/s ({ms(ours.p50)} / {ms(ours.p99)})"
                + (f", {ms(api_cpu)} API CPU per request" if api_cpu is not None else ""),
                f"{_rate(raw)} req/s ({ms(raw.p50)} / {ms(raw.p99)}) ({raw_name})",
                f"{ratio(ours.rate, raw.rate)} (req/s)",
            )
        )
    return table, summary


async def run(connections: int = CONNECTIONS, seconds: float = SECONDS) -> tuple[str, list[SummaryRow]]:
    return report(await measure(connections, seconds), connections, seconds)
