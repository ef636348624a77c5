"""GraphQL types of the catalog: provinces, producers, products."""

from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING

import strawberry
from strawberry import relay
from strawberry.types import Info

from market.accounts.records import BuyerKind
from market.accounts.records import BuyerOrg as BuyerOrgRecord
from market.catalog import policy
from market.catalog import records as catalog
from market.catalog.records import Certification, ProducerType, ProductGroup, ProductStatus
from market.core.provinces import Province as ProvinceRecord
from market.core.provinces import load_provinces
from schema.nodes import everyone, resolve_visible
from schema.scalars import Vnd

if TYPE_CHECKING:
    from schema.context import Context


# The domain enums are the GraphQL enums: one definition, registered with Strawberry here.
strawberry.enum(ProducerType, description="Legal form of an OCOP producer (chủ thể OCOP).")
strawberry.enum(ProductGroup, description="The six OCOP product groups of Decision 919/QĐ-TTg (2022).")
strawberry.enum(ProductStatus, description="Only PUBLISHED products are public.")
strawberry.enum(Certification, description="Quality and food-safety certifications.")
strawberry.enum(BuyerKind, description="What kind of buyer an organisation is.")


@strawberry.type(description="A current (since 2025-07-01) province or centrally-run city.")
class Province:
    code: str = strawberry.field(description="Stable official code, used in filters.")
    name: str
    kind: str = strawberry.field(description="`province` or `city`.")
    former_names: list[str] = strawberry.field(description="The pre-2025 provinces merged into this one.")

    @classmethod
    def from_record(cls, record: ProvinceRecord) -> "Province":
        return cls(code=record.code, name=record.name, kind=record.kind, former_names=list(record.former_names))


@strawberry.type(description="Where something is registered: its current province and the old name, if any.")
class ProvinceRef:
    code: str
    name: str
    former_name: str | None = strawberry.field(
        description="The pre-2025 province named on the certificate, when it differs from the current one."
    )

    @classmethod
    def from_code(cls, code: str, former_name: str | None) -> "ProvinceRef":
        province = load_provinces().get(code)
        return cls(code=code, name=province.name if province else code, former_name=former_name)


@strawberry.type
class Address:
    province: ProvinceRef
    commune: str | None = strawberry.field(description="Commune or ward (xã, phường).")
    street: str | None


@strawberry.type
class Contact:
    person: str | None
    phone: str | None
    email: str | None


@strawberry.type(description="A tier of volume pricing: from `minQuantity` units, each costs `unitPriceVnd`.")
class PriceTier:
    min_quantity: int
    unit_price_vnd: Vnd


@strawberry.type
class OcopCertificate:
    stars: int = strawberry.field(description="3 to 5. The province certifies 3–4★, the Ministry 5★.")
    number: str | None
    certified_at: date | None
    valid_until: date | None = strawberry.field(description="36 months after certification unless stated.")

    @strawberry.field(description="False once `validUntil` has passed.")
    def is_valid(self) -> bool:
        return self.valid_until is None or self.valid_until >= date.today()


# Scalar fields are plain attributes, filled from the record when the object is built: graphql-core reads
# them directly, several times faster than a resolver per field, which matters for a page of 100 products.
# Fields that compute or load something keep resolvers.


@strawberry.type(description="An OCOP producer (chủ thể OCOP): enterprise, cooperative, group or household.")
class Producer(relay.Node):
    id: relay.NodeID[str]
    name: str
    type: ProducerType
    verified: bool = strawberry.field(description="Verified by the provincial OCOP office.")
    created_at: datetime
    updated_at: datetime
    version: int = strawberry.field(description="Send it back as `expectedVersion` when updating.")
    record: strawberry.Private[catalog.Producer]

    @classmethod
    def from_record(cls, record: catalog.Producer) -> "Producer":
        return cls(
            id=str(record.id),
            name=record.name,
            type=record.type,
            verified=record.verified,
            created_at=record.created_at,
            updated_at=record.updated_at,
            version=record.version,
            record=record,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info["Context", None], node_ids: Iterable[str], required: bool = False
    ) -> list["Producer | None"]:
        return await resolve_visible(node_ids, info.context.loaders.producer.load_many, everyone, cls.from_record)

    @strawberry.field
    def address(self) -> Address:
        a = self.record.address
        return Address(
            province=ProvinceRef.from_code(a.province_code, a.former_province), commune=a.commune, street=a.street
        )

    @strawberry.field(description="Contact details; only for signed-in users.")
    def contact(self, info: Info["Context", None]) -> Contact | None:
        if not policy.can_see_contact(info.context.viewer, self.record):
            return None
        c = self.record.contact
        return Contact(person=c.person, phone=c.phone, email=c.email)


@strawberry.type(description="An OCOP-certified product.")
class Product(relay.Node):
    id: relay.NodeID[str]
    name: str
    description: str
    group: ProductGroup
    category: str = strawberry.field(description="Free-text category, e.g. `Nước mắm`, `Kẹo`.")
    stars: int = strawberry.field(description="OCOP rating, 3 to 5.")
    price_vnd: Vnd = strawberry.field(description="Unit price in VND, before volume tiers.")
    unit: str = strawberry.field(description="Selling unit, e.g. `chai 500ml`.")
    moq: int = strawberry.field(description="Minimum order quantity, in units.")
    certifications: list[Certification]
    images: list[str]
    status: ProductStatus
    external_id: str | None = strawberry.field(
        description="The producer's own reference, unique per producer; used by re-imports."
    )
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    version: int = strawberry.field(description="Send it back as `expectedVersion` when updating.")
    record: strawberry.Private[catalog.Product]

    @classmethod
    def from_record(cls, record: catalog.Product) -> "Product":
        return cls(
            id=str(record.id),
            name=record.name,
            description=record.description,
            group=record.group,
            category=record.category,
            stars=record.stars,
            price_vnd=Vnd(record.price_vnd),
            unit=record.unit,
            moq=record.moq,
            certifications=record.certifications,
            images=record.images,
            status=record.status,
            external_id=record.external_id,
            created_at=record.created_at,
            updated_at=record.updated_at,
            published_at=record.published_at,
            version=record.version,
            record=record,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info["Context", None], node_ids: Iterable[str], required: bool = False
    ) -> list["Product | None"]:
        viewer = info.context.viewer
        return await resolve_visible(
            node_ids,
            info.context.loaders.product.load_many,
            lambda p: policy.can_see_product(viewer, p),
            cls.from_record,
        )

    @strawberry.field
    def certificate(self) -> OcopCertificate:
        r = self.record
        return OcopCertificate(
            stars=r.stars, number=r.certificate_no, certified_at=r.certified_at, valid_until=r.valid_until
        )

    @strawberry.field
    async def producer(self, info: Info["Context", None]) -> Producer | None:
        record = await info.context.loaders.producer.load(self.record.producer_id)
        return Producer.from_record(record) if record else None

    @strawberry.field
    def province(self) -> ProvinceRef:
        return ProvinceRef.from_code(self.record.province_code, self.record.former_province)

    @strawberry.field
    def price_tiers(self) -> list[PriceTier]:
        return [
            PriceTier(min_quantity=t.min_quantity, unit_price_vnd=Vnd(t.unit_price_vnd))
            for t in self.record.price_tiers
        ]


@strawberry.type(description="A buying organisation: supermarket chain, airline, distributor, …")
class BuyerOrganisation(relay.Node):
    id: relay.NodeID[str]
    record: strawberry.Private[BuyerOrgRecord]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info["Context", None], node_ids: Iterable[str], required: bool = False
    ) -> list["BuyerOrganisation | None"]:
        return await resolve_visible(node_ids, info.context.loaders.buyer_org.load_many, everyone, cls.from_record)

    @classmethod
    def from_record(cls, record: BuyerOrgRecord) -> "BuyerOrganisation":
        return cls(id=str(record.id), record=record)

    @strawberry.field
    def name(self) -> str:
        return self.record.name

    @strawberry.field
    def kind(self) -> BuyerKind:
        return self.record.kind

    @strawberry.field
    def province(self) -> ProvinceRef | None:
        return ProvinceRef.from_code(self.record.province_code, None) if self.record.province_code else None
