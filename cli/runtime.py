"""Running the product: the API, the sync worker, and both with local services for development."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys

import typer

from api.settings import Settings
from cli.common import clients, console, err, keys_file, print_keys, run_async
from search.settings import PRODUCTS


def serve(
    host: str = typer.Option(None, help="Bind address (default OCOP_API_HOST, 127.0.0.1)."),
    port: int = typer.Option(None, help="Port (default OCOP_API_PORT, 8000)."),
    workers: int = typer.Option(
        0, min=0, help="API processes sharing the port (default: OCOP_API_WORKERS, else one per core)."
    ),
    access_log: bool = typer.Option(False, help="uvicorn's access log too (the API already logs each request)."),
) -> None:
    """Run the GraphQL API (GraphiQL at /graphql in dev), with /healthz, /readyz and /metrics, in one process
    per core. Every process serves queries, mutations and subscriptions: each follows MongoDB's change
    streams itself, so none needs another. SIGTERM lets requests in flight finish (up to 10 s)."""
    import uvicorn

    from api.logs import log_config

    settings = Settings()
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host or settings.api_host,
        port=port or settings.api_port,
        workers=workers or settings.api_workers,
        log_level="info",
        log_config=log_config(),  # JSON lines, in every worker process
        access_log=access_log,
        timeout_graceful_shutdown=10,
        **settings.server_options,  # type: ignore[arg-type]
    )


def worker(
    once: bool = typer.Option(False, "--once", help="Drain everything pending, then exit 0."),
    timeout: float = typer.Option(300.0, help="With --once: give up (exit 1) after this many seconds."),
) -> None:
    """Keep the search indexes (products, RFQ board) in sync with MongoDB, fan business events out to
    notifications, email and webhooks, deliver the mail in the outbox (OCOP_SMTP_URL), and close expired
    inquiries."""
    import logging

    from api.logs import configure_logging
    from market.mail.delivery import drain
    from market.mail.smtp import SmtpSender
    from market.notifications.certificate_expiry import sweep_certificates
    from search.rfqs import RFQS
    from workers.alerts import Matchers, drain_alerts, match_alerts
    from workers.expiry import sweep_expired
    from workers.indexer import RfqIndexer
    from workers.mail import deliver_mail
    from workers.notify import deliver_notifications, drain_notifications
    from workers.sync import SearchSync, SyncTimeout

    configure_logging()
    settings = Settings()
    try:
        sender = SmtpSender(settings.resolved_smtp_url, mail_from=settings.mail_from)
    except ValueError as exc:
        err.print(f"[red]error[/red] {exc}", highlight=False)
        raise typer.Exit(2) from exc
    if settings.env == "production" and not settings.smtp_url:
        logging.getLogger("ocop.mail").warning(
            "OCOP_SMTP_URL is not set: mail goes to %s, the local development server", sender.target.display
        )

    async def work(settings: Settings) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        async with clients(settings) as (store, meili):
            syncs = [
                SearchSync(store, meili, settings.index_uid(PRODUCTS)),
                SearchSync(store, meili, settings.index_uid(RFQS), indexer=RfqIndexer(store, meili)),
            ]
            jobs = [s.run(once=once, stop=stop, timeout=timeout if once else None) for s in syncs]
            matchers = Matchers.of(store, meili, settings.index_uid(PRODUCTS), settings.index_uid(RFQS))
            if not once:
                jobs.append(sweep_expired(store, stop))
                jobs.append(match_alerts(store, matchers, stop))
                jobs.append(deliver_mail(store, sender, stop))
                jobs.append(deliver_notifications(store, stop, production=settings.env == "production"))
            try:
                try:
                    await asyncio.gather(*jobs)
                except SyncTimeout as exc:
                    stop.set()
                    logging.getLogger("ocop.sync").error("%s", exc)
                    raise typer.Exit(1) from exc
                if once:
                    applied = sum(s.stats.events for s in syncs)
                    console.print(f"search indexes in sync: {applied} change(s) applied")
                    alerts = await drain_alerts(store, matchers)
                    expiring = await sweep_certificates(store)
                    console.print(
                        f"alerts: {alerts.saved_search_alerts} saved-search, {alerts.rfq_alerts} RFQ board, "
                        f"{expiring.alerts} certificate expiry",
                        highlight=False,
                    )
                    notified = await drain_notifications(store, production=settings.env == "production")
                    console.print(
                        f"notifications: {notified.events} event(s) fanned out, webhooks "
                        f"{notified.webhooks_delivered} delivered, {notified.webhooks_waiting} waiting for a retry, "
                        f"{notified.webhooks_failed} failed",
                        highlight=False,
                    )
                    mail = await drain(store, sender)
                    console.print(
                        f"mail: {mail.sent} sent, {mail.retried} waiting for a retry, {mail.failed} failed",
                        highlight=False,
                    )
            finally:
                await matchers.close()

    run_async(work)


def run(
    host: str = typer.Option(None, help="Bind address of the API."),
    port: int = typer.Option(None, help="Port of the API."),
) -> None:
    """Start the local services, load the demo data if the catalog is empty, then run worker and API."""
    import uvicorn

    from api.logs import configure_logging
    from cli.services import local_services

    configure_logging()
    settings = Settings()
    services = local_services()
    from devservices.local import ServiceError

    try:
        for status in services.start():
            console.print(f"{status.name}: {status.state} at {status.url}")
    except ServiceError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    if settings.graphiql:
        from devservices.graphiql_assets import GraphiQLAssetsError, ensure_installed

        try:
            ensure_installed(settings)
        except GraphiQLAssetsError as exc:  # the API runs all the same; its page says how to install
            err.print(f"[yellow]GraphiQL's files are not installed: {exc}[/yellow]")
    setup = subprocess.run([sys.executable, "-m", "cli", "setup-search"], check=False, stdout=subprocess.DEVNULL)
    if setup.returncode != 0:
        raise typer.Exit(setup.returncode)
    seed = subprocess.run([sys.executable, "-m", "cli", "seed-demo", "--if-empty", "--no-show-keys"], check=False)
    if seed.returncode != 0:
        raise typer.Exit(seed.returncode)
    worker_process = subprocess.Popen([sys.executable, "-m", "cli", "worker"])
    host = host or settings.api_host
    port = port or settings.api_port
    saved_keys = keys_file(settings)
    if saved_keys.exists():
        print_keys(json.loads(saved_keys.read_text(encoding="utf-8")))
    console.print(f"\n[bold]GraphiQL:[/bold] http://{host}:{port}/graphql   (Ctrl-C stops API and worker)")
    if not settings.smtp_url:
        console.print(f"[bold]Mail:[/bold] `ocop mail list`, or the files in {settings.mail_dir}")
    console.print()
    try:
        uvicorn.run(
            "api.app:create_app",
            factory=True,
            host=host,
            port=port,
            log_level="info",
            log_config=None,
            access_log=False,
            **settings.server_options,  # type: ignore[arg-type]
        )
    finally:
        worker_process.terminate()
        try:
            worker_process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker_process.kill()
