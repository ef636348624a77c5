"""Bulk import of OCOP products from the files offices keep: XLSX, delimited text (comma, semicolon or tab;
UTF-8, UTF-16 or Windows-1258, see market/core/table_files.py) with Vietnamese or English headers
(market/catalog/columns.py), or JSON Lines.

Rows are validated one by one; good rows are written with bulk writes and bad ones reported with their
line, field and reason (in Vietnamese and English, and with the row as the file had it to an `ErrorSink`,
which writes the report an office corrects). A problem with the file itself (its encoding, an unknown
column, a zip bomb) refuses it before any row is written. Producers are matched by name within their
province, or created. A re-import with the same (producer, externalId) updates the product in place and
never duplicates it.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from bson import ObjectId

from market.catalog.columns import DATE_KEYS, TEXT_KEYS, HeaderMap, match_headers
from market.catalog.policy import ImportScope
from market.catalog.records import Producer, ProducerType, ProductGroup, ProductStatus, variants_from_doc
from market.catalog.services import clean_product, nest_fields
from market.catalog.translations import translation_columns
from market.catalog.validation import (
    MAX_MOQ,
    MAX_NAME,
    Checker,
    infer_producer_type,
    parse_producer_type,
    parse_status,
)
from market.catalog.variant_rows import PER_VARIANT, Group, Groups, as_row_error, is_variant_row, variant_item
from market.catalog.variants import with_ids
from market.core.clock import utcnow
from market.core.errors import DomainError, FieldError
from market.core.numbers import without_currency
from market.core.provinces import load_provinces
from market.core.table_files import Cell, open_table
from market.core.table_writer import unquoted
from market.core.text import blank, fold, fold_recurring, nfc

# Not the description, which the API does not require either: a product written without one comes back in an
# export, and the export must import again as it is.
REQUIRED = ("externalId", "name", "category", "province", "producer", "ocopStars", "priceVnd", "unit")
BATCH = 1000
# A row's keys that are the producer's, or read apart from the product's own fields.
_NOT_PRODUCT_FIELDS = frozenset({"producer", "producerType", "commune", "ocopStars", "status"})
# The statuses a row may give; an import never archives.
_IMPORT_STATUSES = (ProductStatus.PUBLISHED, ProductStatus.DRAFT)

# Keywords of the free-text category that tell the OCOP group when a row does not say it.
_GROUP_HINTS: list[tuple[ProductGroup, tuple[str, ...]]] = [
    (ProductGroup.TOURISM_SERVICE, ("du lich", "homestay", "trai nghiem", "diem ban")),
    (ProductGroup.ORNAMENTAL, ("cay canh", "hoa ", "lan ", "mai ", "bonsai", "sinh vat canh", "ca canh")),
    (ProductGroup.HANDICRAFT, ("thu cong", "gom", "may tre", "det", "theu", "go my nghe", "ong hut", "don", "cham")),
    (ProductGroup.HERBAL, ("sam", "duoc lieu", "thao duoc", "tinh dau", "cao ", "thuoc", "dong y")),
    (
        ProductGroup.BEVERAGE,
        ("tra", "che ", "ca phe", "cafe", "coffee", "ruou", "bia", "nuoc uong", "nuoc ep", "giai khat"),
    ),
]

if TYPE_CHECKING:
    from market.store import Store


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    field: str | None
    reason: str  # in English
    reason_vi: str = ""
    code: str = "INVALID"
    column: str | None = None  # the file's own header for `field`

    @classmethod
    def of(cls, line: int, error: FieldError, column: str | None = None) -> RowError:
        return cls(line, error.field, error.text("en"), error.text("vi"), error.code.value, column)


class ErrorSink(Protocol):
    """Where the rows that failed go, with their values as the file had them (the error report)."""

    def header(self, columns: list[str]) -> None: ...

    def row(self, line: int, values: list[str], errors: list[RowError]) -> None: ...


@dataclass(slots=True)
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    producers_created: int = 0
    errors: list[RowError] = field(default_factory=list)
    # What the file was read as: "xlsx", "delimited" or "jsonl"; its encoding and separator.
    kind: str = ""
    encoding: str | None = None
    delimiter: str | None = None

    @property
    def failed(self) -> int:
        return len({e.line for e in self.errors})


def infer_group(category: str, name: str) -> ProductGroup:
    text = f" {fold(category)} {fold(name)} "
    for group, hints in _GROUP_HINTS:
        if any(f" {hint}" in text for hint in hints):
            return group
    return ProductGroup.FOOD


# Decimal keeps how a number was written, so validation can tell 165.000 (typed with a thousands separator)
# from 165000 or 165.0.
_DECODER = json.JSONDecoder(parse_float=Decimal)
# The deepest a row's JSON needs: the row, its variants, one variant, its tiers, one tier. A value nested far
# deeper is refused here, as unreadable: one that just decodes would still exhaust the stack later, when an
# error message's repr recurses into it.
MAX_JSON_DEPTH = 16
_TOO_DEEP = f"arrays or objects nested more than {MAX_JSON_DEPTH} deep"


def _json(text: str) -> Any:
    """The value `text` holds; ValueError (JSONDecodeError when malformed) when it holds none."""
    bom = text.startswith("\ufeff")
    try:
        # json.loads refuses a byte order mark, naming it; for the rest one decoder serves every row.
        value = json.loads(text, parse_float=Decimal) if bom else _DECODER.decode(text)
    except RecursionError:
        # The decoder recurses once per level: `[[[…]]]` a thousand deep exhausts the stack.
        raise ValueError(_TOO_DEEP) from None
    # Fewer brackets than the limit cannot nest deeper than it, which spares nearly every row the walk.
    if text.count("[") + text.count("{") > MAX_JSON_DEPTH and _deeper_than(value, MAX_JSON_DEPTH):
        raise ValueError(_TOO_DEEP)
    return value


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether arrays and objects nest more than `limit` deep in `value`; iterative, so any depth is safe."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False


@dataclass(slots=True)
class _Source:
    """One row of the file: its fields by import key (None when unreadable), the problems found while
    reading it, and its cells as read (a JSON line's text alone)."""

    line: int
    row: dict[str, Any] | None
    errors: list[FieldError]
    cells: list[Cell]

    @property
    def values(self) -> list[str]:
        """Its cells as written, for the error report: made only for the rows that may go into it."""
        return [_shown(c) for c in self.cells]


@dataclass(slots=True)
class _Opened:
    kind: str
    encoding: str | None
    delimiter: str | None
    header: list[str]  # the columns of the error report's copy of each row
    columns: HeaderMap | None
    sources: Iterator[_Source]


@contextmanager
def _open(path: Path) -> Iterator[_Opened]:
    with open_table(path) as table:
        if table.kind == "jsonl":
            assert table.encoding is not None
            with path.open(encoding=table.encoding, newline="") as stream:
                yield _Opened("jsonl", table.encoding, None, ["JSON"], None, _json_lines(stream))
            return
        columns = match_headers(table.header, table.header_line)
        sources = (_from_cells(line, cells, columns) for line, cells in table.rows)
        yield _Opened(table.kind, table.encoding, table.delimiter, table.header, columns, sources)


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """(line number, row or None, why it is unreadable), read as the file streams by: memory does not grow
    with its length. List cells use `;` separators; blank cells are absent."""
    with _open(path) as opened:
        for source in opened.sources:
            problem = "; ".join(e.message for e in source.errors) or None
            yield source.line, source.row if problem is None else None, problem


_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")


def _cell(key: str, value: Cell) -> tuple[Any, FieldError | None]:
    """A cell as validation reads the same field of a JSON row; None when blank."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # workbooks store every number as a float
    if isinstance(value, str):
        value = unquoted(value)  # the quote an export put in front of text Excel would run as a formula
    if key in DATE_KEYS:
        return _day(key, value)
    if key in TEXT_KEYS and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value), None
    if isinstance(value, str):
        if key in ("priceTiers", "images") and value.lstrip().startswith("["):
            with contextlib.suppress(ValueError):
                return _json(value), None
        if key == "priceVnd":
            return without_currency(value), None
    return value, None


def _day(key: str, value: Cell) -> tuple[Any, FieldError | None]:
    if isinstance(value, datetime | date):
        return value, None
    text = str(value).strip()
    if match := _DAY_MONTH_YEAR.fullmatch(text):
        day, month, year = (int(g) for g in match.groups())
        with contextlib.suppress(ValueError):
            return date(year, month, day), None
    else:
        with contextlib.suppress(ValueError):
            return date.fromisoformat(text), None
    return None, FieldError.of("import_date", key, got=text)


def _shown(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        return value.date().strftime("%d/%m/%Y")
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.strftime("%d/%m/%Y")
    return str(value)


def _from_cells(line: int, cells: list[Cell], columns: HeaderMap) -> _Source:
    row: dict[str, Any] = {}
    errors: list[FieldError] = []
    for key, value in zip(columns.keys, cells, strict=False):
        if key is None:
            continue
        cleaned, problem = _cell(key, value)
        if problem is not None:
            errors.append(problem)
        elif cleaned is not None:
            row[key] = cleaned
    return _Source(line, row, errors, cells)


def _json_lines(stream: TextIO) -> Iterator[_Source]:
    for number, line in enumerate(stream, start=1):
        if not line or line.isspace():
            continue
        text = line.rstrip("\r\n")
        try:
            row = _json(line)
        except json.JSONDecodeError as exc:
            error = FieldError.of("malformed_json_line", None, reason=exc.msg, column=exc.colno)
            yield _Source(number, None, [error], [text])
            continue
        except ValueError as exc:  # an integer too long for Python to convert, or nesting too deep
            yield _Source(number, None, [FieldError.of("unreadable_json_line", None, reason=str(exc))], [text])
            continue
        if not isinstance(row, dict):
            yield _Source(number, None, [FieldError.of("json_line_not_object", None)], [text])
            continue
        yield _Source(number, row, [], [text])


@dataclass(slots=True)
class _Row:
    line: int
    producer_key: tuple[str, str]
    producer_name: str
    producer_type: ProducerType | None  # as the row gives it
    commune: Any  # the row's cell, unchecked: read only when the row creates its producer
    product: dict[str, Any]
    external_id: str
    group: Group | None = None  # its variant rows, when it has some

    def producer_fields(self) -> dict[str, Any]:
        """The producer the row names, as a new one would be stored; built only for the few rows that create
        one, not for every row."""
        commune = nfc(str(self.commune)) if self.commune else None
        address = {
            "provinceCode": self.product["provinceCode"],
            "formerProvince": self.product.get("formerProvince"),
            "commune": commune,
        }
        return {
            "name": self.producer_name,
            "type": (self.producer_type or infer_producer_type(self.producer_name)).value,
            "address": {k: v for k, v in address.items() if v is not None},
            "verified": False,
        }


def _validate(line: int, row: dict[str, Any]) -> _Row:
    check = Checker()
    variant_row = is_variant_row(row)
    for key in REQUIRED:
        if variant_row and key == "unit":
            continue  # a variant sells as its packaging and net quantity when the row gives no unit
        value = row.get(key)
        if value is None or (isinstance(value, str) and blank(value)):
            check.add("required", key)
    producer_name = check.text("producer", row.get("producer"), required=False, max_len=MAX_NAME)
    producer_type: ProducerType | None = None
    if row.get("producerType"):
        producer_type = check.choice(
            "producerType", row["producerType"], parse_producer_type, required=False, label="producer type"
        )
    translations, translation_keys = translation_columns(row)
    skipped = _NOT_PRODUCT_FIELDS.union(translation_keys) if translation_keys else _NOT_PRODUCT_FIELDS
    data = {k: v for k, v in row.items() if k not in skipped}
    if translations is not None:
        data["translations"] = translations
    data["stars"] = row.get("ocopStars")
    if variant_row:
        data = {k: v for k, v in data.items() if k not in PER_VARIANT}
        data["variants"] = [variant_item(row)]
        # Stand-ins: a product with variants takes its price and unit from the first one.
        data.update(priceVnd=1, unit="-")
    elif "moq" in row:
        # A minimum order is a quantity, written in files with thousands separators like prices are.
        data["moq"] = check.integer("moq", row["moq"], required=False, minimum=1, maximum=MAX_MOQ, grouped=True)
    if not row.get("group"):
        data["group"] = infer_group(str(row.get("category", "")), str(row.get("name", "")))
    try:
        product = clean_product(data, partial=False, any_variant_id=True)
    except DomainError as exc:
        # Report every problem of the row once: the required-key check and the field checks overlap.
        reported = {e.field for e in check.errors}
        found = [as_row_error(e) for e in exc.errors]
        check.errors.extend(e for e in found if e.field not in reported and e.field != "externalId")
        check.raise_if_any()
        raise
    check.raise_if_any()
    status = parse_status(row.get("status") or ProductStatus.PUBLISHED.value)
    if status not in _IMPORT_STATUSES:
        got = str(row.get("status")).strip().lower()
        raise DomainError.of("import_status", "status", allowed=[p.value for p in _IMPORT_STATUSES], got=got)
    assert status is not None
    product["status"] = status.value
    assert producer_name is not None
    return _Row(
        line=line,
        producer_key=(product["provinceCode"], fold_recurring(producer_name)),
        producer_name=producer_name,
        producer_type=producer_type,
        commune=row.get("commune"),
        product=product,
        external_id=product["externalId"],
    )


_COMPARED = (
    "name",
    "description",
    "group",
    "category",
    "stars",
    "priceVnd",
    "unit",
    "moq",
    "provinceCode",
    "formerProvince",
    "priceTiers",
    "certifications",
    "images",
    "certificate",
    "status",
    "translations",
    "variants",
)


# What a re-import reads of the products already there: what it compares, and what its update is filtered on.
_EXISTING_FIELDS = ("version", *_COMPARED)


def _changes(existing: dict[str, Any], new: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """What a re-import changes. An empty value equals an absent one: a product whose certificate the API left
    as `{}` is unchanged by a row without one, as its own export gives."""
    set_fields = {
        k: new[k]
        for k in _COMPARED
        if k in new and existing.get(k) != new[k] and not (_empty(existing.get(k)) and _empty(new[k]))
    }
    unset_fields = [k for k in _COMPARED if k not in new and not _empty(existing.get(k))]
    return set_fields, unset_fields


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


async def import_products(
    store: Store,
    path: Path,
    progress: Callable[[int, int], None] | None = None,
    *,
    scope: ImportScope | None = None,
    errors_to: ErrorSink | None = None,
) -> ImportReport:
    """Read, check and write the file BATCH rows at a time, so memory stays flat however long it is. Good rows
    are written even when others fail; `progress(written, read so far)` follows along. `scope` (from
    market.catalog.policy.import_scope) limits the rows a viewer may import; None imports everything."""
    report = ImportReport()
    seen: dict[tuple[tuple[str, str], str], int] = {}
    producer_ids: dict[tuple[str, str], ObjectId] = {}
    chunk: list[_Row] = []
    groups = Groups()
    written = 0
    own = await _own_producer(store, scope)
    if own is not None:
        producer_ids[_key_of(own)] = own.id
    columns: HeaderMap | None = None

    def refuse(line: int, values: list[str], problems: list[FieldError]) -> None:
        errors = [RowError.of(line, e, columns.column_of(e.field) if columns else None) for e in problems]
        report.errors.extend(errors)
        if errors_to is not None:
            errors_to.row(line, values, errors)

    async def flush(hold: Group | None) -> None:
        """Write the chunk, but for the product of `hold`, whose next rows may follow."""
        nonlocal written
        ready = [r for r in chunk if r.group is None or r.group is not hold]
        chunk[:] = [r for r in chunk if r.group is not None and r.group is hold]
        for row in ready:
            if row.group is not None and row.group.refused_at is not None:
                at = row.group.refused_at
                for line, values in row.group.lines:
                    refuse(line, values, [FieldError.of("variant_group_refused", None, line=at)])
        ready = [r for r in ready if r.group is None or r.group.refused_at is None]
        groups.written([r.group for r in ready if r.group is not None])
        new = [r for r in ready if r.producer_key not in producer_ids]
        producer_ids.update(await _ensure_producers(store, new, report))
        await _write_products(store, ready, producer_ids, report)
        written += len(ready)
        if progress:
            progress(written, report.rows)

    with _open(path) as opened:
        report.kind, report.encoding, report.delimiter = opened.kind, opened.encoding, opened.delimiter
        if errors_to is not None:
            errors_to.header(opened.header)
        columns = opened.columns
        last: Group | None = None
        for source in opened.sources:
            report.rows += 1
            row = source.row
            # The row again when it is one variant of a product, for the checks only those rows get.
            variant_row = row if row is not None and is_variant_row(row) else None
            if variant_row is not None and (group := groups.pending(variant_row)) is not None:
                # One more variant of a product read above.
                last = group
                problems = group.add(source.line, variant_row) if group.refused_at is None else []
                if problems:
                    group.refused_at = source.line
                    refuse(source.line, source.values, problems)
                else:
                    group.lines.append((source.line, source.values))
                continue
            if variant_row is not None and (late := groups.past(variant_row)) is not None:
                refuse(source.line, source.values, [late])
                continue
            item, problems = _check(source, scope, own)
            if item is not None:
                first = seen.setdefault((item.producer_key, item.external_id), source.line)
                if first != source.line:
                    problems = [FieldError.of("duplicate_in_file", "externalId", got=item.external_id, first=first)]
            if problems:
                if variant_row is not None:
                    groups.refused(variant_row, source.line)
                refuse(source.line, source.values, problems)
                continue
            assert item is not None and row is not None
            last = None
            if variant_row is not None:
                item.group = last = groups.start(row, source.line, source.values, item.product)
            chunk.append(item)
            if len(chunk) >= BATCH:
                await flush(last)
        if chunk:
            await flush(None)
    report.errors.sort(key=lambda e: e.line)
    return report


def _key_of(producer: Producer) -> tuple[str, str]:
    return producer.address.province_code, fold(producer.name)


async def _own_producer(store: Store, scope: ImportScope | None) -> Producer | None:
    """The producer whose members import, whose rows are all its own."""
    if scope is None or scope.producer_id is None:
        return None
    producer = await store.producers.get(scope.producer_id)
    if producer is None:
        raise DomainError.of("forbidden_import_products", None)
    return producer


def _check(source: _Source, scope: ImportScope | None, own: Producer | None) -> tuple[_Row | None, list[FieldError]]:
    """The row ready to write, or every reason it cannot be."""
    if source.row is None:
        return None, source.errors
    row = source.row
    if own is not None and not row.get("producer"):
        row["producer"] = own.name  # a producer's own file need not name it on every row
    publishes = scope is None or scope.publishes
    if not publishes and not row.get("status"):
        row["status"] = ProductStatus.DRAFT.value  # what a row publishes by default, it keeps as a draft
    try:
        item = _validate(source.line, row)
    except DomainError as exc:
        return None, [*source.errors, *exc.errors]
    if source.errors:
        return None, source.errors
    if not publishes and item.product["status"] == ProductStatus.PUBLISHED.value:
        status = own.status.value.upper() if own is not None else "PENDING"
        return None, [FieldError.of("org_not_verified", "status", action="publish products", status=status)]
    if own is not None:
        if fold(item.producer_name) != fold(own.name):
            return None, [FieldError.of("import_other_producer", "producer", got=item.producer_name, own=own.name)]
        item.producer_key = _key_of(own)
    if scope is not None and scope.province_code is not None and item.product["provinceCode"] != scope.province_code:
        office = load_provinces().get(scope.province_code)
        own_name = office.name if office is not None else scope.province_code
        got = str(row.get("province", ""))
        return None, [FieldError.of("import_other_province", "province", got=got, own=own_name)]
    return item, []


async def _ensure_producers(store: Store, rows: list[_Row], report: ImportReport) -> dict[tuple[str, str], ObjectId]:
    keys = {r.producer_key: r for r in rows}
    ids: dict[tuple[str, str], ObjectId] = {}
    if not keys:
        return ids
    ids.update(await store.producers.ids_by_name_key(sorted({k[1] for k in keys})))
    now = utcnow()
    missing = [
        {**row.producer_fields(), "nameKey": key[1], "createdAt": now, "updatedAt": now, "version": 1}
        for key, row in keys.items()
        if key not in ids
    ]
    if missing:
        for doc, new_id in zip(missing, await store.producers.insert_many(missing), strict=True):
            ids[(doc["address"]["provinceCode"], doc["nameKey"])] = new_id
        report.producers_created += len(missing)
    return ids


async def _write_products(
    store: Store, rows: list[_Row], producer_ids: dict[tuple[str, str], ObjectId], report: ImportReport
) -> None:
    keyed = [(producer_ids[r.producer_key], r) for r in rows]
    keys = [(pid, r.external_id) for pid, r in keyed]
    existing = await store.products.existing_by_external_id(keys, _EXISTING_FIELDS)
    now = utcnow()
    inserts: list[dict[str, Any]] = []
    updates: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for producer_id, row in keyed:
        doc = nest_fields(row.product)
        doc["producerId"] = producer_id
        doc["nameKey"] = fold(doc["name"])
        current = existing.get((producer_id, row.external_id))
        if "variants" in doc:
            # Rows without a variant code keep the ids of the product's variants of the same pack size.
            before = variants_from_doc(current.get("variants") if current else None)
            doc["variants"] = [v.to_doc() for v in with_ids(variants_from_doc(doc["variants"]), before)]
        if current is None:
            doc.update(createdAt=now, updatedAt=now, version=1)
            if doc["status"] == ProductStatus.PUBLISHED.value:
                doc["publishedAt"] = now
            inserts.append(doc)
            report.created += 1
            continue
        set_fields, unset_fields = _changes(current, doc)
        if not set_fields and not unset_fields:
            report.unchanged += 1
            continue
        set_fields.update(nameKey=doc["nameKey"], updatedAt=now)
        if set_fields.get("status") == ProductStatus.PUBLISHED.value:
            set_fields["publishedAt"] = now
        update: dict[str, Any] = {"$set": set_fields, "$inc": {"version": 1}}
        if unset_fields:
            update["$unset"] = dict.fromkeys(unset_fields, "")
        updates.append(({"_id": current["_id"], "version": current["version"]}, update))
        report.updated += 1
    await store.products.bulk_write(inserts, updates)
