"""The `ocop` command: every command, registered here by name."""

from __future__ import annotations

import typer

from cli import accounts, data, export, mail, report, runtime, services, sync


def build() -> typer.Typer:
    app = typer.Typer(name="ocop", help="OCOP marketplace backend.", no_args_is_help=True, add_completion=False)
    app.command()(runtime.serve)
    app.command()(runtime.worker)
    app.command()(runtime.run)
    app.command()(sync.reindex)
    app.command("check-sync")(sync.check_sync)
    app.command("setup-search")(sync.setup_search)
    app.command("import-products")(data.import_products_command)
    app.command("export-products")(data.export_products_command)
    app.command("report")(report.report_command)
    app.command("seed-demo")(data.seed_demo_command)
    app.command("create-account")(accounts.create_account_command)
    app.command("create-api-key")(accounts.create_api_key_command)
    app.command("revoke-api-key")(accounts.revoke_api_key_command)
    app.command("export-schema")(export.export_schema)
    app.add_typer(services.app, name="services")
    app.add_typer(mail.app, name="mail")
    return app


def main() -> None:
    build()()
