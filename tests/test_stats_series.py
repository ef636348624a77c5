"""Statistics over time on the demo data set: `ocopStats(from, to)`, the yearly series, and `ocop report
--province 86 --year 2025` checked against a count made by hand with plain MongoDB queries."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from bson import ObjectId
from python_calamine import CalamineWorkbook

from api.settings import PROJECT_ROOT, Settings
from market.accounts.policy import Principal
from market.accounts.records import Role
from market.catalog.importer import import_products
from market.core.errors import DomainError
from market.demo import DEMO_DIR
from market.store import Store
from market.trade.report import province_report, summary_sentence, write_report_xlsx
from market.trade.stats import Period, StarCounts, ocop_stats
from market.trade.yearly import ocop_yearly

ADMIN = Principal(ObjectId(), "Admin", Role.ADMIN)
OFFICE_86 = Principal(ObjectId(), "OCOP Vĩnh Long", Role.COORDINATOR, province_code="86")


@pytest.fixture(scope="module")
async def demo(settings: Settings) -> AsyncIterator[Store]:
    """The demo catalogue, as `make run` loads it, in a database of its own."""
    name = settings.db_name + "_series"
    store = Store.connect(settings.resolved_mongodb_url, name)
    await store.ensure_indexes()
    report = await import_products(store, DEMO_DIR / "products.jsonl")
    assert report.failed == 0
    yield store
    await store.client.drop_database(name)
    await store.close()


async def hand_count(store: Store, code: str, year: int) -> tuple[Counter[int], int, Counter[str | None]]:
    """Stars, producers and old provinces of the published products of province `code` certified by the end of
    `year`, counted one document at a time."""
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    docs = await store.db["products"].find({"provinceCode": code, "status": "published"}).to_list(None)
    counted = [
        d
        for d in docs
        if (d.get("certificate") or {}).get("certifiedAt") and d["certificate"]["certifiedAt"].replace(tzinfo=UTC) < end
    ]
    return (
        Counter(d["stars"] for d in counted),
        len({d["producerId"] for d in counted}),
        Counter(d.get("formerProvince") for d in counted),
    )


async def test_report_for_vinh_long_2025_matches_a_hand_count(demo: Store) -> None:
    stars, producers, former = await hand_count(demo, "86", 2025)
    # Counted on data/demo/products.jsonl: Bến Tre 40, Trà Vinh 28 and two under Vĩnh Long's own name.
    assert (stars[5], stars[4], stars[3], producers) == (7, 26, 37, 13)
    assert former == Counter({"Bến Tre": 40, "Trà Vinh": 28, None: 2})

    series = await province_report(demo, "86", 2025, OFFICE_86)
    last = series.last
    assert (last.total.five, last.total.four, last.total.three) == (stars[5], stars[4], stars[3])
    assert last.producers_total == producers
    assert [(f.name, f.total) for f in last.former_provinces] == [("Vĩnh Long", 2), ("Bến Tre", 40), ("Trà Vinh", 28)]
    sentence = summary_sentence(series)
    assert sentence.startswith(
        "Tính đến cuối năm 2025, toàn tỉnh Vĩnh Long có 70 sản phẩm đạt OCOP (07 sản phẩm đạt 05 sao; "
        "26 sản phẩm đạt 04 sao và 37 sản phẩm đạt 03 sao) thuộc 13 chủ thể, trong đó Vĩnh Long 2 sản phẩm, "
        "Bến Tre 40 sản phẩm và Trà Vinh 28 sản phẩm."
    )
    assert "tốc độ tăng trưởng bình quân" in sentence


async def test_yearly_series(demo: Store) -> None:
    series = await ocop_yearly(demo, "86", ADMIN, 2023, 2025)
    assert [y.year for y in series.years] == [2023, 2024, 2025]
    totals = [y.products_total for y in series.years]
    certified = [y.certified.three + y.certified.four + y.certified.five for y in series.years]
    assert totals[1:] == [totals[0] + certified[1], totals[0] + certified[1] + certified[2]]
    stars_2024, _, _ = await hand_count(demo, "86", 2024)
    assert series.years[1].total == StarCounts(three=stars_2024[3], four=stars_2024[4], five=stars_2024[5])
    assert series.years[2].growth_rate == pytest.approx(totals[2] / totals[1] - 1)
    assert series.average_growth_rate == pytest.approx((totals[2] / totals[0]) ** 0.5 - 1)
    assert sum(series.last.producers_by_type.values()) == series.last.producers_total
    with pytest.raises(DomainError):
        await ocop_yearly(
            demo, "86", OFFICE_86.__class__(ObjectId(), "Hà Nội", Role.COORDINATOR, province_code="01"), 2023, 2025
        )


async def test_stats_over_a_period(demo: Store) -> None:
    whole = await ocop_stats(demo, "86", ADMIN)
    year = await ocop_stats(demo, "86", ADMIN, Period(date(2025, 1, 1), date(2025, 12, 31)))
    series = await ocop_yearly(demo, "86", ADMIN, 2025, 2025)
    assert year.products_by_stars == series.last.certified
    assert year.products_total < whole.products_total
    producers_2025 = await demo.db["products"].distinct(
        "producerId",
        {
            "provinceCode": "86",
            "status": "published",
            "certificate.certifiedAt": {"$gte": datetime(2025, 1, 1), "$lt": datetime(2026, 1, 1)},
        },
    )
    assert year.producers_total == len(producers_2025)
    # Up to the last day a Date can name is no upper bound at all (the day after it does not exist).
    assert await ocop_stats(demo, "86", ADMIN, Period(date(2025, 1, 1), date.max)) == await ocop_stats(
        demo, "86", ADMIN, Period(date(2025, 1, 1))
    )
    with pytest.raises(DomainError) as caught:
        await ocop_stats(demo, "86", ADMIN, Period(date(2025, 2, 1), date(2025, 1, 1)))
    assert caught.value.errors[0].field == "to"


async def test_years_out_of_range_name_the_bound_they_miss(demo: Store) -> None:
    this_year = date.today().year
    cases = [
        (2025, 1900, "toYear", f"toYear must be between 2018 and {this_year}, got 1900"),
        (2025, 3000, "toYear", f"toYear must be between 2018 and {this_year}, got 3000"),
        (2026, 2025, "fromYear", "fromYear must be between 2018 and 2025, got 2026"),
    ]
    for first, last, field, message in cases:
        with pytest.raises(DomainError) as caught:
            await ocop_yearly(demo, "86", ADMIN, first, last)
        assert (caught.value.errors[0].field, caught.value.errors[0].message) == (field, message)
    with pytest.raises(DomainError) as caught:
        await province_report(demo, "86", 1900, ADMIN)
    assert caught.value.errors[0].field == "toYear"


async def test_report_workbook(demo: Store, tmp_path: Path) -> None:
    series = await province_report(demo, "86", 2025, ADMIN)
    path = tmp_path / "bao-cao.xlsx"
    write_report_xlsx(series, path)
    workbook = CalamineWorkbook.from_path(str(path))
    assert workbook.sheet_names == ["Báo cáo OCOP", "Chi tiết"]
    rows = workbook.get_sheet_by_name("Báo cáo OCOP").to_python()
    assert rows[0][0] == summary_sentence(series)
    header = rows.index(next(r for r in rows if r and r[0] == "Năm"))
    assert [int(r[0]) for r in rows[header + 1 : header + 6]] == [2021, 2022, 2023, 2024, 2025]
    assert int(rows[header + 5][8]) == 70
    import zipfile

    with zipfile.ZipFile(path) as archive:
        assert any(n.startswith("xl/charts/chart") for n in archive.namelist())


def test_report_command(settings: Settings, demo: Store, tmp_path: Path) -> None:
    env = {**settings.child_environment(), "OCOP_DB_NAME": settings.db_name + "_series"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "cli",
            "report",
            "--province",
            "86",
            "--year",
            "2025",
            "--xlsx",
            str(tmp_path / "r.xlsx"),
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "toàn tỉnh Vĩnh Long có 70 sản phẩm đạt OCOP" in done.stdout
    assert (tmp_path / "r.xlsx").exists()
