"""`ocop services start|stop|status`: the local MongoDB and Meilisearch (see api/localservices.py)."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from api.localservices import LocalServices, ServiceError, ServiceStatus
from api.settings import Settings

app = typer.Typer(
    name="services",
    help="Install, start, stop and inspect the local MongoDB and Meilisearch used for development and tests.",
    no_args_is_help=True,
)

_STATE_STYLES = {"started": "green", "running": "green", "stopped": "yellow", "external": "cyan"}


def _print(statuses: list[ServiceStatus], title: str) -> None:
    table = Table(title=title)
    for column in ("name", "state", "url", "pid", "version", "data dir"):
        table.add_column(column, overflow="fold")
    for status in statuses:
        style = _STATE_STYLES.get(status.state, "")
        table.add_row(
            status.name,
            f"[{style}]{status.state}[/{style}]" if style else status.state,
            status.url,
            str(status.pid) if status.pid is not None else "-",
            status.version or "-",
            str(status.data_dir) if status.data_dir is not None else "-",
        )
    Console().print(table)


def _fail(exc: ServiceError) -> typer.Exit:
    # Text, not markup: log tails in the message may contain square brackets.
    Console(stderr=True).print(Text(str(exc), style="red"))
    return typer.Exit(1)


@app.command()
def start() -> None:
    """Install what is missing and start what is not running (services with a URL set are left alone)."""
    try:
        statuses = LocalServices(Settings()).start()
    except ServiceError as exc:
        raise _fail(exc) from exc
    _print(statuses, "Local services")


@app.command()
def stop() -> None:
    """Stop the local services this project started under OCOP_HOME."""
    try:
        statuses = LocalServices(Settings()).stop()
    except ServiceError as exc:
        raise _fail(exc) from exc
    _print(statuses, "Local services")


@app.command()
def status() -> None:
    """Show what runs where."""
    try:
        statuses = LocalServices(Settings()).status()
    except ServiceError as exc:
        raise _fail(exc) from exc
    _print(statuses, "Local services")
