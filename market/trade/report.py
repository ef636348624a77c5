"""A province's OCOP report for one year, in the wording provincial reports use ("toàn tỉnh có 104 sản phẩm
đạt OCOP (06 sản phẩm đạt 05 sao; 15 sản phẩm đạt 04 sao và 83 sản phẩm đạt 03 sao) thuộc 67 chủ thể"), and
as a workbook: the yearly table, the breakdown by pre-2025 province and by producer type, and a chart.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from market.accounts.policy import Viewer
from market.catalog.records import ProducerType
from market.core.messages import ENUM_LABELS
from market.trade.yearly import YearlySeries, ocop_yearly

if TYPE_CHECKING:
    from market.store import Store

# The years a report looks back over, the year itself included.
SPAN = 5


async def province_report(store: Store, province: str, year: int, viewer: Viewer) -> YearlySeries:
    return await ocop_yearly(store, province, viewer, max(2018, year - SPAN + 1), year)


def _count(n: int) -> str:
    return f"{n:02d}"


def _percent(rate: float) -> str:
    return f"{rate * 100:.1f}".replace(".", ",") + "%"


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return "; ".join(parts[:-1]) + " và " + parts[-1]


def summary_sentence(series: YearlySeries) -> str:
    """One paragraph in Vietnamese: the products and producers by the end of the year, by stars and by old
    province, and the average growth over the years of the series."""
    last = series.last
    where = "toàn thành phố" if series.province is not None and series.province.kind == "city" else "toàn tỉnh"
    if series.province is None:
        where = "toàn quốc"
    name = f" {series.province.name}" if series.province is not None else ""
    opening = f"Tính đến cuối năm {series.last_year}, {where}{name}"
    total = last.products_total
    if total == 0:
        return f"{opening} chưa có sản phẩm đạt OCOP."
    stars = [
        f"{_count(n)} sản phẩm đạt {label} sao"
        for n, label in ((last.total.five, "05"), (last.total.four, "04"), (last.total.three, "03"))
        if n
    ]
    text = f"{opening} có {total} sản phẩm đạt OCOP ({_join(stars)}) thuộc {last.producers_total} chủ thể"
    former = [f"{f.name} {f.total} sản phẩm" for f in last.former_provinces if f.total]
    if len(former) > 1:
        text += ", trong đó " + _join(former).replace("; ", ", ")
    text += "."
    certified = last.certified.three + last.certified.four + last.certified.five
    if certified:
        text += f" Riêng năm {series.last_year} có {certified} sản phẩm được công nhận mới."
    start = next((y for y in series.years if y.products_total > 0), None)
    if series.average_growth_rate is not None and start is not None and start.year < series.last_year:
        text += (
            f" Giai đoạn {start.year}–{series.last_year}, số sản phẩm OCOP có tốc độ tăng trưởng bình quân "
            f"{_percent(series.average_growth_rate)}/năm."
        )
    return text


def write_report_xlsx(series: YearlySeries, path: Path) -> None:
    """The report as a workbook: the summary, the yearly table with a chart, the old provinces and the producer
    types of the last year."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path))
    try:
        bold = workbook.add_format({"bold": True, "bg_color": "#E2EFDA", "border": 1})
        percent = workbook.add_format({"num_format": "0.0%"})
        wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
        sheet = workbook.add_worksheet("Báo cáo OCOP")
        sheet.set_column(0, 0, 14)
        sheet.set_column(1, 9, 16)
        sheet.merge_range(0, 0, 3, 9, summary_sentence(series), wrap)
        sheet.set_row(0, 30)
        header = [
            "Năm",
            "Công nhận mới",
            "Mới 3 sao",
            "Mới 4 sao",
            "Mới 5 sao",
            "Lũy kế 3 sao",
            "Lũy kế 4 sao",
            "Lũy kế 5 sao",
            "Tổng sản phẩm",
            "Chủ thể",
            "Tăng trưởng",
        ]
        top = 5
        sheet.write_row(top, 0, header, bold)
        for i, y in enumerate(series.years, start=top + 1):
            new = y.certified.three + y.certified.four + y.certified.five
            cells = [y.year, new, y.certified.three, y.certified.four, y.certified.five]
            cells += [y.total.three, y.total.four, y.total.five, y.products_total, y.producers_total]
            sheet.write_row(i, 0, cells)
            if y.growth_rate is not None:
                sheet.write_number(i, 10, y.growth_rate, percent)
        bottom = top + len(series.years)
        chart = workbook.add_chart({"type": "column", "subtype": "stacked"})
        for col, label in ((5, "3 sao"), (6, "4 sao"), (7, "5 sao")):
            chart.add_series(
                {
                    "name": label,
                    "categories": [sheet.name, top + 1, 0, bottom, 0],
                    "values": [sheet.name, top + 1, col, bottom, col],
                }
            )
        chart.set_title({"name": "Sản phẩm OCOP lũy kế theo năm"})
        chart.set_y_axis({"name": "Sản phẩm"})
        sheet.insert_chart(bottom + 2, 0, chart, {"x_scale": 1.4, "y_scale": 1.2})

        last = series.last
        side = workbook.add_worksheet("Chi tiết")
        side.set_column(0, 0, 28)
        side.set_column(1, 2, 16)
        side.write_row(0, 0, [f"Tỉnh cũ (năm {series.last_year})", "Công nhận mới", "Lũy kế"], bold)
        for i, f in enumerate(last.former_provinces, start=1):
            side.write_row(i, 0, [f.name, f.certified, f.total])
        row = len(last.former_provinces) + 3
        side.write_row(row, 0, ["Loại hình chủ thể", "Chủ thể"], bold)
        for i, kind in enumerate(ProducerType, start=row + 1):
            label = ENUM_LABELS["ProducerType"][kind.name]["vi"]
            side.write_row(i, 0, [label, last.producers_by_type.get(kind.value, 0)])
    finally:
        workbook.close()
