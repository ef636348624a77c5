"""Catalog use cases: producers and products. Each function validates, checks permissions in
market.catalog.policy, then writes; on any error nothing is written.

Inputs are mappings keyed by the public (GraphQL and import) field names. In an update, an absent key
leaves the field alone and `None` clears an optional field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession

from market.accounts.policy import Viewer
from market.catalog import policy
from market.catalog.records import Producer, ProducerType, Product, ProductGroup, ProductStatus, Variant
from market.catalog.repository import ProducerFilter, ProductFilter, ProductSort
from market.catalog.validation import (
    MAX_DESCRIPTION,
    MAX_MOQ,
    MAX_NAME,
    MAX_SHORT,
    Checker,
    check_certificate_dates,
    latest_done_day,
    parse_group,
    parse_producer_type,
)
from market.catalog.variants import VariantChecker, headline
from market.core.clock import midnight, utcnow
from market.core.errors import DomainError, not_found
from market.core.ids import global_id_of, parse_object_id
from market.core.paging import Listing, PageRequest
from market.core.provinces import ProvinceMatch
from market.events import names
from market.storage.transactions import in_transaction

if TYPE_CHECKING:
    from market.store import Store


# What a product with variants takes from its first one.
PRICED_BY_VARIANTS = ("priceVnd", "unit", "moq", "priceTiers")


def _province_fields(match: ProvinceMatch, code_path: str, former_path: str) -> dict[str, Any]:
    return {code_path: match.province.code, former_path: match.former_name}


# --- producers ---------------------------------------------------------------------------------------


def clean_producer(data: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    """Validated MongoDB fields for the keys present in `data` (all required ones unless partial)."""
    check = Checker()
    out: dict[str, Any] = {}
    if not partial or "name" in data:
        out["name"] = check.text("name", data.get("name"), required=True, max_len=MAX_NAME)
    if not partial or "type" in data:
        out["type"] = check.choice("type", data.get("type"), parse_producer_type, required=True, label="producer type")
    if not partial or "province" in data:
        match = check.province("province", data.get("province"), required=True)
        if match:
            out.update(_province_fields(match, "address.provinceCode", "address.formerProvince"))
    for key, path in (("commune", "address.commune"), ("street", "address.street")):
        if key in data:
            out[path] = check.text(key, data[key], required=False, max_len=MAX_NAME)
    if "contactPerson" in data:
        out["contact.person"] = check.text("contactPerson", data["contactPerson"], required=False, max_len=MAX_SHORT)
    if "phone" in data:
        out["contact.phone"] = check.phone("phone", data["phone"])
    if "email" in data:
        out["contact.email"] = check.email("email", data["email"])
    if "verified" in data:
        out["verified"] = bool(data["verified"])
    check.raise_if_any()
    if isinstance(out.get("type"), ProducerType):
        out["type"] = out["type"].value
    return out


def _split_update(fields: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Validation has already refused None for required fields, so None here means "clear it"."""
    return {k: v for k, v in fields.items() if v is not None}, [k for k, v in fields.items() if v is None]


def nest_fields(flat: dict[str, Any]) -> dict[str, Any]:
    """{"address.commune": x} -> {"address": {"commune": x}}, dropping None values."""
    doc: dict[str, Any] = {}
    for path, value in flat.items():
        if value is None:
            continue
        if "." not in path:
            doc[path] = value
            continue
        node = doc
        *parents, leaf = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return doc


async def create_producer(store: Store, viewer: Viewer, data: Mapping[str, Any]) -> Producer:
    fields = clean_producer(data, partial=False)
    policy.ensure_can_create_producer(viewer, fields["address.provinceCode"])
    fields.setdefault("verified", False)
    return await store.producers.insert(nest_fields(fields))


async def update_producer(
    store: Store, viewer: Viewer, producer_id: str, expected_version: int, data: Mapping[str, Any]
) -> Producer:
    producer = await _producer(store, producer_id, "id")
    policy.ensure_can_manage_producer(viewer, producer)
    fields = clean_producer(data, partial=True)
    if "verified" in fields and fields["verified"] != producer.verified:
        policy.ensure_can_verify_producer(viewer, producer)
    if "address.provinceCode" in fields and fields["address.provinceCode"] != producer.address.province_code:
        # Moving a producer to another province is the certifying office's decision.
        policy.ensure_can_create_producer(viewer, fields["address.provinceCode"])
    set_fields, unset_fields = _split_update(fields)
    return await store.producers.update(producer.id, expected_version, set_fields, unset_fields)


async def _producer(store: Store, producer_id: str | ObjectId, field: str) -> Producer:
    oid = producer_id if isinstance(producer_id, ObjectId) else parse_object_id(producer_id, field, "producer")
    producer = await store.producers.get(oid)
    if producer is None:
        raise not_found(field, "producer")
    return producer


# --- products ----------------------------------------------------------------------------------------


def clean_product(
    data: Mapping[str, Any], *, partial: bool, variants: Iterable[Variant] = (), any_variant_id: bool = False
) -> dict[str, Any]:
    """`variants`: the product's variants now, whose ids a new list keeps (market/catalog/variants.py)."""
    check = Checker()
    out: dict[str, Any] = {}

    def wanted(key: str) -> bool:
        return not partial or key in data

    if wanted("name"):
        out["name"] = check.text("name", data.get("name"), required=True, max_len=MAX_NAME)
    if wanted("description"):
        out["description"] = (
            check.text("description", data.get("description"), required=False, max_len=MAX_DESCRIPTION) or ""
        )
    if wanted("group"):
        group = check.choice("group", data.get("group"), parse_group, required=True, label="OCOP product group")
        out["group"] = group.value if isinstance(group, ProductGroup) else None
    if wanted("category"):
        out["category"] = check.text("category", data.get("category"), required=True, max_len=MAX_SHORT)
    if wanted("stars"):
        out["stars"] = check.stars("stars", data.get("stars"), required=True)
    if wanted("priceVnd"):
        out["priceVnd"] = check.price("priceVnd", data.get("priceVnd"), required=True)
    if wanted("unit"):
        out["unit"] = check.text("unit", data.get("unit"), required=True, max_len=50)
    if wanted("moq"):
        out["moq"] = check.integer("moq", data.get("moq"), required=False, minimum=1, maximum=MAX_MOQ) or 1
    if "province" in data and data["province"] is not None:
        # An update's province replaces the product's, so a blank one is REQUIRED (`null` keeps it); a new
        # product without one is certified in its producer's province.
        match = check.province("province", data["province"], required=partial)
        if match:
            out.update(_province_fields(match, "provinceCode", "formerProvince"))
    if "certificateNo" in data:
        out["certificate.number"] = check.text(
            "certificateNo", data["certificateNo"], required=False, max_len=MAX_SHORT
        )
    if "certifiedAt" in data or "validUntil" in data:
        certified = check.day("certifiedAt", data.get("certifiedAt"), latest=latest_done_day())
        valid = check.day("validUntil", data.get("validUntil"))
        valid = check_certificate_dates(check, certified, valid)
        if "certifiedAt" in data:
            out["certificate.certifiedAt"] = midnight(certified) if certified else None
        if "validUntil" in data or certified is not None:
            out["certificate.validUntil"] = midnight(valid) if valid else None
    if "pendingFiveStar" in data:
        # Stored only when pending (absent otherwise), so a file's blank column changes nothing on re-import.
        out["certificate.pendingFiveStar"] = check.yes_no("pendingFiveStar", data["pendingFiveStar"]) or None
        if out["certificate.pendingFiveStar"] and out.get("stars") == 5:
            check.add("pending_five_star_rated", "pendingFiveStar")
    if "priceTiers" in data:
        tiers = check.price_tiers("priceTiers", data["priceTiers"])
        out["priceTiers"] = [{"minQuantity": t.min_quantity, "unitPriceVnd": t.unit_price_vnd} for t in tiers or []]
    if "certifications" in data:
        certs = check.certifications("certifications", data["certifications"])
        out["certifications"] = [c.value for c in certs or []]
    if "images" in data:
        out["images"] = check.urls("images", data["images"]) or []
    if "externalId" in data:
        out["externalId"] = check.text("externalId", data["externalId"], required=False, max_len=MAX_SHORT)
    if "translations" in data:
        # Replaces every translation; an empty list (or null) removes them.
        out["translations"] = check.translations("translations", data["translations"]) or None
    if "variants" in data:
        # Replaces every variant; an empty list (or null) removes them, and the product keeps the first one's
        # price and unit as its own.
        listed = VariantChecker(check, "variants", variants, any_id=any_variant_id).variants(data["variants"])
        out["variants"] = [v.to_doc() for v in listed] if listed else None
        if listed:
            out.update(headline(listed))
    check.raise_if_any()
    return out


async def create_product(store: Store, viewer: Viewer, data: Mapping[str, Any]) -> Product:
    producer_ref = data.get("producerId")
    if not producer_ref:
        raise DomainError.of("required", "producerId")
    fields = clean_product(data, partial=False)
    producer = await _producer(store, producer_ref, "producerId")
    policy.ensure_can_manage_products_of(viewer, producer)
    if "provinceCode" not in fields:
        fields["provinceCode"] = producer.address.province_code
        fields["formerProvince"] = producer.address.former_province
    fields["producerId"] = producer.id
    fields["status"] = ProductStatus.DRAFT.value
    return await store.products.insert(nest_fields(fields))


async def _owned_product(store: Store, viewer: Viewer, product_id: str) -> Product:
    oid = parse_object_id(product_id, "id", "product")
    found = await store.products.get_many_with_makers([oid])  # one round trip before the write's own
    product, producer = found[0] if found else (None, None)
    if product is None or not policy.can_see_product(viewer, product):
        raise not_found("id", "product")
    if producer is None:
        raise not_found("id", "producer")
    policy.ensure_can_manage_products_of(viewer, producer)
    return product


async def update_product(
    store: Store, viewer: Viewer, product_id: str, expected_version: int, data: Mapping[str, Any]
) -> Product:
    product = await _owned_product(store, viewer, product_id)
    if product.status is ProductStatus.ARCHIVED:
        raise DomainError.of("archived_product", "id")
    if product.variants and "variants" not in data:
        # The first variant's price and unit are the product's: they change with it.
        for key in PRICED_BY_VARIANTS:
            if key in data:
                raise DomainError.of("priced_by_variants", key)
    fields = clean_product(data, partial=True, variants=product.variants)
    stars = fields.get("stars", product.stars)
    if fields.get("certificate.pendingFiveStar") and stars == 5:
        raise DomainError.of("pending_five_star_rated", "pendingFiveStar")
    if stars == 5 and product.pending_five_star and "certificate.pendingFiveStar" not in fields:
        fields["certificate.pendingFiveStar"] = None  # the Ministry has decided
    set_fields, unset_fields = _split_update(fields)
    return await store.products.update(product.id, expected_version, set_fields, unset_fields)


async def publish_product(store: Store, viewer: Viewer, product_id: str, expected_version: int | None) -> Product:
    product = await _owned_product(store, viewer, product_id)
    if product.status is ProductStatus.PUBLISHED:
        raise DomainError.of("already_published", "id")
    policy.ensure_can_publish(viewer)

    async def write(session: AsyncClientSession) -> Product:
        published = await store.products.update(
            product.id,
            expected_version,
            {"status": ProductStatus.PUBLISHED.value, "publishedAt": utcnow()},
            session=session,
        )
        payload = {
            "product": global_id_of("Product", published.id),
            "producer": global_id_of("Producer", published.producer_id),
            "name": published.name,
            "stars": published.stars,
            "version": published.version,
        }
        await store.events.record(
            names.PRODUCT_PUBLISHED, payload, policy.publication_audience(published), session,
            subject={"Product": published.id},
        )  # fmt: skip
        return published

    return await in_transaction(store.client, write)


async def archive_product(store: Store, viewer: Viewer, product_id: str, expected_version: int | None) -> Product:
    product = await _owned_product(store, viewer, product_id)
    if product.status is ProductStatus.ARCHIVED:
        raise DomainError.of("already_archived", "id")
    return await store.products.update(product.id, expected_version, {"status": ProductStatus.ARCHIVED.value})


async def delete_product(store: Store, viewer: Viewer, product_id: str, expected_version: int) -> ObjectId:
    """Remove a product that never reached buyers, with nothing recorded against it. Once published, inquiries,
    deals and mirrors may name it: it is refused (INVALID_STATE), and archiving it is what takes it away."""
    product = await _owned_product(store, viewer, product_id)
    if product.published_at is not None:
        raise DomainError.of("published_product_kept", "id")
    if await store.lots.count(product.id) or await store.documents.of_products([product.id]):
        raise DomainError.of("product_has_records", "id")
    await store.products.delete(product.id, expected_version, unpublished_only=True)
    return product.id


# --- lists ---------------------------------------------------------------------------------------------


async def product_list(
    store: Store, viewer: Viewer, flt: ProductFilter, sort: ProductSort, request: PageRequest
) -> Listing[Product]:
    """Products the viewer may see (the public: published ones) that pass `flt`."""
    check = Checker()
    check.product_filter(min_stars=flt.min_stars)
    check.raise_if_any()
    visibility = policy.product_visibility_filter(viewer)
    page = await store.products.page(flt, visibility, sort, request)
    return Listing(page, lambda: store.products.count(flt, visibility))


async def producer_list(store: Store, flt: ProducerFilter, request: PageRequest) -> Listing[Producer]:
    """Producers are public."""
    return Listing(await store.producers.page(flt, request), lambda: store.producers.count(flt))
