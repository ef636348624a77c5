"""searchProducts: full-text search over the products index."""

from typing import TYPE_CHECKING, Annotated

import strawberry
from bson import ObjectId
from strawberry.types import Info

from market.paging import DEFAULT_PAGE, PageRequest
from schema.catalog.types import Product
from schema.pagination import FIRST_DESCRIPTION
from search.service import encode_offset

if TYPE_CHECKING:
    from schema.context import Context


@strawberry.type
class ProductSearchEdge:
    cursor: str
    node: Product


@strawberry.type
class SearchPageInfo:
    has_next_page: bool
    has_previous_page: bool
    end_cursor: str | None


@strawberry.type
class ProductSearchResult:
    edges: list[ProductSearchEdge]
    page_info: SearchPageInfo
    estimated_total_count: int = strawberry.field(description="Meilisearch's estimate of all matching products.")


@strawberry.type
class SearchQuery:
    @strawberry.field(description="Full-text search over published products, accents optional.")
    async def search_products(
        self,
        info: Info["Context", None],
        query: str,
        first: Annotated[int | None, strawberry.argument(description=FIRST_DESCRIPTION)] = None,
        after: str | None = None,
    ) -> ProductSearchResult:
        ctx = info.context
        page = await ctx.search.search(query, PageRequest(DEFAULT_PAGE if first is None else first, after), ctx.viewer)
        # The index may briefly lag MongoDB: a hit deleted a moment ago is dropped rather than returned empty.
        records = await ctx.loaders.product.load_many([ObjectId(h.id) for h in page.hits])
        edges = [
            ProductSearchEdge(cursor=encode_offset(hit.offset), node=Product.from_record(record))
            for hit, record in zip(page.hits, records, strict=True)
            if record is not None and record.status.value == "published"
        ]
        return ProductSearchResult(
            edges=edges,
            page_info=SearchPageInfo(
                has_next_page=page.has_next,
                has_previous_page=after is not None,
                end_cursor=encode_offset(page.hits[-1].offset) if page.hits else None,
            ),
            estimated_total_count=page.estimated_total,
        )
