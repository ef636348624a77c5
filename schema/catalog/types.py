"""GraphQL types of the catalog: provinces, producers, products."""

from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from bson import ObjectId
from strawberry import relay
from strawberry.types import Info

from market.accounts.records import BuyerKind
from market.accounts.records import BuyerOrg as BuyerOrgRecord
from market.catalog import policy
from market.catalog import records as catalog
from market.catalog.lots import lot_list
from market.catalog.records import (
    CertificateStatus,
    Certification,
    Measure,
    ProducerType,
    ProductGroup,
    ProductStatus,
)
from market.core.clock import today
from market.core.provinces import Province as ProvinceRecord
from market.core.provinces import load_provinces
from schema.accounts.members import Organisation
from schema.enums import describe_enum
from schema.labels import Locale
from schema.loaders import ready
from schema.nodes import everyone, resolve_visible
from schema.pagination import After, Before, CountedConnection, First, Last, page_request, to_connection
from schema.scalars import Vnd

if TYPE_CHECKING:
    from schema.catalog.documents import Document
    from schema.catalog.lots import Lot
    from schema.context import Context


# The domain enums are the GraphQL enums: one definition, registered with Strawberry here.
describe_enum(
    ProducerType,
    "Legal form of an OCOP producer (chủ thể OCOP).",
    {
        ProducerType.ENTERPRISE: "A company (doanh nghiệp, công ty).",
        ProducerType.COOPERATIVE: "A cooperative (hợp tác xã, HTX).",
        ProducerType.COOPERATIVE_GROUP: "A cooperative group (tổ hợp tác, THT), smaller than a cooperative.",
        ProducerType.HOUSEHOLD: "A household business or production unit (hộ kinh doanh, hộ sản xuất, cơ sở).",
    },
)
describe_enum(
    ProductGroup,
    "The six OCOP product groups of Decision 919/QĐ-TTg (2022).",
    {
        ProductGroup.FOOD: "Food (thực phẩm): fresh and processed produce, condiments, confectionery.",
        ProductGroup.BEVERAGE: "Beverages (đồ uống): tea, coffee, juices, wines and spirits.",
        ProductGroup.HERBAL: "Herbal products (thảo dược, dược liệu): medicinal herbs and what is made from them.",
        ProductGroup.HANDICRAFT: "Handicrafts, textiles and souvenirs (thủ công mỹ nghệ, vải và may mặc, lưu niệm).",
        ProductGroup.ORNAMENTAL: "Ornamental plants and animals (sinh vật cảnh, hoa cây cảnh).",
        ProductGroup.TOURISM_SERVICE: "Community and eco-tourism services and tourist sites (dịch vụ du lịch cộng "
        "đồng, du lịch sinh thái và điểm du lịch).",
    },
)
describe_enum(
    ProductStatus,
    "Where a product stands in the catalogue. Only PUBLISHED products are public and searchable.",
    {
        ProductStatus.DRAFT: "Created and not yet public: seen only by its producer, its province's OCOP office "
        "and admins. `publishProduct` makes it public.",
        ProductStatus.PUBLISHED: "Public: listed, searchable and open to inquiries.",
        ProductStatus.ARCHIVED: "Withdrawn from the catalogue and search; cannot be edited until published again.",
    },
)
describe_enum(
    CertificateStatus,
    "Where a product's OCOP certificate stands beyond its stars, on the day asked.",
    {
        CertificateStatus.VALID: "Within its validity (or its end date is unknown), with no higher rating pending.",
        CertificateStatus.PENDING_5_STAR: "Rated 4★ and proposed to the Ministry for 5★, not yet decided "
        "(tiềm năng 5 sao); still within its validity.",
        CertificateStatus.EXPIRED: "Its last day of validity has passed: the product stays listed, flagged.",
    },
)
describe_enum(
    Certification,
    "Quality and food-safety certifications a product holds.",
    {
        Certification.VIETGAP: "VietGAP, Vietnam's good agricultural practice standard.",
        Certification.GLOBALGAP: "GlobalG.A.P., the international good agricultural practice standard.",
        Certification.HACCP: "HACCP food-safety hazard analysis and control.",
        Certification.ISO22000: "ISO 22000 food-safety management.",
        Certification.ISO9001: "ISO 9001 quality management.",
        Certification.FSSC22000: "FSSC 22000 food-safety system certification.",
        Certification.ORGANIC: "Certified organic (hữu cơ).",
        Certification.HALAL: "Halal certified.",
        Certification.BRC: "BRCGS global standard for food safety.",
        Certification.FDA: "Registered with the US Food and Drug Administration.",
    },
)
describe_enum(
    Measure,
    "What a pack's net quantity is measured in.",
    {
        Measure.ML: "Millilitres (ml).",
        Measure.L: "Litres (l, lít).",
        Measure.G: "Grams (g, gam).",
        Measure.KG: "Kilograms (kg).",
    },
)
describe_enum(
    BuyerKind,
    "What kind of buyer an organisation is.",
    {
        BuyerKind.SUPERMARKET_CHAIN: "A supermarket or retail chain.",
        BuyerKind.DISTRIBUTOR: "A wholesaler, distributor or importer.",
        BuyerKind.ECOMMERCE: "An online marketplace or e-commerce seller.",
        BuyerKind.AIRLINE: "An airline or its catering.",
        BuyerKind.DUTY_FREE: "A duty-free shop.",
        BuyerKind.HOTEL_TOURISM: "A hotel, resort or tourism business.",
        BuyerKind.OTHER: "Any other buyer.",
    },
)


@strawberry.type(description="A current (since 2025-07-01) province or centrally-run city.")
class Province:
    code: str = strawberry.field(description="Stable official two-digit code, e.g. `86`, used in filters.")
    name: str = strawberry.field(description="Official name with accents, e.g. `Vĩnh Long`, `Thành phố Hồ Chí Minh`.")
    kind: str = strawberry.field(description="`province` or `city`.")
    former_names: list[str] = strawberry.field(
        description="The pre-2025 provinces it was formed from, its own old name included: `Cà Mau`, `Bạc Liêu` "
        "for Cà Mau; `Thừa Thiên Huế` for Huế; just `Cao Bằng` for Cao Bằng, which was not merged."
    )

    @classmethod
    def from_record(cls, record: ProvinceRecord) -> "Province":
        return cls(code=record.code, name=record.name, kind=record.kind, former_names=list(record.former_names))


@strawberry.type(description="Where something is registered: its current province and the old name, if any.")
class ProvinceRef:
    code: str = strawberry.field(description="The current province's code (see `provinces`).")
    name: str = strawberry.field(description="The current province's name.")
    former_name: str | None = strawberry.field(
        description="The pre-2025 province named on the certificate, when it differs from the current one."
    )

    @classmethod
    def from_code(cls, code: str, former_name: str | None) -> "ProvinceRef":
        province = load_provinces().get(code)
        return cls(code=code, name=province.name if province else code, former_name=former_name)


@strawberry.type(description="A producer's registered address.")
class Address:
    province: ProvinceRef = strawberry.field(description="The province, and the pre-2025 one it was registered in.")
    commune: str | None = strawberry.field(description="Commune or ward (xã, phường); null when not given.")
    street: str | None = strawberry.field(description="Street, hamlet or village; null when not given.")


@strawberry.type(description="How to reach a producer. Each part is null when the producer gave none.")
class Contact:
    person: str | None = strawberry.field(description="The person to ask for.")
    phone: str | None = strawberry.field(description="Phone number as the producer wrote it, e.g. `0275 3822 123`.")
    email: str | None = strawberry.field(description="Email address.")


@strawberry.type(description="A tier of volume pricing: from `minQuantity` units, each costs `unitPriceVnd`.")
class PriceTier:
    min_quantity: int = strawberry.field(description="The order quantity, in selling units, from which it applies.")
    unit_price_vnd: Vnd = strawberry.field(description="Price of one unit at this quantity, in đồng.")


@strawberry.type(description="The net content of one pack, e.g. 500 ml or 1.2 kg.")
class NetQuantity:
    value: float = strawberry.field(description="The amount, e.g. `500` or `1.2`.")
    measure: Measure = strawberry.field(description="What it is measured in.")


@strawberry.type(
    description="One pack size of a product (a variant): its packaging, net content, price and barcode. Inquiries "
    "and quotations name it by `id`."
)
class ProductVariant:
    id: strawberry.ID = strawberry.field(
        description="Stable while the producer edits the variant; `variantId` in inquiries and quotations."
    )
    packaging: str = strawberry.field(description="The packaging, e.g. `hộp quà`, `chai`, `can`.")
    unit: str = strawberry.field(description="The selling unit, e.g. `hộp quà 250g`.")
    net_quantity: NetQuantity | None = strawberry.field(description="The net content of one pack; null when none.")
    price_vnd: Vnd = strawberry.field(description="Price of one unit in đồng, before volume tiers.")
    price_tiers: list[PriceTier] = strawberry.field(description="Volume prices, by ascending `minQuantity`.")
    moq: int = strawberry.field(description="Minimum order quantity in units of this variant; 1 when none.")
    gtin: str | None = strawberry.field(
        description="Its barcode (GTIN-8, -12, -13 or -14, check digit verified); null when none."
    )

    @classmethod
    def from_record(cls, v: catalog.Variant) -> "ProductVariant":
        net = v.net_quantity
        return cls(
            id=strawberry.ID(v.id),
            packaging=v.packaging,
            unit=v.unit,
            net_quantity=NetQuantity(value=float(net.value), measure=net.measure) if net else None,
            price_vnd=Vnd(v.price_vnd),
            price_tiers=[
                PriceTier(min_quantity=t.min_quantity, unit_price_vnd=Vnd(t.unit_price_vnd)) for t in v.price_tiers
            ],
            moq=v.moq,
            gtin=v.gtin,
        )


@strawberry.type(description="A product's name and description in one other language.")
class ProductTranslation:
    locale: Locale = strawberry.field(description="The language.")
    name: str | None = strawberry.field(description="The name in that language; null when not given.")
    description: str | None = strawberry.field(
        description="The description in that language, plain text; null when not given."
    )


@strawberry.type(description="A product's OCOP certificate.")
class OcopCertificate:
    stars: int = strawberry.field(description="3 to 5. The province certifies 3–4★, the Ministry 5★.")
    number: str | None = strawberry.field(description="The certificate's number as issued; null when not given.")
    certified_at: date | None = strawberry.field(description="Day of certification; null when not given.")
    valid_until: date | None = strawberry.field(
        description="Last day of validity: 36 months after certification unless stated. Null when unknown."
    )

    pending_five_star: bool = strawberry.field(
        description="Proposed to the Ministry for 5★ and awaiting its decision (tiềm năng 5 sao)."
    )

    @strawberry.field(description="False once `validUntil` has passed.")
    def is_valid(self) -> bool:
        return self.valid_until is None or self.valid_until >= today()

    @strawberry.field(description="True once `validUntil` has passed (UTC day); the product stays listed.")
    def expired(self) -> bool:
        return not self.is_valid()

    @strawberry.field(description="VALID, PENDING_5_STAR or EXPIRED today; EXPIRED wins over a pending rating.")
    def status(self) -> CertificateStatus:
        return catalog.certificate_status(self.valid_until, self.pending_five_star, today())


# Scalar fields are plain attributes, filled from the record when the object is built: graphql-core reads
# them directly, several times faster than a resolver per field, which matters for a page of 100 products.
# Fields that compute or load something keep resolvers.


@strawberry.type(
    description="An OCOP producer (chủ thể OCOP): enterprise, cooperative, group or household. Public: anyone "
    "may read producers, except their contact details."
)
class Producer(Organisation):
    id: relay.NodeID[str]
    name: str = strawberry.field(description="Registered name, unique within its province, e.g. `HTX Dừa sáp Cầu Kè`.")
    type: ProducerType = strawberry.field(description="Legal form.")
    verified: bool = strawberry.field(
        description="Verified by the provincial OCOP office; only that office or an admin sets it."
    )
    created_at: datetime = strawberry.field(description="When it was registered.")
    updated_at: datetime = strawberry.field(description="When its profile last changed.")
    version: int = strawberry.field(
        description="Grows by one with each change. Send it back as `expectedVersion` when updating."
    )
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

    @strawberry.field(description="Registered address, with its current province.")
    def address(self) -> Address:
        a = self.record.address
        return Address(
            province=ProvinceRef.from_code(a.province_code, a.former_province), commune=a.commune, street=a.street
        )

    @strawberry.field(description="Contact details, for any request with an API key; null without one.")
    def contact(self, info: Info["Context", None]) -> Contact | None:
        if not policy.can_see_contact(info.context.viewer, self.record):
            return None
        c = self.record.contact
        return Contact(person=c.person, phone=c.phone, email=c.email)

    @strawberry.field(
        description="The producer's own papers (its products' are on each product), newest first: for its members, "
        "its province's OCOP office, admins and signed-in buyers; empty for anyone else."
    )
    async def documents(
        self, info: Info["Context", None]
    ) -> list[Annotated["Document", strawberry.lazy("schema.catalog.documents")]]:
        from schema.catalog.documents import Document, visible_documents

        records = await info.context.loaders.documents_by_producer.load(self.record.id)
        return [Document.from_record(d) for d in await visible_documents(info, records)]


def producer_node(record: catalog.Producer | None) -> Producer | None:
    return Producer.from_record(record) if record else None


def visible_product(info: Info["Context", None], product_id: ObjectId) -> "Product | None":
    """The product as `Product.resolve_nodes` gives it, at once when already loaded (schema.loaders.ready)."""
    viewer = info.context.viewer

    def visible(record: catalog.Product | None) -> Product | None:
        return Product.from_record(record) if record and policy.can_see_product(viewer, record) else None

    return ready(info.context.loaders.product, product_id, visible)


@strawberry.type(
    description="An OCOP-certified product. Anyone sees PUBLISHED products; drafts and archived ones only their "
    "producer's members, the OCOP office of their province and admins."
)
class Product(relay.Node):
    id: relay.NodeID[str]
    name: str = strawberry.field(description="Product name in Vietnamese, e.g. `Kẹo dừa sáp Cầu Kè`.")
    description: str = strawberry.field(description="Plain text, possibly several paragraphs; empty when none.")
    group: ProductGroup = strawberry.field(description="OCOP product group.")
    category: str = strawberry.field(description="Free-text category, e.g. `Nước mắm`, `Kẹo`.")
    stars: int = strawberry.field(description="OCOP rating, 3 to 5 (★).")
    price_vnd: Vnd = strawberry.field(description="Unit price in đồng, before volume tiers.")
    unit: str = strawberry.field(description="Selling unit, e.g. `chai 500ml`.")
    moq: int = strawberry.field(description="Minimum order quantity, in selling units; 1 when none.")
    certifications: list[Certification] = strawberry.field(description="Certifications held; empty when none.")
    images: list[str] = strawberry.field(
        description="Image URLs (http or https), in the producer's order; empty when none."
    )
    status: ProductStatus = strawberry.field(description="DRAFT, PUBLISHED or ARCHIVED.")
    external_id: str | None = strawberry.field(
        description="The producer's own reference, unique per producer; used by re-imports. Null when none."
    )
    created_at: datetime = strawberry.field(description="When it was created.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    published_at: datetime | None = strawberry.field(description="When it was last published; null until it first is.")
    version: int = strawberry.field(
        description="Grows by one with each change. Send it back as `expectedVersion` when updating, publishing "
        "or archiving."
    )
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

    @strawberry.field(description="The OCOP certificate: rating, number and validity.")
    def certificate(self) -> OcopCertificate:
        r = self.record
        return OcopCertificate(
            stars=r.stars,
            number=r.certificate_no,
            certified_at=r.certified_at,
            valid_until=r.valid_until,
            pending_five_star=r.pending_five_star,
        )

    @strawberry.field(description="Who makes it; null only if the producer record is gone.")
    def producer(self, info: Info["Context", None]) -> Producer | None:
        return ready(info.context.loaders.producer, self.record.producer_id, producer_node)

    @strawberry.field(description="Where it is certified: its current province, and the pre-2025 one if it differs.")
    def province(self) -> ProvinceRef:
        return ProvinceRef.from_code(self.record.province_code, self.record.former_province)

    @strawberry.field(
        description="Papers attached to the product, newest first: for its producer's members, its province's OCOP "
        "office, admins, and signed-in buyers while it is published; empty for anyone else."
    )
    async def documents(
        self, info: Info["Context", None]
    ) -> list[Annotated["Document", strawberry.lazy("schema.catalog.documents")]]:
        from schema.catalog.documents import Document, visible_documents

        records = await info.context.loaders.documents_by_product.load(self.record.id)
        return [Document.from_record(d) for d in await visible_documents(info, records)]

    @strawberry.field(
        description="Production lots, latest production first, with their trace codes: for its producer's members, "
        "admins and the OCOP office of the province the product is certified in (and, once it is published, of its "
        "producer's province); empty for anyone else."
    )
    async def lots(
        self,
        info: Info["Context", None],
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> CountedConnection[Annotated["Lot", strawberry.lazy("schema.catalog.lots")]]:
        from schema.catalog.lots import Lot

        producer = await info.context.loaders.producer.load(self.record.producer_id)
        listing = await lot_list(
            info.context.store, info.context.viewer, self.record, producer, page_request(first, after, last, before)
        )
        return to_connection(listing.page, Lot.from_record, listing.count)

    @strawberry.field(description="Volume prices, by ascending `minQuantity`; empty when the price is flat.")
    def price_tiers(self) -> list[PriceTier]:
        return [
            PriceTier(min_quantity=t.min_quantity, unit_price_vnd=Vnd(t.unit_price_vnd))
            for t in self.record.price_tiers
        ]

    @strawberry.field(
        description="Its pack sizes, in the producer's order; empty when it is sold in one (`priceVnd`, `unit`). "
        "With variants, `priceVnd`, `unit`, `moq` and `priceTiers` are the first variant's."
    )
    def variants(self) -> list[ProductVariant]:
        return [ProductVariant.from_record(v) for v in self.record.variants]

    @strawberry.field(
        description="The name and description in other languages than Vietnamese (English for now), as the "
        "producer wrote them; empty when none. Search finds products by these too."
    )
    def translations(self) -> list[ProductTranslation]:
        return [
            ProductTranslation(locale=Locale(locale), name=t.name, description=t.description)
            for locale, t in sorted(self.record.translations.items())
        ]


@strawberry.type(description="A buying organisation: supermarket chain, airline, distributor, … Public.")
class BuyerOrganisation(Organisation):
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

    @strawberry.field(description="The organisation's name, e.g. `Saigon Co.op`.")
    def name(self) -> str:
        return self.record.name

    @strawberry.field(description="What kind of buyer it is.")
    def kind(self) -> BuyerKind:
        return self.record.kind

    @strawberry.field(description="Where it is based; null when not recorded.")
    def province(self) -> ProvinceRef | None:
        return ProvinceRef.from_code(self.record.province_code, None) if self.record.province_code else None
