"""Typed inputs of the catalog. Each converts to the mapping market.catalog validates, with only the
fields the client sent: in an update, an omitted field stays as it is and `null` clears it."""

from datetime import date, datetime
from typing import Any

import strawberry
from strawberry.types.unset import UNSET

from market.catalog.records import (
    CERTIFICATE_VALIDITY_MONTHS,
    CertificateStatus,
    Certification,
    Measure,
    ProducerType,
    ProductGroup,
    ProductStatus,
)
from market.catalog.repository import ProductSort
from market.catalog.validation import (
    EARLIEST_DAY,
    HORIZON_YEARS,
    MAX_CERTIFICATE_YEARS,
    MAX_DESCRIPTION,
    MAX_EMAIL,
    MAX_IMAGES,
    MAX_MOQ,
    MAX_NAME,
    MAX_PRICE_VND,
    MAX_SHORT,
    MAX_TIERS,
)
from market.catalog.variants import MAX_NET_VALUE, MAX_PACKAGING, MAX_UNIT, MAX_VARIANTS, NET_DECIMALS
from schema.enums import describe_enum
from schema.labels import Locale
from schema.scalars import Vnd

# Limits come from the validation they describe, so a changed limit changes its documentation too.
PRICE_RANGE = f"1 to {MAX_PRICE_VND:,} đồng"
QUANTITY_RANGE = f"1 to {MAX_MOQ:,}"
PROVINCE_TEXT = "a current or pre-2025 province name (accents and `tỉnh`/`TP` optional) or a code"
# One text per field for its create and update inputs, so the two cannot drift apart.
PRODUCER_NAME = f"Registered name, at most {MAX_NAME} characters; unique within its province (DUPLICATE otherwise)."
PRODUCER_TYPE = "Legal form."
PRODUCER_PROVINCE = (
    f"Where the producer is registered: {PROVINCE_TEXT}; UNKNOWN_PROVINCE otherwise. Only that province's OCOP "
    "office or an admin may register a producer there or move one there (FORBIDDEN otherwise)."
)
COMMUNE = f"Commune or ward (xã, phường), at most {MAX_NAME} characters."
STREET = f"Street, hamlet or village, at most {MAX_NAME} characters."
CONTACT_PERSON = f"The person buyers should ask for, at most {MAX_SHORT} characters."
PHONE = (
    "Phone number: 6 to 20 digits, spaces, dots, dashes or brackets after an optional `+`, with at least 6 "
    "digits, e.g. `0275 3822 123`."
)
EMAIL = f"Email address, at most {MAX_EMAIL} characters."
VERIFIED = (
    "Whether the provincial OCOP office has verified the producer. Only that office or an admin may change it "
    "(FORBIDDEN otherwise)."
)
PRODUCT_NAME = f"Product name, at most {MAX_NAME} characters."
PRODUCT_GROUP = "OCOP product group."
CATEGORY = f"Free-text category, e.g. `Nước mắm`, `Kẹo`; at most {MAX_SHORT} characters."
STARS = "OCOP rating, 3 to 5."
PRICE = f"Unit price before volume tiers, {PRICE_RANGE}."
UNIT = "Selling unit, e.g. `chai 500ml`, `hộp 250g`; at most 50 characters."
DESCRIPTION = f"Plain text, at most {MAX_DESCRIPTION:,} characters."
MOQ = f"Minimum order quantity in selling units, {QUANTITY_RANGE}."
PENDING_FIVE_STAR = (
    "Proposed to the Ministry for 5★ and awaiting its decision (tiềm năng 5 sao). Not for a 5★ product "
    "(INVALID); rating it 5★ clears it."
)
CERTIFICATE_NO = f"The OCOP certificate's number, at most {MAX_SHORT} characters."
CERTIFIED_AT = f"Day of OCOP certification, from {EARLIEST_DAY} to today."
VALID_UNTIL = (
    f"Last day of the certificate's validity: after `certifiedAt`, at most {MAX_CERTIFICATE_YEARS} years after it "
    f"and at most {HORIZON_YEARS} years from today."
)
PRICE_TIERS = (
    f"Volume prices, at most {MAX_TIERS}, in any order; no two with the same `minQuantity` (INVALID otherwise)."
)
CERTIFICATIONS = "Certifications held; a repeated one counts once."
IMAGES = f"Image URLs, http or https, at most {MAX_IMAGES}."
TRANSLATIONS = (
    "The name and description in other languages, one entry per language (INVALID when one is repeated); "
    "replaces every translation, and an entry with neither text removes that language."
)
VARIANTS = (
    f"Its pack sizes, at most {MAX_VARIANTS}, in the order buyers see them. With any, the product's `priceVnd`, "
    "`unit`, `moq` and `priceTiers` are the first variant's (values sent for them are replaced)."
)
EXTERNAL_ID = (
    f"Your own reference, at most {MAX_SHORT} characters, unique per producer (DUPLICATE otherwise); bulk "
    "re-imports match products on it."
)


def sent_fields(obj: object, renames: dict[str, str] | None = None) -> dict[str, Any]:
    """The fields the client actually sent, keyed by their GraphQL names."""
    out: dict[str, Any] = {}
    for name, value in vars(obj).items():
        if value is UNSET:
            continue
        key = (renames or {}).get(name) or _camel(name)
        if isinstance(value, list):
            value = [vars(v) if hasattr(v, "__dataclass_fields__") else v for v in value]
            value = [{_camel(k): x for k, x in v.items()} if isinstance(v, dict) else v for v in value]
        out[key] = value
    return out


def product_fields(obj: object) -> dict[str, Any]:
    """`sent_fields` of a product input, its variants (with their net quantities and tiers) as mappings."""
    data = sent_fields(obj)
    if isinstance(data.get("variants"), list):
        data["variants"] = [_variant(v) for v in data["variants"]]
    return data


def _variant(entry: dict[str, Any]) -> dict[str, Any]:
    out = dict(entry)
    if out.get("netQuantity") is not None:
        out["netQuantity"] = sent_fields(out["netQuantity"])
    if out.get("priceTiers") is not None:
        out["priceTiers"] = [sent_fields(t) for t in out["priceTiers"]]
    return out


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


@strawberry.input(description="A product's name and description in one other language than Vietnamese.")
class ProductTranslationInput:
    locale: Locale = strawberry.field(description="The language: EN (VI is the product's own name; INVALID).")
    name: str | None = strawberry.field(default=None, description=f"The name in it, at most {MAX_NAME} characters.")
    description: str | None = strawberry.field(
        default=None, description=f"The description in it, plain text, at most {MAX_DESCRIPTION:,} characters."
    )


@strawberry.input(description="A tier of volume pricing: from `minQuantity` units on, each costs `unitPriceVnd`.")
class PriceTierInput:
    min_quantity: int = strawberry.field(description=f"The order quantity it applies from, {QUANTITY_RANGE} units.")
    unit_price_vnd: Vnd = strawberry.field(description=f"Price of one unit from that quantity on, {PRICE_RANGE}.")


@strawberry.input(description="The net content of one pack, e.g. `{value: 500, measure: ML}`.")
class NetQuantityInput:
    value: float = strawberry.field(
        description=f"The amount, above 0 and at most {MAX_NET_VALUE:,}, with at most {NET_DECIMALS} decimals."
    )
    measure: Measure = strawberry.field(description="What it is measured in.")


@strawberry.input(
    description="One pack size of a product. Errors name it as `variants[i].field`, e.g. `variants[1].gtin`."
)
class ProductVariantInput:
    id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The id of the product's variant this entry keeps (NOT_FOUND when the product has none such). "
        "Without it, the entry keeps the id of the variant of the same packaging and net quantity, or gets a new "
        "one.",
    )
    packaging: str = strawberry.field(
        description=f"The packaging, e.g. `hộp quà`, `chai`, `can`; at most {MAX_PACKAGING} characters. No two "
        "variants may have the same packaging and net quantity (DUPLICATE)."
    )
    net_quantity: NetQuantityInput | None = strawberry.field(default=None, description="The net content of one pack.")
    unit: str | None = strawberry.field(
        default=None,
        description=f"The selling unit, at most {MAX_UNIT} characters; the packaging and net quantity when omitted "
        "(`hộp quà 250g`).",
    )
    price_vnd: Vnd = strawberry.field(description=f"Price of one unit, {PRICE_RANGE}.")
    price_tiers: list[PriceTierInput] | None = strawberry.field(default=None, description=PRICE_TIERS)
    moq: int | None = strawberry.field(default=None, description=f"{MOQ} 1 when omitted.")
    gtin: str | None = strawberry.field(
        default=None,
        description="Its barcode: a GTIN of 8, 12, 13 or 14 digits (spaces and dashes ignored) whose check digit "
        "is right (INVALID otherwise); no two variants with the same one (DUPLICATE).",
    )


@strawberry.input(
    description="A new producer. Every problem comes back at once in `errors`, each naming its field: REQUIRED, "
    "TOO_LONG, INVALID, UNKNOWN_PROVINCE."
)
class CreateProducerInput:
    name: str = strawberry.field(description=PRODUCER_NAME)
    type: ProducerType = strawberry.field(description=PRODUCER_TYPE)
    province: str = strawberry.field(description=PRODUCER_PROVINCE)
    commune: str | None = strawberry.field(default=UNSET, description=COMMUNE)
    street: str | None = strawberry.field(default=UNSET, description=STREET)
    contact_person: str | None = strawberry.field(default=UNSET, description=CONTACT_PERSON)
    phone: str | None = strawberry.field(default=UNSET, description=PHONE)
    email: str | None = strawberry.field(default=UNSET, description=EMAIL)
    verified: bool | None = strawberry.field(default=UNSET, description=f"{VERIFIED} False when omitted.")


@strawberry.input(
    description="Only the fields sent change; `null` clears an optional field. `name`, `type` and `province` "
    "cannot be cleared (REQUIRED)."
)
class UpdateProducerInput:
    name: str | None = strawberry.field(default=UNSET, description=PRODUCER_NAME)
    type: ProducerType | None = strawberry.field(default=UNSET, description=PRODUCER_TYPE)
    province: str | None = strawberry.field(default=UNSET, description=PRODUCER_PROVINCE)
    commune: str | None = strawberry.field(default=UNSET, description=COMMUNE)
    street: str | None = strawberry.field(default=UNSET, description=STREET)
    contact_person: str | None = strawberry.field(default=UNSET, description=CONTACT_PERSON)
    phone: str | None = strawberry.field(default=UNSET, description=PHONE)
    email: str | None = strawberry.field(default=UNSET, description=EMAIL)
    verified: bool | None = strawberry.field(default=UNSET, description=VERIFIED)


@strawberry.input(
    description="A new product, created as a DRAFT; `publishProduct` makes it public. Every problem comes back "
    "at once in `errors`, each naming its field."
)
class CreateProductInput:
    producer_id: strawberry.ID = strawberry.field(
        description="The Producer id the product belongs to; you must be one of its members, or an admin."
    )
    name: str = strawberry.field(description=PRODUCT_NAME)
    group: ProductGroup = strawberry.field(description=PRODUCT_GROUP)
    category: str = strawberry.field(description=CATEGORY)
    stars: int = strawberry.field(description=STARS)
    price_vnd: Vnd = strawberry.field(description=PRICE)
    unit: str = strawberry.field(description=UNIT)
    description: str | None = strawberry.field(default=UNSET, description=f"{DESCRIPTION} Empty when omitted.")
    moq: int | None = strawberry.field(default=UNSET, description=f"{MOQ} 1 when omitted.")
    province: str | None = strawberry.field(
        default=UNSET,
        description=f"Where the product is certified, {PROVINCE_TEXT}. Defaults to the producer's province.",
    )
    certificate_no: str | None = strawberry.field(default=UNSET, description=CERTIFICATE_NO)
    certified_at: date | None = strawberry.field(default=UNSET, description=CERTIFIED_AT)
    valid_until: date | None = strawberry.field(
        default=UNSET,
        description=f"{VALID_UNTIL} Defaults to `certifiedAt` + {CERTIFICATE_VALIDITY_MONTHS} months.",
    )
    price_tiers: list[PriceTierInput] | None = strawberry.field(default=UNSET, description=PRICE_TIERS)
    certifications: list[Certification] | None = strawberry.field(default=UNSET, description=CERTIFICATIONS)
    images: list[str] | None = strawberry.field(default=UNSET, description=IMAGES)
    external_id: str | None = strawberry.field(default=UNSET, description=EXTERNAL_ID)
    translations: list[ProductTranslationInput] | None = strawberry.field(default=UNSET, description=TRANSLATIONS)
    pending_five_star: bool | None = strawberry.field(default=UNSET, description=PENDING_FIVE_STAR)
    variants: list[ProductVariantInput] | None = strawberry.field(default=UNSET, description=VARIANTS)


@strawberry.input(
    description="Only the fields sent change; `null` clears an optional field. `name`, `group`, `category`, "
    "`stars`, `priceVnd` and `unit` cannot be cleared (REQUIRED). An ARCHIVED product cannot be edited."
)
class UpdateProductInput:
    name: str | None = strawberry.field(default=UNSET, description=PRODUCT_NAME)
    group: ProductGroup | None = strawberry.field(default=UNSET, description=PRODUCT_GROUP)
    category: str | None = strawberry.field(default=UNSET, description=CATEGORY)
    stars: int | None = strawberry.field(default=UNSET, description=STARS)
    price_vnd: Vnd | None = strawberry.field(default=UNSET, description=PRICE)
    unit: str | None = strawberry.field(default=UNSET, description=UNIT)
    description: str | None = strawberry.field(default=UNSET, description=DESCRIPTION)
    moq: int | None = strawberry.field(default=UNSET, description=f"{MOQ} `null` sets it back to 1.")
    province: str | None = strawberry.field(
        default=UNSET,
        description=f"Where the product is certified, {PROVINCE_TEXT}; `null` keeps it, a blank one is REQUIRED.",
    )
    certificate_no: str | None = strawberry.field(default=UNSET, description=CERTIFICATE_NO)
    certified_at: date | None = strawberry.field(
        default=UNSET,
        description=f"{CERTIFIED_AT} Without `validUntil`, validity is recomputed as "
        f"{CERTIFICATE_VALIDITY_MONTHS} months from it.",
    )
    valid_until: date | None = strawberry.field(default=UNSET, description=VALID_UNTIL)
    price_tiers: list[PriceTierInput] | None = strawberry.field(
        default=UNSET, description=f"{PRICE_TIERS} Replaces all tiers; `null` or `[]` removes them."
    )
    certifications: list[Certification] | None = strawberry.field(
        default=UNSET, description=f"{CERTIFICATIONS} Replaces the whole list."
    )
    images: list[str] | None = strawberry.field(default=UNSET, description=f"{IMAGES} Replaces the whole list.")
    external_id: str | None = strawberry.field(default=UNSET, description=EXTERNAL_ID)
    translations: list[ProductTranslationInput] | None = strawberry.field(default=UNSET, description=TRANSLATIONS)
    pending_five_star: bool | None = strawberry.field(
        default=UNSET, description=f"{PENDING_FIVE_STAR} `null` clears it."
    )
    variants: list[ProductVariantInput] | None = strawberry.field(
        default=UNSET,
        description=f"{VARIANTS} Replaces the whole list; `null` or `[]` removes them. While a product has "
        "variants, `priceVnd`, `unit`, `moq` and `priceTiers` change only with them (INVALID otherwise).",
    )


@strawberry.input(
    description="Narrows `products`; every given condition must hold. A province this API does not know is a "
    "top-level UNKNOWN_PROVINCE error."
)
class ProductFilter:
    province: str | None = strawberry.field(
        default=None,
        description="A current province (code or name) matches its old provinces too; an old name matches only it.",
    )
    groups: list[ProductGroup] | None = strawberry.field(default=None, description="Any of these groups.")
    min_stars: int | None = strawberry.field(default=None, description="Rated at least this many stars (3 to 5).")
    producer: strawberry.ID | None = strawberry.field(default=None, description="A Producer id: its products only.")
    status: list[ProductStatus] | None = strawberry.field(
        default=None,
        description="Any of these statuses; when omitted, every product you may see. DRAFT and ARCHIVED only "
        "match products you may see: your producer's, your province's as its OCOP office, or all as an admin.",
    )
    certificate_status: list[CertificateStatus] | None = strawberry.field(
        default=None, description="Certificates in any of these states today (EXPIRED: past `validUntil`)."
    )
    updated_since: datetime | None = strawberry.field(
        default=None,
        description="Changed at or after this instant (ISO 8601 with an offset): a simple pull of what changed. "
        "It cannot tell what was withdrawn or deleted, and concurrent writers' clocks may disagree by "
        "milliseconds: to mirror the catalogue exactly, follow `productChanges`.",
    )


describe_enum(
    ProductSort,
    "Order of a product list.",
    {
        ProductSort.NEWEST: "Most recently created first.",
        ProductSort.NAME: "By name, A to Z, ignoring accents and case.",
        ProductSort.PRICE_ASC: "Cheapest unit price first.",
        ProductSort.PRICE_DESC: "Dearest unit price first.",
        ProductSort.STARS_DESC: "Highest OCOP rating first; newest first within a rating.",
    },
)


@strawberry.input(description="Narrows `producers`; every given condition must hold.")
class ProducerFilter:
    province: str | None = strawberry.field(
        default=None,
        description="A current province matches its old provinces too; an old name only itself. Code or name; "
        "an unknown one is a top-level UNKNOWN_PROVINCE error.",
    )
    types: list[ProducerType] | None = strawberry.field(default=None, description="Any of these legal forms.")
    verified: bool | None = strawberry.field(
        default=None, description="`true`: verified producers only; `false`: unverified ones only."
    )
    name_prefix: str | None = strawberry.field(
        default=None, description="Names starting with this text, accent- and case-insensitive."
    )
