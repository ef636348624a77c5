"""Reading a workbook's first sheet as it streams: cell types as Excel writes them (shared and inline strings,
numbers, booleans, dates told apart by their number format), sparse cells, hidden sheets, and damaged parts
refused before the first row."""

from __future__ import annotations

import tracemalloc
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter

from market.core.errors import DomainError
from market.core.table_files import open_table
from market.core.xlsx_reader import _format_kind, sheet_rows


def rows_of(path: Path) -> list[tuple[int, list[Any]]]:
    with zipfile.ZipFile(path) as archive:
        return list(sheet_rows(archive))


def excel_file(path: Path, *, constant_memory: bool = False) -> Path:
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": constant_memory})
    sheet = workbook.add_worksheet("Danh sách")
    day = workbook.add_format({"num_format": "dd/mm/yyyy"})
    moment = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    clock = workbook.add_format({"num_format": "hh:mm"})
    built_in = workbook.add_format({"num_format": 14})  # m/d/yyyy, by number only
    money = workbook.add_format({"num_format": '#,##0 "đ"'})
    red = workbook.add_format({"num_format": "0.00;[Red]-0.00"})
    duration = workbook.add_format({"num_format": "[h]:mm"})
    sheet.write_row(0, 0, ["Mã", "Tên", "Giá", "Ngày"])
    sheet.write_string(1, 0, "A-1")
    sheet.write_string(1, 1, "Kẹo dừa")
    sheet.write_number(1, 2, 45000, money)
    sheet.write_datetime(1, 3, datetime(2024, 3, 1), day)
    # Row 3 left empty; row 4 sparse: only B and D.
    sheet.write_string(3, 1, "Nước mắm Phú Quốc")
    sheet.write_datetime(3, 3, datetime(2024, 3, 1, 10, 30), moment)
    sheet.write_number(4, 0, 1.25, red)
    sheet.write_boolean(4, 1, True)
    sheet.write_datetime(4, 2, time(10, 30), clock)
    sheet.write_datetime(4, 3, datetime(2025, 12, 31), built_in)
    sheet.write_number(5, 0, 1.5, duration)
    sheet.write_formula(5, 1, '="a"&"b"', None, "ab")
    sheet.write_formula(5, 2, "=1/0", None, "#DIV/0!")
    workbook.close()
    return path


EXPECTED = [
    (1, ["Mã", "Tên", "Giá", "Ngày"]),
    (2, ["A-1", "Kẹo dừa", 45000.0, date(2024, 3, 1)]),
    (4, [None, "Nước mắm Phú Quốc", None, datetime(2024, 3, 1, 10, 30)]),
    (5, [1.25, True, time(10, 30), date(2025, 12, 31)]),
    (6, [timedelta(hours=36), "ab"]),
]


@pytest.mark.parametrize("constant_memory", [False, True], ids=["shared-strings", "inline-strings"])
def test_cells_as_excel_writes_them(tmp_path: Path, constant_memory: bool) -> None:
    path = excel_file(tmp_path / "a.xlsx", constant_memory=constant_memory)
    with zipfile.ZipFile(path) as archive:
        kinds = " ".join(archive.read("xl/worksheets/sheet1.xml").decode().split('t="')[1:])
    assert ("inlineStr" in kinds) is constant_memory
    assert rows_of(path) == EXPECTED


def test_open_table_pads_rows_to_the_header_and_leaves_blank_rows_out(tmp_path: Path) -> None:
    path = excel_file(tmp_path / "a.xlsx")
    with open_table(path) as table:
        assert (table.kind, table.header_line, table.header) == ("xlsx", 1, ["Mã", "Tên", "Giá", "Ngày"])
        rows = list(table.rows)
    assert [line for line, _ in rows] == [2, 4, 5, 6]
    assert rows[3][1] == [timedelta(hours=36), "ab", None, None]


@pytest.mark.parametrize(
    ("number", "code", "kind"),
    [
        (14, None, "date"),
        (22, None, "date"),
        (46, None, "duration"),
        (2, None, None),
        (49, None, None),  # "@", text
        (164, "dd/mm/yyyy", "date"),
        (164, "[$-42A]d mmmm yyyy", "date"),
        (164, "h:mm AM/PM", "date"),
        (164, "[h]:mm:ss", "duration"),
        (164, '#,##0 "đ"', None),
        (164, '#,##0 "ngày"', None),
        (164, "#,##0\\ [$₫-42A]", None),
        (164, "0.00;[Red]-0.00", None),
        (164, "General", None),
        (164, '"Ngày "0', None),
        (14, "0.00", None),  # a workbook may redefine a built-in number
    ],
)
def test_number_formats_that_are_dates(number: int, code: str | None, kind: str | None) -> None:
    assert _format_kind(number, {number: code} if code is not None else {}) == kind


SHEET = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{rows}</sheetData>'
    "</worksheet>"
)


def package(path: Path, sheets: list[tuple[str, str, str]], *, date1904: bool = False, extra: Any = None) -> Path:
    """A workbook written by hand: (name, state, sheet XML) for each sheet."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    entries = "".join(
        f'<sheet name="{name}" sheetId="{i}" state="{state}" r:id="rId{i}"/>'
        for i, (name, state, _) in enumerate(sheets, start=1)
    )
    links = "".join(
        f'<Relationship Id="rId{i}" Type="{rel}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, len(sheets) + 1)
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{main}" xmlns:r="{rel}"><workbookPr date1904="{int(date1904)}"/>'
            f"<sheets>{entries}</sheets></workbook>",
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{links}'
            f'<Relationship Id="rS" Type="{rel}/styles" Target="styles.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/styles.xml",
            f'<styleSheet xmlns="{main}"><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14"/></cellXfs>'
            "</styleSheet>",
        )
        for i, (_, _, xml) in enumerate(sheets, start=1):
            archive.writestr(f"xl/worksheets/sheet{i}.xml", xml)
    return path


def sheet(*rows: str) -> str:
    return SHEET.format(rows="".join(rows))


def test_hidden_sheets_are_skipped_and_1904_dates_counted(tmp_path: Path) -> None:
    lookup = sheet('<row r="1"><c r="A1" t="inlineStr"><is><t>lookup</t></is></c></row>')
    data = sheet(
        '<row r="3"><c r="C3" t="inlineStr"><is><r><t>Kẹo </t></r><r><t>dừa</t></r><rPh><t>x</t></rPh></is></c>'
        '<c r="D3" t="inlineStr"><is><t>1_x000D_2_x005F_x0041_</t></is></c>'
        '<c r="E3" s="1"><v>0</v></c><c r="F3" s="1"><v>1</v></c></row>'
    )
    path = package(tmp_path / "a.xlsx", [("Tra cứu", "hidden", lookup), ("Dữ liệu", "visible", data)], date1904=True)
    assert rows_of(path) == [(3, [None, None, "Kẹo dừa", "1\r2_x0041_", time(0), date(1904, 1, 2)])]


def test_a_damaged_sheet_is_refused_before_its_first_row(tmp_path: Path) -> None:
    good = "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(1, 1000))
    path = package(tmp_path / "a.xlsx", [("a", "visible", sheet(good, '<row r="1000"><c r="A1000"><v>1</c>'))])
    with zipfile.ZipFile(path) as archive, pytest.raises(DomainError) as caught:
        sheet_rows(archive)
    assert caught.value.errors[0].key == "file_not_a_workbook"
    assert "mismatched tag" in caught.value.errors[0].message


def test_entities_and_absurd_references_are_refused(tmp_path: Path) -> None:
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">]>'
        + sheet('<row r="1"><c r="A1" t="inlineStr"><is><t>&a;</t></is></c></row>').split("?>", 1)[1]
    )
    path = package(tmp_path / "a.xlsx", [("a", "visible", laughs)])
    with zipfile.ZipFile(path) as archive, pytest.raises(DomainError) as caught:
        sheet_rows(archive)
    assert "document type" in caught.value.errors[0].message

    path = package(tmp_path / "b.xlsx", [("a", "visible", sheet('<row r="1"><c r="ZZZZZZ1"><v>1</v></c></row>'))])
    with zipfile.ZipFile(path) as archive, pytest.raises(DomainError) as caught:
        list(sheet_rows(archive))
    assert "ZZZZZZ1" in caught.value.errors[0].message


def test_a_zip_without_a_worksheet_is_no_workbook(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
    with pytest.raises(DomainError) as caught, open_table(path):
        pass
    assert caught.value.errors[0].key == "file_not_a_workbook"


def _many_rows(count: int) -> Iterator[str]:
    for n in range(1, count + 1):
        yield f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>sản phẩm {n}</t></is></c><c r="B{n}"><v>{n}</v></c></row>'


def _peak_while_reading(path: Path) -> int:
    with zipfile.ZipFile(path) as archive:
        rows = sheet_rows(archive)
        tracemalloc.start()
        try:
            for _ in rows:
                pass
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()


def test_memory_does_not_grow_with_the_rows(tmp_path: Path) -> None:
    small = package(tmp_path / "small.xlsx", [("a", "visible", sheet(*_many_rows(2_000)))])
    large = package(tmp_path / "large.xlsx", [("a", "visible", sheet(*_many_rows(40_000)))])
    # Kept rows would cost about a kilobyte each: 38 MB more for the large sheet.
    assert _peak_while_reading(large) - _peak_while_reading(small) < 1_000_000
