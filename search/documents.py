"""Projection of a product (with its producer) into its search document, and back.

The document carries every field the catalogue's Product type shows, so search results are served from
the index without a MongoDB read per hit; `version` and `producerVersion` let the worker and the drift
check compare it with MongoDB.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from typing import Any

from bson import ObjectId

from market.catalog.records import (
    Certification,
    PriceTier,
    Producer,
    Product,
    ProductGroup,
    ProductStatus,
    Translation,
    variants_from_doc,
)
from market.core.provinces import load_provinces
from market.core.text import nfc
from search.attributes import pack_sizes, product_tags
from search.glossary import glossary_fingerprint, load_glossary
from search.query import province_token
from search.synonyms import expand, synonyms_fingerprint
from search.vietnamese import tone_spellings

# Fields compared by the drift check: a document is stale when either is behind MongoDB.
VERSION_FIELDS = ("version", "producerVersion")

# Bump when the shape of the document changes; with the synonyms it decides when the index is rebuilt.
PROJECTION_VERSION = 9


def projection_fingerprint() -> str:
    sources = f"{PROJECTION_VERSION}:{synonyms_fingerprint()}:{glossary_fingerprint()}"
    return hashlib.sha256(sources.encode()).hexdigest()[:16]


def is_indexed(product: Product) -> bool:
    """Drafts are indexed (a producer may search its own); archived products leave the index."""
    return product.status is not ProductStatus.ARCHIVED


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def day_number(value: date) -> int:
    """A day as a number filters can compare: 2027-06-05 -> 20270605."""
    return value.year * 10_000 + value.month * 100 + value.day


def product_document(product: Product, producer: Producer) -> dict[str, Any]:
    provinces = load_provinces()
    province = provinces.get(product.province_code)
    province_name = province.name if province else product.province_code
    names = [province_name]
    if product.former_province and product.former_province != province_name:
        names.append(product.former_province)
    synonyms = expand(product.name, product.category)
    packs = " ".join(f"{v.packaging} {v.unit}" for v in product.variants)
    concepts = load_glossary().concepts_in([product.name, product.category, product.unit, packs])
    english = product.translations.get("en")
    return {
        "id": str(product.id),
        "name": product.name,
        "description": product.description,
        "category": product.category,
        "group": product.group.value,
        "stars": product.stars,
        "priceVnd": product.price_vnd,
        "priceTiers": [{"minQuantity": t.min_quantity, "unitPriceVnd": t.unit_price_vnd} for t in product.price_tiers],
        "unit": product.unit,
        "moq": product.moq,
        "certifications": [c.value for c in product.certifications],
        "certificateNo": product.certificate_no,
        "certifiedAt": _day(product.certified_at),
        "validUntil": _day(product.valid_until),
        # Expiry is read against the day of the search (search.query.certificate_filter), never stored.
        "validUntilDay": day_number(product.valid_until) if product.valid_until else None,
        "pendingFiveStar": product.pending_five_star,
        "images": product.images,
        "externalId": product.external_id,
        "provinceCode": product.province_code,
        "provinceName": province_name,
        "formerProvince": product.former_province,
        "formerProvinceCode": provinces.former_code(product.former_province) if product.former_province else None,
        "provinceNames": names,
        "provinceTokens": [province_token(name) for name in names],
        "producerId": str(product.producer_id),
        "producerName": producer.name,
        "producerType": producer.type.value,
        "producerVerified": producer.verified,
        "status": product.status.value,
        "synonyms": synonyms,
        "nameEn": english.name if english else None,
        "descriptionEn": english.description if english else None,
        # English for what the product is (search/data/glossary.txt), and one token per concept it names.
        "english": list(dict.fromkeys(" ".join(words) for c in concepts for words in c.english)),
        "conceptTokens": [c.token for c in concepts],
        "places": producer.address.commune,
        "tags": product_tags(
            name=product.name,
            category=product.category,
            unit=f"{product.unit} {packs}",
            description=product.description,
            group=product.group.value,
            province_names=names,
        ),
        "packSizes": variant_pack_sizes(product),
        # The variants: shown with each hit, their packaging searched and counted (a facet), their prices in the
        # price filter and range.
        "variants": [v.to_doc() for v in product.variants],
        "packaging": list(dict.fromkeys(packaging_value(v.packaging) for v in product.variants)),
        "prices": sorted({product.price_vnd, *(v.price_vnd for v in product.variants)}),
        # Tone-preserving forms (see search/vietnamese.py); typo tolerance is off on them.
        "toneName": tone_spellings(product.name),
        "toneText": tone_spellings(" ".join([product.category, *synonyms, *names, producer.address.commune or ""])),
        "createdAt": int(product.created_at.timestamp()),
        "updatedAt": int(product.updated_at.timestamp()),
        "publishedAt": int(product.published_at.timestamp()) if product.published_at else None,
        "version": product.version,
        "producerVersion": producer.version,
    }


def packaging_value(text: str) -> str:
    """A packaging as the facet counts it and the filter takes it: "Hộp quà" and "hộp  quà" are one."""
    return nfc(text).casefold()


def variant_pack_sizes(product: Product) -> list[str]:
    """The pack sizes written in the product's unit and name, and those of its variants."""
    sizes = pack_sizes(product.unit, product.name, *(v.unit for v in product.variants))
    for variant in product.variants:
        size = variant.net_quantity.pack_size() if variant.net_quantity else None
        if size and size not in sizes:
            sizes.append(size)
    return sizes


def _ts(value: Any) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if isinstance(value, int | float) else None


def _member(members: dict[str, Any], enum_type: Any, value: str) -> Any:
    # A dictionary lookup is ~20x cheaper than calling the enum; an unknown value still raises its error.
    return members.get(value) or enum_type(value)


_GROUPS = {m.value: m for m in ProductGroup}
_STATUSES = {m.value: m for m in ProductStatus}
_CERTIFICATIONS = {m.value: m for m in Certification}


def _certifications(values: list[str] | None) -> list[Certification]:
    return [_member(_CERTIFICATIONS, Certification, c) for c in values] if values else []


# What `product_summary` cannot do without; its other fields default when a search did not retrieve them.
SUMMARY_ATTRIBUTES = ("id", "name", "group", "stars", "priceVnd", "unit", "status", "version")


def product_summary(doc: dict[str, Any]) -> dict[str, Any]:
    """The fields of a Product that a result page shows and that need no conversion beyond an enum lookup,
    under Product's attribute names, with `id` kept as the document's string."""
    get = doc.get
    return {
        "id": doc["id"],
        "name": doc["name"],
        "description": get("description") or "",
        "group": _member(_GROUPS, ProductGroup, doc["group"]),
        "category": get("category") or "",
        "stars": doc["stars"],
        "price_vnd": doc["priceVnd"],
        "unit": doc["unit"],
        "moq": get("moq") or 1,
        "status": _member(_STATUSES, ProductStatus, doc["status"]),
        "version": doc["version"],
        "certifications": _certifications(get("certifications")),
        "images": list(get("images") or ()),
        "external_id": get("externalId"),
    }


def product_from_document(doc: dict[str, Any]) -> Product:
    """A Product read back from its search document (as fresh as the index): the summary's fields, and
    the ids, timestamps, dates and tiers converted."""
    get = doc.get
    created_at = _ts(get("createdAt")) or datetime.now(UTC)
    tiers = get("priceTiers")
    certified_at, valid_until = get("certifiedAt"), get("validUntil")
    return Product(
        **{**product_summary(doc), "id": ObjectId(doc["id"])},
        producer_id=ObjectId(doc["producerId"]),
        province_code=doc["provinceCode"],
        former_province=get("formerProvince"),
        created_at=created_at,
        updated_at=_ts(get("updatedAt")) or created_at,
        price_tiers=[PriceTier(t["minQuantity"], t["unitPriceVnd"]) for t in tiers] if tiers else [],
        certificate_no=get("certificateNo"),
        certified_at=date.fromisoformat(certified_at) if certified_at else None,
        valid_until=date.fromisoformat(valid_until) if valid_until else None,
        published_at=_ts(get("publishedAt")),
        translations=translations_of(doc),
        pending_five_star=bool(get("pendingFiveStar")),
        variants=variants_from_doc(get("variants")),
    )


def translations_of(doc: dict[str, Any]) -> dict[str, Translation]:
    name, description = doc.get("nameEn"), doc.get("descriptionEn")
    return {"en": Translation(name=name, description=description)} if name or description else {}
