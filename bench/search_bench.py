"""Search speed on 20,000 products: GraphQL `searchProducts` and `suggestProducts` over HTTP against raw
Meilisearch requests with the same parameters from the same client, and the cost of the Vietnamese
handling (the federated tone, province and typo queries) over one plain Meilisearch search.

The raw requests are built by the product's own planner (`ProductSearch.plan`), so both sides ask
Meilisearch exactly the same thing; the difference is HTTP, GraphQL and our code.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from bench import throughput
from bench.common import (
    SummaryRow,
    api_client,
    bench_clients,
    graphql,
    load_catalogue,
    ms,
    note,
    ratio,
    sample_pair,
    text_table,
)
from bench.memory_bound import api_process
from market.core.paging import PageRequest
from search.query import SearchFilter, SearchSort
from search.service import ProductSearch

ROWS = 20_000
REQUESTS = 600
WARMUP = 60

# Buyer queries typed three ways: with accents, without, and with a typo or Telex.
QUERIES = [
    "nước mắm", "kẹo dừa", "cà phê", "gạo st25", "mật ong", "trà", "muối", "bánh", "rượu", "khô cá",
    "nuoc mam", "keo dua", "ca phe", "mat ong", "tra shan tuyet", "banh pia", "ruou sim", "kho ca",
    "dứa", "lợn", "đường", "nuc mam", "caf phee", "keo dua ben tre",
]  # fmt: skip
# Accented queries (tone tokens), plus Telex and typos (federated alternatives).
TONED = ["nước mắm", "kẹo dừa", "cà phê", "mật ong", "dứa", "lợn", "đường", "rượu sim", "khô cá", "bánh pía",
         "caf phee", "nuc mam"]  # fmt: skip
# Queries with parts read as filters or concepts (search/interpret.py): stars, certifications, pack sizes,
# occasions, English, communes, and a product the catalogue lacks.
INTERPRETED = ["OCOP 5 sao nước mắm", "quà Tết", "honey", "dried shrimp", "nước mắm can 5 lít", "trà hữu cơ",
               "đồ ăn vặt", "grape juice", "cà phê ea tu", "kẹo dừa cho hãng bay", "fish sauce", "gạo 5 sao"]  # fmt: skip
PREFIXES = ["nuoc", "keo d", "ca ph", "mat o", "gao s", "tra", "muoi h", "banh t", "ruou", "kho c"]

SEARCH = """
query($q: String!, $filter: ProductSearchFilter) {
  searchProducts(query: $q, filter: $filter, sort: PRICE_ASC, first: 20) {
    estimatedTotalCount
    edges { node { id name priceVnd stars unit } }
    facets { stars { value count } groups { value count } provinces { code name count } }
  }
}"""
LIGHT = "query($q: String!) { searchProducts(query: $q, first: 20) { edges { node { name } } } }"
LIGHT_QUERIES = ["keo dua", "nước mắm", "mat ong", "cà phê", "banh pia", "ruou sim"]
SUGGEST = "query($p: String!) { suggestProducts(prefix: $p, first: 8) { productId name } }"
FILTER = {"minStars": 3, "groups": ["FOOD", "BEVERAGE"], "priceMax": 2_000_000}
SEARCH_FILTER = SearchFilter(min_stars=3, groups=("food", "beverage"), price_max=2_000_000)


def _raw_params(service: ProductSearch, query: str, sort: SearchSort, flt: SearchFilter) -> dict[str, Any]:
    plan = service.plan(query, flt, sort, None, False, None, highlight=False)
    params = {k: v for k, v in plan.queries[0].items() if k not in ("indexUid", "federationOptions")}
    params.update(limit=21, offset=0, facets=["stars", "group", "provinceCode"])
    return params


async def run() -> tuple[str, list[SummaryRow]]:
    async with bench_clients() as bench:
        note(f"search: importing and indexing {ROWS} products")
        await load_catalogue(bench, ROWS)
        service = ProductSearch(bench.meili, bench.index_uid, bench.store)
        meili_headers = {"Authorization": f"Bearer {bench.settings.resolved_meili_key}", "Accept-Encoding": "identity"}
        light_requests = [await throughput.raw_search_request(bench, q) for q in LIGHT_QUERIES]
        async with (
            api_process(bench.settings) as (child, base_url),
            api_client(base_url) as http,
            httpx.AsyncClient(base_url=bench.settings.resolved_meili_url, headers=meili_headers) as raw,
        ):
            await graphql(http, LIGHT, {"q": LIGHT_QUERIES[0]})
            await throughput.wait_for_vocabulary(child.log)  # the raw requests were planned with it

            note("search: searchProducts vs raw /search")

            def graphql_search(q: str) -> Callable[[], Awaitable[None]]:
                async def call() -> None:
                    await graphql(http, SEARCH, {"q": q, "filter": FILTER})

                return call

            def raw_search(params: dict[str, Any]) -> Callable[[], Awaitable[None]]:
                # Read the answer as the GraphQL side does (`graphql` checks the status and decodes the body).
                async def call() -> None:
                    response = await raw.post(f"/indexes/{bench.index_uid}/search", json=params)
                    response.raise_for_status()
                    response.json()

                return call

            raw_calls = [raw_search(_raw_params(service, q, SearchSort.PRICE_ASC, SEARCH_FILTER)) for q in QUERIES]
            gql_calls = [graphql_search(q) for q in QUERIES]
            search_ours, search_raw = await sample_pair(gql_calls, raw_calls, REQUESTS * 2, WARMUP)

            note("search: light searchProducts (a page of 20 names) vs raw, the same request")

            def light(q: str) -> Callable[[], Awaitable[None]]:
                async def call() -> None:
                    await graphql(http, LIGHT, {"q": q})

                return call

            def light_raw(path: str, body: dict[str, Any]) -> Callable[[], Awaitable[None]]:
                async def call() -> None:
                    response = await raw.post(path, json=body)
                    response.raise_for_status()
                    response.json()

                return call

            light_ours, light_plain = await sample_pair(
                [light(q) for q in LIGHT_QUERIES], [light_raw(p, b) for p, b in light_requests], REQUESTS, WARMUP
            )

            note("search: suggestProducts vs raw /search")
            suggest_calls = []
            suggest_raw_calls = []
            for prefix in PREFIXES:

                async def suggest(p: str = prefix) -> None:
                    await graphql(http, SUGGEST, {"p": p})

                suggest_calls.append(suggest)
                params = {
                    "q": prefix,
                    "filter": 'status = "published"',
                    "attributesToSearchOn": ["name"],
                    "attributesToRetrieve": ["id", "name"],
                    "limit": 8,
                }
                suggest_raw_calls.append(raw_search(params))
            suggest_ours, suggest_raw = await sample_pair(suggest_calls, suggest_raw_calls, REQUESTS, WARMUP)

            note("search: Vietnamese handling (in process) vs one plain Meilisearch search")

            def handled(q: str) -> Callable[[], Awaitable[Any]]:
                async def call() -> None:
                    await service.search(q, PageRequest(20), None, flt=SEARCH_FILTER, sort=SearchSort.RELEVANCE)

                return call

            def plain(q: str) -> Callable[[], Awaitable[None]]:
                # The buyer's text as typed, in one plain search with the same filters and fields.
                params = _raw_params(service, q, SearchSort.RELEVANCE, SEARCH_FILTER)
                params.pop("facets")
                params.update(limit=21, q=q)

                async def call() -> None:
                    await bench.meili.search(bench.index_uid, params)

                return call

            vietnamese, single = await sample_pair(
                [handled(q) for q in TONED], [plain(q) for q in TONED], REQUESTS, WARMUP
            )

            note("search: query interpretation on vs off, and vs one plain Meilisearch search")

            def interpreted(q: str, on: bool) -> Callable[[], Awaitable[Any]]:
                async def call() -> None:
                    await service.search(q, PageRequest(20), None, flt=SEARCH_FILTER, interpret_query=on)

                return call

            reading, words_only = await sample_pair(
                [interpreted(q, True) for q in INTERPRETED], [interpreted(q, False) for q in INTERPRETED],
                REQUESTS, WARMUP,
            )  # fmt: skip
            reading_again, plain_interpreted = await sample_pair(
                [interpreted(q, True) for q in INTERPRETED], [plain(q) for q in INTERPRETED], REQUESTS, WARMUP
            )

    rows = [
        ("searchProducts (filter, sort, 3 facets)", search_ours, search_raw),
        ("light searchProducts (20 names)", light_ours, light_plain),
        ("suggestProducts", suggest_ours, suggest_raw),
        ("Vietnamese handling, accented queries", vietnamese, single),
        ("interpretation on vs off (interpretable queries)", reading, words_only),
        ("interpretation on vs one plain search", reading_again, plain_interpreted),
    ]
    table = text_table(
        f"search on {ROWS} products ({REQUESTS}+ sequential requests each, keep-alive)",
        ("measure", "ours p50", "ours p95", "raw p50", "raw p95", "p50 ratio", "p50 extra"),
        [
            (name, ms(o.p50), ms(o.p95), ms(r.p50), ms(r.p95), ratio(o.p50, r.p50), ms(o.p50 - r.p50))
            for name, o, r in rows
        ],
    )
    summary = [
        SummaryRow(
            f"`searchProducts` over HTTP, {ROWS:,} products, filters + sort + 3 facets, p50 / p95",
            f"{ms(search_ours.p50)} / {ms(search_ours.p95)}",
            f"{ms(search_raw.p50)} / {ms(search_raw.p95)} (`/search`, same parameters)",
            ratio(search_ours.p50, search_raw.p50),
        ),
        SummaryRow(
            "light `searchProducts(query, first: 20) { edges { node { name } } }` over HTTP, p50 / p95",
            f"{ms(light_ours.p50)} / {ms(light_ours.p95)}",
            f"{ms(light_plain.p50)} / {ms(light_plain.p95)} (the same Meilisearch request)",
            ratio(light_ours.p50, light_plain.p50),
        ),
        SummaryRow(
            "`suggestProducts` over HTTP, p50 / p95",
            f"{ms(suggest_ours.p50)} / {ms(suggest_ours.p95)}",
            f"{ms(suggest_raw.p50)} / {ms(suggest_raw.p95)}",
            ratio(suggest_ours.p50, suggest_raw.p50),
        ),
        SummaryRow(
            "Vietnamese handling (federated tone/province/typo queries), accented queries, p50",
            ms(vietnamese.p50),
            f"{ms(single.p50)} (one plain search)",
            f"+{ms(vietnamese.p50 - single.p50)}",
        ),
        SummaryRow(
            "Query interpretation (stars, certifications, sizes, occasions, English), interpretable queries, p50",
            f"{ms(reading.p50)} on / {ms(words_only.p50)} off",
            f"{ms(plain_interpreted.p50)} (one plain search; ours {ms(reading_again.p50)} in that pairing)",
            f"+{ms(reading_again.p50 - plain_interpreted.p50)}",
        ),
    ]
    return table, summary
