"""Who may do what. Every authorisation decision in the product is made here, never in a resolver."""

from __future__ import annotations

from dataclasses import dataclass

from bson import ObjectId

from market.deals import Party
from market.errors import forbidden
from market.models import Producer, Product, ProductStatus, Role


@dataclass(frozen=True, slots=True)
class Principal:
    account_id: ObjectId
    name: str
    role: Role
    org_id: ObjectId | None = None
    province_code: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def is_member_of(self, org_id: ObjectId) -> bool:
        return self.role in (Role.PRODUCER, Role.BUYER) and self.org_id == org_id

    def coordinates(self, province_code: str) -> bool:
        return self.role is Role.COORDINATOR and self.province_code == province_code


Viewer = Principal | None


# --- catalog ---------------------------------------------------------------------------------------


def can_manage_producer(viewer: Viewer, producer: Producer) -> bool:
    """Edit a producer's profile: its own members, its provincial office, admins."""
    if viewer is None:
        return False
    return viewer.is_admin or viewer.is_member_of(producer.id) or viewer.coordinates(producer.address.province_code)


def ensure_can_create_producer(viewer: Viewer, province_code: str) -> None:
    if viewer is None or not (viewer.is_admin or viewer.coordinates(province_code)):
        raise forbidden("only an admin or the provincial OCOP office of this province may register producers")


def ensure_can_manage_producer(viewer: Viewer, producer: Producer) -> None:
    if not can_manage_producer(viewer, producer):
        raise forbidden("you may not change this producer")


def ensure_can_verify_producer(viewer: Viewer, producer: Producer) -> None:
    """Verification is the certifying office's word, so a producer cannot verify itself."""
    if viewer is None or not (viewer.is_admin or viewer.coordinates(producer.address.province_code)):
        raise forbidden("only an admin or the provincial OCOP office may change verification", "verified")


def ensure_can_manage_products_of(viewer: Viewer, producer: Producer) -> None:
    """Create, edit, publish and archive products: the producer's members and admins."""
    if viewer is None or not (viewer.is_admin or viewer.is_member_of(producer.id)):
        raise forbidden("only members of this producer or an admin may manage its products")


def can_see_product(viewer: Viewer, product: Product, producer_province: str | None = None) -> bool:
    """The public sees published products; drafts and archived ones only their owners and overseers."""
    if product.status is ProductStatus.PUBLISHED:
        return True
    if viewer is None:
        return False
    return (
        viewer.is_admin
        or viewer.is_member_of(product.producer_id)
        or viewer.coordinates(product.province_code)
        or (producer_province is not None and viewer.coordinates(producer_province))
    )


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


# --- trade ---------------------------------------------------------------------------------------------


def ensure_can_read_stats(viewer: Viewer, province_code: str | None) -> None:
    """Province statistics: admins for any scope, a provincial office for its own province."""
    if viewer is not None and viewer.is_admin:
        return
    if viewer is not None and province_code is not None and viewer.coordinates(province_code):
        return
    raise forbidden("only an admin, or the OCOP office of this province, may read these statistics", "province")


def inquiry_party(viewer: Viewer, buyer_org_id: ObjectId, producer_ids: list[ObjectId]) -> Party | None:
    """The side a viewer takes in an inquiry: its buyer organisation, or an invited producer."""
    if viewer is None:
        return None
    if viewer.role is Role.BUYER and viewer.org_id == buyer_org_id:
        return Party.BUYER
    if viewer.role is Role.PRODUCER and viewer.org_id in producer_ids:
        return Party.PRODUCER
    return None


def can_see_trade(viewer: Viewer, buyer_org_id: ObjectId, producer_ids: list[ObjectId], provinces: list[str]) -> bool:
    """Inquiries, quotations and deals: their buyer, the producers concerned, the offices of those producers'
    provinces (read-only), and admins."""
    if viewer is None:
        return False
    if viewer.is_admin or inquiry_party(viewer, buyer_org_id, producer_ids) is not None:
        return True
    return viewer.role is Role.COORDINATOR and viewer.province_code in provinces


def trade_visibility_filter(
    viewer: Viewer, *, buyer_field: str, producer_field: str, province_field: str
) -> dict[str, object] | None:
    """A MongoDB filter equal to `can_see_trade` for lists; None means nothing is visible."""
    if viewer is None:
        return None
    if viewer.is_admin:
        return {}
    if viewer.role is Role.BUYER and viewer.org_id is not None:
        return {buyer_field: viewer.org_id}
    if viewer.role is Role.PRODUCER and viewer.org_id is not None:
        return {producer_field: viewer.org_id}
    if viewer.role is Role.COORDINATOR and viewer.province_code:
        return {province_field: viewer.province_code}
    return None


def ensure_buyer(viewer: Viewer, action: str) -> Principal:
    if viewer is None or viewer.role is not Role.BUYER or viewer.org_id is None:
        raise forbidden(f"only members of a buyer organisation may {action}")
    return viewer


def ensure_party(viewer: Viewer, party: Party | None, wanted: Party, action: str) -> None:
    if party is not wanted:
        raise forbidden(f"only the {wanted.value.lower()} of this inquiry may {action}")


def deal_party(viewer: Viewer, buyer_org_id: ObjectId, producer_id: ObjectId) -> Party | None:
    return inquiry_party(viewer, buyer_org_id, [producer_id])


def can_see_thread(viewer: Viewer, buyer_org_id: ObjectId, producer_id: ObjectId) -> bool:
    """The negotiation thread of one inquiry with one producer: its buyer, that producer, and admins.
    Provincial offices oversee quotations and deals, not the conversation."""
    if viewer is None:
        return False
    return viewer.is_admin or deal_party(viewer, buyer_org_id, producer_id) is not None


def ensure_can_organise_event(viewer: Viewer, province_code: str) -> None:
    if viewer is None or not (viewer.is_admin or viewer.coordinates(province_code)):
        raise forbidden("only an admin or the provincial OCOP office may organise trade events here")


def can_see_event_report(viewer: Viewer, province_code: str) -> bool:
    return viewer is not None and (viewer.is_admin or viewer.coordinates(province_code))
