"""Search index maintenance: rebuilding with an atomic swap, and the drift report."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from api.settings import Settings
from cli.common import clients, console, progress_bar, run_async
from search.settings import PRODUCTS

if TYPE_CHECKING:
    from search.keys import ScopedKeys


def reindex() -> None:
    """Rebuild the search indexes (products, RFQ board) into temporary indexes and swap each in atomically;
    live sync keeps working meanwhile."""
    from search.rfqs import RFQS
    from workers.indexer import Indexer, ProductIndexer, RfqIndexer
    from workers.rebuild import rebuild
    from workers.sync import SearchSync

    async def work(settings: Settings) -> None:
        async with clients(settings) as (store, meili):
            targets: list[tuple[str, Indexer]] = [
                (settings.index_uid(PRODUCTS), ProductIndexer(store, meili)),
                (settings.index_uid(RFQS), RfqIndexer(store, meili)),
            ]
            for uid, indexer in targets:
                with progress_bar(f"reindex {uid}") as progress:
                    started = await rebuild(store, meili, uid, progress, indexer)
                state = store.sync_state(f"search:{uid}")
                await state.set_fingerprint(indexer.fingerprint())
                await state.request_rewind(started)
                status = await state.read()
                live = status.owner and status.lease_expires_at and status.lease_expires_at > datetime.now(UTC)
                if live:
                    console.print(f"{uid} swapped; the running worker ({status.owner}) replays changes made meanwhile")
                else:
                    await SearchSync(store, meili, uid, indexer=indexer).run(once=True, timeout=300)
                    console.print(f"{uid} swapped and changes made meanwhile replayed")

    run_async(work)


def check_sync() -> None:
    """Report drift between MongoDB and the search index; exit 1 if there is any."""
    from workers.drift import check_drift

    async def work(settings: Settings) -> bool:
        async with clients(settings) as (store, meili):
            report = await check_drift(store, meili, settings.index_uid(PRODUCTS))
        table = Table(title="search sync drift")
        table.add_column("check")
        table.add_column("count", justify="right")
        table.add_column("examples", overflow="fold")
        table.add_row("products that should be indexed", str(report.expected), "")
        table.add_row("documents in the index", str(report.indexed), "")
        for label, ids in (
            ("missing", report.missing),
            ("stale", report.stale),
            ("orphans", report.orphans),
            ("ahead", report.ahead),
        ):
            table.add_row(label, str(len(ids)), ", ".join(ids[:5]))
        console.print(table)
        console.print("no drift" if report.clean else "[red]drift found[/red]: run `ocop worker` or `ocop reindex`")
        return report.clean

    if not run_async(work):
        raise typer.Exit(1)


def setup_search(
    show: bool = typer.Option(True, "--show/--no-show", help="Print the keys (off where logs are kept)."),
) -> None:
    """Create the scoped Meilisearch keys (with MEILI_MASTER_KEY): one that may only search, for the API, and
    one limited to this deployment's indexes, for the worker. Each is written to its own file (by default
    under OCOP_HOME; MEILI_API_KEY_FILE and MEILI_WORKER_KEY_FILE choose others), where the API and the
    worker read them."""

    async def work(settings: Settings) -> None:
        keys = await write_scoped_keys(settings)
        for role in ("api", "worker"):
            console.print(f"the {role} key is in {settings.meili_key_file(role)}", highlight=False)
        if show:
            console.print(f"MEILI_API_KEY={keys.search}", soft_wrap=True, highlight=False)
            console.print(f"MEILI_WORKER_KEY={keys.worker}", soft_wrap=True, highlight=False)

    run_async(work)


async def write_scoped_keys(settings: Settings) -> ScopedKeys:
    """The scoped keys of `settings`' index prefix, made with the master key, each written to its own file
    that only its owner may read."""
    from search.client import MeiliClient
    from search.keys import ensure_scoped_keys

    master = MeiliClient(settings.resolved_meili_url, settings.resolved_meili_key)
    try:
        keys = await ensure_scoped_keys(master, settings.index_prefix)
    finally:
        await master.close()
    for role, key in (("api", keys.search), ("worker", keys.worker)):
        path = settings.meili_key_file(role)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".tmp")
        temporary.unlink(missing_ok=True)
        temporary.touch(mode=0o600)
        temporary.write_text(key)
        temporary.replace(path)
    return keys
