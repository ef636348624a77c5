"""OCOP figures year by year, as offices report them: products certified per star level in each year, the
products and producers (by legal form) holding a certificate issued by the end of each year, the growth of
that count, and the same per pre-2025 province merged into a current one.

Only published products with a certification date count; the two aggregations read the products collection
(the second joins each certified producer once).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from market.accounts.policy import Viewer
from market.catalog.records import ProducerType, ProductStatus
from market.core.clock import today
from market.core.errors import DomainError
from market.core.provinces import Province
from market.trade.policy import ensure_can_read_stats
from market.trade.stats import StarCounts, _FormerBuckets, _resolve

if TYPE_CHECKING:
    from market.store import Store

EARLIEST_YEAR = 2018  # the OCOP programme began in 2018 (Decision 490/QĐ-TTg)
MAX_YEARS = 50


@dataclass(frozen=True, slots=True)
class FormerYear:
    name: str
    certified: int  # in this year
    total: int  # by the end of this year


@dataclass(frozen=True, slots=True)
class YearStats:
    year: int
    certified: StarCounts  # products certified in this year
    total: StarCounts  # products certified by the end of this year
    producers_total: int  # producers with a product certified by the end of this year
    producers_by_type: dict[str, int]  # the same by legal form, every ProducerType value
    growth_rate: float | None  # of total.sum over the year before; None when that was 0
    former_provinces: list[FormerYear] = field(default_factory=list)

    @property
    def products_total(self) -> int:
        return self.total.three + self.total.four + self.total.five


@dataclass(frozen=True, slots=True)
class YearlySeries:
    province: Province | None
    first_year: int
    last_year: int
    years: list[YearStats]
    average_growth_rate: float | None  # compound, from the first year with products to the last

    @property
    def last(self) -> YearStats:
        return self.years[-1]


def compound_growth(first: int, last: int, years: int) -> float | None:
    """The average yearly rate taking `first` to `last` in `years` years; None without a start or a span."""
    if first <= 0 or years <= 0:
        return None
    return float((last / first) ** (1 / years) - 1)


async def ocop_yearly(
    store: Store, province: str | None, viewer: Viewer, first_year: int, last_year: int
) -> YearlySeries:
    current = _resolve(province) if province is not None else None
    code = current.code if current is not None else None
    ensure_can_read_stats(viewer, code)
    this_year = today().year
    if not EARLIEST_YEAR <= last_year <= this_year:
        raise DomainError.of("out_of_range", "toYear", min=EARLIEST_YEAR, max=this_year, got=last_year)
    earliest = max(EARLIEST_YEAR, last_year - MAX_YEARS + 1)
    if not earliest <= first_year <= last_year:
        raise DomainError.of("out_of_range", "fromYear", min=earliest, max=last_year, got=first_year)
    products, producers = await asyncio.gather(
        store.products.aggregate(_products_pipeline(code, last_year)),
        store.products.aggregate(_producers_pipeline(code, last_year)),
    )
    return build_series(current, first_year, last_year, products, producers)


def build_series(
    current: Province | None,
    first_year: int,
    last_year: int,
    products: list[dict[str, Any]],
    producers: list[dict[str, Any]],
) -> YearlySeries:
    """The series from the two aggregations' rows: products by (year, stars, former) and producers by (year of
    their first certificate, type)."""
    buckets = _FormerBuckets(current) if current is not None else None
    names = list(current.former_names) if current is not None and len(current.former_names) > 1 else []
    certified: dict[int, dict[int, int]] = {}
    former_certified: dict[tuple[int, str], int] = {}
    for row in products:
        year, stars, count = row["_id"]["year"], row["_id"]["stars"], row["count"]
        by_stars = certified.setdefault(year, {})
        by_stars[stars] = by_stars.get(stars, 0) + count
        name = buckets.name_of(row["_id"].get("former")) if buckets else None
        if name is not None:
            former_certified[(year, name)] = former_certified.get((year, name), 0) + count
    new_producers: dict[int, dict[str, int]] = {}
    for row in producers:
        year, kind = row["_id"]["year"], row["_id"].get("type")
        by_type = new_producers.setdefault(year, {})
        by_type[kind] = by_type.get(kind, 0) + row["count"]

    totals: dict[int, int] = {}
    producer_totals = dict.fromkeys((t.value for t in ProducerType), 0)
    former_totals = dict.fromkeys(names, 0)
    years: list[YearStats] = []
    previous = 0
    for year in range(min([first_year, *certified, *new_producers]), last_year + 1):
        for stars, count in certified.get(year, {}).items():
            totals[stars] = totals.get(stars, 0) + count
        for kind, count in new_producers.get(year, {}).items():
            if kind in producer_totals:
                producer_totals[kind] += count
        for name in names:
            former_totals[name] += former_certified.get((year, name), 0)
        total = sum(totals.values())
        if year >= first_year:
            years.append(
                YearStats(
                    year=year,
                    certified=StarCounts.of(certified.get(year, {})),
                    total=StarCounts.of(totals),
                    producers_total=sum(producer_totals.values()),
                    producers_by_type=dict(producer_totals),
                    growth_rate=(total - previous) / previous if previous else None,
                    former_provinces=[
                        FormerYear(name, former_certified.get((year, name), 0), former_totals[name]) for name in names
                    ],
                )
            )
        previous = total
    start = next((y for y in years if y.products_total > 0), None)
    average = compound_growth(start.products_total, years[-1].products_total, last_year - start.year) if start else None
    return YearlySeries(current, first_year, last_year, years, average)


def _match(code: str | None, last_year: int) -> dict[str, Any]:
    match: dict[str, Any] = {
        "status": ProductStatus.PUBLISHED.value,
        "certificate.certifiedAt": {"$lt": datetime(last_year + 1, 1, 1, tzinfo=UTC)},
    }
    if code is not None:
        match["provinceCode"] = code
    return match


def _products_pipeline(code: str | None, last_year: int) -> list[dict[str, Any]]:
    key: dict[str, Any] = {"year": {"$year": "$certificate.certifiedAt"}, "stars": "$stars"}
    if code is not None:
        key["former"] = "$formerProvince"
    return [{"$match": _match(code, last_year)}, {"$group": {"_id": key, "count": {"$sum": 1}}}]


def _producers_pipeline(code: str | None, last_year: int) -> list[dict[str, Any]]:
    return [
        {"$match": _match(code, last_year)},
        {"$group": {"_id": "$producerId", "first": {"$min": "$certificate.certifiedAt"}}},
        {"$lookup": {"from": "producers", "localField": "_id", "foreignField": "_id", "as": "producer"}},
        {"$unwind": "$producer"},
        {"$group": {"_id": {"year": {"$year": "$first"}, "type": "$producer.type"}, "count": {"$sum": 1}}},
    ]
