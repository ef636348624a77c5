"""What the commands share: settings, the two clients, progress bars, error output, the demo keys file."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any, TypeVar

import typer
from pymongo.errors import PyMongoError
from pymongo.uri_parser import parse_uri
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from api.settings import Settings
from market.core.errors import DomainError
from market.storage.faults import is_unavailable
from market.store import Store
from search.client import MeiliClient

T = TypeVar("T")

console = Console()
err = Console(stderr=True)


def run_async(work: Callable[[Settings], Coroutine[Any, Any, T]], options: Mapping[str, str] | None = None) -> T:
    """Run a command's work; a domain error exits 2 naming its field. `options` maps the domain's field names to
    the command's options where they differ, so that an error names the option the user typed."""
    settings = Settings()
    try:
        return asyncio.run(work(settings))
    except DomainError as exc:
        for e in exc.errors:
            if options and e.field is not None and e.field in options:
                e = e.moved(options[e.field])
            err.print(f"[red]error[/red] {e.field or '-'}: {e.message}")
        raise typer.Exit(2) from exc
    except PyMongoError as exc:
        if not is_unavailable(exc):
            raise
        where = hosts_of(settings.resolved_mongodb_url)
        err.print(f"[red]error[/red] MongoDB at {where} did not answer: {type(exc).__name__}")
        raise typer.Exit(1) from exc


def hosts_of(url: str) -> str:
    """A MongoDB URL's hosts only: the URL itself may carry a user's password."""
    try:
        return ",".join(f"{host}:{port}" for host, port in parse_uri(url)["nodelist"])
    except (ValueError, PyMongoError):
        return "the configured server"


@asynccontextmanager
async def clients(settings: Settings) -> Any:
    # The commands (the worker above all) read what a majority holds: nothing they act on is rolled back.
    store = Store.connect(settings.resolved_mongodb_url, settings.db_name, majority_reads=True)
    store.mail.public_url = settings.mail_link_base
    meili = MeiliClient(settings.resolved_meili_url, settings.worker_key)
    try:
        yield store, meili
    finally:
        await meili.close()
        await store.close()


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int], None]]:
    with Progress(
        TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err, transient=False
    ) as progress:
        task = progress.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        yield update


def keys_file(settings: Settings) -> Path:
    """The demo keys of this database: seeding another database (OCOP_DB_NAME) leaves the default one's alone."""
    default = Settings.model_fields["db_name"].default
    return settings.home / ("demo-keys.json" if settings.db_name == default else f"demo-keys-{settings.db_name}.json")


def writable_output(path: Path, option: str) -> None:
    """Refuse (exit 2) an output file whose folder does not exist or may not be written, before any work."""
    folder = path.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        err.print(f"[red]error[/red] {option}: cannot write {path}: no such folder, or not writable", highlight=False)
        raise typer.Exit(2)


def print_keys(rows: list[dict[str, Any]]) -> None:
    # One key per line, never wrapped, so it can be copied whole.
    console.print("\n[bold]Demo API keys[/bold] (send as `Authorization: Bearer <key>`):")
    for row in rows:
        who = f"{row['account']} ({row['organisation']})" if row["organisation"] else row["account"]
        console.print(f"  {row['role']:<12} {row['key']}   {who}", soft_wrap=True, highlight=False)
    people = [row for row in rows if row.get("email")]
    if people:
        console.print("\n[bold]Demo sign-in[/bold] (`signIn(email, password)` in GraphiQL):")
        for row in people:
            console.print(f"  {row['role']:<12} {row['email']:<28} {row['password']}", soft_wrap=True, highlight=False)
