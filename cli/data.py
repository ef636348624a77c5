"""Data in: bulk product import and the demo data set."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from api.settings import Settings
from cli.common import clients, console, err, keys_file, print_keys, progress_bar, run_async


def import_products_command(path: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True)) -> None:
    """Bulk import products from JSON Lines or CSV (UTF-8). Exit 1 if any row failed."""
    from market.catalog.importer import import_products

    async def work(settings: Settings) -> Any:
        async with clients(settings) as (store, _):
            await store.ensure_indexes()
            with progress_bar("import") as progress:
                return await import_products(store, path, progress)

    report = run_async(work)
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
            {"role": k.role.value, "account": k.account, "organisation": k.organisation, "key": k.key}
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
