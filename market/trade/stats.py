"""The figures provincial OCOP offices report: products by stars, producers by legal form, purchase demand
and deal values, for one current province (with the old provinces merged into it) or for the whole country.

Each collection is read with one aggregation, and the four run concurrently.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from market.accounts.policy import Viewer
from market.catalog.records import ProducerType, ProductStatus
from market.core.clock import utcnow
from market.core.errors import DomainError
from market.core.provinces import Province, load_provinces, province_key
from market.trade.pipeline import DealState
from market.trade.policy import ensure_can_read_stats
from market.trade.records import InquiryStatus

if TYPE_CHECKING:
    from market.store import Store

__all__ = [
    "AGREED_STATES",
    "DEAL_STATES",
    "DELIVERED_STATES",
    "FormerProvinceStats",
    "Period",
    "ProvinceStats",
    "StarCounts",
    "ocop_stats",
]

DEAL_STATES: tuple[str, ...] = tuple(state.value for state in DealState)
# Deals whose value the parties have agreed on, and deals whose goods have reached the buyer.
AGREED_STATES: frozenset[str] = frozenset(
    {DealState.AGREED, DealState.ORDERED, DealState.DELIVERED, DealState.COMPLETED}
)
DELIVERED_STATES: frozenset[str] = frozenset({DealState.DELIVERED, DealState.COMPLETED})


@dataclass(frozen=True, slots=True)
class StarCounts:
    three: int = 0
    four: int = 0
    five: int = 0

    @classmethod
    def of(cls, by_stars: dict[int, int]) -> StarCounts:
        return cls(three=by_stars.get(3, 0), four=by_stars.get(4, 0), five=by_stars.get(5, 0))


@dataclass(frozen=True, slots=True)
class FormerProvinceStats:
    """The share of a current province that was registered under one pre-2025 province."""

    name: str
    products_total: int
    products_by_stars: StarCounts
    producers_total: int


@dataclass(frozen=True, slots=True)
class ProvinceStats:
    province_code: str | None  # None: the whole country
    products_total: int  # published products
    products_by_stars: StarCounts
    producers_total: int
    producers_by_type: dict[str, int]  # every ProducerType value, 0 when none
    active_inquiries: int  # open and not yet expired
    deals_by_state: dict[str, int]  # every state of DEAL_STATES, 0 when none
    agreed_value_vnd: int  # sum of the agreed value over AGREED_STATES
    delivered_value_vnd: int  # sum of the ordered (else agreed) value over DELIVERED_STATES
    former_provinces: list[FormerProvinceStats] = field(default_factory=list)  # empty for the whole country


@dataclass(frozen=True, slots=True)
class Period:
    """Days from `since` to `until`, both included; either open. Products count by the day they were
    certified, producers by the products they have certified in the period, inquiries and deals by the day
    they were made."""

    since: date | None = None
    until: date | None = None

    def __post_init__(self) -> None:
        if self.since is not None and self.until is not None and self.until < self.since:
            raise DomainError.of("before", "to", other="from")

    @property
    def bounded(self) -> bool:
        return self.since is not None or self.until is not None

    def match(self, path: str) -> dict[str, Any]:
        """A MongoDB condition on the datetime at `path` (stored at midnight UTC of its day)."""
        if not self.bounded:
            return {}
        bounds: dict[str, Any] = {}
        if self.since is not None:
            bounds["$gte"] = datetime(self.since.year, self.since.month, self.since.day, tzinfo=UTC)
        if self.until is not None and self.until < date.max:  # up to the last day there is: no bound
            end = self.until + timedelta(days=1)
            bounds["$lt"] = datetime(end.year, end.month, end.day, tzinfo=UTC)
        return {path: bounds}


ALL_TIME = Period()


async def ocop_stats(store: Store, province: str | None, viewer: Viewer, period: Period = ALL_TIME) -> ProvinceStats:
    """Statistics of a current province, named by its code or by any current or old name (an old province
    gives the current province it is part of), or of the whole country when `province` is None; over all
    time, or over `period`."""
    current = _resolve(province) if province is not None else None
    code = current.code if current is not None else None
    ensure_can_read_stats(viewer, code)

    producers_of = (
        store.products.aggregate(_certified_producers_pipeline(code, period))
        if period.bounded
        else store.producers.aggregate(_producers_pipeline(code))
    )
    products, producers, inquiries, deals = await asyncio.gather(
        store.products.aggregate(_products_pipeline(code, period)),
        producers_of,
        store.trade.aggregate_inquiries(_inquiries_pipeline(code, utcnow(), period)),
        store.trade.aggregate_deals(_deals_pipeline(code, period)),
    )

    buckets = _FormerBuckets(current) if current is not None else None
    products_by_stars: dict[int, int] = {}
    former_products: dict[str, dict[int, int]] = {}
    for row in products:
        stars, count = row["_id"].get("stars"), row["count"]
        _add(products_by_stars, stars, count)
        name = buckets.name_of(row["_id"].get("former")) if buckets else None
        if name is not None:
            _add(former_products.setdefault(name, {}), stars, count)

    producers_by_type = dict.fromkeys((t.value for t in ProducerType), 0)
    former_producers: dict[str, int] = {}
    producers_total = 0
    for row in producers:
        kind, count = row["_id"].get("type"), row["count"]
        producers_total += count
        if kind in producers_by_type:
            producers_by_type[kind] += count
        name = buckets.name_of(row["_id"].get("former")) if buckets else None
        if name is not None:
            _add(former_producers, name, count)

    deals_by_state = dict.fromkeys(DEAL_STATES, 0)
    agreed_value = delivered_value = 0
    for row in deals:
        state = row["_id"]
        if state not in deals_by_state:
            continue
        deals_by_state[state] += row["count"]
        if state in AGREED_STATES:
            agreed_value += row["agreedVnd"]
        if state in DELIVERED_STATES:
            delivered_value += row["deliveredVnd"]

    former = [
        FormerProvinceStats(
            name=name,
            products_total=sum(former_products.get(name, {}).values()),
            products_by_stars=StarCounts.of(former_products.get(name, {})),
            producers_total=former_producers.get(name, 0),
        )
        for name in (current.former_names if current is not None else ())
    ]
    return ProvinceStats(
        province_code=code,
        products_total=sum(products_by_stars.values()),
        products_by_stars=StarCounts.of(products_by_stars),
        producers_total=producers_total,
        producers_by_type=producers_by_type,
        active_inquiries=inquiries[0]["count"] if inquiries else 0,
        deals_by_state=deals_by_state,
        agreed_value_vnd=agreed_value,
        delivered_value_vnd=delivered_value,
        former_provinces=former,
    )


# --- pipelines -------------------------------------------------------------------------------------------


def _products_pipeline(code: str | None, period: Period = ALL_TIME) -> list[dict[str, Any]]:
    match: dict[str, Any] = {"status": ProductStatus.PUBLISHED.value, **period.match("certificate.certifiedAt")}
    key: dict[str, Any] = {"stars": "$stars"}
    if code is not None:
        match["provinceCode"] = code
        key["former"] = "$formerProvince"
    return [{"$match": match}, {"$group": {"_id": key, "count": {"$sum": 1}}}]


def _producers_pipeline(code: str | None) -> list[dict[str, Any]]:
    match: dict[str, Any] = {}
    key: dict[str, Any] = {"type": "$type"}
    if code is not None:
        match["address.provinceCode"] = code
        key["former"] = "$address.formerProvince"
    return [{"$match": match}, {"$group": {"_id": key, "count": {"$sum": 1}}}]


def _certified_producers_pipeline(code: str | None, period: Period) -> list[dict[str, Any]]:
    """The producers of the products certified in `period`, grouped as `_producers_pipeline` groups them."""
    match: dict[str, Any] = {"status": ProductStatus.PUBLISHED.value, **period.match("certificate.certifiedAt")}
    if code is not None:
        match["provinceCode"] = code
    key: dict[str, Any] = {"type": "$producer.type"}
    if code is not None:
        key["former"] = "$producer.address.formerProvince"
    return [
        {"$match": match},
        {"$group": {"_id": "$producerId"}},
        {"$lookup": {"from": "producers", "localField": "_id", "foreignField": "_id", "as": "producer"}},
        {"$unwind": "$producer"},
        {"$group": {"_id": key, "count": {"$sum": 1}}},
    ]


def _inquiries_pipeline(code: str | None, now: datetime, period: Period = ALL_TIME) -> list[dict[str, Any]]:
    match: dict[str, Any] = {"status": InquiryStatus.OPEN.value, "expiresAt": {"$gt": now}, **period.match("createdAt")}
    if code is not None:
        match = {"producerProvinceCodes": code, **match}
    return [{"$match": match}, {"$group": {"_id": None, "count": {"$sum": 1}}}]


def _deals_pipeline(code: str | None, period: Period = ALL_TIME) -> list[dict[str, Any]]:
    match: dict[str, Any] = {} if code is None else {"producerProvinceCode": code}
    match.update(period.match("createdAt"))
    return [
        {"$match": match},
        {
            "$group": {
                "_id": "$state",
                "count": {"$sum": 1},
                "agreedVnd": {"$sum": "$valueVnd"},
                "deliveredVnd": {"$sum": {"$ifNull": ["$order.valueVnd", "$valueVnd"]}},
            }
        },
    ]


# --- provinces -------------------------------------------------------------------------------------------


def _resolve(text: str) -> Province:
    match = load_provinces().resolve(text)
    if match is None:
        raise DomainError.of("unknown_province", "province", got=text)
    return match.province


class _FormerBuckets:
    """Which old province of `current` a record's `formerProvince` stands for. An empty one means the
    old province of the same name (Cà Mau within Cà Mau), or the only one when the province was renamed
    rather than merged (Thừa Thiên Huế within Huế)."""

    def __init__(self, current: Province) -> None:
        self.current = current
        same = [n for n in current.former_names if province_key(n) == province_key(current.name)]
        if same:
            self.own: str | None = same[0]
        else:
            self.own = current.former_names[0] if len(current.former_names) == 1 else None
        self._known: dict[str | None, str | None] = {name: name for name in current.former_names}
        self._known[None] = self.own

    def name_of(self, former: object) -> str | None:
        if former is not None and not isinstance(former, str):
            return None
        if former not in self._known:
            self._known[former] = self._lookup(former) if former else self.own
        return self._known[former]

    def _lookup(self, text: str) -> str | None:
        """A spelling other than the registry's ("Bac Lieu", "tỉnh Bạc Liêu")."""
        match = load_provinces().resolve(text)
        if match is None or match.province.code != self.current.code:
            return None
        return match.former_name or self.own


def _add(counts: dict[Any, int], key: Any, count: int) -> None:
    counts[key] = counts.get(key, 0) + count
