"""The rows of a workbook's first sheet, read from its XML as it comes out of the archive, so that memory does
not grow with the number of rows (a reader that loads the sheet first holds every cell of it at once).

Only the worksheet streams. The shared strings (every distinct text of the workbook, which cells refer to by
number) are loaded once; their size is bounded by the archive checks in market/core/table_files.py. The styles
are read to know which numbers are dates: Excel stores a date as a day count and tells it apart only by the
number format of the cell's style.

Every part is checked to be well-formed XML, without a document type (no entity tricks), before it is read,
so that a damaged sheet is refused before its first row is imported rather than halfway through.
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pyexpat import ExpatError, ParserCreate
from typing import IO, Any

from market.core.errors import DomainError

Cell = str | float | bool | date | datetime | time | timedelta | None

FIELD = "file"
# Excel's limit; a reference past it is a damaged or hostile file, whose gap would otherwise be filled.
MAX_COLUMNS = 16_384
_DOCUMENT = "/officeDocument"
# Built-in number formats that show a date or a time (ECMA-376 18.8.30, with the East Asian ones); 46 is
# [h]:mm:ss, a duration.
_DATE_FORMATS = frozenset((*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)))
_DURATION_FORMATS = frozenset((46,))
# In a format code, quoted text, escaped or padding characters and bracketed colours or locales are shown as
# they are; only the rest tells a date (d, m, y; h and s for times) from a number, which has digit
# placeholders (# or ?) instead.
_LITERALS = re.compile(r'"[^"]*"|\\.|_.|\*.|\[[^\]]*\]')
_DATE_CODE = re.compile(r"[dmyhs]", re.IGNORECASE)
_NUMBER_CODE = re.compile(r"[#?]")
_DURATION_CODE = re.compile(r"\[(h+|m+|s+)\]", re.IGNORECASE)
# Characters XML cannot carry are written _xHHHH_ (and a literal "_x" as _x005F_x).
_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_EPOCH_1900 = datetime(1899, 12, 30)
_EPOCH_1904 = datetime(1904, 1, 1)
_DIGITS = "0123456789"
_BLOCK = 64 * 1024
# A damaged archive or member, an encrypted or unsupported one.
_ARCHIVE_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError, RuntimeError)


def broken(reason: str) -> DomainError:
    return DomainError.of("file_not_a_workbook", FIELD, reason=reason)


def sheet_rows(archive: zipfile.ZipFile) -> Iterator[tuple[int, list[Cell]]]:
    """(row number as Excel shows it, cells) of the first visible worksheet; empty cells are None, missing
    rows left out. DomainError on field `file` when the archive is no workbook we can read."""
    try:
        workbook = _target(archive, "_rels/.rels", "", _DOCUMENT) or "xl/workbook.xml"
        rels = _relationships(archive, workbook)
        sheet, date1904 = _first_sheet(archive, workbook, rels)
        strings = next((_shared_strings(archive, t) for t, kind in rels.values() if kind == "sharedStrings"), [])
        styles = next((_styles(archive, t) for t, kind in rels.values() if kind == "styles"), [])
        _check_xml(archive, sheet)
    except _ARCHIVE_ERRORS as exc:
        raise broken(type(exc).__name__) from exc
    return _rows(archive, sheet, _Values(strings, styles, _EPOCH_1904 if date1904 else _EPOCH_1900))


# --- the parts of the package ------------------------------------------------------------------------------


def _check_xml(archive: zipfile.ZipFile, name: str) -> None:
    """Refuse a part that is not well-formed or declares a document type: parsed once with no handlers but
    that one, which costs little beside reading it."""

    def doctype(*_: Any) -> None:
        raise broken(f"{name}: a document type declaration")

    parser = ParserCreate()
    parser.StartDoctypeDeclHandler = doctype
    try:
        with archive.open(name) as stream:
            parser.ParseFile(stream)
    except KeyError as exc:
        raise broken(f"{name} is missing") from exc
    except ExpatError as exc:
        raise broken(f"{name}: {exc}") from exc


def _parse(archive: zipfile.ZipFile, name: str) -> ET.Element:
    _check_xml(archive, name)
    with archive.open(name) as stream:
        return ET.parse(stream).getroot()


def _local(tag: str) -> str:
    return tag[tag.rfind("}") + 1 :]


def _relationships(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Id → (path in the archive, the relationship's type, e.g. "worksheet") of `part`'s relationships."""
    folder, file = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", f"{file}.rels")
    if rels not in archive.namelist():
        return {}
    found = {}
    for rel in _parse(archive, rels):
        target, kind = rel.get("Target"), rel.get("Type", "")
        if _local(rel.tag) != "Relationship" or not target or rel.get("TargetMode") == "External":
            continue
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        found[rel.get("Id", "")] = (path, kind.rsplit("/", 1)[-1])
    return found


def _target(archive: zipfile.ZipFile, rels: str, folder: str, kind: str) -> str | None:
    if rels not in archive.namelist():
        return None
    for rel in _parse(archive, rels):
        target = rel.get("Target")
        if target and rel.get("Type", "").endswith(kind):
            return target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
    return None


def _first_sheet(archive: zipfile.ZipFile, workbook: str, rels: dict[str, tuple[str, str]]) -> tuple[str, bool]:
    """The first worksheet Excel shows (hidden ones are lookup lists, not the data), and whether the workbook
    counts days from 1904 (as old Mac Excel did)."""
    root = _parse(archive, workbook)
    date1904 = False
    worksheets: list[tuple[str, bool]] = []
    for element in root.iter():
        name = _local(element.tag)
        if name == "workbookPr":
            date1904 = element.get("date1904", "").lower() in ("1", "true")
        elif name == "sheet":
            rel_id = next((v for k, v in element.attrib.items() if _local(k) == "id"), None)
            target, kind = rels.get(rel_id or "", ("", ""))
            if kind == "worksheet" and target in archive.namelist():
                worksheets.append((target, element.get("state", "visible") == "visible"))
    if not worksheets:
        raise broken("no worksheet")
    return next((t for t, visible in worksheets if visible), worksheets[0][0]), date1904


def _text(element: ET.Element) -> str:
    """A string item: plain, or rich text in runs; the phonetic guide of East Asian text is no part of it."""
    parts = []
    for child in element:
        name = _local(child.tag)
        if name == "t":
            parts.append(child.text or "")
        elif name == "r":
            parts.extend(t.text or "" for t in child if _local(t.tag) == "t")
    return _unescaped("".join(parts))


def _unescaped(text: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m[1], 16)), text) if "_x" in text else text


def _shared_strings(archive: zipfile.ZipFile, name: str) -> list[str]:
    if name not in archive.namelist():
        return []
    _check_xml(archive, name)
    strings = []
    with archive.open(name) as stream:
        for _, element in ET.iterparse(stream):
            if _local(element.tag) == "si":
                strings.append(_text(element))
                element.clear()
    return strings


def _styles(archive: zipfile.ZipFile, name: str) -> list[str | None]:
    """For each cell style (a cell's `s`), "date", "duration" or None by its number format."""
    if name not in archive.namelist():
        return []
    root = _parse(archive, name)
    codes: dict[int, str] = {}
    kinds: list[str | None] = []
    for element in root:
        if _local(element.tag) == "numFmts":
            for fmt in element:
                number = fmt.get("numFmtId", "")
                if number.isdigit():
                    codes[int(number)] = fmt.get("formatCode", "")
        elif _local(element.tag) == "cellXfs":
            for xf in element:
                number = xf.get("numFmtId", "0")
                kinds.append(_format_kind(int(number), codes) if number.isdigit() else None)
    return kinds


def _format_kind(number: int, codes: dict[int, str]) -> str | None:
    code = codes.get(number)
    if code is None:
        return "duration" if number in _DURATION_FORMATS else "date" if number in _DATE_FORMATS else None
    if _DURATION_CODE.search(code):
        return "duration"
    # Only the format for positive numbers counts: "0;[Red]-0" is no date, whatever its other sections say.
    shown = _LITERALS.sub("", code.split(";", 1)[0])
    return "date" if _DATE_CODE.search(shown) and not _NUMBER_CODE.search(shown) else None


# --- the sheet ---------------------------------------------------------------------------------------------


class _Values:
    """The value of a cell from its type, its text and its style."""

    def __init__(self, strings: list[str], styles: list[str | None], epoch: datetime) -> None:
        self.strings = strings
        self.styles = styles
        self.epoch = epoch
        self.columns: dict[str, int] = {}

    def column(self, ref: str) -> int:
        """1 for A, 3 for "C7"."""
        letters = ref.rstrip(_DIGITS)
        number = self.columns.get(letters)
        if number is None:
            number = 0
            for char in letters.upper():
                if not "A" <= char <= "Z":
                    raise broken(f"cell reference {ref[:20]!r}")
                number = number * 26 + ord(char) - 64
                if number > MAX_COLUMNS:
                    raise broken(f"cell reference {ref[:20]!r}")
            if number == 0:
                raise broken(f"cell reference {ref[:20]!r}")
            self.columns[letters] = number
        return number

    def of(self, kind: str, text: str | None, style: str | None, row: int) -> Cell:
        if kind == "s":
            try:
                return self.strings[int(text or "")]
            except (ValueError, IndexError) as exc:
                raise broken(f"row {row}: no shared string {text!r}") from exc
        if kind == "inlineStr":  # unescaped with its runs
            return text or None
        if kind == "str":  # the text a formula gave
            return _unescaped(text) if text else None
        if not text:
            return None
        if kind == "b":
            return text.strip() in ("1", "true")
        if kind == "e":  # #N/A, #DIV/0!…: no value
            return None
        if kind == "d":  # an ISO 8601 date, which only strict files use
            try:
                moment = datetime.fromisoformat(text)
            except ValueError:
                return text
            return moment.date() if moment.time() == time() else moment
        try:
            number = float(text)
        except ValueError:
            return text
        if style and self.styles:
            try:
                format_kind = self.styles[int(style)]
            except (ValueError, IndexError):
                format_kind = None
            if format_kind is not None:
                return self._moment(number, format_kind)
        return number

    def _moment(self, days: float, kind: str) -> Cell:
        # Whole milliseconds: a time of day is stored as a binary fraction of a day, 10:30 as 0.4374999…
        span = timedelta(milliseconds=round(days * 86_400_000))
        if kind == "duration":
            return span
        if self.epoch == _EPOCH_1900 and days < 60:
            span += timedelta(days=1)  # Excel counts 29 February 1900, which never was
        try:
            moment = self.epoch + span
        except OverflowError:
            return days
        if days < 1 and days >= 0:
            return moment.time()
        return moment.date() if moment.time() == time() else moment


def _rows(archive: zipfile.ZipFile, name: str, values: _Values) -> Iterator[tuple[int, list[Cell]]]:
    try:
        with archive.open(name) as stream:
            yield from _parsed_rows(stream, values)
    except _ARCHIVE_ERRORS as exc:  # its checksums were checked before, so only when it changed under us
        raise broken(type(exc).__name__) from exc


def _parsed_rows(stream: IO[bytes], values: _Values) -> Iterator[tuple[int, list[Cell]]]:
    """Expat's callbacks with no tree built: a third faster than ElementTree's iterparse, which makes an element
    of every cell and value. Rows come out after each block of the stream, a few hundred at a time."""
    names: dict[str, str] = {}  # the sheet's tags as written ("row" or "x:row") → what they are
    done: list[tuple[int, list[Cell]]] = []
    cells: list[Cell] = []
    parts: list[str] = []
    number = 0
    ref: str | None = None
    kind = "n"
    style: str | None = None
    text: str | None = None
    collecting = inline = phonetic = False
    columns = values.columns

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal number, cells, ref, kind, style, text, parts, collecting, inline, phonetic
        if not names:  # the root, <worksheet>: its prefix is the one of the sheet's own tags
            prefix = name[: name.find(":") + 1]
            names.update({prefix + t: t for t in ("row", "c", "v", "is", "t", "rPh")})
        tag = names.get(name)
        if tag == "c":
            ref, kind, style, text = attrs.get("r"), attrs.get("t", "n"), attrs.get("s"), None
        elif tag == "v":
            parts, collecting = [], True
        elif tag == "t":
            collecting = inline and not phonetic
        elif tag == "row":
            at = attrs.get("r")
            number = int(at) if at and at.isdigit() else number + 1
            cells = []
        elif tag == "is":
            parts, inline = [], True
        elif tag == "rPh":
            phonetic = True

    def end(name: str) -> None:
        nonlocal text, collecting, inline, phonetic
        tag = names.get(name)
        if tag == "c":
            column = (columns.get(ref.rstrip(_DIGITS)) or values.column(ref)) if ref else len(cells) + 1
            if kind == "s" and text:
                try:
                    value: Cell = values.strings[int(text)]
                except (ValueError, IndexError):
                    value = values.of(kind, text, style, number)  # raises, naming the row
            else:
                value = values.of(kind, text, style, number)
            if column <= len(cells):  # out of order, which Excel never writes: the last one wins
                cells[column - 1] = value
            elif value is not None or ref is None:
                if column > len(cells) + 1:
                    cells.extend([None] * (column - 1 - len(cells)))
                cells.append(value)
        elif tag == "v":
            text, collecting = "".join(parts), False
        elif tag == "t":
            collecting = False
        elif tag == "row":
            done.append((number, cells))
        elif tag == "is":
            text, inline = _unescaped("".join(parts)), False
        elif tag == "rPh":
            phonetic = False

    def data(chunk: str) -> None:
        if collecting:
            parts.append(chunk)

    parser = ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = data
    try:
        while block := stream.read(_BLOCK):
            parser.Parse(block, False)
            yield from done
            done.clear()  # the rows read so far, so that they do not pile up
        parser.Parse(b"", True)
    except ExpatError as exc:  # checked before, so only when the archive changed under us
        raise broken(str(exc)) from exc
    yield from done
