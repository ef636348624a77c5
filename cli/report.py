"""`ocop report`: a province's OCOP figures for a year, as the sentence provincial reports print and as a
workbook."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from api.settings import Settings
from cli.common import clients, console, run_async, writable_output

# The domain's names for what this command takes as options: the series ends with --year and starts from it.
OPTIONS = {"province": "--province", "toYear": "--year", "fromYear": "--year"}


def report_command(
    province: str = typer.Option(..., "--province", help="A province code (86) or any current or old name."),
    year: int = typer.Option(..., "--year", help="The year reported on, e.g. 2025."),
    xlsx: Path | None = typer.Option(None, "--xlsx", dir_okay=False, help="Also write the tables and a chart here."),
) -> None:
    """Print a province's OCOP summary for a year in Vietnamese, with the yearly table."""
    from bson import ObjectId

    from market.accounts.policy import Principal
    from market.accounts.records import Role
    from market.trade.report import province_report, summary_sentence, write_report_xlsx

    if xlsx is not None:
        writable_output(xlsx, "--xlsx")

    async def work(settings: Settings) -> Any:
        async with clients(settings) as (store, _):
            # Whoever runs the command operates the deployment: it reads as an admin.
            operator = Principal(ObjectId(), "ocop report", Role.ADMIN)
            return await province_report(store, province, year, operator)

    series = run_async(work, OPTIONS)
    console.print(summary_sentence(series), highlight=False, soft_wrap=True)
    console.print()
    console.print("Năm   Mới  3★  4★  5★  Lũy kế  Chủ thể  Tăng trưởng", highlight=False)
    for y in series.years:
        new = y.certified.three + y.certified.four + y.certified.five
        growth = f"{y.growth_rate * 100:.1f}%" if y.growth_rate is not None else "–"
        console.print(
            f"{y.year}  {new:>4} {y.total.three:>3} {y.total.four:>3} {y.total.five:>3}  {y.products_total:>6}"
            f"  {y.producers_total:>7}  {growth:>11}",
            highlight=False,
        )
    if xlsx is not None:
        write_report_xlsx(series, xlsx)
        console.print(f"wrote {xlsx}", highlight=False)
