"""Typed inputs of the catalog. Each converts to the mapping market.catalog validates, with only the
fields the client sent: in an update, an omitted field stays as it is and `null` clears it."""

from datetime import date
from typing import Any

import strawberry
from strawberry.types.unset import UNSET

from market.catalog.records import Certification, ProducerType, ProductGroup, ProductStatus
from market.catalog.repository import ProductSort
from schema.scalars import Vnd


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


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


@strawberry.input
class PriceTierInput:
    min_quantity: int
    unit_price_vnd: Vnd


@strawberry.input(description="A new producer. Province takes an old or current name or a code.")
class CreateProducerInput:
    name: str
    type: ProducerType
    province: str
    commune: str | None = UNSET
    street: str | None = UNSET
    contact_person: str | None = UNSET
    phone: str | None = UNSET
    email: str | None = UNSET
    verified: bool | None = UNSET


@strawberry.input(description="Only the fields sent change; `null` clears an optional field.")
class UpdateProducerInput:
    name: str | None = UNSET
    type: ProducerType | None = UNSET
    province: str | None = UNSET
    commune: str | None = UNSET
    street: str | None = UNSET
    contact_person: str | None = UNSET
    phone: str | None = UNSET
    email: str | None = UNSET
    verified: bool | None = UNSET


@strawberry.input(description="A new product, created as a DRAFT; `publishProduct` makes it public.")
class CreateProductInput:
    producer_id: strawberry.ID
    name: str
    group: ProductGroup
    category: str
    stars: int
    price_vnd: Vnd
    unit: str
    description: str | None = UNSET
    moq: int | None = UNSET
    province: str | None = strawberry.field(
        default=UNSET, description="Defaults to the producer's province. Old or current name, or code."
    )
    certificate_no: str | None = UNSET
    certified_at: date | None = UNSET
    valid_until: date | None = strawberry.field(default=UNSET, description="Defaults to certifiedAt + 36 months.")
    price_tiers: list[PriceTierInput] | None = UNSET
    certifications: list[Certification] | None = UNSET
    images: list[str] | None = UNSET
    external_id: str | None = UNSET


@strawberry.input(description="Only the fields sent change; `null` clears an optional field.")
class UpdateProductInput:
    name: str | None = UNSET
    group: ProductGroup | None = UNSET
    category: str | None = UNSET
    stars: int | None = UNSET
    price_vnd: Vnd | None = UNSET
    unit: str | None = UNSET
    description: str | None = UNSET
    moq: int | None = UNSET
    province: str | None = UNSET
    certificate_no: str | None = UNSET
    certified_at: date | None = UNSET
    valid_until: date | None = UNSET
    price_tiers: list[PriceTierInput] | None = UNSET
    certifications: list[Certification] | None = UNSET
    images: list[str] | None = UNSET
    external_id: str | None = UNSET


@strawberry.input
class ProductFilter:
    province: str | None = strawberry.field(
        default=None,
        description="A current province (code or name) matches its old provinces too; an old name matches only it.",
    )
    groups: list[ProductGroup] | None = None
    min_stars: int | None = None
    producer: strawberry.ID | None = strawberry.field(default=None, description="A Producer id.")
    status: list[ProductStatus] | None = strawberry.field(
        default=None, description="Non-published statuses only match products you may see."
    )


strawberry.enum(ProductSort, description="Order of a product list.")


@strawberry.input
class ProducerFilter:
    province: str | None = strawberry.field(
        default=None, description="A current province matches its old provinces too; an old name only itself."
    )
    types: list[ProducerType] | None = None
    verified: bool | None = None
    name_prefix: str | None = strawberry.field(default=None, description="Accent- and case-insensitive.")
