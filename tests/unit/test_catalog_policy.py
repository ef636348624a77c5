"""The catalog visibility and management rules (market/catalog/policy.py) as tables: role × object → expected.

The scene: MAKER, a producer of Vĩnh Long (86), has one published, one draft and one archived product. No
database: the list filter and the search scope are checked against `can_see_product` row by row.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from bson import ObjectId

from market.accounts.policy import Viewer
from market.accounts.records import Role
from market.catalog import policy
from market.catalog.policy import DraftScope
from market.catalog.records import Address, Contact, Producer, ProducerType, Product, ProductGroup, ProductStatus
from market.core.errors import DomainError, ErrorCode
from tests.unit.principals import principal

NOW = datetime.now(UTC)

MAKER = ObjectId()
OTHER_PRODUCER = ObjectId()
BUYER_ORG = ObjectId()
PROVINCE, OTHER_PROVINCE = "86", "01"


VIEWERS: dict[str, Viewer] = {
    "anonymous": None,
    "buyer": principal(Role.BUYER, BUYER_ORG),
    "member": principal(Role.PRODUCER, MAKER),
    "other_producer": principal(Role.PRODUCER, OTHER_PRODUCER),
    "office": principal(Role.COORDINATOR, province_code=PROVINCE),
    "other_office": principal(Role.COORDINATOR, province_code=OTHER_PROVINCE),
    "admin": principal(Role.ADMIN),
}
ORPHANS: dict[str, Viewer] = {
    "producer_without_org": principal(Role.PRODUCER),
    "coordinator_without_province": principal(Role.COORDINATOR),
}
ALL_VIEWERS: dict[str, Viewer] = {**VIEWERS, **ORPHANS}

PRODUCER = Producer(
    id=MAKER,
    name="HTX Kẹo dừa Thanh Long",
    type=ProducerType.COOPERATIVE,
    address=Address(province_code=PROVINCE, former_province="Bến Tre"),
    contact=Contact(person="Chị Lan", phone="0275 3822 123"),
    verified=False,
    created_at=NOW,
    updated_at=NOW,
    version=1,
)


def product(status: ProductStatus, province_code: str = PROVINCE) -> Product:
    return Product(
        id=ObjectId(),
        producer_id=MAKER,
        name="Kẹo dừa sầu riêng",
        description="",
        group=ProductGroup.FOOD,
        category="bánh kẹo",
        stars=4,
        province_code=province_code,
        former_province="Bến Tre",
        price_vnd=45000,
        unit="hộp",
        moq=50,
        status=status,
        created_at=NOW,
        updated_at=NOW,
        version=1,
    )


PRODUCTS = {status: product(status) for status in ProductStatus}

# role: can see a (published, draft, archived) product of MAKER
SEES_PRODUCT: dict[str, tuple[bool, bool, bool]] = {
    "anonymous": (True, False, False),
    "buyer": (True, False, False),
    "member": (True, True, True),
    "other_producer": (True, False, False),
    "office": (True, True, True),
    "other_office": (True, False, False),
    "admin": (True, True, True),
    "producer_without_org": (True, False, False),
    "coordinator_without_province": (True, False, False),
}
STATUSES = (ProductStatus.PUBLISHED, ProductStatus.DRAFT, ProductStatus.ARCHIVED)
PRODUCT_ROWS = [
    pytest.param(role, status, expected, id=f"{status.value}-{role}")
    for role, row in SEES_PRODUCT.items()
    for status, expected in zip(STATUSES, row, strict=True)
]


def test_the_table_covers_every_role_and_status() -> None:
    assert set(SEES_PRODUCT) == set(ALL_VIEWERS)
    assert set(STATUSES) == set(ProductStatus)


@pytest.mark.parametrize(("role", "status", "expected"), PRODUCT_ROWS)
def test_can_see_product(role: str, status: ProductStatus, expected: bool) -> None:
    assert policy.can_see_product(ALL_VIEWERS[role], PRODUCTS[status]) is expected


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        pytest.param("office", False, id="office-of-the-producer"),
        pytest.param("other_office", True, id="office-of-the-product"),
        pytest.param("member", True, id="member"),
        pytest.param("admin", True, id="admin"),
        pytest.param("buyer", False, id="buyer"),
        pytest.param("anonymous", False, id="anonymous"),
    ],
)
def test_a_draft_certified_elsewhere_is_its_own_provinces_alone(role: str, expected: bool) -> None:
    """A product may carry a province other than its producer's: the office of the product's province
    oversees it, and its lots and papers with it; the producer's office sees none of them."""
    elsewhere = product(ProductStatus.DRAFT, province_code=OTHER_PROVINCE)
    viewer = VIEWERS[role]
    assert policy.can_see_product(viewer, elsewhere) is expected
    assert policy.can_see_lots(viewer, elsewhere, PRODUCER) is expected
    assert policy.can_see_document(viewer, elsewhere.id, PRODUCER, elsewhere) is expected


@pytest.mark.parametrize(
    ("role", "lots", "papers"),
    [
        pytest.param("office", True, True, id="office-of-the-producer"),
        pytest.param("other_office", True, True, id="office-of-the-product"),
        pytest.param("member", True, True, id="member"),
        pytest.param("admin", True, True, id="admin"),
        pytest.param("buyer", False, True, id="buyer"),
        pytest.param("other_producer", False, False, id="other-producer"),
        pytest.param("anonymous", False, False, id="anonymous"),
    ],
)
def test_a_published_product_certified_elsewhere_keeps_its_producers_office(
    role: str, lots: bool, papers: bool
) -> None:
    """Once public, a product certified in another province is read by both offices: the one of its own
    province, and the one of its producer's, which oversees the producer (and sees no less than a buyer)."""
    elsewhere = product(ProductStatus.PUBLISHED, province_code=OTHER_PROVINCE)
    viewer = VIEWERS[role]
    assert policy.can_see_lots(viewer, elsewhere, PRODUCER) is lots
    assert policy.can_see_document(viewer, elsewhere.id, PRODUCER, elsewhere) is papers


# --- the list filter and the search scope agree with can_see_product --------------------------------------

PUBLISHED_ONLY: dict[str, object] = {"status": "published"}
FILTER_SHAPES: dict[str, dict[str, object]] = {
    "anonymous": PUBLISHED_ONLY,
    "buyer": PUBLISHED_ONLY,
    "member": {"$or": [PUBLISHED_ONLY, {"producerId": MAKER}]},
    "other_producer": {"$or": [PUBLISHED_ONLY, {"producerId": OTHER_PRODUCER}]},
    "office": {"$or": [PUBLISHED_ONLY, {"provinceCode": PROVINCE}]},
    "other_office": {"$or": [PUBLISHED_ONLY, {"provinceCode": OTHER_PROVINCE}]},
    "admin": {},
    "producer_without_org": PUBLISHED_ONLY,
    "coordinator_without_province": PUBLISHED_ONLY,
}
SCOPES: dict[str, DraftScope | None] = {
    "anonymous": None,
    "buyer": None,
    "member": DraftScope(producer_id=MAKER),
    "other_producer": DraftScope(producer_id=OTHER_PRODUCER),
    "office": DraftScope(province_code=PROVINCE),
    "other_office": DraftScope(province_code=OTHER_PROVINCE),
    "admin": DraftScope(everything=True),
    "producer_without_org": None,
    "coordinator_without_province": None,
}


@pytest.mark.parametrize("role", list(FILTER_SHAPES))
def test_product_visibility_filter_shape(role: str) -> None:
    assert policy.product_visibility_filter(ALL_VIEWERS[role]) == FILTER_SHAPES[role]


@pytest.mark.parametrize("role", list(SCOPES))
def test_draft_scope_shape(role: str) -> None:
    assert policy.draft_scope(ALL_VIEWERS[role]) == SCOPES[role]


def matches(query: dict[str, object], doc: dict[str, object]) -> bool:
    """The subset of MongoDB query semantics the filter uses: field equality, and `$or` of such filters."""
    for name, wanted in query.items():
        if name == "$or":
            assert isinstance(wanted, list)
            if not any(matches(branch, doc) for branch in wanted):
                return False
        elif doc.get(name) != wanted:
            return False
    return True


def as_doc(item: Product) -> dict[str, object]:
    return {
        "_id": item.id,
        "status": item.status.value,
        "producerId": item.producer_id,
        "provinceCode": item.province_code,
    }


def admits(scope: DraftScope | None, item: Product) -> bool:
    """What search/service.py builds from a scope: everything published, plus the drafts of the scope."""
    if item.status is ProductStatus.PUBLISHED:
        return True
    if scope is None or item.status is not ProductStatus.DRAFT:
        return False
    return scope.everything or scope.producer_id == item.producer_id or scope.province_code == item.province_code


@pytest.mark.parametrize(("role", "status", "expected"), PRODUCT_ROWS)
def test_product_visibility_filter_agrees(role: str, status: ProductStatus, expected: bool) -> None:
    viewer, item = ALL_VIEWERS[role], PRODUCTS[status]
    assert matches(policy.product_visibility_filter(viewer), as_doc(item)) is expected
    assert policy.can_see_product(viewer, item) is expected


@pytest.mark.parametrize(
    ("role", "status", "expected"),
    [row for row in PRODUCT_ROWS if row.values[1] is not ProductStatus.ARCHIVED],
)
def test_draft_scope_agrees(role: str, status: ProductStatus, expected: bool) -> None:
    """Search indexes published products and drafts; archived products are never searchable."""
    viewer, item = ALL_VIEWERS[role], PRODUCTS[status]
    assert admits(policy.draft_scope(viewer), item) is expected
    assert policy.can_see_product(viewer, item) is expected


# --- managing producers and products -----------------------------------------------------------------------

# role: (can_manage_producer, may verify it, may register a producer in its province, may manage its products)
MANAGEMENT: dict[str, tuple[bool, bool, bool, bool]] = {
    "anonymous": (False, False, False, False),
    "buyer": (False, False, False, False),
    "member": (True, False, False, True),  # a producer cannot verify itself
    "other_producer": (False, False, False, False),
    "office": (True, True, True, False),  # the office edits the profile, not the product list
    "other_office": (False, False, False, False),
    "admin": (True, True, True, True),
    "producer_without_org": (False, False, False, False),
    "coordinator_without_province": (False, False, False, False),
}
GUARDS = {
    "verify": (lambda v: policy.ensure_can_verify_producer(v, PRODUCER), "verified"),
    "create": (lambda v: policy.ensure_can_create_producer(v, PROVINCE), None),
    "manage_products": (lambda v: policy.ensure_can_manage_products_of(v, PRODUCER), None),
    "manage_producer": (lambda v: policy.ensure_can_manage_producer(v, PRODUCER), None),
}


def test_the_management_table_covers_every_role() -> None:
    assert set(MANAGEMENT) == set(ALL_VIEWERS)


@pytest.mark.parametrize(("role", "row"), list(MANAGEMENT.items()), ids=list(MANAGEMENT))
def test_can_manage_producer(role: str, row: tuple[bool, bool, bool, bool]) -> None:
    assert policy.can_manage_producer(ALL_VIEWERS[role], PRODUCER) is row[0]


def guard_rows() -> list[object]:
    columns = {"manage_producer": 0, "verify": 1, "create": 2, "manage_products": 3}
    return [
        pytest.param(role, guard, row[column], id=f"{guard}-{role}")
        for role, row in MANAGEMENT.items()
        for guard, column in columns.items()
    ]


@pytest.mark.parametrize(("role", "guard", "allowed"), guard_rows())
def test_guards(role: str, guard: str, allowed: bool) -> None:
    check, field = GUARDS[guard]
    viewer = ALL_VIEWERS[role]
    if allowed:
        assert check(viewer) is None
        return
    with pytest.raises(DomainError) as excinfo:
        check(viewer)
    assert [(e.code, e.field) for e in excinfo.value.errors] == [(ErrorCode.FORBIDDEN, field)]


@pytest.mark.parametrize(
    ("role", "expected"),
    [pytest.param(role, role != "anonymous", id=role) for role in ALL_VIEWERS],
)
def test_can_see_contact(role: str, expected: bool) -> None:
    assert policy.can_see_contact(ALL_VIEWERS[role], PRODUCER) is expected
