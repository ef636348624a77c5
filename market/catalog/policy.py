"""Who may see and change producers and products, their documents and lots. Every catalog authorisation decision
is made here."""

from __future__ import annotations

from dataclasses import dataclass, replace

from bson import ObjectId

from market.accounts.policy import Viewer, ensure_can_act, ensure_can_trade, org_verified
from market.accounts.records import Role
from market.catalog.records import Producer, Product, ProductStatus
from market.core.errors import forbidden
from market.events.records import Audience


def can_manage_producer(viewer: Viewer, producer: Producer) -> bool:
    """Edit a producer's profile: its own members, its provincial office, admins."""
    if viewer is None:
        return False
    return viewer.is_admin or viewer.is_member_of(producer.id) or viewer.coordinates(producer.address.province_code)


def ensure_can_create_producer(viewer: Viewer, province_code: str) -> None:
    if viewer is None or not (viewer.is_admin or viewer.coordinates(province_code)):
        raise forbidden("forbidden_register_producers")


def ensure_can_manage_producer(viewer: Viewer, producer: Producer) -> None:
    if not can_manage_producer(viewer, producer):
        raise forbidden("forbidden_change_producer")
    assert viewer is not None
    ensure_can_act(viewer, "change the producer")


def ensure_can_verify_producer(viewer: Viewer, producer: Producer) -> None:
    """Verification is the certifying office's word, so a producer cannot verify itself."""
    if viewer is None or not (viewer.is_admin or viewer.coordinates(producer.address.province_code)):
        raise forbidden("forbidden_verify_producer", "verified")


def ensure_can_manage_products_of(viewer: Viewer, producer: Producer) -> None:
    """Create, edit, publish and archive products: the producer's members, but its viewers, and admins."""
    if viewer is None or not (viewer.is_admin or viewer.is_member_of(producer.id)):
        raise forbidden("forbidden_manage_products")
    ensure_can_act(viewer, "change products")


def ensure_can_record_lots(viewer: Viewer, producer: Producer) -> None:
    """A lot opens a public trace page with the product's stars: that is publishing, and it waits for the
    producer's verification like publishing does."""
    ensure_can_manage_products_of(viewer, producer)
    assert viewer is not None
    ensure_can_trade(viewer, "record lots")


def trace_shows(product: Product) -> bool:
    """A trace page shows its product to whoever holds the code: not a draft, which only its producer, its
    office and admins see (a product back in draft hides its lots' pages until it is published again). An
    archived product's lots stay traceable: its goods may still be on the shelves."""
    return product.status is not ProductStatus.DRAFT


def ensure_can_publish(viewer: Viewer) -> None:
    """Publishing puts a product in front of buyers: it waits for the producer's verification."""
    if viewer is not None:
        ensure_can_trade(viewer, "publish products")


def can_see_contact(viewer: Viewer, producer: Producer) -> bool:
    """A producer's contact details are for signed-in users: buyers, other producers, offices, admins."""
    return viewer is not None


def oversees_product(viewer: Viewer, product: Product) -> bool:
    """Who sees a product in every state, and its lots and papers: its producer's members, the OCOP office of
    the province it is certified in (its own, which may not be its producer's) and admins."""
    if viewer is None:
        return False
    return viewer.is_admin or viewer.is_member_of(product.producer_id) or viewer.coordinates(product.province_code)


def can_see_product(viewer: Viewer, product: Product) -> bool:
    """The public sees published products; drafts and archived ones only those who oversee them."""
    return product.status is ProductStatus.PUBLISHED or oversees_product(viewer, product)


def product_visibility_filter(viewer: Viewer) -> dict[str, object]:
    """A MongoDB filter equal to `can_see_product` for list queries."""
    published: dict[str, object] = {"status": ProductStatus.PUBLISHED.value}
    if viewer is None:
        return published
    if viewer.is_admin:
        return {}
    if viewer.role is Role.PRODUCER and viewer.org_id is not None:
        return {"$or": [published, {"producerId": viewer.org_id}]}
    if viewer.role is Role.COORDINATOR and viewer.province_code:
        return {"$or": [published, {"provinceCode": viewer.province_code}]}
    return published


def product_change_filter(viewer: Viewer) -> dict[str, object]:
    """The product changes a viewer may see: those after which `can_see_product` lets it see the product, and
    those before which it did (the viewer's copy must go; the change is a tombstone). The same cases as
    `product_visibility_filter`, read on both sides of the change."""
    published = ProductStatus.PUBLISHED.value
    sides: list[dict[str, object]] = [{"status": published}, {"wasStatus": published}]
    if viewer is not None:
        if viewer.is_admin:
            return {}
        if viewer.role is Role.PRODUCER and viewer.org_id is not None:
            sides.append({"producerId": viewer.org_id})
        elif viewer.role is Role.COORDINATOR and viewer.province_code:
            sides += [{"provinceCode": viewer.province_code}, {"wasProvinceCode": viewer.province_code}]
    return {"$or": sides}


@dataclass(frozen=True, slots=True)
class DraftScope:
    """Which unpublished products a viewer may find in search, besides everything published."""

    everything: bool = False
    producer_id: ObjectId | None = None
    province_code: str | None = None


def draft_scope(viewer: Viewer) -> DraftScope | None:
    """The same rule as `can_see_product`, for search filters; None means published products only."""
    if viewer is None:
        return None
    if viewer.is_admin:
        return DraftScope(everything=True)
    if viewer.role is Role.PRODUCER and viewer.org_id is not None:
        return DraftScope(producer_id=viewer.org_id)
    if viewer.role is Role.COORDINATOR and viewer.province_code:
        return DraftScope(province_code=viewer.province_code)
    return None


# --- documents and lots --------------------------------------------------------------------------------


def can_see_document(viewer: Viewer, product_id: ObjectId | None, producer: Producer, product: Product | None) -> bool:
    """A producer's own papers: its members, its province's OCOP office, admins and signed-in buyers. A product's
    papers: only whoever may see the product (`can_see_product`), and of those whoever reads its lots
    (`reads_product_records`) and signed-in buyers, who check them before listing a published product. A paper
    whose product is gone stays with the producer's side. Other producers and the public see none."""
    if viewer is None:
        return False
    if product is not None:
        return can_see_product(viewer, product) and (
            reads_product_records(viewer, product, producer) or viewer.role is Role.BUYER
        )
    if viewer.is_admin or viewer.is_member_of(producer.id) or viewer.coordinates(producer.address.province_code):
        return True
    return product_id is None and viewer.role is Role.BUYER


def ensure_can_attach_documents(viewer: Viewer, producer: Producer) -> None:
    """Attach and remove documents: the producer's members, but its viewers, and admins. An unverified
    producer attaches them too: they are what its provincial office reviews."""
    if viewer is None or not (viewer.is_admin or viewer.is_member_of(producer.id)):
        raise forbidden("forbidden_documents")
    ensure_can_act(viewer, "attach documents")


def reads_product_records(viewer: Viewer, product: Product, producer: Producer) -> bool:
    """Who reads a product's lots and papers among those who may see the product: whoever oversees it
    (`oversees_product`) and the OCOP office of its producer's province, which oversees the producer. For a
    draft or an archived product `can_see_product` leaves only those who oversee it."""
    return oversees_product(viewer, product) or (
        viewer is not None and viewer.coordinates(producer.address.province_code)
    )


def can_see_lots(viewer: Viewer, product: Product, producer: Producer) -> bool:
    """A product's lots, with their trace codes: only whoever may see the product (`can_see_product`), and of
    those whoever reads its records (`reads_product_records`). The public reads one lot's trace page through
    its code, never the list."""
    return can_see_product(viewer, product) and reads_product_records(viewer, product, producer)


# --- files in and out ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportScope:
    """Which rows of a product file a viewer may import, and which products it may export: everything (admins,
    and the `ocop` command), one producer's (its members), or one province's (its OCOP office, which keeps
    the province's product list in spreadsheets and registers its producers). A row outside the scope is
    refused with the reason; the others are imported."""

    everything: bool = False
    producer_id: ObjectId | None = None
    province_code: str | None = None
    # False for an unverified producer: its rows come in as drafts, and a row asking to publish is refused.
    publishes: bool = True


EVERYTHING = ImportScope(everything=True)


def import_scope(viewer: Viewer) -> ImportScope:
    """Bulk import and export of products. FORBIDDEN for anyone else than the three above."""
    if viewer is not None:
        if viewer.is_admin:
            return EVERYTHING
        if viewer.role is Role.PRODUCER and viewer.org_id is not None:
            return ImportScope(producer_id=viewer.org_id)
        if viewer.role is Role.COORDINATOR and viewer.province_code:
            return ImportScope(province_code=viewer.province_code)
    raise forbidden("forbidden_import_products")


def import_rights(viewer: Viewer) -> ImportScope:
    """What a viewer's import may write: `import_scope`, for a role that acts (a viewer only exports), and
    publishing only once its organisation is verified."""
    scope = import_scope(viewer)
    if viewer is None or scope.producer_id is None:
        return scope
    ensure_can_act(viewer, "import products")
    return replace(scope, publishes=org_verified(viewer))


def export_filter(scope: ImportScope) -> dict[str, object]:
    """The MongoDB filter of the products a scope may export: drafts and archived ones included."""
    if scope.producer_id is not None:
        return {"producerId": scope.producer_id}
    if scope.province_code is not None:
        return {"provinceCode": scope.province_code}
    return {}


def publication_audience(product: Product) -> Audience:
    """A product published: its producer's members, and the OCOP office of its province, which oversees
    that province's catalogue."""
    return Audience.of(orgs=[product.producer_id], provinces=[product.province_code])


def certificate_audience(product: Product) -> Audience:
    """A certificate about to end: the producer's members, who must renew it, and the OCOP office of the
    product's province, which certifies and re-assesses."""
    return Audience.of(orgs=[product.producer_id], provinces=[product.province_code])
