"""The `ocop` command line."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from collections.abc import Callable, Coroutine, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from api import cli_services
from api.settings import PROJECT_ROOT, Settings
from market.errors import DomainError
from market.models import Role
from market.store import Store
from search.client import MeiliClient
from search.settings import PRODUCTS

T = TypeVar("T")

cli = typer.Typer(name="ocop", help="OCOP marketplace backend.", no_args_is_help=True, add_completion=False)
cli.add_typer(cli_services.app, name="services")
console = Console()
err = Console(stderr=True)


def _run(work: Callable[[Settings], Coroutine[Any, Any, T]]) -> T:
    settings = Settings()
    try:
        return asyncio.run(work(settings))
    except DomainError as exc:
        for e in exc.errors:
            err.print(f"[red]error[/red] {e.field or '-'}: {e.message}")
        raise typer.Exit(2) from exc


@asynccontextmanager
async def _clients(settings: Settings) -> Any:
    store = Store.connect(settings.resolved_mongodb_url, settings.db_name)
    meili = MeiliClient(settings.resolved_meili_url, settings.resolved_meili_key)
    try:
        yield store, meili
    finally:
        await meili.close()
        await store.close()


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int], None]]:
    with Progress(
        TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err, transient=False
    ) as progress:
        task = progress.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        yield update


# --- API and worker ----------------------------------------------------------------------------------


@cli.command()
def serve(
    host: str = typer.Option(None, help="Bind address (default OCOP_API_HOST, 127.0.0.1)."),
    port: int = typer.Option(None, help="Port (default OCOP_API_PORT, 8000)."),
    access_log: bool = typer.Option(False, help="Log every request (costs ~0.1 ms each; proxies usually do it)."),
) -> None:
    """Run the GraphQL API (GraphiQL at /graphql in dev), with /healthz, /readyz and /metrics."""
    import uvicorn

    settings = Settings()
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host or settings.api_host,
        port=port or settings.api_port,
        log_level="info",
        access_log=access_log,
        proxy_headers=True,
    )


@cli.command()
def worker(
    once: bool = typer.Option(False, "--once", help="Drain everything pending, then exit 0."),
    timeout: float = typer.Option(300.0, help="With --once: give up (exit 1) after this many seconds."),
) -> None:
    """Keep the search indexes (products, RFQ board) in sync with MongoDB, and close expired inquiries."""
    import logging

    from search.rfqs import RFQS
    from workers.expiry import sweep_expired
    from workers.indexer import RfqIndexer
    from workers.sync import SearchSync, SyncTimeout

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)

    async def work(settings: Settings) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        async with _clients(settings) as (store, meili):
            syncs = [
                SearchSync(store, meili, settings.index_uid(PRODUCTS)),
                SearchSync(store, meili, settings.index_uid(RFQS), indexer=RfqIndexer(store, meili)),
            ]
            jobs = [s.run(once=once, stop=stop, timeout=timeout if once else None) for s in syncs]
            if not once:
                jobs.append(sweep_expired(store, stop))
            try:
                await asyncio.gather(*jobs)
            except SyncTimeout as exc:
                stop.set()
                err.print(f"[red]{exc}[/red]")
                raise typer.Exit(1) from exc
            if once:
                applied = sum(s.stats.events for s in syncs)
                console.print(f"search indexes in sync: {applied} change(s) applied")

    _run(work)


@cli.command()
def reindex() -> None:
    """Rebuild the search indexes (products, RFQ board) into temporary indexes and swap each in atomically;
    live sync keeps working meanwhile."""
    from search.rfqs import RFQS
    from workers.indexer import Indexer, ProductIndexer, RfqIndexer
    from workers.rebuild import rebuild
    from workers.state import SyncStateStore
    from workers.sync import SearchSync

    async def work(settings: Settings) -> None:
        async with _clients(settings) as (store, meili):
            targets: list[tuple[str, Indexer]] = [
                (settings.index_uid(PRODUCTS), ProductIndexer(store, meili)),
                (settings.index_uid(RFQS), RfqIndexer(store, meili)),
            ]
            for uid, indexer in targets:
                with _progress(f"reindex {uid}") as progress:
                    started = await rebuild(store, meili, uid, progress, indexer)
                state = SyncStateStore(store.db, f"search:{uid}")
                await state.set_fingerprint(indexer.fingerprint())
                await state.request_rewind(started)
                status = await state.read()
                live = status.owner and status.lease_expires_at and status.lease_expires_at > datetime.now(UTC)
                if live:
                    console.print(f"{uid} swapped; the running worker ({status.owner}) replays changes made meanwhile")
                else:
                    await SearchSync(store, meili, uid, indexer=indexer).run(once=True, timeout=300)
                    console.print(f"{uid} swapped and changes made meanwhile replayed")

    _run(work)


@cli.command("check-sync")
def check_sync() -> None:
    """Report drift between MongoDB and the search index; exit 1 if there is any."""
    from workers.drift import check_drift

    async def work(settings: Settings) -> bool:
        async with _clients(settings) as (store, meili):
            report = await check_drift(store, meili, settings.index_uid(PRODUCTS))
        table = Table(title="search sync drift")
        table.add_column("check")
        table.add_column("count", justify="right")
        table.add_column("examples", overflow="fold")
        table.add_row("products that should be indexed", str(report.expected), "")
        table.add_row("documents in the index", str(report.indexed), "")
        for label, ids in (("missing", report.missing), ("stale", report.stale), ("orphans", report.orphans)):
            table.add_row(label, str(len(ids)), ", ".join(ids[:5]))
        console.print(table)
        console.print("no drift" if report.clean else "[red]drift found[/red]: run `ocop worker` or `ocop reindex`")
        return report.clean

    if not _run(work):
        raise typer.Exit(1)


# --- data --------------------------------------------------------------------------------------------


@cli.command("import-products")
def import_products_command(path: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True)) -> None:
    """Bulk import products from JSON Lines or CSV (UTF-8). Exit 1 if any row failed."""
    from market.importer import import_products

    async def work(settings: Settings) -> Any:
        async with _clients(settings) as (store, _):
            await store.ensure_indexes()
            with _progress("import") as progress:
                return await import_products(store, path, progress)

    report = _run(work)
    for e in report.errors[:200]:
        err.print(f"line {e.line}: {e.field or '-'}: {e.reason}")
    if len(report.errors) > 200:
        err.print(f"… and {len(report.errors) - 200} more errors")
    console.print(
        f"rows {report.rows}: created {report.created}, updated {report.updated}, unchanged {report.unchanged}, "
        f"failed {report.failed} (new producers: {report.producers_created})"
    )
    if report.failed:
        raise typer.Exit(1)


def _keys_file(settings: Settings) -> Path:
    return settings.home / "demo-keys.json"


@cli.command("seed-demo")
def seed_demo_command(
    if_empty: bool = typer.Option(False, "--if-empty", help="Do nothing when the catalog already has products."),
    show_keys: bool = typer.Option(True, help="Print the demo API keys."),
) -> None:
    """Load the demo data set: OCOP products, producers, buyers and demo accounts (keys are printed)."""
    from market.demo import is_empty, seed_demo

    async def work(settings: Settings) -> bool:
        async with _clients(settings) as (store, _):
            await store.ensure_indexes()
            if if_empty and not await is_empty(store):
                console.print("the catalog is not empty; demo data not loaded")
                return False
            with _progress("seed") as progress:
                result = await seed_demo(store, progress)
        r = result.report
        console.print(
            f"products: created {r.created}, updated {r.updated}, unchanged {r.unchanged}, failed {r.failed}; "
            f"producers created {r.producers_created}; buyer organisations {result.buyers}"
        )
        t = result.trade
        console.print(
            f"trade history{'' if result.trade_seeded else ' (already present, not added again)'}: "
            f"{t.events} trade event(s), {t.inquiries} inquiries ({t.open_inquiries} open), {t.quotations} quotations "
            f"({t.revisions} revisions, {t.declined} declined), {t.messages} messages, {t.mous} MoUs; deals "
            + ", ".join(f"{state} {count}" for state, count in t.deals_by_state.items()),
            highlight=False,
        )
        rows = [
            {"role": k.role.value, "account": k.account, "organisation": k.organisation, "key": k.key}
            for k in result.keys
        ]
        path = _keys_file(settings)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(rows, ensure_ascii=False, indent=2), encoding="utf-8")
        path.chmod(0o600)
        if show_keys:
            _print_keys(rows)
        return True

    _run(work)


def _print_keys(rows: list[dict[str, Any]]) -> None:
    # One key per line, never wrapped, so it can be copied whole.
    console.print("\n[bold]Demo API keys[/bold] (send as `Authorization: Bearer <key>`):")
    for row in rows:
        who = f"{row['account']} ({row['organisation']})" if row["organisation"] else row["account"]
        console.print(f"  {row['role']:<12} {row['key']}   {who}", soft_wrap=True, highlight=False)


# --- accounts ----------------------------------------------------------------------------------------


@cli.command("create-account")
def create_account_command(
    name: str = typer.Option(..., help="Display name."),
    role: Role = typer.Option(..., case_sensitive=False),
    org: str = typer.Option(None, help="Producer or buyer organisation id, for producer and buyer members."),
    province: str = typer.Option(None, help="Province a coordinator oversees (old or new name, or code)."),
    email: str = typer.Option(None),
) -> None:
    """Create an account. Its id is the last line of output."""
    from market.accounts import create_account

    async def work(settings: Settings) -> str:
        async with _clients(settings) as (store, _):
            await store.ensure_indexes()
            account = await create_account(store, name=name, role=role, org_id=org, province=province, email=email)
            return str(account.id)

    console.print(_run(work), highlight=False)


@cli.command("create-api-key")
def create_api_key_command(
    name: str = typer.Option(..., help="Name of the key (and of the account, when one is created)."),
    role: Role = typer.Option(None, case_sensitive=False, help="Create a new account with this role for the key."),
    org: str = typer.Option(None, help="Organisation id, for producer and buyer members."),
    province: str = typer.Option(None, help="Province, for coordinators."),
    account: str = typer.Option(None, help="Issue the key for this existing account instead."),
) -> None:
    """Issue an API key. The key is printed once, as the last line of output."""
    from bson import ObjectId

    from market.accounts import create_account, issue_api_key

    if (role is None) == (account is None):
        err.print("[red]error[/red] give either --role (new account) or --account (existing account)")
        raise typer.Exit(2)

    async def work(settings: Settings) -> str:
        async with _clients(settings) as (store, _):
            await store.ensure_indexes()
            if account is not None:
                record = await store.accounts.get(ObjectId(account)) if ObjectId.is_valid(account) else None
                if record is None:
                    err.print(f"[red]error[/red] account: no account with id {account}")
                    raise typer.Exit(2)
                account_id = record.id
            else:
                assert role is not None
                account_id = (await create_account(store, name=name, role=role, org_id=org, province=province)).id
            return await issue_api_key(store, account_id, name)

    console.print(_run(work), highlight=False, soft_wrap=True)


# --- schema ------------------------------------------------------------------------------------------

SCHEMA_FILE = PROJECT_ROOT / "schema.graphql"


@cli.command("export-schema")
def export_schema(
    output: Path = typer.Option(SCHEMA_FILE, help="Where to write the SDL."),
    check: bool = typer.Option(False, "--check", help="Exit 1 if the file differs instead of writing it."),
) -> None:
    """Write the GraphQL schema (SDL) to schema.graphql."""
    from schema import build_schema

    sdl = build_schema().as_str() + "\n"
    if check:
        if not output.exists() or output.read_text(encoding="utf-8") != sdl:
            err.print(f"{output} is stale: run `ocop export-schema`")
            raise typer.Exit(1)
        console.print(f"{output} is up to date")
        return
    output.write_text(sdl, encoding="utf-8")
    console.print(f"wrote {output}")


# --- everything at once, for development -------------------------------------------------------------


@cli.command()
def run(
    host: str = typer.Option(None, help="Bind address of the API."),
    port: int = typer.Option(None, help="Port of the API."),
) -> None:
    """Start the local services, load the demo data if the catalog is empty, then run worker and API."""
    import uvicorn

    from api.localservices import LocalServices, ServiceError

    settings = Settings()
    try:
        for status in LocalServices(settings).start():
            console.print(f"{status.name}: {status.state} at {status.url}")
    except ServiceError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    seed = subprocess.run([sys.executable, "-m", "api", "seed-demo", "--if-empty", "--no-show-keys"], check=False)
    if seed.returncode != 0:
        raise typer.Exit(seed.returncode)
    worker_process = subprocess.Popen([sys.executable, "-m", "api", "worker"])
    host = host or settings.api_host
    port = port or settings.api_port
    keys_file = _keys_file(settings)
    if keys_file.exists():
        _print_keys(json.loads(keys_file.read_text(encoding="utf-8")))
    console.print(f"\n[bold]GraphiQL:[/bold] http://{host}:{port}/graphql   (Ctrl-C stops API and worker)\n")
    try:
        uvicorn.run("api.app:create_app", factory=True, host=host, port=port, log_level="info", access_log=False)
    finally:
        worker_process.terminate()
        try:
            worker_process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker_process.kill()


def main() -> None:
    cli()
