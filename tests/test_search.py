"""searchProducts and suggestProducts over the demo-sized fixture: filters, facets, sorting, paging,
visibility, highlights, hydration without MongoDB, and the Vietnamese handling a buyer meets."""

from __future__ import annotations

from typing import Any

import pytest

from market.accounts.records import Role
from market.accounts.services import create_account, issue_api_key
from market.core.text import fold
from tests.conftest import Catalogue, CommandCounter

SEARCH = """
query($q: String!, $filter: ProductSearchFilter, $sort: ProductSearchSort, $first: Int, $after: String, $drafts: Boolean) {
  searchProducts(query: $q, filter: $filter, sort: $sort, first: $first, after: $after, includeDrafts: $drafts) {
    estimatedTotalCount
    edges { cursor node { id name stars priceVnd status group province { code name formerName } certifications } highlights { field snippet } }
    pageInfo { hasNextPage endCursor }
    facets { provinces { code name count formerProvinces { code name count } } stars { value count } groups { value count } certifications { value count } }
    priceRange { min max }
  }
}"""


async def search(cat: Catalogue, q: str, *, as_: str | None = None, **variables: Any) -> dict[str, Any]:
    data = await cat.api.data(SEARCH, {"q": q, **variables}, as_=as_)
    return data["searchProducts"]


def names(result: dict[str, Any]) -> list[str]:
    return [e["node"]["name"] for e in result["edges"]]


async def test_results_come_from_the_index_without_a_mongodb_read_per_hit(
    catalogue: Catalogue, counter: CommandCounter
) -> None:
    await search(catalogue, "kẹo dừa")
    # The vocabulary is read in the background: done before, so that its reads are not among the commands below.
    await catalogue.api.app.state.services.search.vocabulary_ready()
    database = catalogue.settings.db_name
    with counter.counting(database) as commands:
        result = await search(catalogue, "kẹo dừa", first=20)
    assert len(result["edges"]) == 20
    assert commands == []  # served from the index documents
    with counter.counting(database) as commands:
        data = await catalogue.api.data(
            '{ searchProducts(query: "mật ong", first: 20) { edges { node { producer { name } } } } }'
        )
    assert len(data["searchProducts"]["edges"]) > 1
    assert commands == ["find"]  # all producers in one batched read


PRODUCT_FIELDS = """
  id name description group category stars priceVnd unit moq certifications images status externalId
  createdAt updatedAt publishedAt version certificate { stars number certifiedAt validUntil }
  producer { id name } province { code name formerName } priceTiers { minQuantity unitPriceVnd }
"""


def _to_the_second(product: dict[str, Any]) -> dict[str, Any]:
    # The index keeps timestamps in whole seconds; MongoDB in milliseconds.
    return {k: v[:19] if k.endswith("At") and isinstance(v, str) and "T" in v else v for k, v in product.items()}


async def test_a_hit_shows_the_same_product_as_a_read_from_mongodb(catalogue: Catalogue) -> None:
    found = await catalogue.api.data(
        f'{{ searchProducts(query: "nước mắm", first: 10) {{ edges {{ node {{ {PRODUCT_FIELDS} }} }} }} }}'
    )
    nodes = [e["node"] for e in found["searchProducts"]["edges"]]
    assert len(nodes) == 10
    ids = [n["id"] for n in nodes]
    read = await catalogue.api.data(
        f"query($ids: [ID!]!) {{ nodes(ids: $ids) {{ ... on Product {{ {PRODUCT_FIELDS} }} }} }}", {"ids": ids}
    )
    assert [_to_the_second(n) for n in nodes] == [_to_the_second(n) for n in read["nodes"]]
    assert any(n["priceTiers"] for n in nodes) or any(n["certifications"] for n in nodes)


async def test_facets_sum_to_the_total(catalogue: Catalogue) -> None:
    result = await search(catalogue, "", first=1)
    total = result["estimatedTotalCount"]
    assert total == 495  # every published product of the fixture (8 are drafts)
    facets = result["facets"]
    assert sum(f["count"] for f in facets["provinces"]) == total
    assert sum(f["count"] for f in facets["stars"]) == total
    assert sum(f["count"] for f in facets["groups"]) == total
    for province in facets["provinces"]:
        assert sum(f["count"] for f in province["formerProvinces"]) <= province["count"]
    vinh_long = next(p for p in facets["provinces"] if p["code"] == "86")
    assert {f["name"] for f in vinh_long["formerProvinces"]} >= {"Bến Tre", "Trà Vinh"}
    assert result["priceRange"]["min"] > 0 and result["priceRange"]["max"] >= result["priceRange"]["min"]


async def test_current_province_filter_includes_its_old_provinces(catalogue: Catalogue) -> None:
    result = await search(catalogue, "", filter={"provinces": ["86"]}, first=100)
    formers = {e["node"]["province"]["formerName"] for e in result["edges"]}
    assert {"Bến Tre", "Trà Vinh"} <= formers
    assert all(e["node"]["province"]["code"] == "86" for e in result["edges"])
    only_ben_tre = await search(catalogue, "", filter={"provinces": ["83"]}, first=100)
    assert {e["node"]["province"]["formerName"] for e in only_ben_tre["edges"]} == {"Bến Tre"}
    assert only_ben_tre["estimatedTotalCount"] < result["estimatedTotalCount"]


async def test_filters_and_sorts(catalogue: Catalogue) -> None:
    result = await search(
        catalogue,
        "",
        filter={"groups": ["BEVERAGE"], "minStars": 4, "priceMin": 50000, "priceMax": 300000, "maxMoq": 50},
        sort="PRICE_ASC",
        first=50,
    )
    prices = [e["node"]["priceVnd"] for e in result["edges"]]
    assert prices == sorted(prices) and prices and prices[0] >= 50000 and prices[-1] <= 300000
    assert all(e["node"]["group"] == "BEVERAGE" and e["node"]["stars"] >= 4 for e in result["edges"])
    certified = await search(catalogue, "", filter={"certifications": ["HACCP"]}, first=50)
    assert certified["edges"] and all("HACCP" in e["node"]["certifications"] for e in certified["edges"])
    stars = await search(catalogue, "nước mắm", sort="STARS_DESC", first=30)
    values = [e["node"]["stars"] for e in stars["edges"]]
    assert values == sorted(values, reverse=True)


async def test_paging_through_search_results(catalogue: Catalogue) -> None:
    seen: list[str] = []
    after = None
    while True:
        page = await search(catalogue, "kẹo", first=7, after=after)
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) > 7


async def test_drafts_only_for_their_producer(catalogue: Catalogue) -> None:
    store = catalogue.fixture.store
    draft = await store.db["products"].find_one({"status": "draft"})
    assert draft is not None
    word = draft["name"]
    public = await search(catalogue, word, drafts=True, first=50)
    assert draft["name"] not in names(public)
    member = await create_account(store, name="Chủ thể", role=Role.PRODUCER, org_id=str(draft["producerId"]))
    catalogue.api.keys["draft_owner"] = await issue_api_key(store, member.id, "t")
    own = await search(catalogue, word, drafts=True, first=50, as_="draft_owner")
    assert draft["name"] in names(own)
    hidden = await search(catalogue, word, first=50, as_="draft_owner")
    assert draft["name"] not in names(hidden)


async def test_highlights_mark_the_match(catalogue: Catalogue) -> None:
    result = await search(catalogue, "mật ong", first=3)
    snippets = [h for e in result["edges"] for h in e["highlights"] if h["field"] == "name"]
    assert snippets and "<mark>" in snippets[0]["snippet"]


@pytest.mark.parametrize(
    ("query", "expected_first_word"),
    [
        ("nuoc mam phu quoc", "nước mắm"),
        ("khóm", None),
        ("caf phee", "cà phê"),
        ("keo dua ben tre", "kẹo dừa"),
        ("keo dua vinh long", "kẹo dừa"),
        ("coffee", "cà phê"),
        ("gao st 25", "gạo st25"),
        ("banh tet tra cuon", "bánh tét"),
    ],
)
async def test_acceptance_queries(catalogue: Catalogue, query: str, expected_first_word: str | None) -> None:
    result = await search(catalogue, query, first=5)
    first = result["edges"][0]["node"]
    if expected_first_word:
        assert expected_first_word in first["name"].casefold(), (query, names(result))
    else:  # khóm: pineapple, never coconut
        top = " ".join(names(result)).casefold()
        assert "dừa" not in top.replace("dứa", ""), names(result)


async def test_tones_are_honoured(catalogue: Catalogue) -> None:
    pineapple = await search(catalogue, "dứa", first=5)
    assert all("dừa" not in n.casefold() for n in names(pineapple)), names(pineapple)
    coconut = await search(catalogue, "dừa", first=5)
    assert all("dừa" in n.casefold() for n in names(coconut)), names(coconut)
    pork = await search(catalogue, "lợn", first=3)
    assert all("lợn" in n.casefold() or "heo" in n.casefold() for n in names(pork)), names(pork)
    sugar = await search(catalogue, "đường", first=5)
    assert all("dưỡng" not in n.casefold() for n in names(sugar)), names(sugar)
    both = await search(catalogue, "dua", first=50)
    assert any("dứa" in n.casefold() for n in names(both)) and any("dừa" in n.casefold() for n in names(both))


async def test_bad_search_input_is_a_typed_error(catalogue: Catalogue) -> None:
    body = await catalogue.api.gql(SEARCH, {"q": "x" * 201})
    assert body["errors"][0]["extensions"]["code"] == "TOO_LONG"
    body = await catalogue.api.gql("query($p: String!) { suggestProducts(prefix: $p) { name } }", {"p": "x" * 201})
    assert body["errors"][0]["extensions"]["code"] == "TOO_LONG"
    assert body["errors"][0]["extensions"]["field"] == "prefix" and "prefix" in body["errors"][0]["message"]
    body = await catalogue.api.gql(SEARCH, {"q": "a", "first": 101})
    assert body["errors"][0]["extensions"]["field"] == "first"
    filtered = 'query($f: ProductSearchFilter) { searchProducts(query: "", filter: $f) { edges { cursor } } }'
    for flt, field, code in [
        ({"minStars": 9}, "filter.minStars", "OUT_OF_RANGE"),
        ({"maxMoq": -5}, "filter.maxMoq", "OUT_OF_RANGE"),
        ({"priceMin": 100000, "priceMax": 1}, "filter.priceMin", "INVALID"),
        # A province no product is in, as saveSearch and `products` refuse it, rather than no results.
        ({"provinces": ["86", "Atlantis"]}, "filter.provinces[1]", "UNKNOWN_PROVINCE"),
        ({"provinces": [""]}, "filter.provinces[0]", "UNKNOWN_PROVINCE"),
        ({"provinces": ["Bến Tre " * 5000]}, "filter.provinces[0]", "UNKNOWN_PROVINCE"),  # not looked up
    ]:
        body = await catalogue.api.gql(filtered, {"f": flt})
        assert body["data"] is None and body["errors"][0]["extensions"]["code"] == code, body
        assert body["errors"][0]["extensions"]["field"] == field, body
        assert len(body["errors"][0]["message"]) < 300, "the refused text comes back shortened"
    body = await catalogue.api.gql(SEARCH, {"q": "a", "after": "nope"})
    assert body["errors"][0]["extensions"]["field"] == "after"
    control = await search(catalogue, "mật\u0000 ong\u200b")
    assert names(control)[0].startswith("Mật ong")


async def test_suggestions(catalogue: Catalogue) -> None:
    data = await catalogue.api.data('{ suggestProducts(prefix: "nuoc m", first: 5) { productId name } }')
    suggestions = data["suggestProducts"]
    assert 0 < len(suggestions) <= 5
    assert all("nuoc m" in fold(s["name"]) for s in suggestions), [s["name"] for s in suggestions]
    body = await catalogue.api.gql('{ suggestProducts(prefix: "a", first: 50) { name } }')
    assert body["errors"][0]["extensions"]["field"] == "first"


async def test_a_sorted_search_reads_the_query_as_relevance_does(catalogue: Catalogue) -> None:
    """Sorting orders what the query finds: a query typed in Telex or with a wrong tone finds the products by
    price as it does by relevance, each matching every word with accents folded."""
    for typed in ("keos duaf", "kẹo dửa", "kẹo dừa"):
        by_price = await search(catalogue, typed, sort="PRICE_ASC", first=50)
        found = names(by_price)
        assert found, typed
        assert all("keo" in fold(n) and "dua" in fold(n) for n in found), (typed, found)
        prices = [e["node"]["priceVnd"] for e in by_price["edges"]]
        assert prices == sorted(prices), typed
        assert set(found) & set(names(await search(catalogue, typed, first=50))), typed  # the same products
