"""Catalog queries: pagination edges, filters (province aliasing), visibility, node lookups, limits,
and the round-trip budget of a product page with its producers."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from market.catalog.records import ProducerType, ProductStatus
from market.store import Store
from tests.conftest import Api, CommandCounter, World, gid

PAGE = """
query($first: Int, $after: String, $filter: ProductFilter, $sort: ProductSort) {
  products(first: $first, after: $after, filter: $filter, sort: $sort) {
    totalCount
    edges { cursor node { id name priceVnd stars province { code formerName } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""


@pytest.fixture(scope="module")
async def catalog(store: Store) -> dict[str, Any]:
    """A province-tagged catalog of its own: 7 published products, 1 draft, under a unique producer."""
    tag = secrets.token_hex(3)
    producer = await store.producers.insert(
        {"name": f"HTX Kiểm thử {tag}", "type": ProducerType.COOPERATIVE.value, "address": {"provinceCode": "86"}}
    )
    rows = [
        ("Kẹo dừa Bến Tre", "Bến Tre", 30000, 3),
        ("Bánh tét Trà Cuôn", "Trà Vinh", 80000, 4),
        ("Khô cá lóc Vĩnh Long", None, 250000, 5),
        ("Mật hoa dừa", "Trà Vinh", 90000, 4),
        ("Dầu dừa tinh khiết", "Bến Tre", 120000, 3),
        ("Bưởi Năm Roi", None, 60000, 4),
        ("Thạch dừa", "Bến Tre", 25000, 3),
    ]
    ids = []
    for name, former, price, stars in rows:
        product = await store.products.insert(
            {
                "producerId": producer.id,
                "name": name,
                "description": "",
                "group": "food",
                "category": "Đặc sản",
                "stars": stars,
                "provinceCode": "86",
                "formerProvince": former,
                "priceVnd": price,
                "unit": "hộp",
                "moq": 1,
                "status": ProductStatus.PUBLISHED.value,
            }
        )
        ids.append(product.id)
    draft = await store.products.insert(
        {
            "producerId": producer.id,
            "name": "Sản phẩm nháp",
            "description": "",
            "group": "food",
            "category": "x",
            "stars": 3,
            "provinceCode": "86",
            "priceVnd": 1,
            "unit": "hộp",
            "moq": 1,
            "status": ProductStatus.DRAFT.value,
        }
    )
    return {"producer": gid("Producer", producer.id), "ids": ids, "draft": gid("Product", draft.id)}


def names(data: dict[str, Any]) -> list[str]:
    return [e["node"]["name"] for e in data["products"]["edges"]]


async def test_pages_cover_the_list_exactly_once(api: Api, catalog: dict[str, Any]) -> None:
    flt = {"producer": catalog["producer"]}
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        data = await api.data(PAGE, {"first": 3, "after": after, "filter": flt, "sort": "PRICE_ASC"})
        conn = data["products"]
        assert conn["totalCount"] == 7
        seen += names(data)
        pages += 1
        assert conn["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert pages == 3
    assert len(seen) == len(set(seen)) == 7
    prices = [e for e in seen]
    assert prices[0] == "Thạch dừa" and prices[-1] == "Khô cá lóc Vĩnh Long"


async def test_page_edges(api: Api, catalog: dict[str, Any]) -> None:
    flt = {"producer": catalog["producer"]}
    exact = await api.data(PAGE, {"first": 7, "filter": flt})
    assert len(exact["products"]["edges"]) == 7 and exact["products"]["pageInfo"]["hasNextPage"] is False
    empty = await api.data(PAGE, {"first": 0, "filter": flt})
    assert empty["products"]["edges"] == [] and empty["products"]["pageInfo"]["endCursor"] is None
    assert empty["products"]["pageInfo"]["hasNextPage"] is True  # as searchProducts answers: the list goes on
    last = exact["products"]["pageInfo"]["endCursor"]
    beyond = await api.data(PAGE, {"first": 5, "after": last, "filter": flt})
    assert beyond["products"]["edges"] == [] and beyond["products"]["pageInfo"]["hasNextPage"] is False


@pytest.mark.parametrize(
    ("variables", "field", "code"),
    [
        ({"first": 101}, "first", "OUT_OF_RANGE"),
        ({"first": -1}, "first", "OUT_OF_RANGE"),
        ({"after": "not-a-cursor"}, "after", "INVALID"),
        ({"filter": {"province": "Atlantis"}}, "filter.province", "UNKNOWN_PROVINCE"),
        ({"filter": {"producer": "bogus"}}, "filter.producer", "INVALID"),
        ({"filter": {"minStars": -1}}, "filter.minStars", "OUT_OF_RANGE"),
        ({"filter": {"minStars": 6}}, "filter.minStars", "OUT_OF_RANGE"),
    ],
)
async def test_bad_list_arguments_are_typed_errors(api: Api, variables: dict[str, Any], field: str, code: str) -> None:
    body = await api.gql(PAGE, variables)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == code
    assert body["errors"][0]["extensions"]["field"] == field


@pytest.mark.parametrize(
    ("province", "expected"),
    [
        ("Vĩnh Long", 7),  # the current province includes its old provinces
        ("vinh long", 7),
        ("86", 7),
        ("Bến Tre", 3),  # an old name means exactly that old province
        ("ben tre", 3),
        ("TỈNH TRÀ VINH", 2),
    ],
)
async def test_province_filter_accepts_old_and_new_names(
    api: Api, catalog: dict[str, Any], province: str, expected: int
) -> None:
    data = await api.data(PAGE, {"first": 20, "filter": {"producer": catalog["producer"], "province": province}})
    assert data["products"]["totalCount"] == expected
    assert len(data["products"]["edges"]) == expected


async def test_filters_combine(api: Api, catalog: dict[str, Any]) -> None:
    data = await api.data(PAGE, {"filter": {"producer": catalog["producer"], "minStars": 4, "groups": ["FOOD"]}})
    assert sorted(names(data)) == ["Bánh tét Trà Cuôn", "Bưởi Năm Roi", "Khô cá lóc Vĩnh Long", "Mật hoa dừa"]
    none = await api.data(PAGE, {"filter": {"producer": catalog["producer"], "groups": ["HANDICRAFT"]}})
    assert none["products"]["totalCount"] == 0


async def test_drafts_are_hidden_from_the_public(api: Api, world: World, catalog: dict[str, Any]) -> None:
    flt = {"producer": catalog["producer"], "status": ["DRAFT"]}
    assert (await api.data(PAGE, {"filter": flt}))["products"]["totalCount"] == 0
    assert (await api.data(PAGE, {"filter": flt}, as_="buyer"))["products"]["totalCount"] == 0
    assert (await api.data(PAGE, {"filter": flt}, as_="admin"))["products"]["totalCount"] == 1
    assert (await api.data(PAGE, {"filter": flt}, as_="coordinator"))["products"]["totalCount"] == 1
    query = "query($id: ID!) { product(id: $id) { name } node(id: $id) { id } }"
    hidden = await api.data(query, {"id": catalog["draft"]})
    assert hidden == {"product": None, "node": None}
    seen = await api.data(query, {"id": catalog["draft"]}, as_="admin")
    assert seen["product"] == {"name": "Sản phẩm nháp"}


async def test_node_and_nodes(api: Api, catalog: dict[str, Any], world: World) -> None:
    first = gid("Product", catalog["ids"][0])
    query = """query($ids: [ID!]!, $id: ID!) {
      nodes(ids: $ids) { __typename ... on Product { name } ... on Producer { name } }
      node(id: $id) { ... on Producer { name verified } }
    }"""
    data = await api.data(query, {"ids": [first, world.producer_gid], "id": world.producer_gid})
    assert data["nodes"][0] == {"__typename": "Product", "name": "Kẹo dừa Bến Tre"}
    assert data["nodes"][1]["__typename"] == "Producer"
    assert data["node"]["verified"] is True


async def test_producers_list_and_filters(api: Api, world: World) -> None:
    query = """query($filter: ProducerFilter, $first: Int) {
      producers(filter: $filter, first: $first) { totalCount edges { node { name type address { province { code formerName } } } } }
    }"""
    data = await api.data(query, {"filter": {"province": "kien giang", "namePrefix": "cong ty nuoc mam"}})
    assert data["producers"]["totalCount"] >= 1
    assert all(e["node"]["address"]["province"]["formerName"] == "Kiên Giang" for e in data["producers"]["edges"])
    body = await api.gql(query, {"first": 500})
    assert body["errors"][0]["extensions"] == {
        "code": "OUT_OF_RANGE",
        "field": "first",
        "params": {"max": 100, "got": 500},
        "errors": [
            {
                "code": "OUT_OF_RANGE",
                "field": "first",
                "message": "first must be at most 100, got 500",
                "params": {"max": 100, "got": 500},
            }
        ],
    }


async def test_provinces_and_me(api: Api, world: World) -> None:
    data = await api.data('{ provinces { code name formerNames } province(name: "ben tre") { name } }')
    assert len(data["provinces"]) == 34
    assert data["province"] == {"name": "Vĩnh Long"}
    vinh_long = next(p for p in data["provinces"] if p["code"] == "86")
    assert set(vinh_long["formerNames"]) == {"Vĩnh Long", "Bến Tre", "Trà Vinh"}
    assert (await api.data("{ me { name } }")) == {"me": None}
    me = await api.data(
        "{ me { role producer { name } buyerOrganisation { name } province { name } } }", as_="producer"
    )
    assert me["me"]["role"] == "PRODUCER" and me["me"]["producer"]["name"].startswith("HTX Dừa sáp Cầu Kè")
    me = await api.data("{ me { role province { name } } }", as_="coordinator")
    assert me["me"] == {"role": "COORDINATOR", "province": {"name": "Vĩnh Long"}}


async def test_query_limits(api: Api) -> None:
    deep = "{ products { edges { node { producer { " + "id " * 1 + "} } } } }"
    assert "errors" not in await api.gql(deep)
    aliases = "{ " + " ".join(f"a{i}: provinces {{ code }}" for i in range(40)) + " }"
    body = await api.gql(aliases)
    assert "aliases" in body["errors"][0]["message"].lower()


# --- round trips -------------------------------------------------------------------------------------


async def test_product_page_with_producers_costs_constant_round_trips(
    api: Api, store: Store, counter: CommandCounter, world: World
) -> None:
    """N products with their producers: one find, one count, one batched producer lookup, whatever N."""
    tag = secrets.token_hex(3)
    producer_ids = []
    for i in range(12):
        producer = await store.producers.insert(
            {"name": f"Cơ sở đếm {tag} {i}", "type": "household", "address": {"provinceCode": "01"}}
        )
        producer_ids.append(producer.id)
    for i in range(40):
        await store.products.insert(
            {
                "producerId": producer_ids[i % 12],
                "name": f"Sản phẩm {tag} {i}",
                "description": "",
                "group": "food",
                "category": "x",
                "stars": 3,
                "provinceCode": "01",
                "priceVnd": 1000 + i,
                "unit": "kg",
                "moq": 1,
                "status": "published",
            }
        )
    query = """query($first: Int) {
      products(first: $first, filter: {province: "01"}) {
        totalCount edges { node { name producer { name verified address { province { name } } } } }
      }
    }"""

    async def commands_for(first: int) -> list[str]:
        with counter.counting(store.db.name) as commands:
            data = await api.data(query, {"first": first})
        assert len(data["products"]["edges"]) == first
        return commands

    small, large = await commands_for(2), await commands_for(40)
    assert sorted(small) == sorted(large) == ["aggregate", "find", "find"]


async def test_a_product_with_its_producer_is_one_round_trip(
    api: Api, store: Store, counter: CommandCounter, world: World
) -> None:
    """`product(id)` with `producer` selected reads both records in one command; what the viewer may not see
    stays null, and without `producer` the product alone is read."""
    producer = await store.producers.insert(
        {"name": f"Cơ sở một lượt {secrets.token_hex(3)}", "type": "household", "address": {"provinceCode": "01"}}
    )
    fields = {"description": "", "group": "food", "category": "x", "stars": 4, "provinceCode": "01", "unit": "kg"}
    shown = await store.products.insert(
        {
            **fields,
            "producerId": producer.id,
            "name": "Mật ong một lượt",
            "priceVnd": 120_000,
            "moq": 1,
            "status": "published",
        }
    )
    draft = await store.products.insert(
        {**fields, "producerId": producer.id, "name": "Bản nháp một lượt", "priceVnd": 1, "moq": 1, "status": "draft"}
    )
    with_maker = "query($id: ID!) { product(id: $id) { name producer { name } } }"
    with counter.counting(store.db.name) as commands:
        data = await api.data(with_maker, {"id": gid("Product", shown.id)})
    assert data["product"] == {"name": "Mật ong một lượt", "producer": {"name": producer.name}}
    assert commands == ["aggregate"]
    with counter.counting(store.db.name) as commands:
        data = await api.data(with_maker, {"id": gid("Product", draft.id)})
    assert data["product"] is None and commands == ["aggregate"]
    with counter.counting(store.db.name) as commands:
        data = await api.data("query($id: ID!) { product(id: $id) { name } }", {"id": gid("Product", shown.id)})
    assert data["product"] == {"name": "Mật ong một lượt"} and commands == ["find"]
    missing = await api.data(with_maker, {"id": gid("Product", "0" * 24)})
    assert missing["product"] is None
