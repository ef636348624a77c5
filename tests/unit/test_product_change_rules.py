"""What a product write is called in the change feed, and who sees it: pure rules, no database."""

from __future__ import annotations

from typing import Any

import pytest
from bson import ObjectId

from market.accounts.policy import Principal
from market.accounts.records import Role
from market.catalog.changes import ProductChangeKind, after_update, change_kind, change_row
from market.catalog.policy import product_change_filter
from tests.unit.principals import principal

PRODUCER = ObjectId()


def doc(status: str | None, province: str = "86", version: int = 1) -> dict[str, Any]:
    return {"_id": ObjectId("6b0c1e479377a1959bf32aaf"), "producerId": PRODUCER, "status": status,
            "provinceCode": province, "version": version}  # fmt: skip


@pytest.mark.parametrize(
    ("before", "after", "kind"),
    [
        (None, "draft", ProductChangeKind.CREATED),
        (None, "published", ProductChangeKind.CREATED),  # an import's published row
        ("draft", "draft", ProductChangeKind.UPDATED),
        ("published", "published", ProductChangeKind.UPDATED),
        ("archived", "draft", ProductChangeKind.UPDATED),
        ("draft", "published", ProductChangeKind.PUBLISHED),
        ("archived", "published", ProductChangeKind.PUBLISHED),
        ("published", "archived", ProductChangeKind.UNPUBLISHED),
        ("published", "draft", ProductChangeKind.UNPUBLISHED),  # a re-import's draft row
        ("draft", None, ProductChangeKind.DELETED),
    ],
)
def test_kind_of_a_write(before: str | None, after: str | None, kind: ProductChangeKind) -> None:
    assert change_kind(None if before is None else doc(before), None if after is None else doc(after)) is kind


def test_a_row_keeps_both_sides_and_a_deletion_no_contents() -> None:
    row = change_row(doc("published", "86", 4), doc("archived", "01", 5))
    assert (row["wasStatus"], row["status"], row["wasProvinceCode"], row["provinceCode"]) == (
        "published", "archived", "86", "01"
    )  # fmt: skip
    gone = change_row(doc("draft"), None)
    assert (gone["kind"], gone["status"], gone["version"], gone["provinceCode"]) == ("deleted", None, None, None)


def test_after_an_update_as_its_set_and_inc_say() -> None:
    before = doc("published", version=7)
    after = after_update(before, {"$set": {"status": "draft", "priceVnd": 1}, "$inc": {"version": 1}})
    assert (after["status"], after["provinceCode"], after["version"]) == ("draft", "86", 8)


def viewer(role: Role, org: ObjectId | None = None, province: str | None = None) -> Principal:
    return principal(role, org, province)


def matches(flt: dict[str, Any], row: dict[str, Any]) -> bool:
    """The filter's few operators, evaluated on a row."""
    if not flt:
        return True
    return any(all(row.get(k) == v for k, v in side.items()) for side in flt["$or"])


@pytest.mark.parametrize(
    ("who", "before", "after", "seen"),
    [
        ("public", None, "draft", False),
        ("public", "draft", "published", True),
        ("public", "published", "archived", True),  # the tombstone
        ("public", "archived", "draft", False),
        ("owner", None, "draft", True),
        ("owner", "draft", None, True),
        ("rival", "draft", "draft", False),
        ("rival", "published", "draft", True),
        ("office", "draft", "draft", True),
        ("other_office", "draft", "draft", False),
        ("admin", "draft", None, True),
    ],
)
def test_who_sees_a_change(who: str, before: str | None, after: str | None, seen: bool) -> None:
    viewers = {
        "public": None,
        "owner": viewer(Role.PRODUCER, PRODUCER),
        "rival": viewer(Role.PRODUCER, ObjectId()),
        "office": viewer(Role.COORDINATOR, province="86"),
        "other_office": viewer(Role.COORDINATOR, province="01"),
        "admin": viewer(Role.ADMIN),
    }
    row = change_row(None if before is None else doc(before), None if after is None else doc(after))
    assert matches(product_change_filter(viewers[who]), row) is seen


def test_an_office_keeps_seeing_a_draft_moved_out_of_its_province() -> None:
    row = change_row(doc("draft", "86"), doc("draft", "01"))
    office = viewer(Role.COORDINATOR, province="86")
    assert matches(product_change_filter(office), row)
