"""Memory under large requests: the resident memory of the real API process (`python -m cli serve`) before
and after 50 distinct queries of about 900 KB each, just under the 1 MiB body limit and within the 5000-token
limit. The growth, measured after 2 s of idling, should stay within 64 MiB.

Half of the queries carry their size in a comment, half in one string argument, so that both text the lexer
skips and a value kept in the parsed document are exercised. None of them fits the document cache (it keeps
texts of at most 8 KiB), so the figure shows whether anything else holds on to large requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from api.settings import Settings
from bench.common import (
    Child,
    SummaryRow,
    api_client,
    bench_clients,
    child_process,
    free_port,
    local_services,
    note,
    secs,
    text_table,
)

QUERIES = 50
QUERY_BYTES = 900 * 1024
WARMUP = 20
IDLE_SECONDS = 2.0
TARGET_MIB = 64
MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Memory:
    rss: int  # bytes resident now
    peak: int  # the most bytes resident since the process started


@dataclass(frozen=True, slots=True)
class MemoryFigures:
    started: Memory
    warm: Memory
    after_load: Memory
    after_idle: Memory
    seconds: float

    @property
    def growth(self) -> int:
        return self.after_idle.rss - self.warm.rss


def memory_of(pid: int) -> Memory:
    """Resident and peak resident memory, from /proc (Linux)."""
    fields: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) * 1024  # reported in kB
    return Memory(rss=fields["VmRSS"], peak=fields["VmHWM"])


def large_query(n: int) -> tuple[str, dict[str, object]]:
    """The n-th query, of about QUERY_BYTES, different from every other one, and its expected answer."""
    filler = f"{n:04d}" + "x" * (QUERY_BYTES - 4)
    if n % 2:
        return f"#{filler}\n{{ __typename }}", {"__typename": "Query"}
    return f'{{ province(name: "{filler}") {{ code }} }}', {"province": None}


async def ask(http: httpx.AsyncClient, query: str, expected: dict[str, object]) -> None:
    response = await http.post("/graphql", json={"query": query})
    if response.status_code != 200 or response.json() != {"data": expected}:
        raise RuntimeError(f"GraphQL answered {response.status_code}: {response.text[:500]}")


@contextlib.asynccontextmanager
async def api_process(settings: Settings, ready_timeout: float = 30.0) -> AsyncIterator[tuple[Child, str]]:
    """The API as a subprocess on a free port, once /healthz answers; with the child, whose pid is measured."""
    port = free_port()
    # One process: the one whose memory is read.
    async with child_process("api", settings, "serve", "--port", str(port), "--workers", "1") as child:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + ready_timeout
        async with httpx.AsyncClient(base_url=url, timeout=2.0) as http:
            while True:
                if child.process.returncode is not None:
                    raise RuntimeError(f"the API exited with {child.process.returncode}:\n{child.log_tail()}")
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get("/healthz")).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the API did not answer /healthz within {ready_timeout}s:\n{child.log_tail()}")
                await asyncio.sleep(0.05)
        yield child, url


async def measure() -> MemoryFigures:
    async with bench_clients() as bench:
        note("memory: starting the API subprocess")
        async with api_process(bench.settings) as (child, url), api_client(url) as http:
            pid = child.process.pid
            started = memory_of(pid)
            # Small requests first, so that what the first request of a process loads is not counted as growth.
            for _ in range(WARMUP):
                await ask(http, "{ __typename }", {"__typename": "Query"})
            warm = memory_of(pid)
            note(f"memory: {QUERIES} distinct queries of {QUERY_BYTES // 1024} KB")
            began = time.perf_counter()
            for n in range(QUERIES):
                await ask(http, *large_query(n))
            seconds = time.perf_counter() - began
            after_load = memory_of(pid)
            await asyncio.sleep(IDLE_SECONDS)
            after_idle = memory_of(pid)
    return MemoryFigures(started, warm, after_load, after_idle, seconds)


def mib(size: int) -> str:
    return f"{size / MIB:.1f} MiB"


def report(f: MemoryFigures) -> tuple[str, list[SummaryRow]]:
    within = f.growth <= TARGET_MIB * MIB
    rows = [
        ("RSS once /healthz answers", mib(f.started.rss)),
        (f"RSS after {WARMUP} small requests", mib(f.warm.rss)),
        (f"RSS after {QUERIES} large queries ({secs(f.seconds)})", mib(f.after_load.rss)),
        (f"RSS after {IDLE_SECONDS:g} s idle", mib(f.after_idle.rss)),
        ("peak RSS (VmHWM)", mib(f.after_idle.peak)),
        (f"growth (idle − warm), target ≤ {TARGET_MIB} MiB", f"{mib(f.growth)} ({'within' if within else 'OVER'})"),
    ]
    table = text_table(
        f"Memory of the API process under {QUERIES} distinct queries of {QUERY_BYTES // 1024} KB (sequential)",
        ("measure", "value"),
        rows,
    )
    summary = [
        SummaryRow(
            f"memory: RSS growth after {QUERIES} × {QUERY_BYTES // 1024} KB queries (target ≤ {TARGET_MIB} MiB)",
            f"{mib(f.growth)} (peak {mib(f.after_idle.peak)})",
        )
    ]
    return table, summary


async def run() -> tuple[str, list[SummaryRow]]:
    return report(await measure())


def main() -> None:
    with local_services():
        table, _ = asyncio.run(run())
        print(table, flush=True)


if __name__ == "__main__":
    main()
