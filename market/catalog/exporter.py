"""Export of products as XLSX or CSV with the import's Vietnamese headers (market/catalog/columns.py), so
that a file exported, edited and imported again changes exactly what was edited.

Each value is written the way the importer reads it back to the same stored value: enumerations as their
Vietnamese labels, dates as dates, the province as the (old) province the product was registered under, a
product without an externalId under its id. Products stream from one cursor, a batch at a time, with their
producers read per batch: memory does not grow with the number of products.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bson import ObjectId

from market.catalog import policy
from market.catalog.columns import EXPORTED
from market.catalog.records import CERTIFICATION_LABELS, Certification, Producer, ProductStatus, variants_from_doc
from market.catalog.repository import ProductFilter
from market.core.clock import as_day
from market.core.messages import ENUM_LABELS
from market.core.provinces import load_provinces
from market.core.table_writer import Format, table_writer

if TYPE_CHECKING:
    from market.store import Store

BATCH = 1000
# The English text of a product, in the columns market/catalog/translations.py reads.
TRANSLATION_HEADERS = ("Tên tiếng Anh", "Mô tả tiếng Anh")
HEADER = [*(c.header for c in EXPORTED), *TRANSLATION_HEADERS]
EXPORTED_KEYS = [c.key for c in EXPORTED]
# An import never archives, so an export leaves archived products out unless asked for them.
DEFAULT_STATUSES = (ProductStatus.PUBLISHED, ProductStatus.DRAFT)


@dataclass(frozen=True, slots=True)
class ExportSummary:
    path: Path
    format: Format
    products: int


def _label(enum: str, value: str) -> str:
    return ENUM_LABELS[enum][value.upper()]["vi"]


def export_rows(doc: dict[str, Any], producer: Producer | None) -> list[list[Any]]:
    """One product as rows of HEADER cells: one row, or one per variant, which carries the variant's price,
    unit, minimum order and tiers and repeats the product's other cells."""
    row = export_row(doc, producer)
    variants = variants_from_doc(doc.get("variants"))
    if not variants:
        return [row]
    rows = []
    for variant in variants:
        cells = dict(zip(EXPORTED_KEYS, row, strict=False))
        cells.update(
            variantId=variant.id,
            packaging=variant.packaging,
            netQuantity=variant.net_quantity.shown() if variant.net_quantity else None,
            gtin=variant.gtin,
            priceVnd=variant.price_vnd,
            unit=variant.unit,
            moq=variant.moq,
            priceTiers=_tiers(variant.to_doc()["priceTiers"]),
        )
        rows.append([*(cells[k] for k in EXPORTED_KEYS), *row[len(EXPORTED_KEYS) :]])
    return rows


def _tiers(tiers: list[dict[str, int]] | None) -> str | None:
    return json.dumps(tiers, ensure_ascii=False) if tiers else None


def export_row(doc: dict[str, Any], producer: Producer | None) -> list[Any]:
    """One product as the cells of HEADER, without its variants."""
    cert = doc.get("certificate") or {}
    province = doc.get("formerProvince")
    if not province:
        current = load_provinces().get(doc["provinceCode"])
        province = current.name if current is not None else doc["provinceCode"]
    english = (doc.get("translations") or {}).get("en") or {}
    values: dict[str, Any] = {
        "externalId": doc.get("externalId") or str(doc["_id"]),
        "name": doc["name"],
        "description": doc.get("description", ""),
        "group": _label("ProductGroup", doc["group"]),
        "category": doc.get("category", ""),
        "province": province,
        "commune": producer.address.commune if producer else None,
        "producer": producer.name if producer else None,
        "producerType": _label("ProducerType", producer.type.value) if producer else None,
        "ocopStars": doc["stars"],
        "priceVnd": doc["priceVnd"],
        "unit": doc["unit"],
        "moq": doc.get("moq", 1),
        "priceTiers": _tiers(doc.get("priceTiers")),
        "certifications": "; ".join(CERTIFICATION_LABELS[Certification(c)] for c in doc.get("certifications") or []),
        "certificateNo": cert.get("number"),
        "certifiedAt": as_day(cert.get("certifiedAt")),
        "validUntil": as_day(cert.get("validUntil")),
        "pendingFiveStar": "có" if cert.get("pendingFiveStar") else None,
        "images": "; ".join(doc.get("images") or []),
        "status": _label("ProductStatus", doc["status"]),
        "variantId": None,
        "packaging": None,
        "netQuantity": None,
        "gtin": None,
    }
    return [*(values[c.key] for c in EXPORTED), english.get("name"), english.get("description")]


def export_query(store: Store, scope: policy.ImportScope, flt: ProductFilter) -> dict[str, Any]:
    """What `scope` may export, narrowed by `flt` (a province, statuses); DomainError for an unknown province."""
    statuses = flt.statuses or DEFAULT_STATUSES
    query = store.products.query(ProductFilter(province=flt.province, statuses=statuses))
    allowed = policy.export_filter(scope)
    return {"$and": [query, allowed]} if allowed else query


async def export_products(
    store: Store,
    path: Path,
    fmt: Format,
    scope: policy.ImportScope,
    flt: ProductFilter,
    progress: Callable[[int, int], None] | None = None,
) -> ExportSummary:
    query = export_query(store, scope, flt)
    total = await store.products.count_where(query) if progress else 0
    written = 0
    with table_writer(path, fmt, HEADER, sheet="Sản phẩm OCOP") as writer:
        async for docs in store.products.export_batches(query, BATCH):
            producer_ids = list({d["producerId"] for d in docs})
            producers: dict[ObjectId, Producer] = {p.id: p for p in await store.producers.get_many(producer_ids)}
            for doc in docs:
                for row in export_rows(doc, producers.get(doc["producerId"])):
                    writer.row(row)
            written += len(docs)
            if progress:
                progress(written, total)
    return ExportSummary(path, fmt, written)
