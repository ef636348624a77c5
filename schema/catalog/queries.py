"""Catalog queries."""

from typing import TYPE_CHECKING, Annotated

import strawberry
from bson import ObjectId
from strawberry.types import Info

from market.catalog import services as catalog
from market.catalog.changes import product_changes
from market.catalog.repository import ProducerFilter as ProducerQuery
from market.catalog.repository import ProductFilter as ProductQuery
from market.catalog.repository import ProductSort as ProductSortValue
from market.core.provinces import load_provinces
from schema.catalog.changes import ProductChange
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
from schema.prefetch import producers_ahead, product_ahead

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
        updated_since=flt.updated_since,
        certificate_statuses=tuple(flt.certificate_status or ()),
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

    @strawberry.field(
        description="Resolve an old or current province name, with or without accents; null when none matches."
    )
    def province(
        self,
        name: Annotated[
            str,
            strawberry.argument(
                description="A current or pre-2025 name in any case, accents and `tỉnh`/`TP` optional "
                "(`ben tre`, `TP HCM`), or a current or old code. An old name gives the province it is now part of."
            ),
        ],
    ) -> Province | None:
        match = load_provinces().resolve(name)
        return Province.from_record(match.province) if match else None

    @strawberry.field(
        description="One product; null when it does not exist or you may not see it (a draft or archived product "
        "of another producer). An id of another type is a top-level INVALID error."
    )
    async def product(
        self,
        info: Info["Context", None],
        id: Annotated[strawberry.ID, strawberry.argument(description="A Product id.")],
    ) -> Product | None:
        node_id = decode_global_id(id, "Product", "id")
        await product_ahead(info, node_id)
        return (await Product.resolve_nodes(info=info, node_ids=[node_id]))[0]

    @strawberry.field(
        description="One producer; null when it does not exist. An id of another type is a top-level INVALID error."
    )
    async def producer(
        self,
        info: Info["Context", None],
        id: Annotated[strawberry.ID, strawberry.argument(description="A Producer id.")],
    ) -> Producer | None:
        nodes = await Producer.resolve_nodes(info=info, node_ids=[decode_global_id(id, "Producer", "id")])
        return nodes[0]

    @strawberry.field(
        description="Browse the catalog. The public sees published products only; a producer's members also its "
        "drafts and archived products, an OCOP office those of its province, admins all. For text search use "
        "`searchProducts`."
    )
    async def products(
        self,
        info: Info["Context", None],
        filter: Annotated[
            ProductFilter | None, strawberry.argument(description="Conditions that must all hold; none by default.")
        ] = None,
        sort: Annotated[
            ProductSort, strawberry.argument(description="The order of the list.")
        ] = ProductSortValue.NEWEST,
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
        await producers_ahead(info, [p for p, _ in listing.page.items])
        return to_connection(listing.page, Product.from_record, listing.count)

    @strawberry.field(
        description="Every write of the products you may see, oldest first, in the order they were committed: "
        "created, updated, published, unpublished (archived or back to draft) and deleted, bulk imports "
        "included, so another system can keep a copy of the catalogue. Start without `after`, keep "
        "`pageInfo.endCursor` (the last one you received when a page is empty) and ask again with it: you get "
        "exactly what was written since. Cursors do not expire. A change to a product you could see before it "
        "but not after (withdrawn, deleted) comes as a tombstone: `product` is null. The public sees published "
        "products; a producer's members also its drafts, an OCOP office its province's, admins everything."
    )
    async def product_changes(
        self,
        info: Info["Context", None],
        first: First = None,
        after: Annotated[
            str | None,
            strawberry.argument(
                description="A cursor of this list (an edge's `cursor` or `pageInfo.endCursor`): the page starts "
                "just after it. Omit it to start at the beginning of the feed. Text that is not such a cursor is "
                "a top-level INVALID error."
            ),
        ] = None,
    ) -> CountedConnection[ProductChange]:
        ctx = info.context
        listing = await product_changes(ctx.store, ctx.viewer, page_request(first, after))
        return to_connection(listing.page, ProductChange.from_record, listing.count)

    @strawberry.field(description="Browse producers, A to Z by name (accents ignored). Public.")
    async def producers(
        self,
        info: Info["Context", None],
        filter: Annotated[
            ProducerFilter | None, strawberry.argument(description="Conditions that must all hold; none by default.")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> CountedConnection[Producer]:
        request = page_request(first, after, last, before)
        listing = await catalog.producer_list(info.context.store, _producer_query(filter), request)
        return to_connection(listing.page, Producer.from_record, listing.count)
