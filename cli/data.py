"""Data in: bulk product import and the demo data set."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import typer

from api.settings import Settings
from cli.common import clients, console, err, keys_file, print_keys, progress_bar, run_async, writable_output


def import_products_command(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    report: Path | None = typer.Option(
        None,
        "--report",
        help="Write the refused rows, with the reasons in Vietnamese and English, to this .csv or .xlsx.",
    ),
) -> None:
    """Bulk import products from XLSX, CSV (comma, semicolon or tab; UTF-8, UTF-16 or Windows-1258) or JSON
    Lines, with Vietnamese or English column headers. Re-importing updates products by "Mã sản phẩm". Exit 1
    if any row failed, 2 if the file was refused."""
    from market.catalog.import_report import error_report
    from market.catalog.importer import import_products

    if report is not None:
        writable_output(report, "--report")

    async def work(settings: Settings) -> Any:
        async with clients(settings) as (store, _):
            await store.ensure_indexes()
            with contextlib.ExitStack() as stack:
                sink = stack.enter_context(error_report(report)) if report is not None else None
                progress = stack.enter_context(progress_bar("import")) if err.is_terminal else None
                return await import_products(store, path, progress, errors_to=sink)

    result = run_async(work)
    for e in result.errors[:200]:
        err.print(f"line {e.line}: {e.field or '-'}: {e.reason}", highlight=False, markup=False)
    if len(result.errors) > 200:
        err.print(f"… and {len(result.errors) - 200} more errors")
    console.print(
        f"rows {result.rows}: created {result.created}, updated {result.updated}, unchanged {result.unchanged}, "
        f"failed {result.failed} (new producers: {result.producers_created})",
        highlight=False,
    )
    if report is not None and result.failed:
        console.print(f"error report: {report}", highlight=False)
    if result.failed:
        raise typer.Exit(1)


def export_products_command(
    output: Path = typer.Option(..., "--output", "-o", dir_okay=False, help="The file to write."),
    fmt: str = typer.Option("xlsx", "--format", help="xlsx or csv (UTF-8 with a byte order mark)."),
    province: str | None = typer.Option(None, "--province", help="A province code or any current or old name."),
    status: list[str] = typer.Option(
        [], "--status", help="published, draft or archived; repeat for several (default: published and draft)."
    ),
) -> None:
    """Export products with the import's Vietnamese column headers: edit the file and import it again."""
    from market.catalog.exporter import export_products
    from market.catalog.policy import EVERYTHING
    from market.catalog.repository import ProductFilter
    from market.catalog.validation import parse_status

    if fmt not in ("xlsx", "csv"):
        err.print(f"[red]error[/red] --format must be xlsx or csv, got {fmt!r}")
        raise typer.Exit(2)
    statuses = [parse_status(s) for s in status]
    if any(s is None for s in statuses):
        err.print(f"[red]error[/red] --status must be published, draft or archived, got {status!r}")
        raise typer.Exit(2)
    flt = ProductFilter(province=province, statuses=tuple(s for s in statuses if s is not None))
    writable_output(output, "--output")

    async def work(settings: Settings) -> Any:
        async with clients(settings) as (store, _):
            with contextlib.ExitStack() as stack:
                progress = stack.enter_context(progress_bar("export")) if err.is_terminal else None
                return await export_products(store, output, fmt, EVERYTHING, flt, progress)  # type: ignore[arg-type]

    summary = run_async(work)
    console.print(f"wrote {summary.products} products to {summary.path}", highlight=False)


def seed_demo_command(
    if_empty: bool = typer.Option(False, "--if-empty", help="Do nothing when the catalog already has products."),
    show_keys: bool = typer.Option(True, help="Print the demo API keys."),
) -> None:
    """Load the demo data set: OCOP products, producers, buyers and demo accounts (keys are printed)."""
    from market.demo import is_empty, seed_demo

    async def work(settings: Settings) -> bool:
        async with clients(settings) as (store, _):
            await store.ensure_indexes()
            if if_empty and not await is_empty(store):
                console.print("the catalog is not empty; demo data not loaded")
                return False
            with progress_bar("seed") as progress:
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
            {
                "role": k.role.value,
                "account": k.account,
                "organisation": k.organisation,
                "key": k.key,
                "email": k.email,
                "password": k.password,
            }
            for k in result.keys
        ]
        path = keys_file(settings)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(rows, ensure_ascii=False, indent=2), encoding="utf-8")
        path.chmod(0o600)
        if show_keys:
            print_keys(rows)
        return True

    run_async(work)
