"""Event-loop stalls while the search vocabulary is counted: the latency of `{ __typename }`, asked every 5 ms
by one client, of the real API process (`python -m cli serve`) over a catalogue of N generated products (the
project's importer; 100,000 by default).

Four phases: the first count of the catalogue's words, which the API starts as it starts up; idle (the
noise floor); the first search; and a recount (OCOP_VOCABULARY_REFRESH_SECONDS is shortened so that a search
soon after starts one). A phase with a count lasts until the API has logged the count as done, then 0.3 s
more. The index is created with the product settings but left empty: the count reads MongoDB
only, and indexing the catalogue would add minutes without changing what is measured. Target: the worst
latency ≤ 20 ms in every phase.

`python -m bench.stall --code DIR` runs the API from another checkout of the project (an older revision),
which is taken to count in the first search and in the recount, and to be done when the search answers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from api.settings import PROJECT_ROOT, Settings
from bench.common import (
    Child,
    SummaryRow,
    api_client,
    bench_clients,
    catalogue_file,
    free_port,
    frozen_heap,
    graphql,
    local_services,
    note,
    percentile,
    secs,
    stop_process,
    text_table,
)
from bench.memory_bound import memory_of, mib
from market.catalog.importer import import_products
from search.settings import PRODUCT_SETTINGS

PRODUCTS = 100_000
POLL_SECONDS = 0.005
IDLE_SECONDS = 2.0
TAIL_SECONDS = 0.3
REFRESH_SECONDS = 5.0
PHASE_TIMEOUT = 120.0
TARGET_MS = 20.0
COUNTED = "catalogue vocabulary counted"
SEARCH = '{ searchProducts(query: "nuoc mam", first: 5) { edges { node { id } } } }'


@dataclass(slots=True)
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)
    search_s: float = 0.0  # how long the search that started the phase took to answer
    peak_rss: int = 0

    @property
    def worst(self) -> float:
        return max(self.latencies)

    @property
    def p99(self) -> float:
        return percentile(self.latencies, 99)


@dataclass(slots=True)
class StallFigures:
    products: int
    import_s: float
    code: str
    started_rss: int
    phases: list[Phase]


@contextlib.asynccontextmanager
async def api_process(settings: Settings, code: Path) -> AsyncIterator[tuple[Child, str]]:
    """The API run from `code` as one process (the one polled is the one counting) on a free port, with a
    short vocabulary refresh, once /healthz answers."""
    port = free_port()
    env = {**settings.child_environment(), "OCOP_VOCABULARY_REFRESH_SECONDS": str(REFRESH_SECONDS)}
    with tempfile.TemporaryDirectory(prefix="ocop-bench-stall-") as tmp:
        log = Path(tmp) / "api.log"
        with log.open("wb") as out:
            process = await asyncio.create_subprocess_exec(
                *(sys.executable, "-m", "cli", "serve", "--port", str(port), "--workers", "1"),
                cwd=code,
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
            )
        child = Child("api", process, log)
        url = f"http://127.0.0.1:{port}"
        try:
            async with httpx.AsyncClient(base_url=url, timeout=2.0) as http:
                deadline = time.monotonic() + 30
                while True:
                    if process.returncode is not None:
                        raise RuntimeError(f"the API exited with {process.returncode}:\n{child.log_tail()}")
                    with contextlib.suppress(httpx.TransportError):
                        if (await http.get("/healthz")).status_code == 200:
                            break
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"the API did not answer /healthz:\n{child.log_tail()}")
                    await asyncio.sleep(0.05)
            yield child, url
        finally:
            await stop_process(process)


def counts_logged(child: Child) -> int:
    return child.log.read_text(errors="replace").count(COUNTED)


async def poll(http: httpx.AsyncClient, latencies: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        began = time.perf_counter()
        response = await http.post("/graphql", json={"query": "{ __typename }"})
        latencies.append(time.perf_counter() - began)
        if response.status_code != 200:
            raise RuntimeError(f"{{ __typename }} answered {response.status_code}: {response.text[:300]}")
        await asyncio.sleep(POLL_SECONDS)


async def phase(name: str, url: str, child: Child, *, search: bool, until_counted: int | None) -> Phase:
    """Poll while one search runs, then until the API has logged `until_counted` counts in all (or, with
    neither, for IDLE_SECONDS)."""
    result = Phase(name)
    stop = asyncio.Event()
    async with api_client(url) as poller, api_client(url) as searcher:
        polling = asyncio.create_task(poll(poller, result.latencies, stop))
        await asyncio.sleep(0.2)  # polling under way before the search
        if search:
            began = time.perf_counter()
            await graphql(searcher, SEARCH)
            result.search_s = time.perf_counter() - began
        if until_counted is not None:
            deadline = time.monotonic() + PHASE_TIMEOUT
            while counts_logged(child) < until_counted:
                if time.monotonic() > deadline or polling.done():
                    raise RuntimeError(f"no vocabulary count logged in {name}:\n{child.log_tail()}")
                await asyncio.sleep(0.05)
            await asyncio.sleep(TAIL_SECONDS)
        elif not search:
            await asyncio.sleep(IDLE_SECONDS)
        stop.set()
        await polling
    result.peak_rss = memory_of(child.process.pid).peak
    return result


async def measure(products: int, code: Path) -> StallFigures:
    counts_at_start = code == PROJECT_ROOT  # and logs its counts
    async with bench_clients() as bench:
        note(f"stall: importing {products:,} generated products")
        await bench.store.ensure_indexes()
        began = time.perf_counter()
        with catalogue_file(products) as path:
            report = await import_products(bench.store, path)
        import_s = time.perf_counter() - began
        if report.failed:
            raise RuntimeError(f"the generated catalogue has bad rows: {report.errors[:3]}")
        await bench.meili.ensure_index(bench.index_uid)
        await bench.meili.wait_task(await bench.meili.update_settings(bench.index_uid, PRODUCT_SETTINGS))
        note(f"stall: imported in {secs(import_s)}; starting the API from {code}")
        with frozen_heap():
            async with api_process(bench.settings, code) as (child, url):
                async with api_client(url) as http:
                    for _ in range(20):  # what the first requests of a process load is not the vocabulary's
                        await graphql(http, "{ __typename }")
                started_rss = memory_of(child.process.pid).rss
                phases = []
                if counts_at_start:
                    note("stall: the count the API starts as it starts up")
                    phases.append(await phase("start-up count", url, child, search=False, until_counted=1))
                phases.append(await phase("idle", url, child, search=False, until_counted=None))
                note("stall: the first search after start")
                phases.append(await phase("first search", url, child, search=True, until_counted=None))
                await asyncio.sleep(REFRESH_SECONDS + 0.5)
                note("stall: a search after the refresh interval (a recount)")
                recounted = 2 if counts_at_start else None
                phases.append(await phase("recount", url, child, search=True, until_counted=recounted))
    return StallFigures(products, import_s, str(code), started_rss, phases)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def report(f: StallFigures) -> tuple[str, list[SummaryRow]]:
    rows = [
        (
            p.name,
            str(len(p.latencies)),
            ms(p.p99),
            ms(p.worst) + ("" if p.worst * 1000 <= TARGET_MS else " (OVER)"),
            secs(p.search_s) if p.search_s else "—",
            mib(p.peak_rss - f.started_rss),
        )
        for p in f.phases
    ]
    table = text_table(
        f"`{{ __typename }}` every {POLL_SECONDS * 1000:g} ms while the vocabulary of {f.products:,} products is"
        f" counted (imported in {secs(f.import_s)}; API from {f.code})",
        ("phase", "requests", "p99", f"worst (target ≤ {TARGET_MS:g} ms)", "search answered in", "peak RSS − start"),
        rows,
    )
    summary = [
        SummaryRow(
            f"stall: worst `{{ __typename }}` during the vocabulary count, {f.products:,} products"
            f" (target ≤ {TARGET_MS:g} ms)",
            ", ".join(f"{p.name} {ms(p.worst)} (p99 {ms(p.p99)})" for p in f.phases if p.name != "idle"),
        )
    ]
    return table, summary


async def run(products: int = PRODUCTS, code: Path = PROJECT_ROOT) -> tuple[str, list[SummaryRow]]:
    return report(await measure(products, code))


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.stall", description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=PRODUCTS, help=f"Products to import (default {PRODUCTS}).")
    parser.add_argument("--code", type=Path, default=PROJECT_ROOT, help="Checkout to run the API from.")
    args = parser.parse_args(argv)
    if args.products < 1:
        parser.error("--products must be at least 1")
    with local_services():
        table, _ = asyncio.run(run(args.products, args.code.resolve()))
        print(table, flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
