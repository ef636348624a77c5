"""The row-level error report of an import, as CSV or XLSX: one line per refused row, with its line in the
file, the columns at fault, the reasons in Vietnamese and in English, then the row as the file had it. An
office corrects those rows and imports the file again; the rows that were imported are updated in place."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from market.catalog.importer import RowError
from market.core.errors import DomainError
from market.core.table_writer import Format, RowWriter, format_of, table_writer

LEADING = ["Dòng (row)", "Cột (column)", "Lý do", "Reason"]


class ErrorReport:
    """An `ErrorSink` writing the report into `path` as it goes."""

    def __init__(self, path: Path, fmt: Format) -> None:
        self.path = path
        self.format = fmt
        self.rows = 0
        self._stack = ExitStack()
        self._writer: RowWriter | None = None

    def header(self, columns: list[str]) -> None:
        writer = table_writer(self.path, self.format, [*LEADING, *columns], sheet="Lỗi nhập")
        self._writer = self._stack.enter_context(writer)

    def row(self, line: int, values: list[str], errors: list[RowError]) -> None:
        if self._writer is None:
            self.header([])
        assert self._writer is not None
        columns = list(dict.fromkeys(e.column or e.field or "" for e in errors))
        self._writer.row(
            [
                line,
                "; ".join(c for c in columns if c),
                "\n".join(e.reason_vi or e.reason for e in errors),
                "\n".join(e.reason for e in errors),
                *values,
            ]
        )
        self.rows += 1

    def close(self) -> None:
        if self._writer is None:
            self.header([])
        self._stack.close()


@contextmanager
def error_report(path: Path) -> Iterator[ErrorReport]:
    """A report written to `path`, whose extension (.csv or .xlsx) chooses the format. It is complete, with at
    least its header, when the block ends, also when the file was refused as a whole."""
    fmt = format_of(path)
    if fmt is None:
        raise DomainError.of("report_format", "report", got=path.suffix or path.name)
    report = ErrorReport(path, fmt)
    try:
        yield report
    finally:
        report.close()
