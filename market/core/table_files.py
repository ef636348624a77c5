"""Reading the tables people keep in files, as offices save them: XLSX, or delimited text in the encodings
and separators Excel writes.

What a file is comes from its bytes, never from its name or from the user:
- a ZIP archive is a workbook, streamed row by row from its first sheet's XML (market/core/xlsx_reader.py)
  after its declared sizes have been checked (a small archive that unpacks to gigabytes is refused before
  anything is unpacked), and then its actual sizes;
- text is UTF-8 (with or without a byte order mark), UTF-16 (Excel's "Unicode Text", which has a BOM), or
  Windows-1258 (Excel's Vietnamese "CSV" on Windows) when it is not valid UTF-8. The whole file is checked
  before the first row is handed out, so a file in no known encoding is refused with nothing imported;
- the separator of delimited text is the one of `,`, `;` and tab that splits the header line into the most
  columns (the Vietnamese locale saves `;`, "Unicode Text" tabs);
- text whose first character is `{` is JSON Lines, left to the caller.

Every text cell comes out NFC-normalised: Windows-1258 spells tones as combining marks, which would otherwise
not compare equal to the same words typed elsewhere. Rows stream by: memory does not grow with their number.
"""

from __future__ import annotations

import codecs
import csv
import sys
import unicodedata
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal

from market.core.errors import DomainError
from market.core.xlsx_reader import sheet_rows

Kind = Literal["xlsx", "delimited", "jsonl"]
Cell = str | int | float | bool | date | datetime | time | timedelta | None

FIELD = "file"
# A workbook may unpack to at most this, and no member may be compressed more than MAX_RATIO times: real
# sheets compress 5–30 times, a zip bomb thousands.
MAX_UNPACKED = 512 * 1024 * 1024
MAX_RATIO = 200
MAX_MEMBERS = 10_000
_CHUNK = 1024 * 1024
_ZIP_MAGIC = b"PK\x03\x04"
_DELIMITERS = (",", ";", "\t")

# A cell of delimited text may be long (a description), but not unbounded.
csv.field_size_limit(min(sys.maxsize, 16 * 1024 * 1024))


@dataclass(slots=True)
class Table:
    kind: Kind
    encoding: str | None  # of text files
    delimiter: str | None  # of delimited text
    header: list[str]  # empty for JSON Lines
    header_line: int
    rows: Iterator[tuple[int, list[Cell]]]  # (line or sheet row, cells), blank rows left out


def nfc_cell(value: Cell) -> Cell:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    return value


@contextmanager
def open_table(path: Path, *, max_unpacked: int = MAX_UNPACKED, max_ratio: int = MAX_RATIO) -> Iterator[Table]:
    """The table in `path`. DomainError on field `file` when it is none we can read."""
    with path.open("rb") as probe:
        head = probe.read(4096)
    if not head.strip():
        raise DomainError.of("file_empty", FIELD)
    if head.startswith(_ZIP_MAGIC):
        check_archive(path, max_unpacked=max_unpacked, max_ratio=max_ratio)
        with _workbook(path) as table:
            yield table
        return
    encoding = detect_encoding(path, head)
    with path.open(encoding=encoding, newline="") as stream:
        first = _first_char(stream)
        if first == "{":
            yield Table("jsonl", encoding, None, [], 0, iter(()))
            return
        yield _delimited(stream, encoding)


# --- workbooks ---------------------------------------------------------------------------------------------


def check_archive(path: Path, *, max_unpacked: int = MAX_UNPACKED, max_ratio: int = MAX_RATIO) -> None:
    """Refuse an archive whose declared sizes are too large or too compressed, then unpack it once as a
    stream, counting, so that sizes that lie are caught too. Nothing unpacked is kept."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > MAX_MEMBERS:
                raise _bomb(max_unpacked)
            declared = 0
            for info in members:
                declared += info.file_size
                ratio = info.file_size / max(info.compress_size, 1)
                if declared > max_unpacked or (info.file_size > _CHUNK and ratio > max_ratio):
                    raise _bomb(max_unpacked)
            for info in members:
                with archive.open(info) as member:
                    unpacked = 0
                    while chunk := member.read(_CHUNK):
                        unpacked += len(chunk)
                        if unpacked > info.file_size:
                            raise _bomb(max_unpacked)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError, ValueError) as exc:
        # A damaged archive, a size that lied (zipfile stops at the declared size and the checksum fails),
        # an encrypted or unsupported member.
        raise DomainError.of("file_not_a_workbook", FIELD, reason=type(exc).__name__) from exc


def _bomb(limit: int) -> DomainError:
    return DomainError.of("file_too_large_unpacked", FIELD, max_mib=limit // (1024 * 1024), ratio=MAX_RATIO)


@contextmanager
def _workbook(path: Path) -> Iterator[Table]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError) as exc:
        raise DomainError.of("file_not_a_workbook", FIELD, reason=type(exc).__name__) from exc
    with archive:
        rows = sheet_rows(archive)
        header_line, header = _header(rows)
        yield Table("xlsx", None, None, header, header_line, _padded(_data_rows(rows), len(header)))


def _padded(rows: Iterator[tuple[int, list[Cell]]], width: int) -> Iterator[tuple[int, list[Cell]]]:
    """Rows as wide as the header: a sheet leaves out the empty cells at the end of a row, and the error
    report shows each row under its header."""
    for line, cells in rows:
        if len(cells) < width:
            cells.extend([None] * (width - len(cells)))
        yield line, cells


# --- text --------------------------------------------------------------------------------------------------


def detect_encoding(path: Path, head: bytes) -> str:
    """The encoding of a text file; DomainError when it is none of those offices use."""
    if head.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    elif (without_bom := _utf16_without_bom(head)) is not None:
        candidates = [without_bom]
    else:
        candidates = ["utf-8", "cp1258"]
    for encoding in candidates:
        if _decodes(path, encoding):
            return encoding
    raise DomainError.of("file_unknown_encoding", FIELD)


def _utf16_without_bom(head: bytes) -> str | None:
    """Text of Latin letters in UTF-16 has a zero in every other byte."""
    sample = head[: len(head) // 2 * 2]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > len(odd) * 0.3 and even.count(0) == 0:
        return "utf-16-le"
    if even.count(0) > len(even) * 0.3 and odd.count(0) == 0:
        return "utf-16-be"
    return None


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        with path.open("rb") as stream:
            while chunk := stream.read(_CHUNK):
                text = decoder.decode(chunk)
                if "\x00" in text:  # a binary file, which Windows-1258 would decode as well
                    return False
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _first_char(stream: Any) -> str:
    while True:
        char = stream.read(1)
        if not char or not char.isspace():
            stream.seek(0)
            return str(char)


def _delimited(stream: Any, encoding: str) -> Table:
    header_text = ""
    for line in stream:
        if line.strip():
            header_text = line
            break
    stream.seek(0)
    delimiter = max(_DELIMITERS, key=lambda d: len(next(csv.reader([header_text], delimiter=d), [])))
    reader = csv.reader(stream, delimiter=delimiter)

    def rows() -> Iterator[tuple[int, list[Cell]]]:
        try:
            for cells in reader:
                yield reader.line_num, list(cells)  # normalised by _header and _data_rows
        except csv.Error as exc:
            raise DomainError.of("file_malformed_text", FIELD, line=reader.line_num, reason=str(exc)) from exc

    stream_rows = rows()
    header_line, header = _header(stream_rows)
    return Table("delimited", encoding, delimiter, header, header_line, _data_rows(stream_rows))


# --- both --------------------------------------------------------------------------------------------------


def _blank(cells: list[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _header(rows: Iterator[tuple[int, list[Any]]]) -> tuple[int, list[str]]:
    for line, cells in rows:
        if not _blank(cells):
            header = [str(nfc_cell(c) if c is not None else "").strip() for c in cells]
            while header and not header[-1]:
                header.pop()
            return line, header
    raise DomainError.of("file_empty", FIELD)


def _data_rows(rows: Iterator[tuple[int, list[Any]]]) -> Iterator[tuple[int, list[Cell]]]:
    for line, cells in rows:
        if not _blank(cells):
            yield line, [nfc_cell(c) for c in cells]
