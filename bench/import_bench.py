"""Bulk import of N generated products, until every one is searchable, against the raw services.

Product path: `market.catalog.importer.import_products` into an empty database, then one
`SearchSync.run(once=True)` (on an empty index that is a full rebuild, as `ocop worker --once` does).
Raw path, on the same servers: `insert_many` of the very documents the import stored (batches of 1000,
into a collection with the same indexes), and `add_documents` of the very documents the sync indexed
(batches of 1000, all submitted, then waited for) into an index created with the same settings.
The raw path runs after the product path: both the collection and the index are new ones.

Live path, in a database and index of their own: the real worker (`ocop worker`) runs and follows an empty
catalogue, then the same file is imported; timed from the start of the import until every product is
searchable, as a producer importing into a running marketplace sees it.
"""

from __future__ import annotations

import asyncio
import csv
import io
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from api.settings import PROJECT_ROOT
from bench.common import (
    Bench,
    Child,
    SummaryRow,
    bench_clients,
    catalogue_file,
    note,
    ratio,
    secs,
    stopwatch,
    text_table,
    worker_process,
)
from market.catalog.importer import ImportReport, import_products
from market.catalog.records import Producer, Product
from search.client import MeiliClient
from search.documents import product_document
from search.settings import PRODUCT_SETTINGS
from workers.sync import SearchSync

BATCH = 1000
RAW_COLLECTION = "raw_products"


@dataclass(slots=True)
class ImportFigures:
    rows: int
    import_s: float = 0.0
    rebuild_chunks_s: float = 0.0  # from the start of the sync until the last chunk was in the temporary index
    sync_s: float = 0.0
    indexed: int = 0
    raw_insert_s: float = 0.0
    raw_index_s: float = 0.0
    raw_index_stepwise_s: float = 0.0
    reimport_s: float = 0.0
    reimport_unchanged: int = 0
    resync_s: float = 0.0
    live_import_s: float = 0.0  # import_products with the worker running
    live_searchable_s: float = 0.0  # from the start of that import until all are searchable
    resync_events: int = 0


def _chunks(items: list[dict[str, Any]], size: int = BATCH) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _check(report: ImportReport, rows: int, *, created: int = 0, unchanged: int = 0) -> None:
    if report.failed or report.created != created or report.unchanged != unchanged or report.rows != rows:
        raise RuntimeError(
            f"unexpected import result: {report.rows} rows, {report.created} created, "
            f"{report.unchanged} unchanged, errors {report.errors[:3]}"
        )


async def _import(bench: Bench, path: Path, figures: ImportFigures) -> None:
    await bench.store.ensure_indexes()
    with stopwatch() as sw:
        report = await import_products(bench.store, path)
    _check(report, figures.rows, created=figures.rows)
    figures.import_s = sw.seconds


async def _sync(bench: Bench, figures: ImportFigures) -> None:
    last_chunk = 0.0

    def progress(done: int, total: int) -> None:
        nonlocal last_chunk
        if done == total:
            last_chunk = time.perf_counter()

    sync = SearchSync(bench.store, bench.meili, bench.index_uid, on_progress=progress)
    with stopwatch() as sw:
        await sync.run(once=True, timeout=600)
    figures.sync_s = sw.seconds
    figures.rebuild_chunks_s = last_chunk - sw.started
    figures.indexed = (await bench.meili.stats(bench.index_uid))["numberOfDocuments"]


async def _copy_indexes(db: AsyncDatabase[dict[str, Any]], source: str, target: str) -> None:
    specs = []
    async for spec in await db[source].list_indexes():
        if spec["name"] != "_id_":
            specs.append({k: v for k, v in spec.items() if k not in ("v", "ns")})
    await db.create_collection(target)
    await db.command("createIndexes", target, indexes=specs)


async def _raw_insert(bench: Bench, figures: ImportFigures) -> None:
    db = bench.store.db
    documents = await db["products"].find({}, {"_id": 0}).to_list(None)
    await _copy_indexes(db, "products", RAW_COLLECTION)
    raw = db[RAW_COLLECTION]
    with stopwatch() as sw:
        for chunk in _chunks(documents):
            await raw.insert_many(chunk)
    figures.raw_insert_s = sw.seconds


async def _raw_index(meili: MeiliClient, uid: str, documents: list[dict[str, Any]], *, stepwise: bool) -> float:
    """Seconds to create an index with the product settings and add `documents`, all tasks succeeded.
    `stepwise` waits for each batch before sending the next, as the indexer does."""
    with stopwatch() as sw:
        await meili.ensure_index(uid)
        tasks = [await meili.update_settings(uid, PRODUCT_SETTINGS)]
        for chunk in _chunks(documents):
            tasks.append(await meili.add_documents(uid, chunk))
            if stepwise:
                await meili.wait_tasks(tasks, timeout=600)
                tasks = []
        await meili.wait_tasks(tasks, timeout=600)
    return sw.seconds


async def _index_documents(bench: Bench) -> list[dict[str, Any]]:
    """The search documents of every stored product, projected as the indexer projects them."""
    products = await bench.store.db["products"].find({}).to_list(None)
    producers = {d["_id"]: Producer.from_doc(d) for d in await bench.store.db["producers"].find({}).to_list(None)}
    return [product_document(Product.from_doc(p), producers[p["producerId"]]) for p in products]


async def _raw_indexing(bench: Bench, figures: ImportFigures) -> None:
    documents = await _index_documents(bench)
    prefix = bench.settings.index_prefix
    figures.raw_index_s = await _raw_index(bench.meili, f"{prefix}raw_products", documents, stepwise=False)
    figures.raw_index_stepwise_s = await _raw_index(
        bench.meili, f"{prefix}raw_products_stepwise", documents, stepwise=True
    )


async def _reimport(bench: Bench, path: Path, figures: ImportFigures) -> None:
    with stopwatch() as sw:
        report = await import_products(bench.store, path)
    _check(report, figures.rows, unchanged=figures.rows)
    figures.reimport_s = sw.seconds
    figures.reimport_unchanged = report.unchanged
    sync = SearchSync(bench.store, bench.meili, bench.index_uid)
    with stopwatch() as sw:
        await sync.run(once=True, timeout=600)
    figures.resync_s = sw.seconds
    figures.resync_events = sync.stats.events


async def _wait_following(bench: Bench, worker: Child, timeout: float = 120.0) -> None:
    state = bench.store.sync_state(f"search:{bench.index_uid}")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.process.returncode is not None:
            raise RuntimeError(f"the worker exited with {worker.process.returncode}:\n{worker.log_tail()}")
        status = await state.read()
        if status.resume_token is not None and status.rewind_to is None:
            return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"the worker did not start following within {timeout}s:\n{worker.log_tail()}")


async def _live_import(path: Path, figures: ImportFigures) -> None:
    async with bench_clients() as bench:
        await bench.store.ensure_indexes()
        async with worker_process(bench.settings) as worker:
            await _wait_following(bench, worker)
            with stopwatch() as sw:
                report = await import_products(bench.store, path)
                figures.live_import_s = time.perf_counter() - sw.started
                _check(report, figures.rows, created=figures.rows)
                deadline = time.monotonic() + 900
                while (await bench.meili.stats(bench.index_uid))["numberOfDocuments"] < figures.rows:
                    if time.monotonic() > deadline or worker.process.returncode is not None:
                        raise RuntimeError(f"not all searchable in time:\n{worker.log_tail()}")
                    await asyncio.sleep(0.05)
            figures.live_searchable_s = sw.seconds


async def measure(rows: int) -> ImportFigures:
    figures = ImportFigures(rows=rows)
    note(f"import: generating {rows:,} rows")
    with catalogue_file(rows) as path:
        async with bench_clients() as bench:
            note("import: import_products + SearchSync.run(once=True)")
            await _import(bench, path, figures)
            await _sync(bench, figures)
            note("import: raw insert_many + raw add_documents")
            await _raw_insert(bench, figures)
            await _raw_indexing(bench, figures)
            note("import: re-import of the same file")
            await _reimport(bench, path, figures)
        note("import: import_products with the worker running, until all searchable")
        await _live_import(path, figures)
    return figures


def _per_second(rows: int, seconds: float) -> str:
    return f"{rows / seconds:,.0f}" if seconds > 0 else "n/a"


def report(f: ImportFigures) -> tuple[str, list[SummaryRow]]:
    product_total = f.import_s + f.sync_s
    raw_total = f.raw_insert_s + f.raw_index_s
    lines = [
        ("import_products → MongoDB", secs(f.import_s), _per_second(f.rows, f.import_s)),
        ("  SearchSync once: last rebuild chunk in", secs(f.rebuild_chunks_s), ""),
        (f"  SearchSync once: all searchable ({f.indexed:,} docs)", secs(f.sync_s), _per_second(f.rows, f.sync_s)),
        ("import + searchable", secs(product_total), _per_second(f.rows, product_total)),
        ("raw insert_many ×1000", secs(f.raw_insert_s), _per_second(f.rows, f.raw_insert_s)),
        ("raw add_documents ×1000, then wait all", secs(f.raw_index_s), _per_second(f.rows, f.raw_index_s)),
        (
            "raw add_documents ×1000, wait each",
            secs(f.raw_index_stepwise_s),
            _per_second(f.rows, f.raw_index_stepwise_s),
        ),
        ("raw insert + raw index", secs(raw_total), _per_second(f.rows, raw_total)),
        (f"re-import, {f.reimport_unchanged:,} unchanged", secs(f.reimport_s), _per_second(f.rows, f.reimport_s)),
        (f"  SearchSync once after it ({f.resync_events} events)", secs(f.resync_s), ""),
        ("import with the worker running → MongoDB", secs(f.live_import_s), _per_second(f.rows, f.live_import_s)),
        ("  … until all searchable", secs(f.live_searchable_s), _per_second(f.rows, f.live_searchable_s)),
        ("ratio import / raw insert_many", ratio(f.import_s, f.raw_insert_s), ""),
        ("ratio import+searchable / raw insert+index", ratio(product_total, raw_total), ""),
    ]
    table = text_table(f"Import of {f.rows:,} products", ("phase", "time", "rows/s"), lines)
    summary = [
        SummaryRow(
            f"Import {f.rows:,} products into MongoDB",
            f"{secs(f.import_s)} ({_per_second(f.rows, f.import_s)} rows/s)",
            f"{secs(f.raw_insert_s)} `insert_many` ×1000",
            ratio(f.import_s, f.raw_insert_s),
        ),
        SummaryRow(
            f"Import {f.rows:,} products until all searchable",
            f"{secs(product_total)} (sync {secs(f.sync_s)})",
            f"{secs(raw_total)} (`add_documents` ×1000 {secs(f.raw_index_s)})",
            ratio(product_total, raw_total),
        ),
        SummaryRow(
            f"Import {f.rows:,} products with the worker running, until all searchable",
            f"{secs(f.live_searchable_s)} (import {secs(f.live_import_s)})",
            f"{secs(raw_total)} (raw insert + raw index)",
            ratio(f.live_searchable_s, raw_total),
        ),
        SummaryRow(f"Re-import of the same {f.rows:,} rows (all unchanged)", secs(f.reimport_s)),
    ]
    return table, summary


async def run(rows: int) -> tuple[str, list[SummaryRow]]:
    return report(await measure(rows))


# --- peak memory of an import, by file format ---------------------------------------------------------------

_IMPORT_ONE = """
import asyncio, sys
from pathlib import Path
from market.catalog.importer import import_products
from market.store import Store

async def main() -> None:
    store = Store.connect(sys.argv[1], sys.argv[2])
    await store.ensure_indexes()
    report = await import_products(store, Path(sys.argv[3]))
    await store.client.drop_database(sys.argv[2])
    await store.close()
    # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so a child would report its parent's peak.
    peak = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:")).split()[1]
    print(report.rows, report.created, report.failed, peak)

asyncio.run(main())
"""


# A `python -m cli ...` command that reports its own peak resident memory as it exits.
_PEAK_OF_CLI = """
import atexit, runpy, sys
def peak():
    hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:")).split()[1]
    print(f"VmHWM {hwm}", file=sys.stderr, flush=True)
atexit.register(peak)
sys.argv = ["cli", *sys.argv[1:]]
runpy.run_module("cli", run_name="__main__", alter_sys=True)
"""


@dataclass(slots=True)
class MemoryFigure:
    format: str
    rows: int
    created: int
    peak_mib: float
    seconds: float
    file_mib: float


async def _files_of(bench: Bench, path: Path, folder: Path) -> dict[str, Path]:
    """The generated catalogue as each kind of file an office sends: imported once, then exported."""
    from market.catalog.exporter import export_products
    from market.catalog.policy import EVERYTHING
    from market.catalog.repository import ProductFilter

    await bench.store.ensure_indexes()
    with path.open() as stream:
        count = sum(1 for _ in stream)
    _check(await import_products(bench.store, path), count, created=count)
    files = {"jsonl": path}
    for fmt in ("xlsx", "csv"):
        files[fmt] = folder / f"products.{fmt}"
        await export_products(bench.store, files[fmt], fmt, EVERYTHING, ProductFilter())
    # Excel's Vietnamese CSV: semicolons, Windows-1258.
    text = files["csv"].read_text(encoding="utf-8-sig")
    files["csv ; cp1258"] = folder / "products-vi.csv"
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows(csv.reader(io.StringIO(text)))
    files["csv ; cp1258"].write_bytes(_cp1258(out.getvalue()))
    return files


_TONES = "\u0300\u0301\u0303\u0309\u0323"


def _cp1258(text: str) -> bytes:
    """Text as Windows writes it in Windows-1258: vowel marks precomposed, tones as combining marks."""
    out = []
    for char in text:
        parts = unicodedata.normalize("NFD", char)
        tones = "".join(c for c in parts if c in _TONES)
        out.append(unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES)) + tones)
    return "".join(out).encode("cp1258", errors="replace")


async def measure_memory(rows: int) -> list[MemoryFigure]:
    """Each file imported by a fresh process into an empty database; its peak resident memory (VmHWM)."""
    import asyncio
    import sys
    import tempfile

    figures: list[MemoryFigure] = []
    with catalogue_file(rows) as path, tempfile.TemporaryDirectory(prefix="ocop-bench-") as tmp:
        async with bench_clients() as bench:
            note(f"import memory: writing {rows:,} rows as XLSX and CSV")
            files = await _files_of(bench, path, Path(tmp))
            for name, file in files.items():
                note(f"import memory: {name}")
                db = f"{bench.settings.db_name}_mem"
                with stopwatch() as sw:
                    process = await asyncio.create_subprocess_exec(
                        sys.executable, "-c", _IMPORT_ONE, bench.settings.resolved_mongodb_url, db, str(file),
                        stdout=asyncio.subprocess.PIPE,
                    )  # fmt: skip
                    out, _ = await process.communicate()
                read, created, _failed, peak_kib = (int(x) for x in out.split())
                figure = MemoryFigure(name, read, created, peak_kib / 1024, sw.seconds, file.stat().st_size / 2**20)
                note(f"import memory: {name}: {read:,} rows, {created:,} created, peak {figure.peak_mib:.0f} MiB")
                figures.append(figure)
            figures.append(await _worker_memory(bench, rows))
    return figures


async def _worker_memory(bench: Bench, rows: int) -> MemoryFigure:
    """`ocop worker --once` on the imported catalogue with an empty index: the full first pass, from a
    snapshot of the collection."""
    import re
    import sys

    note(f"import memory: worker --once over {rows:,} products")
    with stopwatch() as sw:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", _PEAK_OF_CLI, "worker", "--once",
            cwd=PROJECT_ROOT, env=bench.settings.child_environment(),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _, err = await process.communicate()
    peaks = re.findall(rb"VmHWM (\d+)", err)
    if process.returncode != 0 or not peaks:
        raise RuntimeError(f"worker --once failed ({process.returncode}): {err[-2000:].decode(errors='replace')}")
    indexed = (await bench.meili.stats(bench.index_uid)).get("numberOfDocuments", 0)
    products = await bench.store.db["products"].count_documents({})  # drafts are indexed too
    if indexed != products:
        raise RuntimeError(f"worker --once indexed {indexed} of {products} products")
    note(f"import memory: worker --once: {indexed:,} indexed, peak {int(peaks[-1]) / 1024:.0f} MiB")
    return MemoryFigure("worker --once (first pass)", products, indexed, int(peaks[-1]) / 1024, sw.seconds, 0.0)


async def run_memory(rows: int) -> tuple[str, list[SummaryRow]]:
    figures = await measure_memory(rows)
    lines = [
        (f.format, f"{f.file_mib:.1f} MiB", f"{f.rows:,} / {f.created:,}", f"{f.peak_mib:.0f} MiB", secs(f.seconds))
        for f in figures
    ]
    table = text_table(
        f"Import of {rows:,} products: peak memory of the importing process",
        ("file", "size", "rows / created", "peak RSS", "time"),
        lines,
    )
    summary = [
        SummaryRow(
            f"`ocop {f.format}` over {rows:,} products: peak memory"
            if f.format.startswith("worker")
            else f"Import {rows:,} rows from {f.format}: peak memory",
            f"{f.peak_mib:.0f} MiB ({secs(f.seconds)})",
        )
        for f in figures
    ]
    return table, summary
