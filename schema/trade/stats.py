"""OCOP statistics for provincial offices and admins."""

from typing import TYPE_CHECKING

import strawberry
from strawberry.types import Info

from market.catalog.records import ProducerType
from market.core.provinces import load_provinces
from market.trade import stats
from schema.catalog.types import Province
from schema.scalars import Vnd

if TYPE_CHECKING:
    from schema.context import Context


@strawberry.type(description="Published products by OCOP rating.")
class StarCounts:
    three: int
    four: int
    five: int

    @classmethod
    def from_record(cls, record: stats.StarCounts) -> "StarCounts":
        return cls(three=record.three, four=record.four, five=record.five)


@strawberry.type
class ProducerTypeCount:
    type: ProducerType
    count: int


@strawberry.type
class DealStateCount:
    state: str
    count: int


@strawberry.type(description="The share of a current province registered under one of its pre-2025 provinces.")
class FormerProvinceStats:
    name: str = strawberry.field(description="The pre-2025 province, e.g. `Bạc Liêu` within Cà Mau.")
    products_total: int = strawberry.field(description="Published products.")
    products_by_stars: StarCounts
    producers_total: int

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
    products_by_stars: StarCounts
    producers_total: int
    producers_by_type: list[ProducerTypeCount] = strawberry.field(description="Every producer type, 0 when none.")
    active_inquiries: int = strawberry.field(description="Purchase inquiries still open and not expired.")
    deals_by_state: list[DealStateCount] = strawberry.field(description="Every deal state, 0 when none.")
    agreed_value_vnd: Vnd = strawberry.field(
        description="Agreed value of the deals agreed, ordered, delivered or completed."
    )
    delivered_value_vnd: Vnd = strawberry.field(
        description="Ordered value (else the agreed value) of the deals delivered or completed."
    )
    former_provinces: list[FormerProvinceStats] = strawberry.field(
        description="The same figures per pre-2025 province merged into this one; empty for the whole country."
    )

    @classmethod
    def from_record(cls, record: stats.ProvinceStats) -> "OcopStats":
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
        )


@strawberry.type
class StatsQuery:
    @strawberry.field(
        description="OCOP figures of a current province, given by code or by any current or old name (an old "
        "province gives the current one it belongs to), or of the whole country when omitted. Admins may read "
        "any; a provincial OCOP office its own province."
    )
    async def ocop_stats(self, info: Info["Context", None], province: strawberry.ID | None = None) -> OcopStats:
        ctx = info.context
        return OcopStats.from_record(await stats.ocop_stats(ctx.store, province, ctx.viewer))
