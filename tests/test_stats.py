"""OCOP statistics against a real MongoDB: exact figures nationally and per province (with the pre-2025
breakdown), old names resolving to the current province, unknown provinces, who may read what, and the
round-trip budget of one aggregation per collection."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from bson import ObjectId

from api.settings import Settings
from market.accounts.policy import Principal
from market.accounts.records import Role
from market.core.errors import DomainError, ErrorCode
from market.core.text import fold
from market.store import Store
from market.trade.stats import FormerProvinceStats, ProvinceStats, StarCounts, ocop_stats
from tests.conftest import CommandCounter
from tests.pinned_clock import pinned_clock

ADMIN = Principal(ObjectId(), "Admin", Role.ADMIN)


@dataclass
class StatsDb:
    store: Store
    counter: CommandCounter


def _product(
    producer_id: ObjectId, code: str, former: str | None, stars: int, status: str = "published"
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "producerId": producer_id,
        "name": f"Sản phẩm {stars} sao",
        "group": "food",
        "stars": stars,
        "provinceCode": code,
        "priceVnd": 50000,
        "unit": "hộp",
        "status": status,
    }
    if former != "<missing>":
        doc["formerProvince"] = former
    return doc


def _producer(kind: str, code: str, former: str | None) -> dict[str, Any]:
    name = f"Chủ thể {kind} {code} {ObjectId()}"
    return {
        "_id": ObjectId(),
        "name": name,
        "nameKey": fold(name),
        "type": kind,
        "address": {"provinceCode": code, "formerProvince": former},
    }


@pytest.fixture(scope="module")
async def db(settings: Settings) -> AsyncIterator[StatsDb]:
    counter = CommandCounter()
    name = settings.db_name + "_stats"
    store = Store.connect(settings.resolved_mongodb_url, name, listeners=[counter])
    await store.ensure_indexes()

    producers = [
        # Cà Mau (96): two registered under Bạc Liêu, two under Cà Mau itself (empty or named).
        _producer("enterprise", "96", "Bạc Liêu"),
        _producer("cooperative", "96", "Bạc Liêu"),
        _producer("cooperative", "96", None),
        _producer("household", "96", "Cà Mau"),
        # Hà Nội (01)
        _producer("cooperative_group", "01", None),
        _producer("enterprise", "01", None),
        # Vĩnh Long (86), under Trà Vinh
        _producer("household", "86", "Trà Vinh"),
        # Huế (46): renamed from Thừa Thiên Huế, not merged
        _producer("household", "46", None),
    ]
    await store.db["producers"].insert_many(producers)
    bl, ca_mau, hn, vl, hue = (
        producers[0]["_id"],
        producers[2]["_id"],
        producers[4]["_id"],
        producers[6]["_id"],
        producers[7]["_id"],
    )
    await store.db["products"].insert_many(
        [
            _product(bl, "96", "Bạc Liêu", 3),
            _product(bl, "96", "Bạc Liêu", 3),
            _product(bl, "96", "Bạc Liêu", 4),
            _product(bl, "96", "Bạc Liêu", 5),
            _product(bl, "96", "Bac Lieu", 5),  # spelled without accents by an older import
            _product(bl, "96", "Bạc Liêu", 4, status="draft"),
            _product(bl, "96", "Bạc Liêu", 3, status="archived"),
            _product(ca_mau, "96", None, 3),
            _product(ca_mau, "96", None, 4),
            _product(ca_mau, "96", "Cà Mau", 4),
            _product(ca_mau, "96", "<missing>", 3),
            _product(hn, "01", None, 5),
            _product(hn, "01", None, 5),
            _product(hn, "01", None, 3),
            _product(hn, "01", None, 4, status="draft"),
            _product(vl, "86", "Bến Tre", 4),
            _product(hue, "46", None, 3),
        ]
    )
    now = datetime.now(UTC)
    day = timedelta(days=1)
    await store.db["inquiries"].insert_many(
        [
            {"status": "open", "expiresAt": now + 3 * day, "producerProvinceCodes": ["96"]},
            {"status": "open", "expiresAt": now + day, "producerProvinceCodes": ["96", "01"]},
            {"status": "open", "expiresAt": now - day, "producerProvinceCodes": ["96"]},
            {"status": "closed", "expiresAt": now + 3 * day, "producerProvinceCodes": ["96"]},
            {"status": "open", "expiresAt": now + 2 * day, "producerProvinceCodes": ["01"]},
        ]
    )

    def deal(code: str, former: str | None, state: str, value: int, ordered: int | None = None) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "quotationId": ObjectId(),
            "producerProvinceCode": code,
            "producerFormerProvince": former,
            "state": state,
            "valueVnd": value,
        }
        if ordered is not None:
            doc["order"] = {"valueVnd": ordered}
        return doc

    await store.db["deals"].insert_many(
        [
            deal("96", "Bạc Liêu", "NEGOTIATING", 1_000_000),
            deal("96", "Bạc Liêu", "AGREED", 2_000_000),
            deal("96", None, "ORDERED", 3_000_000, 3_100_000),
            deal("96", "Bạc Liêu", "DELIVERED", 4_000_000, 4_500_000),
            # Beyond a 32-bit integer, and without an order: the agreed value counts as delivered.
            deal("96", None, "COMPLETED", 5_000_000_000),
            deal("96", None, "CANCELLED", 7_000_000),
            deal("96", None, "LOST", 8_000_000, 8_000_000),
            deal("01", None, "COMPLETED", 10_000_000, 9_000_000),
            deal("01", None, "AGREED", 1_000_000),
        ]
    )
    yield StatsDb(store, counter)
    await store.client.drop_database(name)
    await store.close()


def deals(**counts: int) -> dict[str, int]:
    states = ("NEGOTIATING", "AGREED", "ORDERED", "DELIVERED", "COMPLETED", "CANCELLED", "LOST")
    return {s: counts.get(s, 0) for s in states}


def types(enterprise: int = 0, cooperative: int = 0, cooperative_group: int = 0, household: int = 0) -> dict[str, int]:
    return {
        "enterprise": enterprise,
        "cooperative": cooperative,
        "cooperative_group": cooperative_group,
        "household": household,
    }


CA_MAU = ProvinceStats(
    province_code="96",
    products_total=9,
    products_by_stars=StarCounts(three=4, four=3, five=2),
    producers_total=4,
    producers_by_type=types(enterprise=1, cooperative=2, household=1),
    active_inquiries=2,
    deals_by_state=deals(NEGOTIATING=1, AGREED=1, ORDERED=1, DELIVERED=1, COMPLETED=1, CANCELLED=1, LOST=1),
    agreed_value_vnd=2_000_000 + 3_000_000 + 4_000_000 + 5_000_000_000,
    delivered_value_vnd=4_500_000 + 5_000_000_000,
    former_provinces=[
        FormerProvinceStats("Cà Mau", 4, StarCounts(three=2, four=2, five=0), 2),
        FormerProvinceStats("Bạc Liêu", 5, StarCounts(three=2, four=1, five=2), 2),
    ],
)


async def test_national(db: StatsDb) -> None:
    stats = await ocop_stats(db.store, None, ADMIN)
    assert stats == ProvinceStats(
        province_code=None,
        products_total=14,
        products_by_stars=StarCounts(three=6, four=4, five=4),
        producers_total=8,
        producers_by_type=types(enterprise=2, cooperative=2, cooperative_group=1, household=3),
        active_inquiries=3,
        deals_by_state=deals(NEGOTIATING=1, AGREED=2, ORDERED=1, DELIVERED=1, COMPLETED=2, CANCELLED=1, LOST=1),
        agreed_value_vnd=5_009_000_000 + 11_000_000,
        delivered_value_vnd=5_004_500_000 + 9_000_000,
        former_provinces=[],
    )
    assert list(stats.producers_by_type) == ["enterprise", "cooperative", "cooperative_group", "household"]
    assert list(stats.deals_by_state) == list(deals())


@pytest.mark.parametrize("province", ["96", "Cà Mau", "ca mau", "tỉnh Cà Mau"])
async def test_current_province_with_former_breakdown(db: StatsDb, province: str) -> None:
    assert await ocop_stats(db.store, province, ADMIN) == CA_MAU


@pytest.mark.parametrize("province", ["bac lieu", "Bạc Liêu", "BẠC LIÊU"])
async def test_old_province_gives_the_current_one(db: StatsDb, province: str) -> None:
    assert await ocop_stats(db.store, province, ADMIN) == CA_MAU


async def test_unmerged_provinces(db: StatsDb) -> None:
    hanoi = await ocop_stats(db.store, "01", ADMIN)
    assert hanoi == ProvinceStats(
        province_code="01",
        products_total=3,
        products_by_stars=StarCounts(three=1, four=0, five=2),
        producers_total=2,
        producers_by_type=types(enterprise=1, cooperative_group=1),
        active_inquiries=2,
        deals_by_state=deals(AGREED=1, COMPLETED=1),
        agreed_value_vnd=11_000_000,
        delivered_value_vnd=9_000_000,
        former_provinces=[FormerProvinceStats("Hà Nội", 3, StarCounts(three=1, four=0, five=2), 2)],
    )
    # Huế was Thừa Thiên Huế under another name: what carries no old name belongs to it.
    hue = await ocop_stats(db.store, "Huế", ADMIN)
    assert hue.products_total == 1 and hue.producers_total == 1
    assert hue.former_provinces == [FormerProvinceStats("Thừa Thiên Huế", 1, StarCounts(three=1), 1)]


async def test_province_without_trade(db: StatsDb) -> None:
    stats = await ocop_stats(db.store, "Vĩnh Long", ADMIN)
    assert stats.products_total == 1 and stats.products_by_stars == StarCounts(four=1)
    assert stats.producers_by_type == types(household=1)
    assert stats.active_inquiries == 0
    assert stats.deals_by_state == deals()
    assert stats.agreed_value_vnd == stats.delivered_value_vnd == 0
    assert stats.former_provinces == [
        FormerProvinceStats("Vĩnh Long", 0, StarCounts(), 0),
        FormerProvinceStats("Bến Tre", 1, StarCounts(four=1), 0),
        FormerProvinceStats("Trà Vinh", 0, StarCounts(), 1),
    ]


async def test_active_inquiries_are_those_the_domain_clock_sees_open(db: StatsDb) -> None:
    """An inquiry is active until its expiresAt by the same clock that tells `Inquiry.status` (the one a
    test pins): not by another reading of the system clock."""
    with pinned_clock() as now:
        found = await db.store.db["inquiries"].insert_many(
            [
                {"status": "open", "expiresAt": now + timedelta(hours=1), "producerProvinceCodes": ["46"]},
                {"status": "open", "expiresAt": now - timedelta(hours=1), "producerProvinceCodes": ["46"]},
            ]
        )
        try:
            stats = await ocop_stats(db.store, "Huế", ADMIN)
        finally:
            await db.store.db["inquiries"].delete_many({"_id": {"$in": found.inserted_ids}})
    assert stats.active_inquiries == 1


@pytest.mark.parametrize("viewer", [ADMIN, None])
async def test_unknown_province(db: StatsDb, viewer: Principal | None) -> None:
    with pytest.raises(DomainError) as caught:
        await ocop_stats(db.store, "Atlantis", viewer)
    assert caught.value.extensions["code"] == ErrorCode.UNKNOWN_PROVINCE.value
    assert caught.value.extensions["field"] == "province"


VINH_LONG_OFFICE = Principal(ObjectId(), "OCOP Vĩnh Long", Role.COORDINATOR, province_code="86")
BUYER = Principal(ObjectId(), "Buyer", Role.BUYER, org_id=ObjectId())
PRODUCER = Principal(ObjectId(), "Member", Role.PRODUCER, org_id=ObjectId())


@pytest.mark.parametrize(
    ("viewer", "province", "allowed"),
    [
        (ADMIN, None, True),
        (ADMIN, "01", True),
        (ADMIN, "bac lieu", True),
        (VINH_LONG_OFFICE, "86", True),
        (VINH_LONG_OFFICE, "Trà Vinh", True),
        (VINH_LONG_OFFICE, "01", False),
        (VINH_LONG_OFFICE, None, False),
        (BUYER, "86", False),
        (BUYER, None, False),
        (PRODUCER, "86", False),
        (None, "86", False),
        (None, None, False),
    ],
)
async def test_who_may_read(db: StatsDb, viewer: Principal | None, province: str | None, allowed: bool) -> None:
    if allowed:
        await ocop_stats(db.store, province, viewer)
        return
    with pytest.raises(DomainError) as caught:
        await ocop_stats(db.store, province, viewer)
    assert caught.value.extensions["code"] == ErrorCode.FORBIDDEN.value


@pytest.mark.parametrize("province", [None, "96"])
async def test_one_aggregation_per_collection(db: StatsDb, province: str | None) -> None:
    with db.counter.counting(db.store.db.name) as commands:
        await ocop_stats(db.store, province, ADMIN)
    assert commands == ["aggregate"] * 4


async def test_refusal_costs_no_round_trip(db: StatsDb) -> None:
    with db.counter.counting(db.store.db.name) as commands, pytest.raises(DomainError):
        await ocop_stats(db.store, "01", VINH_LONG_OFFICE)
    assert commands == []
