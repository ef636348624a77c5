"""Relay pagination both ways on every connection: walking forward with first/after and back with last/before
visits the same items in reverse order, once each; the page flags hold at both ends; `last` alone is the final
page; first with last, and cursors from elsewhere in `before`, are typed refusals; a backward page costs the
MongoDB commands a forward one does."""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from typing import Any

import pytest
from bson import ObjectId

from market.accounts.policy import Principal
from market.accounts.records import Role
from market.accounts.services import create_account, issue_api_key
from market.catalog.records import ProducerType, ProductStatus
from market.core.paging import encode_cursor, sort_signature
from market.store import Store
from market.trade.events import create_trade_event
from market.trade.inquiries import Match, submit_inquiry
from market.trade.quotations import accept_quotation, submit_quotation
from market.trade.records import Criteria
from tests.conftest import Api, Catalogue, CommandCounter, gid

PAGE_ARGS = "first: $first, after: $after, last: $last, before: $before"


def connection_query(field: str, args: str = "") -> str:
    return f"""query($first: Int, $after: String, $last: Int, $before: String) {{
      {field}({PAGE_ARGS}{args}) {{
        edges {{ cursor node {{ id }} }}
        pageInfo {{ hasPreviousPage hasNextPage startCursor endCursor }}
      }}
    }}"""


async def page(api: Api, query: str, as_: str | None, **variables: Any) -> dict[str, Any]:
    data = await api.data(query, variables, as_=as_)
    connection: dict[str, Any] = next(iter(data.values()))
    edges, info = connection["edges"], connection["pageInfo"]
    assert info["startCursor"] == (edges[0]["cursor"] if edges else None)
    assert info["endCursor"] == (edges[-1]["cursor"] if edges else None)
    return connection


def ids(connection: dict[str, Any]) -> list[str]:
    return [e["node"]["id"] for e in connection["edges"]]


async def walk_both_ways(api: Api, query: str, size: int, as_: str | None = None) -> list[str]:
    """The whole list, forward then backward; asserts both walks agree and the flags at every page."""
    forward: list[str] = []
    after = None
    while True:
        connection = await page(api, query, as_, first=size, after=after)
        info = connection["pageInfo"]
        assert info["hasPreviousPage"] is (after is not None), info
        forward += ids(connection)
        if not info["hasNextPage"]:
            assert len(ids(connection)) <= size
            break
        assert len(ids(connection)) == size
        after = info["endCursor"]
    assert len(forward) == len(set(forward)), "a forward walk repeated an item"

    backward: list[str] = []
    before = None
    while True:
        connection = await page(api, query, as_, last=size, before=before)
        info = connection["pageInfo"]
        assert info["hasNextPage"] is (before is not None), info
        if before is None:  # `last` alone: the final page
            assert ids(connection) == forward[-size:]
        backward = ids(connection) + backward
        if not info["hasPreviousPage"]:
            break
        assert len(ids(connection)) == size
        before = info["startCursor"]
    assert backward == forward, "walking back did not visit the forward walk's items in reverse"
    return forward


async def refusal(api: Api, query: str, as_: str | None, **variables: Any) -> tuple[str, str]:
    body = await api.gql(query, variables, as_=as_)
    assert body["data"] is None, body
    extensions = body["errors"][0]["extensions"]
    return extensions["code"], extensions["field"]


async def assert_refusals(api: Api, query: str, as_: str | None, foreign_cursor: str) -> None:
    assert await refusal(api, query, as_, first=2, last=2) == ("INVALID", "last")
    assert await refusal(api, query, as_, last=101) == ("OUT_OF_RANGE", "last")
    assert await refusal(api, query, as_, last=-1) == ("OUT_OF_RANGE", "last")
    for bad in ("not-a-cursor", foreign_cursor):
        assert await refusal(api, query, as_, last=2, before=bad) == ("INVALID", "before")
        assert await refusal(api, query, as_, first=2, before=bad) == ("INVALID", "before")
    assert await refusal(api, query, as_, last=2, after="not-a-cursor") == ("INVALID", "after")


# A well-formed cursor of another list: refused by every keyset list here, and not an offset cursor either.
FOREIGN = encode_cursor(sort_signature("elsewhere", [("_id", 1)]), [ObjectId("65f1a2b3c4d5e6f708192a3b")])


# --- keyset lists over MongoDB ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def lists(api: Api, store: Store) -> dict[str, Any]:
    """Seven producers, nine products (prices tied in pairs, so the order leans on its tiebreak), a buyer of
    its own with seven inquiries, five of them deals, and seven trade events (some on the same day)."""
    tag = secrets.token_hex(3)
    producers = [
        await store.producers.insert(
            {
                "name": f"HTX Hai chiều {tag} {i}",
                "type": ProducerType.COOPERATIVE.value,
                "address": {"provinceCode": "86"},
            }
        )
        for i in range(7)
    ]
    products = [
        await store.products.insert(
            {
                "producerId": producers[i % 3].id,
                "name": f"Sản phẩm hai chiều {tag} {i}",
                "description": "",
                "group": "food",
                "category": "Đặc sản",
                "stars": 3 + i % 3,
                "provinceCode": "86",
                "priceVnd": 10000 * (1 + i // 2),
                "unit": "hộp",
                "moq": 1,
                "status": ProductStatus.PUBLISHED.value,
            }
        )
        for i in range(9)
    ]
    org = await store.buyers.insert({"name": f"Siêu thị hai chiều {tag}", "kind": "supermarket_chain"})
    account = await create_account(store, name="Buyer both ways", role=Role.BUYER, org_id=str(org.id))
    key = f"both-ways-{tag}"
    api.keys[key] = await issue_api_key(store, account.id, key)
    buyer = Principal(account.id, key, Role.BUYER, account.org_id, account.province_code)

    async def no_matchmaking(criteria: Criteria, limit: int) -> list[Match]:
        raise AssertionError("direct inquiries need no matchmaking")

    inquiries, deals = [], []
    for i, product in enumerate(products[:7]):
        inquiry = await submit_inquiry(
            store, buyer, {"productId": str(product.id), "quantity": 10 + i, "unit": "hộp"}, no_matchmaking
        )
        inquiries.append(gid("Inquiry", inquiry.id))
        if i < 5:
            maker = Principal(ObjectId(), "maker", Role.PRODUCER, product.producer_id)
            quotation = await submit_quotation(store, maker, str(inquiry.id), {"unitPriceVnd": 1000, "leadTimeDays": 1})
            deal = await accept_quotation(store, buyer, str(quotation.id), 1)
            deals.append(gid("Deal", deal.id))
    admin = Principal(ObjectId(), "admin", Role.ADMIN)
    events = []
    for i in range(7):
        day = date.today() - timedelta(days=30 - i // 2)
        event = await create_trade_event(
            store,
            admin,
            {"name": f"Hội chợ hai chiều {tag} {i}", "organiser": "Sở Công Thương", "province": "86", "startsOn": day},
        )
        events.append(gid("TradeEvent", event.id))
    return {
        "tag": tag,
        "producers": [gid("Producer", p.id) for p in producers],
        "producer": gid("Producer", producers[0].id),
        "products": [gid("Product", p.id) for p in products],
        "buyer": key,
        "inquiries": inquiries,
        "deals": deals,
        "events": events,
    }


def product_query(lists: dict[str, Any], sort: str) -> str:
    tagged = f'filter: {{province: "86"}}, sort: {sort}'
    if sort == "NEWEST":  # narrowed to this module's products, to check exactly which items the walk visits
        tagged = f'filter: {{province: "86", producer: "{lists["producer"]}"}}, sort: NEWEST'
    return connection_query("products", f", {tagged}")


@pytest.mark.parametrize("sort", ["NEWEST", "PRICE_ASC", "PRICE_DESC", "STARS_DESC", "NAME"])
async def test_products_both_ways(api: Api, lists: dict[str, Any], sort: str) -> None:
    visited = await walk_both_ways(api, product_query(lists, sort), 2)
    if sort == "NEWEST":
        assert sorted(visited) == sorted(lists["products"][0::3])
    else:
        assert set(lists["products"]) <= set(visited)


async def test_producers_both_ways(api: Api, lists: dict[str, Any]) -> None:
    query = connection_query("producers", f', filter: {{namePrefix: "HTX Hai chiều {lists["tag"]}"}}')
    assert await walk_both_ways(api, query, 3) == lists["producers"]


async def test_inquiries_both_ways(api: Api, lists: dict[str, Any]) -> None:
    visited = await walk_both_ways(api, connection_query("inquiries"), 2, as_=lists["buyer"])
    assert visited == lists["inquiries"][::-1]  # newest first


async def test_deals_both_ways(api: Api, lists: dict[str, Any]) -> None:
    visited = await walk_both_ways(api, connection_query("deals"), 2, as_=lists["buyer"])
    assert visited == lists["deals"][::-1]


async def test_trade_events_both_ways(api: Api, lists: dict[str, Any]) -> None:
    visited = await walk_both_ways(api, connection_query("tradeEvents"), 3)
    assert set(lists["events"]) <= set(visited)


async def test_a_page_between_two_cursors(api: Api, lists: dict[str, Any]) -> None:
    query = connection_query("producers", f', filter: {{namePrefix: "HTX Hai chiều {lists["tag"]}"}}')
    every = await page(api, query, None, first=7)
    cursors = [e["cursor"] for e in every["edges"]]
    middle = lists["producers"][2:5]
    for sizes in ({"first": 5}, {"last": 5}, {}):
        between = await page(api, query, None, after=cursors[1], before=cursors[5], **sizes)
        assert ids(between) == middle, sizes
    short = await page(api, query, None, after=cursors[1], before=cursors[5], last=2)
    assert ids(short) == middle[1:]
    assert (short["pageInfo"]["hasPreviousPage"], short["pageInfo"]["hasNextPage"]) == (True, True)
    # `before` alone counts back from it.
    assert ids(await page(api, query, None, before=cursors[3])) == lists["producers"][:3]
    empty = await page(api, query, None, last=0, before=cursors[3])
    assert empty["edges"] == [] and empty["pageInfo"]["hasNextPage"] is True


@pytest.mark.parametrize(
    ("query", "as_buyer"),
    [
        pytest.param(connection_query("products"), False, id="products"),
        pytest.param(connection_query("producers"), False, id="producers"),
        pytest.param(connection_query("inquiries"), True, id="inquiries"),
        pytest.param(connection_query("deals"), True, id="deals"),
        pytest.param(connection_query("tradeEvents"), False, id="trade events"),
    ],
)
async def test_keyset_refusals(api: Api, lists: dict[str, Any], query: str, as_buyer: bool) -> None:
    await assert_refusals(api, query, lists["buyer"] if as_buyer else None, FOREIGN)


async def test_a_cursor_of_another_order_is_refused_in_before(api: Api, lists: dict[str, Any]) -> None:
    by_price = await page(api, product_query(lists, "PRICE_ASC"), None, first=1)
    cursor = by_price["edges"][0]["cursor"]
    assert await refusal(api, product_query(lists, "NAME"), None, last=1, before=cursor) == ("INVALID", "before")
    assert ids(await page(api, product_query(lists, "PRICE_ASC"), None, last=1, before=cursor)) == []


async def test_backward_pages_cost_what_forward_pages_do(
    api: Api, store: Store, counter: CommandCounter, lists: dict[str, Any]
) -> None:
    products = """query($first: Int, $last: Int, $before: String) {
      products(first: $first, last: $last, before: $before, filter: {province: "86"}) {
        totalCount edges { cursor node { name producer { name verified } } } } }"""
    inbox = """query($first: Int, $last: Int, $before: String) {
      inquiries(first: $first, last: $last, before: $before) { totalCount edges { cursor node { id status
        product { name producer { name } } invitations { status producer { name } } quotations { producer { name } } } } } }"""
    deals = """query($first: Int, $last: Int, $before: String) {
      deals(first: $first, last: $last, before: $before) { totalCount edges { cursor node { id state
        producer { name } product { name } inquiry { id } quotation { id } } } } }"""
    await api.data("{ me { name } }", as_=lists["buyer"])  # the key's lookup is cached after this

    async def commands(query: str, **variables: Any) -> tuple[list[str], list[str]]:
        """The commands one page costs, and its cursors."""
        with counter.counting(store.db.name) as sent:
            data = await api.data(query, variables, as_=lists["buyer"])
        edges = next(iter(data.values()))["edges"]
        assert len(edges) == 2
        return sorted(sent), [e["cursor"] for e in edges]

    for query in (products, inbox, deals):
        forward, _ = await commands(query, first=2)
        tail, cursors = await commands(query, last=2)
        back, _ = await commands(query, last=2, before=cursors[0])
        assert forward == tail == back, (query, forward, tail, back)


# --- offset lists over Meilisearch ----------------------------------------------------------------------------


def search_query(args: str) -> str:
    return connection_query("searchProducts", f", {args}")


@pytest.mark.parametrize(
    "args",
    [
        pytest.param('query: "kẹo"', id="relevance"),
        pytest.param('query: "caf phee"', id="federated"),
        pytest.param('query: "", filter: {groups: [BEVERAGE]}, sort: PRICE_ASC', id="sorted"),
    ],
)
async def test_search_both_ways(catalogue: Catalogue, args: str) -> None:
    visited = await walk_both_ways(catalogue.api, search_query(args), 7)
    assert len(visited) > 7


async def test_search_windows(catalogue: Catalogue) -> None:
    query = search_query('query: "kẹo"')
    every = ids(await page(catalogue.api, query, None, first=30))
    # `before: o:n` with `last: k` reads from max(0, n - k).
    back = await page(catalogue.api, query, None, last=4, before="o:10")
    assert ids(back) == every[6:10] and back["edges"][0]["cursor"] == "o:6"
    assert (back["pageInfo"]["hasPreviousPage"], back["pageInfo"]["hasNextPage"]) == (True, True)
    near_start = await page(catalogue.api, query, None, last=4, before="o:2")
    assert ids(near_start) == every[:2] and near_start["pageInfo"]["hasPreviousPage"] is False
    between = await page(catalogue.api, query, None, first=10, after="o:3", before="o:7")
    assert ids(between) == every[4:7] and between["pageInfo"]["hasNextPage"] is False


async def test_search_refusals(catalogue: Catalogue) -> None:
    query = search_query('query: "dừa"')
    await assert_refusals(catalogue.api, query, None, "x:1")
    for bad in ("o:99999999999999999999", "o:-1", "o:1e3", "o:"):
        assert await refusal(catalogue.api, query, None, last=2, before=bad) == ("INVALID", "before")
    assert await refusal(catalogue.api, query, None, last=2, before="o:999999") == ("OUT_OF_RANGE", "before")


async def test_rfq_board_both_ways(catalogue: Catalogue) -> None:
    store = catalogue.fixture.store
    maker = await store.db["products"].find_one({"status": "published"})
    assert maker is not None
    org = await store.buyers.insert({"name": f"Đại lý hai chiều {secrets.token_hex(3)}", "kind": "distributor"})
    account = await create_account(store, name="Board buyer", role=Role.BUYER, org_id=str(org.id))
    buyer = Principal(account.id, "board", Role.BUYER, account.org_id)

    async def one(criteria: Criteria, limit: int) -> list[Match]:
        return [Match(maker["producerId"], [], "both ways")]

    for word in ("mật ong", "nước mắm", "cà phê", "gạo", "trà"):
        await submit_inquiry(store, buyer, {"criteria": {"query": word}, "quantity": 50, "unit": "kg"}, one)
    await catalogue.sync_board()
    admin = await create_account(store, name="Board admin", role=Role.ADMIN)
    key = f"board-admin-{secrets.token_hex(3)}"
    catalogue.api.keys[key] = await issue_api_key(store, admin.id, key)
    visited = await walk_both_ways(catalogue.api, connection_query("openRequests"), 2, as_=key)
    assert len(visited) >= 5
    await assert_refusals(catalogue.api, connection_query("openRequests"), key, "x:1")
