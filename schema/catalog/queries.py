"""Catalog queries."""

from typing import TYPE_CHECKING

import strawberry
from bson import ObjectId
from strawberry.types import Info

from market.catalog import services as catalog
from market.catalog.repository import ProducerFilter as ProducerQuery
from market.catalog.repository import ProductFilter as ProductQuery
from market.catalog.repository import ProductSort as ProductSortValue
from market.core.provinces import load_provinces
from schema.catalog.inputs import ProducerFilter, ProductFilter, ProductSort
from schema.catalog.types import Producer, Product, Province
from schema.pagination import (
    After,
    Before,
    CountedConnection,
    First,
    Last,
    decode_global_id,
    page_request,
    to_connection,
)

if TYPE_CHECKING:
    from schema.context import Context


def _product_query(flt: ProductFilter | None) -> ProductQuery:
    if flt is None:
        return ProductQuery()
    producer = ObjectId(decode_global_id(flt.producer, "Producer", "filter.producer")) if flt.producer else None
    return ProductQuery(
        province=flt.province,
        groups=tuple(flt.groups or ()),
        min_stars=flt.min_stars,
        producer_id=producer,
        statuses=tuple(flt.status or ()),
    )


def _producer_query(flt: ProducerFilter | None) -> ProducerQuery:
    if flt is None:
        return ProducerQuery()
    return ProducerQuery(
        province=flt.province,
        types=tuple(flt.types or ()),
        verified=flt.verified,
        name_prefix=flt.name_prefix,
    )


@strawberry.type
class CatalogQuery:
    @strawberry.field(description="The 34 current provinces, with the old provinces merged into each.")
    def provinces(self) -> list[Province]:
        return [Province.from_record(p) for p in load_provinces().all()]

    @strawberry.field(description="Resolve an old or current province name, with or without accents.")
    def province(self, name: str) -> Province | None:
        match = load_provinces().resolve(name)
        return Province.from_record(match.province) if match else None

    @strawberry.field
    async def product(self, info: Info["Context", None], id: strawberry.ID) -> Product | None:
        nodes = await Product.resolve_nodes(info=info, node_ids=[decode_global_id(id, "Product", "id")])
        return nodes[0]

    @strawberry.field
    async def producer(self, info: Info["Context", None], id: strawberry.ID) -> Producer | None:
        nodes = await Producer.resolve_nodes(info=info, node_ids=[decode_global_id(id, "Producer", "id")])
        return nodes[0]

    @strawberry.field(description="Browse the catalog. The public sees published products only.")
    async def products(
        self,
        info: Info["Context", None],
        filter: ProductFilter | None = None,
        sort: ProductSort = ProductSortValue.NEWEST,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> CountedConnection[Product]:
        ctx = info.context
        request = page_request(first, after, last, before)
        listing = await catalog.product_list(
            ctx.store, ctx.viewer, _product_query(filter), ProductSortValue(sort), request
        )
        for product, _ in listing.page.items:
            ctx.loaders.product.prime(product.id, product)
        return to_connection(listing.page, Product.from_record, listing.count)

    @strawberry.field
    async def producers(
        self,
        info: Info["Context", None],
        filter: ProducerFilter | None = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> CountedConnection[Producer]:
        request = page_request(first, after, last, before)
        listing = await catalog.producer_list(info.context.store, _producer_query(filter), request)
        return to_connection(listing.page, Producer.from_record, listing.count)
