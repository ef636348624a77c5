"""`python -m bench [--only NAME | --all] [--rows N]`: the marketplace against the raw services.

Each benchmark uses a database and index prefix of its own and removes them at the end. The local
MongoDB and Meilisearch are started if they are not running (and stopped again only if started here).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shlex
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from pymongo import AsyncMongoClient

from api.settings import PROJECT_ROOT, Settings
from bench import (
    api_bench,
    failover,
    floor,
    import_bench,
    lag_bench,
    memory_bound,
    notify_bench,
    revocation,
    search_bench,
    stall,
    throughput,
    trade_bench,
)
from bench.common import SummaryRow, local_services, markdown_table

BENCHMARKS = (
    "import",
    "import-memory",
    "api",
    "lag",
    "search",
    "trade",
    "failover",
    "memory",
    "revocation",
    "stall",
    "throughput",
    "floor",
    "notify",
)
# Minutes long: run with --only.
ON_REQUEST = ("throughput", "floor", "import-memory")


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=BENCHMARKS, help="Run one benchmark only.")
    parser.add_argument(
        "--all", action="store_true", help=f"Also run the long ones ({', '.join(ON_REQUEST)}): the README's full run."
    )
    parser.add_argument("--rows", type=int, default=20_000, help="Products to import (default 20000).")
    parser.add_argument(
        "--connections", type=int, default=throughput.CONNECTIONS, help="throughput and floor: concurrent requests."
    )
    parser.add_argument(
        "--seconds", type=float, default=throughput.SECONDS, help="throughput and floor: timed seconds per side."
    )
    args = parser.parse_args(argv)
    if args.rows < 1:
        parser.error("--rows must be at least 1")
    if args.connections < 1 or args.seconds <= 0:
        parser.error("--connections must be at least 1 and --seconds positive")
    return args


def _command(argv: list[str]) -> str:
    python = Path(sys.executable)
    try:
        shown = str(python.relative_to(Path.cwd()))
    except ValueError:
        shown = "python"
    return shlex.join([shown, "-m", "bench", *argv])


def _revision() -> str | None:
    """The commit measured, marked when the working tree has changes (read-only git queries)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return head.stdout.strip() + (" with uncommitted changes" if dirty.stdout.strip() else "")


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


async def _versions(settings: Settings) -> tuple[str, str]:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(settings.resolved_mongodb_url)
    try:
        mongo = str((await client.server_info())["version"])
    finally:
        await client.close()
    headers = {"Authorization": f"Bearer {settings.resolved_meili_key}"} if settings.resolved_meili_key else {}
    async with httpx.AsyncClient(base_url=settings.resolved_meili_url, headers=headers) as http:
        meili = str((await http.get("/version")).json().get("pkgVersion", "?"))
    return mongo, meili


async def _machine(settings: Settings, revision: str | None) -> str:
    mongo, meili = await _versions(settings)
    cpu = _cpu_model()
    cores = f"{os.cpu_count()} cores" + (f" ({cpu})" if cpu else "")
    return (
        f"{cores}, {platform.system()} {platform.release()}, Python {platform.python_version()}, "
        f"MongoDB {mongo} (single-node replica set), Meilisearch {meili}, all on the same machine"
        + (f"; code at {revision}." if revision else ".")
    )


def _summary(command: str, machine: str, rows: list[SummaryRow]) -> str:
    table = markdown_table(
        ("measure", "ocop-market", "raw services", "ratio"), [(r.measure, r.product, r.raw, r.ratio) for r in rows]
    )
    return f"`{command}`, measured in one run on {machine}\n\n{table}\n"


async def _run(args: argparse.Namespace, command: str, revision: str | None) -> None:
    selected = [args.only] if args.only else [b for b in BENCHMARKS if args.all or b not in ON_REQUEST]
    runners: dict[str, Callable[[], Awaitable[tuple[str, list[SummaryRow]]]]] = {
        "import": lambda: import_bench.run(args.rows),
        "import-memory": lambda: import_bench.run_memory(args.rows),
        "api": api_bench.run,
        "lag": lag_bench.run,
        "search": search_bench.run,
        "trade": trade_bench.run,
        "failover": failover.run,
        "memory": memory_bound.run,
        "revocation": revocation.run,
        "stall": stall.run,
        "throughput": lambda: throughput.run(args.connections, args.seconds),
        "floor": lambda: floor.run(args.connections, args.seconds),
        "notify": notify_bench.run,
    }
    summary: list[SummaryRow] = []
    for name in selected:
        table, rows = await runners[name]()
        print(table + "\n", flush=True)
        summary.extend(rows)
    machine = await _machine(Settings(), revision)
    print("=" * 100)
    print(_summary(command, machine, summary), flush=True)


def main(argv: list[str]) -> None:
    args = _arguments(argv)
    with local_services():
        asyncio.run(_run(args, _command(argv), _revision()))


if __name__ == "__main__":
    main(sys.argv[1:])
