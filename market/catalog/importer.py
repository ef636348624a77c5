"""Bulk import of OCOP products from JSON Lines or CSV.

Rows are validated one by one; good rows are written with bulk writes and bad ones reported with their
line, field and reason. Producers are matched by name within their province, or created. A re-import
with the same (producer, externalId) updates the product in place and never duplicates it.
"""

from __future__ import annotations

import contextlib
import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from bson import ObjectId

from market.catalog.records import ProducerType, ProductGroup, ProductStatus
from market.catalog.services import clean_product, nest_fields
from market.catalog.validation import MAX_MOQ, MAX_NAME, Checker, infer_producer_type, parse_producer_type
from market.core.clock import utcnow
from market.core.errors import DomainError
from market.core.text import fold, nfc

REQUIRED = ("externalId", "name", "description", "category", "province", "producer", "ocopStars", "priceVnd", "unit")
BATCH = 1000
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
    reason: str


@dataclass(slots=True)
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    producers_created: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return len({e.line for e in self.errors})


def infer_group(category: str, name: str) -> ProductGroup:
    text = f" {fold(category)} {fold(name)} "
    for group, hints in _GROUP_HINTS:
        if any(f" {hint}" in text for hint in hints):
            return group
    return ProductGroup.FOOD


def _json(text: str) -> Any:
    # Decimal keeps how a number was written, so validation can tell 165.000 (typed with a thousands
    # separator) from 165000 or 165.0.
    return json.loads(text, parse_float=Decimal)


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """(line number, row or None, parse error), read as the file streams by: memory does not grow with its
    length. CSV list cells use `;` separators; blank cells are absent."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as stream:
            if path.suffix.lower() == ".csv":
                yield from _csv_rows(stream)
            else:
                yield from _json_lines(stream)
    except UnicodeDecodeError as exc:
        yield 0, None, f"the file is not UTF-8: {exc}"


def _csv_rows(stream: TextIO) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    reader = csv.DictReader(stream)
    for row in reader:
        cleaned = {k.strip(): v for k, v in row.items() if k and isinstance(v, str) and v.strip()}
        for key in ("priceTiers", "images"):
            if isinstance(cleaned.get(key), str) and cleaned[key].lstrip().startswith("["):
                with contextlib.suppress(ValueError):
                    cleaned[key] = _json(cleaned[key])
        yield reader.line_num, cleaned, None


def _json_lines(stream: TextIO) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            row = _json(line)
        except json.JSONDecodeError as exc:
            yield number, None, f"malformed JSON: {exc.msg} at column {exc.colno}"
            continue
        except ValueError as exc:  # an integer too long for Python to convert
            yield number, None, f"unreadable JSON: {exc}"
            continue
        if not isinstance(row, dict):
            yield number, None, "each line must be a JSON object"
            continue
        yield number, row, None


@dataclass(slots=True)
class _Row:
    line: int
    producer_key: tuple[str, str]
    producer_name: str
    producer_fields: dict[str, Any]
    product: dict[str, Any]
    external_id: str


def _validate(line: int, row: dict[str, Any]) -> _Row:
    check = Checker()
    for key in REQUIRED:
        value = row.get(key)
        if value is None or (isinstance(value, str) and not nfc(value)):
            check.add("required", key)
    producer_name = check.text("producer", row.get("producer"), required=False, max_len=MAX_NAME)
    producer_type: ProducerType | None = None
    if row.get("producerType"):
        producer_type = check.choice(
            "producerType", row["producerType"], parse_producer_type, required=False, label="producer type"
        )
    data = {k: v for k, v in row.items() if k not in ("producer", "producerType", "commune", "ocopStars", "status")}
    data["stars"] = row.get("ocopStars")
    if "moq" in row:
        # A minimum order is a quantity, written in files with thousands separators like prices are.
        data["moq"] = check.integer("moq", row["moq"], required=False, minimum=1, maximum=MAX_MOQ, grouped=True)
    if not row.get("group"):
        data["group"] = infer_group(str(row.get("category", "")), str(row.get("name", "")))
    try:
        product = clean_product(data, partial=False)
    except DomainError as exc:
        # Report every problem of the row once: the required-key check and the field checks overlap.
        reported = {e.field for e in check.errors}
        check.errors.extend(e for e in exc.errors if e.field not in reported and e.field != "externalId")
        check.raise_if_any()
        raise
    check.raise_if_any()
    status = str(row.get("status") or ProductStatus.PUBLISHED.value).strip().lower()
    if status not in (p.value for p in _IMPORT_STATUSES):
        raise DomainError.of("import_status", "status", allowed=[p.value for p in _IMPORT_STATUSES], got=status)
    product["status"] = status
    assert producer_name is not None
    province_code = product["provinceCode"]
    commune = nfc(str(row["commune"])) if row.get("commune") else None
    return _Row(
        line=line,
        producer_key=(province_code, fold(producer_name)),
        producer_name=producer_name,
        producer_fields={
            "name": producer_name,
            "type": (producer_type or infer_producer_type(producer_name)).value,
            "address": {
                k: v
                for k, v in {
                    "provinceCode": province_code,
                    "formerProvince": product.get("formerProvince"),
                    "commune": commune,
                }.items()
                if v is not None
            },
            "verified": False,
        },
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
)


def _changes(existing: dict[str, Any], new: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    set_fields = {k: new[k] for k in _COMPARED if k in new and existing.get(k) != new[k]}
    unset_fields = [k for k in _COMPARED if k not in new and existing.get(k) not in (None, [], "")]
    return set_fields, unset_fields


async def import_products(store: Store, path: Path, progress: Callable[[int, int], None] | None = None) -> ImportReport:
    """Read, check and write the file BATCH rows at a time, so memory stays flat however long it is. Good rows
    are written even when others fail; `progress(written, read so far)` follows along."""
    report = ImportReport()
    seen: dict[tuple[tuple[str, str], str], int] = {}
    producer_ids: dict[tuple[str, str], ObjectId] = {}
    chunk: list[_Row] = []
    written = 0

    async def flush() -> None:
        nonlocal written
        new = [r for r in chunk if r.producer_key not in producer_ids]
        producer_ids.update(await _ensure_producers(store, new, report))
        await _write_products(store, chunk, producer_ids, report)
        written += len(chunk)
        chunk.clear()
        if progress:
            progress(written, report.rows)

    for line, row, problem in read_rows(path):
        report.rows += 1
        if row is None:
            report.errors.append(RowError(line, None, problem or "unreadable row"))
            continue
        try:
            item = _validate(line, row)
        except DomainError as exc:
            report.errors.extend(RowError(line, e.field, e.message) for e in exc.errors)
            continue
        first = seen.setdefault((item.producer_key, item.external_id), line)
        if first != line:
            report.errors.append(
                RowError(line, "externalId", f"duplicate externalId {item.external_id!r}: first seen at line {first}")
            )
            continue
        chunk.append(item)
        if len(chunk) >= BATCH:
            await flush()
    if chunk:
        await flush()
    report.errors.sort(key=lambda e: e.line)
    return report


async def _ensure_producers(store: Store, rows: list[_Row], report: ImportReport) -> dict[tuple[str, str], ObjectId]:
    keys = {r.producer_key: r for r in rows}
    ids: dict[tuple[str, str], ObjectId] = {}
    if not keys:
        return ids
    ids.update(await store.producers.ids_by_name_key(sorted({k[1] for k in keys})))
    now = utcnow()
    missing = [
        {**row.producer_fields, "nameKey": key[1], "createdAt": now, "updatedAt": now, "version": 1}
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
    existing = await store.products.existing_by_external_id([(pid, r.external_id) for pid, r in keyed])
    now = utcnow()
    inserts: list[dict[str, Any]] = []
    updates: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for producer_id, row in keyed:
        doc = nest_fields(row.product)
        doc["producerId"] = producer_id
        doc["nameKey"] = fold(doc["name"])
        current = existing.get((producer_id, row.external_id))
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
