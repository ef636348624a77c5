"""Catalog records: producers and their products, and the OCOP vocabulary they are described in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from bson import ObjectId

from market.accounts.records import OrgStatus
from market.core.clock import as_day


class ProducerType(StrEnum):
    ENTERPRISE = "enterprise"
    COOPERATIVE = "cooperative"
    COOPERATIVE_GROUP = "cooperative_group"
    HOUSEHOLD = "household"


class ProductGroup(StrEnum):
    """The six OCOP product groups of Decision 919/QĐ-TTg (2022)."""

    FOOD = "food"
    BEVERAGE = "beverage"
    HERBAL = "herbal"
    HANDICRAFT = "handicraft"
    ORNAMENTAL = "ornamental"
    TOURISM_SERVICE = "tourism_service"


class ProductStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class Certification(StrEnum):
    VIETGAP = "VIETGAP"
    GLOBALGAP = "GLOBALGAP"
    HACCP = "HACCP"
    ISO22000 = "ISO22000"
    ISO9001 = "ISO9001"
    FSSC22000 = "FSSC22000"
    ORGANIC = "ORGANIC"
    HALAL = "HALAL"
    BRC = "BRC"
    FDA = "FDA"


CERTIFICATION_LABELS: dict[Certification, str] = {
    Certification.VIETGAP: "VietGAP",
    Certification.GLOBALGAP: "GlobalGAP",
    Certification.HACCP: "HACCP",
    Certification.ISO22000: "ISO 22000",
    Certification.ISO9001: "ISO 9001",
    Certification.FSSC22000: "FSSC 22000",
    Certification.ORGANIC: "Organic",
    Certification.HALAL: "Halal",
    Certification.BRC: "BRC",
    Certification.FDA: "FDA",
}

# An OCOP certificate is valid for 36 months.
CERTIFICATE_VALIDITY_MONTHS = 36


class CertificateStatus(StrEnum):
    """Where a product's OCOP certificate stands beyond its stars."""

    VALID = "valid"
    # Rated 4★ by the province and proposed to the Ministry for 5★, not yet decided ("tiềm năng 5 sao").
    PENDING_5_STAR = "pending_5_star"
    EXPIRED = "expired"  # its last day of validity has passed: flagged to buyers, not hidden


def certificate_status(valid_until: date | None, pending_five_star: bool, today: date) -> CertificateStatus:
    """An expired certificate is expired whatever else is pending; an unknown end date is not expired."""
    if valid_until is not None and valid_until < today:
        return CertificateStatus.EXPIRED
    return CertificateStatus.PENDING_5_STAR if pending_five_star else CertificateStatus.VALID


@dataclass(frozen=True, slots=True)
class PriceTier:
    min_quantity: int
    unit_price_vnd: int


class Measure(StrEnum):
    """What a pack's net quantity is measured in."""

    ML = "ml"
    L = "l"
    G = "g"
    KG = "kg"


# Each measure in the base unit pack sizes are compared in (search filters: "5000ml", "1200g").
MEASURE_BASE: dict[Measure, tuple[str, int]] = {
    Measure.ML: ("ml", 1),
    Measure.L: ("ml", 1000),
    Measure.G: ("g", 1),
    Measure.KG: ("g", 1000),
}


@dataclass(frozen=True, slots=True)
class NetQuantity:
    """The net content of one pack: 500 ml, 250 g, 1.2 kg."""

    value: Decimal
    measure: Measure

    def shown(self) -> str:
        """As a label prints it and an import reads it back: "500 ml", "1,2 kg"."""
        return self.written().replace(".", ",")

    def written(self) -> str:
        """With a decimal point, as JSON writes numbers: "1.2 kg". An error message takes it so, and prints it
        with the decimal mark of its own language."""
        return f"{format(self.value.normalize(), 'f')} {self.measure.value}"

    def pack_size(self) -> str | None:
        """In base units, one spelling per quantity ("5 l" -> "5000ml"); None below one base unit."""
        base, factor = MEASURE_BASE[self.measure]
        amount = self.value * factor
        if amount <= 0 or amount != amount.to_integral_value():
            return None
        return f"{int(amount)}{base}"

    def to_doc(self) -> dict[str, Any]:
        # Stored as a number, the way the API shows it; a Decimal is not a BSON type.
        number = int(self.value) if self.value == self.value.to_integral_value() else float(self.value)
        return {"value": number, "measure": self.measure.value}

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> NetQuantity:
        return cls(Decimal(str(doc["value"])), Measure(doc["measure"]))


@dataclass(frozen=True, slots=True)
class Variant:
    """One pack size of a product, with its own price, volume tiers, minimum order and barcode. `id` stays the
    same while the producer edits the variant, so inquiries, quotations and deals can name it."""

    id: str
    packaging: str  # "hộp quà", "chai", "can"
    unit: str  # the selling unit, "hộp quà 250g" by default
    price_vnd: int
    moq: int = 1
    net_quantity: NetQuantity | None = None
    price_tiers: tuple[PriceTier, ...] = ()
    gtin: str | None = None

    def to_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "id": self.id,
            "packaging": self.packaging,
            "unit": self.unit,
            "priceVnd": self.price_vnd,
            "moq": self.moq,
            "priceTiers": [{"minQuantity": t.min_quantity, "unitPriceVnd": t.unit_price_vnd} for t in self.price_tiers],
        }
        if self.net_quantity is not None:
            doc["netQuantity"] = self.net_quantity.to_doc()
        if self.gtin is not None:
            doc["gtin"] = self.gtin
        return doc

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Variant:
        net = doc.get("netQuantity")
        return cls(
            id=doc["id"],
            packaging=doc["packaging"],
            unit=doc["unit"],
            price_vnd=doc["priceVnd"],
            moq=doc.get("moq", 1),
            net_quantity=NetQuantity.from_doc(net) if net else None,
            price_tiers=tuple(PriceTier(t["minQuantity"], t["unitPriceVnd"]) for t in doc.get("priceTiers") or []),
            gtin=doc.get("gtin"),
        )


def variants_from_doc(value: Any) -> list[Variant]:
    return [Variant.from_doc(v) for v in value or []]


# Languages a product's name and description may be given in besides Vietnamese, its own language.
TRANSLATION_LOCALES = ("en",)


@dataclass(frozen=True, slots=True)
class Translation:
    """A product's name and description in another language, as a producer or an importer wrote them."""

    name: str | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Address:
    province_code: str
    former_province: str | None = None
    commune: str | None = None
    street: str | None = None


@dataclass(frozen=True, slots=True)
class Contact:
    person: str | None = None
    phone: str | None = None
    email: str | None = None


@dataclass(slots=True)
class Producer:
    id: ObjectId
    name: str
    type: ProducerType
    address: Address
    contact: Contact
    verified: bool
    created_at: datetime
    updated_at: datetime
    version: int
    # Registered through sign-up: PENDING until its provincial office verifies it.
    status: OrgStatus = OrgStatus.VERIFIED

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Producer:
        address = doc.get("address") or {}
        contact = doc.get("contact") or {}
        return cls(
            id=doc["_id"],
            name=doc["name"],
            type=ProducerType(doc["type"]),
            address=Address(
                province_code=address["provinceCode"],
                former_province=address.get("formerProvince"),
                commune=address.get("commune"),
                street=address.get("street"),
            ),
            contact=Contact(person=contact.get("person"), phone=contact.get("phone"), email=contact.get("email")),
            verified=bool(doc.get("verified", False)),
            created_at=doc["createdAt"],
            updated_at=doc["updatedAt"],
            version=doc["version"],
            status=OrgStatus(doc.get("status", OrgStatus.VERIFIED.value)),
        )


@dataclass(slots=True)
class Product:
    id: ObjectId
    producer_id: ObjectId
    name: str
    description: str
    group: ProductGroup
    category: str
    stars: int
    province_code: str
    former_province: str | None
    price_vnd: int
    unit: str
    moq: int
    status: ProductStatus
    created_at: datetime
    updated_at: datetime
    version: int
    price_tiers: list[PriceTier] = field(default_factory=list)
    certifications: list[Certification] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    certificate_no: str | None = None
    certified_at: date | None = None
    valid_until: date | None = None
    external_id: str | None = None
    published_at: datetime | None = None
    translations: dict[str, Translation] = field(default_factory=dict)
    pending_five_star: bool = False
    # Pack sizes; with any, `price_vnd`, `unit`, `moq` and `price_tiers` are the first one's.
    variants: list[Variant] = field(default_factory=list)

    def variant(self, variant_id: str) -> Variant | None:
        return next((v for v in self.variants if v.id == variant_id), None)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Product:
        cert = doc.get("certificate") or {}
        return cls(
            id=doc["_id"],
            producer_id=doc["producerId"],
            name=doc["name"],
            description=doc.get("description", ""),
            group=ProductGroup(doc["group"]),
            category=doc.get("category", ""),
            stars=doc["stars"],
            province_code=doc["provinceCode"],
            former_province=doc.get("formerProvince"),
            price_vnd=doc["priceVnd"],
            unit=doc["unit"],
            moq=doc.get("moq", 1),
            status=ProductStatus(doc["status"]),
            created_at=doc["createdAt"],
            updated_at=doc["updatedAt"],
            version=doc["version"],
            price_tiers=[PriceTier(t["minQuantity"], t["unitPriceVnd"]) for t in doc.get("priceTiers") or []],
            certifications=[Certification(c) for c in doc.get("certifications") or []],
            images=list(doc.get("images") or []),
            certificate_no=cert.get("number"),
            certified_at=as_day(cert.get("certifiedAt")),
            valid_until=as_day(cert.get("validUntil")),
            external_id=doc.get("externalId"),
            published_at=doc.get("publishedAt"),
            translations=translations_from_doc(doc.get("translations")),
            pending_five_star=bool(cert.get("pendingFiveStar", False)),
            variants=variants_from_doc(doc.get("variants")),
        )


def translations_from_doc(value: Any) -> dict[str, Translation]:
    """{"en": {"name": …, "description": …}} as stored, without empty entries."""
    out: dict[str, Translation] = {}
    for locale, item in (value or {}).items():
        if isinstance(item, dict) and (item.get("name") or item.get("description")):
            out[locale] = Translation(name=item.get("name") or None, description=item.get("description") or None)
    return out
