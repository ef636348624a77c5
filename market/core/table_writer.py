"""Writing tables as files offices open in Excel: XLSX, or CSV in UTF-8 with a byte order mark (without it
Excel reads UTF-8 as the machine's code page and garbles every accent).

Rows are written as they come: xlsxwriter's constant-memory mode flushes each row to disk, so a table of any
length takes the same memory. Dates are written as dates (shown dd/mm/yyyy), whole numbers as numbers with
Vietnamese thousands separators in XLSX and as plain digits in CSV, which every reader takes whole.

Text is written as text. XLSX says so in the cell; in CSV, Excel runs text that starts with `=`, `+`, `-`, `@`,
a tab or a carriage return as a formula (a product named `=HYPERLINK(…)` would become a link on the office's
machine), so such text gets a leading `'`, as OWASP advises, and `unquoted` takes it off again on import.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

Format = Literal["xlsx", "csv"]
FORMATS: tuple[Format, ...] = ("xlsx", "csv")
MEDIA_TYPES: dict[Format, str] = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
_MAX_WIDTH = 60
# Text a spreadsheet would run as a formula, after any quotes already in front of it: text that itself starts
# with quotes before one of those characters gets one more, so that taking one off on import gives it back.
_FORMULA = re.compile(r"'*[=+\-@\t\r]")
_QUOTED_FORMULA = re.compile(r"'+[=+\-@\t\r]")
# Text that is a number (-5, -1.500, +2,5) reads as one, not as a formula, and stays as written.
_NUMBER = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)*")


class RowWriter(Protocol):
    def row(self, cells: Sequence[Any]) -> None: ...


def format_of(path: Path) -> Format | None:
    suffix = path.suffix.lower()
    return "xlsx" if suffix == ".xlsx" else "csv" if suffix == ".csv" else None


@contextmanager
def table_writer(path: Path, fmt: Format, header: Sequence[str], *, sheet: str = "Sheet1") -> Iterator[RowWriter]:
    """A writer of rows under `header` into `path`, closed (and the file complete) when the block ends."""
    if fmt == "csv":
        with path.open("w", encoding="utf-8-sig", newline="") as stream:
            writer = _CsvRows(stream)
            writer.row(header)
            yield writer
        return
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    try:
        yield _XlsxRows(workbook, sheet, header)
    finally:
        workbook.close()


class _CsvRows:
    def __init__(self, stream: Any) -> None:
        self._writer = csv.writer(stream)

    def row(self, cells: Sequence[Any]) -> None:
        self._writer.writerow([_csv_text(c) for c in cells])


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, str) and _FORMULA.match(value) and not _NUMBER.fullmatch(value):
        return "'" + value
    return str(value)


def unquoted(text: str) -> str:
    """A CSV cell as it was before the writer quoted it against formulas: one leading `'` off, when what
    follows it would be quoted (`'=SUM(A1)` -> `=SUM(A1)`); any other text as it is."""
    return text[1:] if _QUOTED_FORMULA.match(text) else text


class _XlsxRows:
    def __init__(self, workbook: Any, sheet: str, header: Sequence[str]) -> None:
        self._sheet = workbook.add_worksheet(sheet[:31])
        self._date = workbook.add_format({"num_format": "dd/mm/yyyy"})
        self._number = workbook.add_format({"num_format": "#,##0"})
        self._text = workbook.add_format({"text_wrap": False})
        bold = workbook.add_format({"bold": True, "bg_color": "#E2EFDA", "border": 1})
        # Widths must be set before the first row in constant-memory mode.
        for i, title in enumerate(header):
            self._sheet.set_column(i, i, min(max(len(title) + 2, 12), _MAX_WIDTH))
        self._sheet.freeze_panes(1, 0)
        for i, title in enumerate(header):
            self._sheet.write_string(0, i, title, bold)
        self._next = 1

    def row(self, cells: Sequence[Any]) -> None:
        r = self._next
        for c, value in enumerate(cells):
            if value is None or value == "":
                continue
            if isinstance(value, bool):
                self._sheet.write_boolean(r, c, value)
            elif isinstance(value, int | float):
                self._sheet.write_number(r, c, value, self._number if isinstance(value, int) else None)
            elif isinstance(value, datetime | date):
                moment = value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
                self._sheet.write_datetime(r, c, moment, self._date)
            else:
                self._sheet.write_string(r, c, str(value))
        self._next += 1
