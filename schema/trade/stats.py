"""OCOP statistics for provincial offices and admins."""

from datetime import date
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from market.catalog.records import ProducerType
from market.core.clock import today
from market.core.provinces import load_provinces
from market.trade import stats, yearly
from schema.catalog.types import Province
from schema.scalars import Vnd

if TYPE_CHECKING:
    from schema.context import Context


@strawberry.type(description="Published products by OCOP rating.")
class StarCounts:
    three: int = strawberry.field(description="Rated 3★.")
    four: int = strawberry.field(description="Rated 4★.")
    five: int = strawberry.field(description="Rated 5★.")

    @classmethod
    def from_record(cls, record: stats.StarCounts) -> "StarCounts":
        return cls(three=record.three, four=record.four, five=record.five)


@strawberry.type(description="How many producers have one legal form.")
class ProducerTypeCount:
    type: ProducerType = strawberry.field(description="The legal form.")
    count: int = strawberry.field(description="Producers of that form.")


@strawberry.type(description="How many deals are in one state.")
class DealStateCount:
    state: str = strawberry.field(description="A `DealState` name, e.g. `AGREED`.")
    count: int = strawberry.field(description="Deals in that state.")


@strawberry.type(description="The share of a current province registered under one of its pre-2025 provinces.")
class FormerProvinceStats:
    name: str = strawberry.field(description="The pre-2025 province, e.g. `Bạc Liêu` within Cà Mau.")
    products_total: int = strawberry.field(description="Published products.")
    products_by_stars: StarCounts = strawberry.field(description="Published products by OCOP rating.")
    producers_total: int = strawberry.field(description="Registered producers, verified or not.")

    @classmethod
    def from_record(cls, record: stats.FormerProvinceStats) -> "FormerProvinceStats":
        return cls(
            name=record.name,
            products_total=record.products_total,
            products_by_stars=StarCounts.from_record(record.products_by_stars),
            producers_total=record.producers_total,
        )


@strawberry.type(description="The figures an OCOP office reports, for one current province or the whole country.")
class OcopStats:
    province: Province | None = strawberry.field(description="Null for the whole country.")
    products_total: int = strawberry.field(description="Published products.")
    products_by_stars: StarCounts = strawberry.field(description="Published products by OCOP rating.")
    producers_total: int = strawberry.field(description="Registered producers, verified or not.")
    producers_by_type: list[ProducerTypeCount] = strawberry.field(description="Every producer type, 0 when none.")
    active_inquiries: int = strawberry.field(description="Purchase inquiries still open and not expired.")
    deals_by_state: list[DealStateCount] = strawberry.field(description="Every deal state, 0 when none.")
    agreed_value_vnd: Vnd = strawberry.field(
        description="Agreed value, in đồng, of the deals agreed, ordered, delivered or completed."
    )
    delivered_value_vnd: Vnd = strawberry.field(
        description="Ordered value (else the agreed value), in đồng, of the deals delivered or completed."
    )
    former_provinces: list[FormerProvinceStats] = strawberry.field(
        description="The same figures per pre-2025 province merged into this one; empty for the whole country."
    )
    period: strawberry.Private[stats.Period]

    @strawberry.field(
        description="Year by year, from the year of `from` to the year of `to` (by default the last five years "
        "to this one; never past this year): products certified per star level, the running totals, producers by "
        "legal form and the growth rate, with the pre-2025 provinces' share."
    )
    async def yearly(self, info: Info["Context", None]) -> "OcopYearlySeries":
        # The series' own check reads this year by the same clock: no year after this one.
        this_year = today().year
        last = min(self.period.until.year, this_year) if self.period.until else this_year
        first = self.period.since.year if self.period.since else last - 4
        ctx = info.context
        code = self.province.code if self.province else None
        series = await yearly.ocop_yearly(ctx.store, code, ctx.viewer, max(first, yearly.EARLIEST_YEAR), last)
        return OcopYearlySeries.from_record(series)

    @classmethod
    def from_record(cls, record: stats.ProvinceStats, period: stats.Period = stats.ALL_TIME) -> "OcopStats":
        province = load_provinces().get(record.province_code) if record.province_code else None
        return cls(
            province=Province.from_record(province) if province else None,
            products_total=record.products_total,
            products_by_stars=StarCounts.from_record(record.products_by_stars),
            producers_total=record.producers_total,
            producers_by_type=[
                ProducerTypeCount(type=ProducerType(t), count=n) for t, n in record.producers_by_type.items()
            ],
            active_inquiries=record.active_inquiries,
            deals_by_state=[DealStateCount(state=s, count=n) for s, n in record.deals_by_state.items()],
            agreed_value_vnd=Vnd(record.agreed_value_vnd),
            delivered_value_vnd=Vnd(record.delivered_value_vnd),
            former_provinces=[FormerProvinceStats.from_record(f) for f in record.former_provinces],
            period=period,
        )


@strawberry.type(description="One pre-2025 province's products in one year.")
class FormerProvinceYear:
    name: str = strawberry.field(description="The pre-2025 province.")
    certified: int = strawberry.field(description="Products certified in the year.")
    total: int = strawberry.field(description="Products certified by the end of the year.")


@strawberry.type(description="OCOP figures of one year. Published products with a certification date count.")
class OcopYear:
    year: int = strawberry.field(description="The year.")
    certified: StarCounts = strawberry.field(description="Products certified in the year, by rating.")
    total: StarCounts = strawberry.field(description="Products certified by the end of the year, by rating.")
    products_total: int = strawberry.field(description="The sum of `total`.")
    producers_total: int = strawberry.field(description="Producers with a product certified by the end of the year.")
    producers_by_type: list[ProducerTypeCount] = strawberry.field(description="The same by legal form.")
    growth_rate: float | None = strawberry.field(
        description="`productsTotal` over the year before, less 1 (0.25 is 25 %); null when that was 0."
    )
    former_provinces: list[FormerProvinceYear] = strawberry.field(
        description="The share of each pre-2025 province merged into this one; empty when there is one."
    )


@strawberry.type(description="A yearly series of OCOP figures.")
class OcopYearlySeries:
    years: list[OcopYear] = strawberry.field(description="One entry per year, oldest first.")
    average_growth_rate: float | None = strawberry.field(
        description="The compound yearly growth of `productsTotal`, from the first year with products to the last "
        "(0.3 is 30 %/year); null with fewer than two such years."
    )

    @classmethod
    def from_record(cls, record: yearly.YearlySeries) -> "OcopYearlySeries":
        return cls(
            years=[
                OcopYear(
                    year=y.year,
                    certified=StarCounts.from_record(y.certified),
                    total=StarCounts.from_record(y.total),
                    products_total=y.products_total,
                    producers_total=y.producers_total,
                    producers_by_type=[
                        ProducerTypeCount(type=ProducerType(t), count=n) for t, n in y.producers_by_type.items()
                    ],
                    growth_rate=y.growth_rate,
                    former_provinces=[
                        FormerProvinceYear(name=f.name, certified=f.certified, total=f.total)
                        for f in y.former_provinces
                    ],
                )
                for y in record.years
            ],
            average_growth_rate=record.average_growth_rate,
        )


@strawberry.type
class StatsQuery:
    @strawberry.field(
        description="OCOP figures of a current province, given by code or by any current or old name (an old "
        "province gives the current one it belongs to), or of the whole country when omitted. Admins may read "
        "any; a provincial OCOP office its own province. Anyone else gets a top-level FORBIDDEN error; an "
        "unknown province is UNKNOWN_PROVINCE."
    )
    async def ocop_stats(
        self,
        info: Info["Context", None],
        province: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="A province's code (`86`) or any current or old name; the whole country "
                "when omitted (admins only)."
            ),
        ] = None,
        from_: Annotated[
            date | None,
            strawberry.argument(
                name="from",
                description="Count only what happened from this day: products certified, producers with such "
                "products, inquiries and deals made. Open when omitted.",
            ),
        ] = None,
        to: Annotated[
            date | None, strawberry.argument(description="The same, up to this day included; INVALID before `from`.")
        ] = None,
    ) -> OcopStats:
        ctx = info.context
        period = stats.Period(from_, to)
        return OcopStats.from_record(await stats.ocop_stats(ctx.store, province, ctx.viewer, period), period)
