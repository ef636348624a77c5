"""searchProducts and suggestProducts: buyer search over the products index."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from market.catalog import records as catalog
from market.catalog.records import CertificateStatus, Certification, ProductGroup
from market.core.provinces import load_provinces
from schema.catalog.types import Product
from schema.enums import describe_enum
from schema.pagination import After, Before, First, Last, PageInfo, decode_global_id, global_id, page_request
from schema.scalars import Vnd
from schema.selection import Selected, top_fields
from search.documents import product_summary
from search.interpret import Chip, ChipKind
from search.query import SearchFilter, SearchSort
from search.service import MAX_QUERY_LENGTH, MAX_RESULTS, SearchHit, SearchPage, encode_offset

if TYPE_CHECKING:
    from schema.context import Context

describe_enum(
    SearchSort,
    "Order of search results. Any order but RELEVANCE keeps only the products that match every word of the query.",
    {
        SearchSort.RELEVANCE: "Best match first: exact spelling and tones before folded ones, before typo fixes.",
        SearchSort.PRICE_ASC: "Cheapest unit price first.",
        SearchSort.PRICE_DESC: "Dearest unit price first.",
        SearchSort.STARS_DESC: "Highest OCOP rating first.",
        SearchSort.NEWEST: "Most recently created first.",
    },
    name="ProductSearchSort",
)


describe_enum(
    ChipKind,
    "What part of a search query was read as.",
    {
        ChipKind.STARS: "An OCOP rating (`5 sao`, `4★`, `OCOP 5 sao`): `value` is the stars, `3` to `5`.",
        ChipKind.CERTIFICATION: "A certification in either language (`VietGAP`, `hữu cơ`, `organic`, `Halal`): "
        "`value` is its `Certification` code.",
        ChipKind.PROVINCE: "A current or pre-2025 province named in the text: `value` is the current province's "
        "code. It ranks that province's products first and filters nothing.",
        ChipKind.PACKAGING: "A pack size (`500ml`, `5 lít`, `1kg`: `value` in ml or g, e.g. `5000ml`) or a gift box "
        "(`hộp quà`: `value` is `giftbox`).",
        ChipKind.INTENT: "An occasion or intent (`quà Tết`, `ăn vặt`, `cho hãng bay`, `đặc sản miền Tây`, `gift`, "
        "`snack`): `value` is the attribute products carry: `gift`, `souvenir`, `snack`, `inflight`, `region-mekong`, "
        "`region-north`, `region-northwest`, `region-central`, `region-highlands`, `region-southeast`.",
    },
    name="QueryChipKind",
)


@strawberry.type(
    description="A part of the query read as a filter or a ranking signal rather than as words, for a removable "
    "chip: search again with the chip's `text` taken out of the query and the matching `filter` field set, or "
    "with `interpret: false`."
)
class QueryChip:
    kind: ChipKind = strawberry.field(description="What it was read as.")
    value: str = strawberry.field(description="The value filtered on (see `QueryChipKind`).")
    text: str = strawberry.field(description="The words of the query it came from, as typed.")
    filtered: bool = strawberry.field(
        description="True when it narrowed the results; false for a ranking signal (provinces) or when nothing "
        "passed it, so the words were searched as typed instead."
    )


@strawberry.input(description="Narrows `searchProducts`; all given conditions must hold.")
class ProductSearchFilter:
    provinces: list[str] | None = strawberry.field(
        default=None,
        description="Provinces: codes (see `provinces`), or current or old names. A current province also matches "
        "products registered under its pre-2025 provinces; an old province matches only those. UNKNOWN_PROVINCE on "
        "`filter.provinces[i]` for one that is neither.",
    )
    groups: list[ProductGroup] | None = strawberry.field(default=None, description="Any of these groups.")
    min_stars: int | None = strawberry.field(default=None, description="Rated at least this many stars (3 to 5).")
    price_min: Vnd | None = strawberry.field(
        default=None,
        description="Unit price (before volume tiers) at least this many đồng: the product's, or one of its "
        "variants' that is also within `priceMax`.",
    )
    price_max: Vnd | None = strawberry.field(
        default=None,
        description="Unit price (before volume tiers) at most this many đồng: the product's, or one of its variants'.",
    )
    certifications: list[Certification] | None = strawberry.field(
        default=None, description="Products holding any of these."
    )
    producer: strawberry.ID | None = strawberry.field(default=None, description="A Producer id: its products only.")
    max_moq: int | None = strawberry.field(
        default=None, description="Minimum order quantity at most this many selling units."
    )
    certificate_status: list[CertificateStatus] | None = strawberry.field(
        default=None, description="Certificates in any of these states today (EXPIRED: past `validUntil`)."
    )
    packaging: list[str] | None = strawberry.field(
        default=None,
        description="Products with a variant in any of these packagings (`hộp quà`, `chai`), as `facets.packaging` "
        "gives them; case does not matter.",
    )


@strawberry.type(
    description="Where the query matched in a product's text. `snippet` is HTML: the text is escaped and the only "
    "markup is `<mark>`…`</mark>` around each match, so it may be inserted as HTML as it is."
)
class Highlight:
    field: str = strawberry.field(description="The product field matched: `name` or `description`.")
    snippet: str = strawberry.field(
        description="HTML-escaped text of the field (the description cropped around the match, with `…` where "
        "cut) with `<mark>`…`</mark>` around the matched words; `&`, `<`, `>` and quotes in the product's text "
        "arrive as entities."
    )


@strawberry.type(description="One search result, with where the query matched it.")
class ProductSearchEdge:
    cursor: str = strawberry.field(
        description="Opaque; pass it as `after` or `before` of the same search to page from this result."
    )
    node: Product = strawberry.field(description="The product found.")
    highlights: list[Highlight] = strawberry.field(
        description="The fields the query matched in, as HTML snippets (see `Highlight`); empty unless matched."
    )


@strawberry.type(description="How many matching products have one OCOP rating; most frequent first.")
class FacetCount:
    value: str = strawberry.field(description="The value as the filter takes it: stars `3` to `5`.")
    count: int = strawberry.field(description="Matching products with this value.")


@strawberry.type(description="How many matching products are in one OCOP product group; most frequent first.")
class GroupFacet:
    value: ProductGroup = strawberry.field(description="The group, as the `groups` filter takes it.")
    count: int = strawberry.field(description="Matching products in it.")


@strawberry.type(description="How many matching products hold one certification; most frequent first.")
class CertificationFacet:
    value: Certification = strawberry.field(description="The certification, as the `certifications` filter takes it.")
    count: int = strawberry.field(description="Matching products holding it.")


@strawberry.type(description="How many matching products have a variant in one packaging; most frequent first.")
class PackagingFacet:
    value: str = strawberry.field(
        description="The packaging in lower case (`hộp quà`, `chai`, `can`), as the `packaging` filter takes it."
    )
    count: int = strawberry.field(description="Matching products with a variant in it.")


@strawberry.type(description="An old (pre-2025) province inside a current one.")
class FormerProvinceFacet:
    code: str = strawberry.field(description="The old province's code; `provinces` in the filter takes it.")
    name: str = strawberry.field(description="The old province's name, e.g. `Trà Vinh`.")
    count: int = strawberry.field(description="Matching products registered under it.")


@strawberry.type(description="A current province with its count, and the old provinces it includes.")
class ProvinceFacet:
    code: str = strawberry.field(description="The current province's code; `provinces` in the filter takes it.")
    name: str = strawberry.field(description="The current province's name.")
    count: int = strawberry.field(description="Matching products in it, old provinces included.")
    former_provinces: list[FormerProvinceFacet] = strawberry.field(
        description="Its pre-2025 provinces that have matches, most first."
    )


@strawberry.type(
    description="Counts per value over all matching products (every page), for filter chips. Only the facets "
    "you select are computed."
)
class ProductFacets:
    provinces: list[ProvinceFacet] = strawberry.field(description="By current province, most first.")
    stars: list[FacetCount] = strawberry.field(description="By OCOP rating.")
    groups: list[GroupFacet] = strawberry.field(description="By OCOP product group.")
    certifications: list[CertificationFacet] = strawberry.field(description="By certification held.")
    packaging: list[PackagingFacet] = strawberry.field(
        description="By the packaging of their variants (pack sizes); products without variants are not counted."
    )


@strawberry.type(
    description="The lowest and highest unit price among matching products and their variants, for a price slider."
)
class PriceRange:
    min: Vnd = strawberry.field(description="Lowest unit price, in đồng.")
    max: Vnd = strawberry.field(description="Highest unit price, in đồng.")


@strawberry.type(description="A page of search results, with counts over all of them.")
class ProductSearchResult:
    edges: list[ProductSearchEdge] = strawberry.field(description="The results of this page, best first.")
    page_info: PageInfo = strawberry.field(description="Whether more results follow or precede, and their cursors.")
    estimated_total_count: int = strawberry.field(
        description='The search engine\'s estimate of all matches, for an "about N results" line; paging may '
        "reach slightly more or fewer."
    )
    facets: ProductFacets = strawberry.field(description="Counts per filter value over all matches.")
    price_range: PriceRange | None = strawberry.field(
        description="Lowest and highest unit price of all matches; null when nothing matches."
    )
    interpreted_as: list[QueryChip] = strawberry.field(
        description="The parts of the query read as stars, certifications, pack sizes, occasions, provinces; "
        "empty with `interpret: false`."
    )
    no_exact_match: bool = strawberry.field(
        description="True when the query names a product the catalogue does not carry (`nho`, `grape juice`): "
        "`edges` is then empty rather than filled with look-alikes, and `missingProduct` says which."
    )
    missing_product: str | None = strawberry.field(
        description="The product words of the query the catalogue has nothing of, as typed; null otherwise."
    )
    did_you_mean: str | None = strawberry.field(
        description="The corrected query when a short word was read as a typo (`nuc mam` → `nuoc mam`), so a "
        "UI can say what it searched for; null otherwise."
    )


@strawberry.type(description="A product name to offer while the buyer types.")
class ProductSuggestion:
    product_id: strawberry.ID = strawberry.field(description="The Product id, for `product(id:)` or a link.")
    name: str = strawberry.field(description="Plain text, not HTML: escape it before inserting it into a page.")


# Values an index built by an older release may still hold, and no filter takes, are left out of facets.
_GROUPS = frozenset(g.value for g in ProductGroup)
_CERTIFICATIONS = frozenset(c.value for c in Certification)


def _counts(values: dict[str, int]) -> list[FacetCount]:
    return [FacetCount(value=k, count=v) for k, v in sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))]


def _province_facets(current: dict[str, int], former: dict[str, int]) -> list[ProvinceFacet]:
    registry = load_provinces()
    former_by_current: dict[str, list[FormerProvinceFacet]] = {}
    for code, count in former.items():
        match = registry.resolve(code)
        if match is not None and match.former_name:
            former_by_current.setdefault(match.province.code, []).append(
                FormerProvinceFacet(code=code, name=match.former_name, count=count)
            )
    out = []
    for code, count in sorted(current.items(), key=lambda kv: (-kv[1], kv[0])):
        province = registry.get(code)
        out.append(
            ProvinceFacet(
                code=code,
                name=province.name if province else code,
                count=count,
                former_provinces=sorted(former_by_current.get(code, []), key=lambda f: -f.count),
            )
        )
    return out


class IndexedProduct(Product):
    """A search hit as a Product. The fields a result page shows come straight from the index document;
    the timestamps and the whole record (behind producer, province, certificate and price tiers) are
    converted only when a query selects them. Building twenty full records per page cost more than any
    other step of a search in the API."""

    _hit: SearchHit

    @classmethod
    def from_hit(cls, hit: SearchHit) -> "IndexedProduct":
        product = cls.__new__(cls)  # the fields are filled from the document, not passed to __init__
        product.__dict__.update(product_summary(hit.document))
        product._hit = hit
        return product

    @property
    def record(self) -> catalog.Product:  # type: ignore[override]
        return self._hit.product

    @property
    def created_at(self) -> datetime:  # type: ignore[override]
        return self.record.created_at

    @property
    def updated_at(self) -> datetime:  # type: ignore[override]
        return self.record.updated_at

    @property
    def published_at(self) -> datetime | None:  # type: ignore[override]
        return self.record.published_at


def _result(page: SearchPage) -> ProductSearchResult:
    edges = [
        ProductSearchEdge(
            cursor=encode_offset(hit.offset),
            node=IndexedProduct.from_hit(hit),
            highlights=[Highlight(field=k, snippet=v) for k, v in hit.highlights.items()],
        )
        for hit in page.hits
    ]
    facets = page.facets
    return ProductSearchResult(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next,
            has_previous_page=page.has_previous,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        estimated_total_count=page.estimated_total,
        facets=ProductFacets(
            provinces=_province_facets(facets.get("provinceCode", {}), facets.get("formerProvinceCode", {})),
            stars=_counts(facets.get("stars", {})),
            groups=[
                GroupFacet(value=ProductGroup(f.value), count=f.count)
                for f in _counts(facets.get("group", {}))
                if f.value in _GROUPS
            ],
            certifications=[
                CertificationFacet(value=Certification(f.value), count=f.count)
                for f in _counts(facets.get("certifications", {}))
                if f.value in _CERTIFICATIONS
            ],
            packaging=[PackagingFacet(value=f.value, count=f.count) for f in _counts(facets.get("packaging", {}))],
        ),
        price_range=PriceRange(min=Vnd(page.price_range[0]), max=Vnd(page.price_range[1]))
        if page.price_range
        else None,
        interpreted_as=[_chip(c) for c in page.chips],
        no_exact_match=page.no_exact_match,
        missing_product=page.missing,
        did_you_mean=page.did_you_mean,
    )


def _chip(chip: Chip) -> QueryChip:
    return QueryChip(kind=chip.kind, value=chip.value, text=chip.text, filtered=chip.filtered)


# Which facet attributes each field of ProductFacets needs.
_FACET_ATTRIBUTES = {
    "provinces": ("provinceCode",),
    "formerProvinces": ("formerProvinceCode",),
    "stars": ("stars",),
    "groups": ("group",),
    "certifications": ("certifications",),
    "packaging": ("packaging",),
}


# The index attributes each field of a search hit's node reads (IndexedProduct); any other field converts the
# whole record, which needs every attribute. `search.documents.SUMMARY_ATTRIBUTES` are always retrieved.
_NODE_ATTRIBUTES = {
    "__typename": (), "id": (), "name": (), "group": (), "stars": (), "priceVnd": (), "unit": (), "status": (),
    "version": (), "description": ("description",), "category": ("category",), "moq": ("moq",),
    "certifications": ("certifications",), "images": ("images",), "externalId": ("externalId",),
}  # fmt: skip


def _attributes(top: Selected) -> list[str] | None:
    """The index attributes the selected node fields read; None when a field needs them all."""
    wanted: list[str] = []
    for name in top.get("edges", {}).get("node", {}):
        if name not in _NODE_ATTRIBUTES:
            return None
        wanted += _NODE_ATTRIBUTES[name]
    return wanted


def _requested(info: Info["Context", None]) -> tuple[list[str], bool, list[str] | None]:
    """The facet attributes, whether highlights are needed and the attributes to retrieve, from what the
    client selected: Meilisearch only computes and sends what will be shown."""
    top = top_fields(info)
    facets: list[str] = []
    for name, sub in top.get("facets", {}).items():
        facets += _FACET_ATTRIBUTES.get(name, ())
        if name == "provinces" and "formerProvinces" in sub:
            facets += _FACET_ATTRIBUTES["formerProvinces"]
    if "priceRange" in top:
        facets.append("prices")
    highlight = "highlights" in top.get("edges", {})
    return facets, highlight, _attributes(top)


def _filter(flt: ProductSearchFilter | None) -> SearchFilter:
    if flt is None:
        return SearchFilter()
    return SearchFilter(
        provinces=tuple(flt.provinces or ()),
        groups=tuple(g.value for g in flt.groups or ()),
        min_stars=flt.min_stars,
        price_min=flt.price_min,
        price_max=flt.price_max,
        certifications=tuple(c.value for c in flt.certifications or ()),
        producer_id=decode_global_id(flt.producer, "Producer", "filter.producer") if flt.producer else None,
        max_moq=flt.max_moq,
        certificate_statuses=tuple(flt.certificate_status or ()),
        packaging=tuple(flt.packaging or ()),
    )


# For other operations that take `searchProducts`' filter (saved searches).
search_filter_of = _filter


@strawberry.type
class SearchQuery:
    @strawberry.field(
        description="Buyer search over the catalogue: accents optional, Telex/VNI typed without an input method "
        "understood, tones honoured when typed. An empty query browses with the filters. The public sees "
        "published products; with `includeDrafts` a producer also sees its own drafts. Paging stops at result "
        f"{MAX_RESULTS:,} (OUT_OF_RANGE beyond: refine the query). A search service outage is a top-level "
        "UNAVAILABLE error."
    )
    async def search_products(
        self,
        info: Info["Context", None],
        query: Annotated[
            str,
            strawberry.argument(
                description=f"What the buyer typed, at most {MAX_QUERY_LENGTH} characters (TOO_LONG otherwise); "
                '`""` lists everything that passes the filter.'
            ),
        ],
        filter: Annotated[
            ProductSearchFilter | None, strawberry.argument(description="Conditions that must all hold.")
        ] = None,
        sort: Annotated[
            SearchSort, strawberry.argument(description="The order of the results.")
        ] = SearchSort.RELEVANCE,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        include_drafts: Annotated[
            bool,
            strawberry.argument(
                description="Also find DRAFT products you may see: your producer's, your province's as its OCOP "
                "office, every one as an admin. No effect for anyone else."
            ),
        ] = False,
        interpret: Annotated[
            bool,
            strawberry.argument(
                description="Read stars (`5 sao`), certifications (`VietGAP`, `hữu cơ`), pack sizes (`500ml`, "
                "`hộp quà`) and occasions (`quà Tết`, `ăn vặt`, `cho hãng bay`) in the query as filters "
                "(reported in `interpretedAs`), drop filler words, and answer a query for a product the catalogue "
                "lacks with nothing (`noExactMatch`). `false` searches the words as typed."
            ),
        ] = True,
    ) -> ProductSearchResult:
        ctx = info.context
        facets, highlight, attributes = _requested(info)
        page = await ctx.search.search(
            query,
            page_request(first, after, last, before),
            ctx.viewer,
            flt=_filter(filter),
            sort=sort,
            include_drafts=include_drafts,
            facets=facets,
            highlight=highlight,
            interpret_query=interpret,
            attributes=attributes,
        )
        return _result(page)

    @strawberry.field(
        description="Product names for a search box's autocomplete, accent-insensitive; published products only. "
        "Public."
    )
    async def suggest_products(
        self,
        info: Info["Context", None],
        prefix: Annotated[
            str,
            strawberry.argument(
                description=f"What the buyer has typed so far, at most {MAX_QUERY_LENGTH} characters; an empty "
                "prefix gives an empty list."
            ),
        ],
        first: Annotated[int, strawberry.argument(description="How many names, 1 to 20 (OUT_OF_RANGE otherwise).")] = 8,
    ) -> list[ProductSuggestion]:
        rows = await info.context.search.suggest(prefix, first)
        return [ProductSuggestion(product_id=strawberry.ID(global_id("Product", i)), name=name) for i, name in rows]
