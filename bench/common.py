"""What the benchmarks share: timing, percentiles, tables, a throw-away database and index prefix, the
generated catalogue, and the API and worker run as real subprocesses."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gc
import json
import random
import secrets
import socket
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from api.settings import PROJECT_ROOT, Settings
from market.catalog.importer import import_products
from market.store import Store
from search.client import MeiliClient
from search.settings import PRODUCTS
from workers.sync import SearchSync

DEMO_PRODUCTS = PROJECT_ROOT / "data" / "demo" / "products.jsonl"
SEED = 20_250_701
PRODUCERS = 500
# Star weights of the demo catalogue (297 × 3★, 186 × 4★, 20 × 5★).
STAR_WEIGHTS = {3: 297, 4: 186, 5: 20}
NAME_VARIANTS = ("", "", "", "", " loại đặc biệt", " hộp quà", " túi tiết kiệm", " bản Tết", " loại 1")


# --- timing --------------------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100) with linear interpolation between the closest ranks."""
    if not values:
        raise ValueError("percentile of an empty sample")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(slots=True)
class Stopwatch:
    started: float = 0.0
    seconds: float = 0.0


@contextlib.contextmanager
def stopwatch() -> Iterator[Stopwatch]:
    """`with stopwatch() as sw: ...` then `sw.seconds`."""
    watch = Stopwatch(started=time.perf_counter())
    try:
        yield watch
    finally:
        watch.seconds = time.perf_counter() - watch.started


@dataclass(frozen=True, slots=True)
class Latencies:
    """A sample of durations in seconds."""

    samples: tuple[float, ...]

    @property
    def p50(self) -> float:
        return percentile(self.samples, 50)

    @property
    def p95(self) -> float:
        return percentile(self.samples, 95)

    @property
    def max(self) -> float:
        return max(self.samples)


Call = Callable[[], Awaitable[object]]


async def sample(calls: Call | Sequence[Call], count: int, warmup: int) -> Latencies:
    """`warmup` untimed calls, then `count` sequential timed ones, cycling through `calls`."""
    cycle = list(calls) if isinstance(calls, Sequence) else [calls]
    for i in range(warmup):
        await cycle[i % len(cycle)]()
    samples = []
    for i in range(count):
        started = time.perf_counter()
        await cycle[i % len(cycle)]()
        samples.append(time.perf_counter() - started)
    return Latencies(tuple(samples))


async def sample_pair(
    ours: Sequence[Call], raw: Sequence[Call], count: int, warmup: int
) -> tuple[Latencies, Latencies]:
    """Like `sample`, for two sides measured against each other: their calls alternate one by one, so
    that both meet the same machine load (the machine's speed drifts over seconds). The i-th call of
    each side asks the same thing."""
    ours_latencies, raw_latencies = await sample_sides([ours, raw], count, warmup)
    return ours_latencies, raw_latencies


async def sample_sides(sides: Sequence[Sequence[Call]], count: int, warmup: int) -> list[Latencies]:
    """`sample_pair` for any number of sides, taking turns one call each."""
    for i in range(warmup):
        for calls in sides:
            await calls[i % len(calls)]()
    samples: list[list[float]] = [[] for _ in sides]
    for i in range(count):
        for calls, side_samples in zip(sides, samples, strict=True):
            started = time.perf_counter()
            await calls[i % len(calls)]()
            side_samples.append(time.perf_counter() - started)
    return [Latencies(tuple(side_samples)) for side_samples in samples]


@contextlib.contextmanager
def frozen_heap() -> Iterator[None]:
    """Keep this process's own full collections out of the latencies it measures: what it holds (the rows
    of a catalogue it just imported, the importer's caches) is set aside from the collector for the time,
    which a full collection would otherwise walk in the middle of a timed request."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms" if seconds < 0.1 else f"{seconds * 1000:.0f} ms"


def secs(seconds: float) -> str:
    return f"{seconds:.2f} s"


def ratio(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:.2f}×" if denominator > 0 else "n/a"


def note(message: str) -> None:
    """Progress on stderr, so that stdout holds the results only."""
    print(f"· {message}", file=sys.stderr, flush=True)


# --- output --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SummaryRow:
    """One line of the final Markdown table."""

    measure: str
    product: str
    raw: str = "—"
    ratio: str = "—"


def text_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        first, *rest = (str(c) for c in cells)
        return "  ".join([first.ljust(widths[0]), *(c.rjust(w) for c, w in zip(rest, widths[1:], strict=True))])

    rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
    return "\n".join([title, rule, line(headers), rule, *(line(r) for r in rows), rule])


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"

    return "\n".join([line(headers), "|" + "|".join("---" for _ in headers) + "|", *(line(r) for r in rows)])


# --- a throw-away database and index prefix ------------------------------------------------------


def bench_settings() -> Settings:
    tag = secrets.token_hex(4)
    # No rate limits: the load comes from one address, on purpose.
    return Settings(OCOP_DB_NAME=f"ocop_bench_{tag}", OCOP_INDEX_PREFIX=f"bench_{tag}_", OCOP_RATE_LIMIT=False)


@dataclass(slots=True)
class Bench:
    settings: Settings
    store: Store
    meili: MeiliClient

    @property
    def index_uid(self) -> str:
        return self.settings.index_uid(PRODUCTS)


@contextlib.asynccontextmanager
async def bench_clients() -> AsyncIterator[Bench]:
    """A fresh database and index prefix, dropped and deleted on the way out."""
    settings = bench_settings()
    store = Store.connect(settings.resolved_mongodb_url, settings.db_name)
    meili = MeiliClient(settings.resolved_meili_url, settings.resolved_meili_key, timeout=60)
    try:
        yield Bench(settings, store, meili)
    finally:
        try:
            await store.client.drop_database(settings.db_name)
            for uid in await meili.list_indexes():
                if uid.startswith(settings.index_prefix):
                    await meili.wait_task(await meili.delete_index(uid), timeout=120)
        finally:
            await meili.close()
            await store.close()


def product_gid(product_id: object) -> str:
    return base64.b64encode(f"Product:{product_id}".encode()).decode()


def producer_gid(producer_id: object) -> str:
    return base64.b64encode(f"Producer:{producer_id}".encode()).decode()


def node_id(global_id: str) -> str:
    """The database id inside a GraphQL global id."""
    return base64.b64decode(global_id).decode().partition(":")[2]


# --- the generated catalogue ---------------------------------------------------------------------


def _demo_rows_by_producer() -> dict[str, list[dict[str, Any]]]:
    by_producer: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with DEMO_PRODUCTS.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                row = json.loads(line)
                by_producer[row["producer"]].append(row)
    return dict(by_producer)


def _producer_names(bases: list[str], count: int) -> list[tuple[str, str]]:
    """(name, demo producer it is modelled on): the demo producers first, then their other sites."""
    names = []
    for i in range(count):
        base = bases[i % len(bases)]
        site = i // len(bases)
        names.append((base if site == 0 else f"{base} – cơ sở {site + 1}", base))
    return names


def _vary(row: dict[str, Any], rng: random.Random, producer: str, external_id: str) -> dict[str, Any]:
    factor = rng.uniform(0.8, 1.25)
    out = {**row, "producer": producer, "externalId": external_id}
    out["name"] = row["name"] + rng.choice(NAME_VARIANTS)
    out["priceVnd"] = max(1000, round(row["priceVnd"] * factor, -3))
    out["ocopStars"] = rng.choices(list(STAR_WEIGHTS), weights=list(STAR_WEIGHTS.values()))[0]
    if row.get("priceTiers"):
        out["priceTiers"] = [
            {"minQuantity": t["minQuantity"], "unitPriceVnd": max(500, round(t["unitPriceVnd"] * factor, -2))}
            for t in row["priceTiers"]
        ]
    return out


def generate_rows(count: int, *, seed: int = SEED, producers: int = PRODUCERS) -> list[dict[str, Any]]:
    """`count` import rows varied from the demo catalogue, spread over `producers` producers. A producer
    keeps the province, commune and type of the demo producer it is modelled on."""
    rng = random.Random(seed)
    demo = _demo_rows_by_producer()
    names = _producer_names(list(demo), producers)
    per_producer: dict[str, int] = defaultdict(int)
    rows = []
    for _ in range(count):
        name, base = rng.choice(names)
        template = rng.choice(demo[base])
        per_producer[name] += 1
        rows.append(_vary(template, rng, name, f"{template['externalId']}-{per_producer[name]:05d}"))
    return rows


def write_jsonl(rows: list[dict[str, Any]], path: Path) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


@contextlib.contextmanager
def catalogue_file(count: int, *, seed: int = SEED) -> Iterator[Path]:
    """A temporary JSON Lines file of `count` generated rows."""
    with tempfile.TemporaryDirectory(prefix="ocop-bench-") as tmp:
        yield write_jsonl(generate_rows(count, seed=seed), Path(tmp) / "products.jsonl")


# --- the API and the worker as subprocesses ------------------------------------------------------


async def load_catalogue(bench: Bench, rows: int) -> None:
    """`rows` generated products, imported with the project's importer and indexed as `ocop worker --once`
    would."""
    await bench.store.ensure_indexes()
    with catalogue_file(rows) as path:
        report = await import_products(bench.store, path)
    if report.failed:
        raise RuntimeError(f"import failed: {report.errors[:3]}")
    await SearchSync(bench.store, bench.meili, bench.index_uid).run(once=True, timeout=600)


@contextlib.contextmanager
def local_services() -> Iterator[None]:
    """The project's local MongoDB and Meilisearch for a benchmark run; those this call started are stopped
    again afterwards."""
    from devservices.local import LocalServices

    local = LocalServices(Settings())
    started = [s.name for s in local.start() if s.started]
    try:
        yield
    finally:
        if started:
            local.stop(started)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(slots=True)
class Child:
    name: str
    process: asyncio.subprocess.Process
    log: Path

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@contextlib.asynccontextmanager
async def child_process(
    name: str, settings: Settings, *args: str, module: str = "cli", env: Mapping[str, str] | None = None
) -> AsyncIterator[Child]:
    """`python -m cli <args>` (or another module) with the benchmark's database and index prefix, and `env`
    added; terminated, then killed."""
    with tempfile.TemporaryDirectory(prefix=f"ocop-bench-{name}-") as tmp:
        log = Path(tmp) / f"{name}.log"
        with log.open("wb") as out:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                module,
                *args,
                cwd=PROJECT_ROOT,
                env={**settings.child_environment(), **(env or {})},
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
            )
        child = Child(name, process, log)
        try:
            yield child
        finally:
            await stop_process(process)


async def stop_process(process: asyncio.subprocess.Process, grace: float = 10.0) -> None:
    if process.returncode is not None:
        return
    process.terminate()
    try:
        await asyncio.wait_for(process.wait(), timeout=grace)
    except TimeoutError:
        process.kill()
        await process.wait()


@contextlib.asynccontextmanager
async def api_server(settings: Settings, *, ready_timeout: float = 30.0) -> AsyncIterator[str]:
    """The real API (`python -m cli serve`) on a free port; yields its base URL once /healthz answers."""
    port = free_port()
    # One API process, as the figures compare one process with the raw services.
    async with child_process("api", settings, "serve", "--port", str(port), "--workers", "1") as child:
        url = f"http://127.0.0.1:{port}"
        await wait_healthy(child, url, ready_timeout)
        yield url


async def wait_healthy(child: Child, url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=url, timeout=2.0) as http:
        while time.monotonic() < deadline:
            if child.process.returncode is not None:
                raise RuntimeError(f"{child.name} exited with {child.process.returncode}:\n{child.log_tail()}")
            with contextlib.suppress(httpx.TransportError):
                if (await http.get("/healthz")).status_code == 200:
                    return
            await asyncio.sleep(0.05)
    raise RuntimeError(f"{child.name} did not answer /healthz within {timeout}s:\n{child.log_tail()}")


@contextlib.asynccontextmanager
async def worker_process(settings: Settings) -> AsyncIterator[Child]:
    """The real search sync worker (`python -m cli worker`)."""
    async with child_process("worker", settings, "worker") as child:
        yield child


async def graphql(http: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """POST a GraphQL request; return `data`, raising on transport or GraphQL errors."""
    response = await http.post("/graphql", json={"query": query, "variables": variables or {}})
    if response.status_code != 200:
        raise RuntimeError(f"GraphQL answered {response.status_code}: {response.text[:500]}")
    body = response.json()
    if body.get("errors"):
        raise RuntimeError(f"GraphQL errors: {body['errors']}")
    data: dict[str, Any] = body["data"]
    return data


def api_client(base_url: str, api_key: str | None = None) -> httpx.AsyncClient:
    """One keep-alive connection, no compression."""
    headers = {"Accept-Encoding": "identity"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    return httpx.AsyncClient(
        base_url=base_url,
        headers=headers,
        timeout=30.0,
        limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
    )
