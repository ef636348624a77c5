"""`ocop services start|stop|status`: the local MongoDB, Meilisearch and SMTP server (see devservices/local.py).

devservices/ is development tooling and is not in the production image, so it is imported only when one of
these commands runs; there they say so instead of failing on import.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from api.settings import Settings

if TYPE_CHECKING:
    from devservices.local import LocalServices, ServiceError, ServiceStatus

app = typer.Typer(
    name="services",
    help="Install, start, stop and inspect the local MongoDB, Meilisearch and SMTP server used for development "
    "and tests.",
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


def local_services(replicas: int | None = None) -> LocalServices:
    try:
        from devservices.local import LocalServices
    except ImportError as exc:
        Console(stderr=True).print(
            "the local services are development tooling, not installed here; set MONGODB_URL and MEILI_URL"
        )
        raise typer.Exit(1) from exc
    return LocalServices(Settings(), replicas=replicas)


def _act(action: Callable[[LocalServices], list[ServiceStatus]], replicas: int | None = None) -> None:
    from devservices.local import ServiceError

    services = local_services(replicas)
    try:
        statuses = action(services)
    except ServiceError as exc:
        raise _fail(exc) from exc
    _print(statuses, "Local services")


@app.command()
def start(
    replicas: int | None = typer.Option(
        None,
        "--replicas",
        min=1,
        max=7,
        help="Members of the MongoDB replica set, on OCOP_MONGO_PORT and the ports after it "
        "(default: OCOP_MONGO_REPLICAS, 1). The API and the worker find every member when they run with "
        "the same OCOP_MONGO_REPLICAS.",
    ),
) -> None:
    """Install what is missing and start what is not running (services with a URL set are left alone), and
    make the scoped Meilisearch keys the API and the worker use."""
    _act(lambda services: services.start(), replicas)
    settings = Settings()
    if not settings.meili_url:
        from cli.sync import write_scoped_keys

        asyncio.run(write_scoped_keys(settings))


@app.command()
def stop() -> None:
    """Stop the local services this project started under OCOP_HOME."""
    _act(lambda services: services.stop())


@app.command()
def status() -> None:
    """Show what runs where."""
    _act(lambda services: services.status())
