"""Who sees and does what on the trade side, role by operation, through the GraphQL surface (node lookups,
connections and nested fields), plus the round trips of the inbox and deal lists."""

from __future__ import annotations

import base64
import secrets
from datetime import date, timedelta
from typing import Any

import pytest
from bson import ObjectId

from market.accounts.policy import Principal
from market.accounts.records import Role
from market.accounts.services import create_account, issue_api_key
from market.trade.inquiries import Match, submit_inquiry
from market.trade.quotations import accept_quotation, submit_quotation
from market.trade.records import Criteria
from schema import build_schema
from schema.context import Context
from schema.execution import COUNTS
from schema.loaders import Loaders
from tests.conftest import Catalogue, CommandCounter

ROLES = ("buyer", "other_buyer", "maker", "rival", "outsider", "office", "other_office", "admin", "anonymous")


def node_id(global_id: str) -> str:
    return base64.b64decode(global_id).decode().split(":", 1)[1]


def gid(type_name: str, oid: object) -> str:
    return base64.b64encode(f"{type_name}:{oid}".encode()).decode()


@pytest.fixture(scope="module")
async def scene(catalogue: Catalogue) -> dict[str, Any]:
    """Two candy makers of Vĩnh Long invited to one RFQ; the first quoted and was accepted."""
    store = catalogue.fixture.store
    makers = await store.db["products"].distinct(
        "producerId", {"provinceCode": "86", "status": "published", "name": {"$regex": "^Kẹo dừa"}}
    )
    outsider_producer = await store.db["products"].find_one({"provinceCode": "01", "status": "published"})
    assert len(makers) >= 2 and outsider_producer is not None
    maker, rival = makers[0], makers[1]
    keys: dict[str, str | None] = {"anonymous": None}
    principals: dict[str, Principal] = {}

    async def member(role_name: str, role: Role, **kwargs: Any) -> None:
        account = await create_account(store, name=role_name, role=role, **kwargs)
        keys[role_name] = key = f"matrix-{role_name}-{secrets.token_hex(2)}"
        catalogue.api.keys[key] = await issue_api_key(store, account.id, role_name)
        principals[role_name] = Principal(account.id, role_name, role, account.org_id, account.province_code)

    for name in ("buyer", "other_buyer"):
        org = await store.buyers.insert({"name": f"{name} {secrets.token_hex(3)}", "kind": "distributor"})
        await member(name, Role.BUYER, org_id=str(org.id))
    await member("maker", Role.PRODUCER, org_id=str(maker))
    await member("rival", Role.PRODUCER, org_id=str(rival))
    await member("outsider", Role.PRODUCER, org_id=str(outsider_producer["producerId"]))
    await member("office", Role.COORDINATOR, province="86")
    await member("other_office", Role.COORDINATOR, province="01")
    await member("admin", Role.ADMIN)

    async def both(criteria: Criteria, limit: int) -> list[Match]:
        return [Match(maker, [], "matrix"), Match(rival, [], "matrix")]

    inquiry = await submit_inquiry(
        store, principals["buyer"], {"criteria": {"query": "kẹo dừa"}, "quantity": 100, "unit": "hộp"}, both
    )
    quotation = await submit_quotation(
        store, principals["maker"], str(inquiry.id), {"unitPriceVnd": 41000, "leadTimeDays": 5}
    )
    deal = await accept_quotation(store, principals["buyer"], str(quotation.id), 1)
    return {
        "keys": keys,
        "principals": principals,
        "inquiry": gid("Inquiry", inquiry.id),
        "quotation": gid("Quotation", quotation.id),
        "deal": gid("Deal", deal.id),
    }


async def ask(cat: Catalogue, scene: dict[str, Any], role: str, query: str, **variables: Any) -> dict[str, Any]:
    key = scene["keys"][role]
    result: dict[str, Any] = await cat.api.gql(query, variables, as_=key)
    return result


SEES = {
    # role: (inquiry, quotation price, deal)
    "buyer": (True, True, True),
    "other_buyer": (False, False, False),
    "maker": (True, True, True),
    "rival": (True, False, False),  # invited, but never sees a competitor's quotation or deal
    "outsider": (False, False, False),
    "office": (True, True, True),  # the producers' province office, read-only
    "other_office": (False, False, False),
    "admin": (True, True, True),
    "anonymous": (False, False, False),
}


@pytest.mark.parametrize("role", ROLES)
async def test_reads(catalogue: Catalogue, scene: dict[str, Any], role: str) -> None:
    sees_inquiry, sees_quotation, sees_deal = SEES[role]
    by_node = await ask(
        catalogue, scene, role, "query($i: ID!, $q: ID!, $d: ID!) { i: node(id: $i) { id } q: node(id: $q) { id } d: node(id: $d) { id } }",
        i=scene["inquiry"], q=scene["quotation"], d=scene["deal"],
    )  # fmt: skip
    data = by_node["data"]
    assert (data["i"] is not None, data["q"] is not None, data["d"] is not None) == SEES[role]
    nested = await ask(
        catalogue, scene, role,
        "query($i: ID!) { inquiry(id: $i) { quotations { current { unitPriceVnd } } invitations { status } } }",
        i=scene["inquiry"],
    )  # fmt: skip
    inquiry = nested["data"]["inquiry"]
    if not sees_inquiry:
        assert inquiry is None
    else:
        prices = [q["current"]["unitPriceVnd"] for q in inquiry["quotations"]]
        assert (41000 in prices) is sees_quotation
        assert len(inquiry["invitations"]) == (1 if role in ("maker", "rival") else 2)
    if role == "anonymous":
        assert (await ask(catalogue, scene, role, "{ deals { totalCount } }"))["errors"][0]["extensions"]["code"] == (
            "UNAUTHENTICATED"
        )
        return
    deals = await ask(catalogue, scene, role, "{ deals(first: 100) { edges { node { id } } } }")
    assert (scene["deal"] in [e["node"]["id"] for e in deals["data"]["deals"]["edges"]]) is sees_deal
    inbox = await ask(catalogue, scene, role, "{ inquiries(first: 100) { edges { node { id } } } }")
    assert (scene["inquiry"] in [e["node"]["id"] for e in inbox["data"]["inquiries"]["edges"]]) is sees_inquiry


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
async def test_who_may_move_the_deal(catalogue: Catalogue, scene: dict[str, Any], role: str) -> None:
    """Read-only parties and strangers cannot move a deal; a stranger cannot even tell it exists."""
    query = "mutation($d: ID!) { advanceDeal(id: $d, to: DELIVERED, expectedVersion: 1) { deal { id } errors { code field } } }"
    result = (await ask(catalogue, scene, role, query, d=scene["deal"]))["data"]["advanceDeal"]
    codes = {e["code"] for e in result["errors"]}
    if role in ("other_buyer", "rival", "outsider", "other_office"):
        assert codes == {"NOT_FOUND"}
    else:  # NEGOTIATING cannot go to DELIVERED, whoever asks
        assert codes == {"INVALID_TRANSITION"}


@pytest.mark.parametrize(
    ("role", "allowed"),
    [("buyer", True), ("other_buyer", True), ("maker", False), ("office", False), ("admin", False)],
)
async def test_who_may_submit_inquiries(catalogue: Catalogue, scene: dict[str, Any], role: str, allowed: bool) -> None:
    query = 'mutation { submitInquiry(input: {criteria: {query: "mật ong"}, quantity: 5, unit: "hũ"}) { inquiry { id } errors { code } } }'
    result = (await ask(catalogue, scene, role, query))["data"]["submitInquiry"]
    assert (result["errors"] == []) is allowed
    if not allowed:
        assert result["errors"][0]["code"] == "FORBIDDEN"


@pytest.mark.parametrize(
    ("role", "province", "allowed"),
    [("admin", None, True), ("office", "86", True), ("office", "01", False), ("office", None, False),
     ("other_office", "01", True), ("buyer", "86", False), ("maker", "86", False)],
)  # fmt: skip
async def test_who_may_read_statistics(
    catalogue: Catalogue, scene: dict[str, Any], role: str, province: str | None, allowed: bool
) -> None:
    result = await ask(
        catalogue, scene, role, "query($p: ID) { ocopStats(province: $p) { productsTotal } }", p=province
    )
    if allowed:
        assert result["data"]["ocopStats"]["productsTotal"] >= 0
    else:
        assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_inbox_and_deal_pages_cost_constant_round_trips(
    catalogue: Catalogue, scene: dict[str, Any], counter: CommandCounter
) -> None:
    """A page of N inquiries (with product, producers, invitations and quotations) or deals costs the same
    MongoDB commands whatever N is."""
    store = catalogue.fixture.store
    buyer = scene["principals"]["buyer"]
    products = await store.db["products"].find({"status": "published"}, limit=12).to_list(None)
    for product in products:
        inquiry = await submit_inquiry(
            store, buyer, {"productId": str(product["_id"]), "quantity": 10, "unit": "hộp"}, _no_matchmaking
        )
        maker = Principal(ObjectId(), "maker", Role.PRODUCER, product["producerId"])
        quotation = await submit_quotation(store, maker, str(inquiry.id), {"unitPriceVnd": 1000, "leadTimeDays": 1})
        await accept_quotation(store, buyer, str(quotation.id), 1)
    inbox = """query($n: Int) { inquiries(first: $n) { totalCount edges { node { id status product { name producer { name } }
      invitations { status producer { name verified } matchedProducts { name } }
      quotations { current { unitPriceVnd } producer { name } } buyerOrganisation { name } } } } }"""
    deals = """query($n: Int) { deals(first: $n) { totalCount edges { node { id state valueVnd allowedTransitions
      producer { name } product { name } buyerOrganisation { name }
      inquiry { id status } quotation { id current { unitPriceVnd } inquiry { id } } } } } }"""

    async def commands_for(query: str, first: int) -> list[str]:
        with counter.counting(catalogue.settings.db_name) as commands:
            body = await catalogue.api.data(query, {"n": first}, as_=scene["keys"]["buyer"])
        assert len(next(iter(body.values()))["edges"]) == first
        return commands

    await catalogue.api.data("{ me { name } }", as_=scene["keys"]["buyer"])  # the key's lookup is cached after this
    small, large = await commands_for(inbox, 2), await commands_for(inbox, 12)
    assert sorted(small) == sorted(large) and len(large) <= 6, large
    small, large = await commands_for(deals, 2), await commands_for(deals, 12)
    assert sorted(small) == sorted(large) and len(large) <= 7, large

    # The page's records are loaded ahead (schema/prefetch.py): its nested fields answer at once, and the short
    # execution path completes the whole page in one walk, handing nothing back to graphql-core.
    page = """query($n: Int) { inquiries(first: $n) { edges { node { id status quantity unit
      product { name priceVnd producer { name verified } } invitations { status producer { name } }
      quotations { current { unitPriceVnd leadTimeDays } } buyerOrganisation { name } } } } }"""
    before = (COUNTS.objects, COUNTS.fields, COUNTS.handed_back)
    edges = (await catalogue.api.data(page, {"n": 12}, as_=scene["keys"]["buyer"]))["inquiries"]["edges"]
    assert len(edges) == 12 and all(e["node"]["product"]["producer"]["name"] for e in edges)
    assert all(e["node"]["quotations"][0]["current"]["unitPriceVnd"] == 1000 for e in edges)
    assert (COUNTS.objects, COUNTS.fields, COUNTS.handed_back) == (before[0] + 1, before[1], before[2])


@pytest.mark.parametrize("role", ["buyer", "maker", "office", "admin"])
async def test_trade_pages_are_answered_alike_with_and_without_the_short_path(
    catalogue: Catalogue, scene: dict[str, Any], role: str
) -> None:
    """The inbox and deal pages load their records ahead and run on the short path with lean resolvers:
    every role gets what Strawberry's own resolvers and execution give."""
    store = catalogue.fixture.store
    pages = [
        """query($n: Int) { inquiries(first: $n) { totalCount edges { cursor node { id status quantity unit
          product { id name priceVnd producer { id name verified } } buyerOrganisation { name }
          invitations { status producer { id name } matchedProducts { name } }
          quotations { current { unitPriceVnd leadTimeDays } producer { name } } } } } }""",
        """query($n: Int) { deals(first: $n) { totalCount edges { node { id state valueVnd allowedTransitions
          producer { name } product { name producer { name } } buyerOrganisation { name }
          inquiry { id status } quotation { id current { unitPriceVnd } } } } } }""",
    ]
    answers = []
    for schema in (build_schema(), build_schema(short_path=False)):
        for page in pages:
            context = Context(store=store, search=None, viewer=scene["principals"][role], loaders=Loaders.create(store))  # type: ignore[arg-type]
            result = await schema.execute(page, variable_values={"n": 50}, context_value=context)
            answers.append((result.data, [(e.message, e.path) for e in result.errors or []]))
    assert answers[:2] == answers[2:]
    assert not answers[0][1] and answers[0][0]["inquiries"]["edges"]  # the pages hold something to compare
    assert answers[1][0]["deals"]["edges"]
    # Both ways load the page ahead: each record must also be the one the database holds for its node.
    for edge in answers[0][0]["inquiries"]["edges"]:
        node = edge["node"]
        inquiry = await store.db["inquiries"].find_one({"_id": ObjectId(_node_id(node["id"]))})
        product = await store.db["products"].find_one({"_id": inquiry["productId"]}) if inquiry["productId"] else None
        assert (node["product"] or {}).get("name") == (product or {}).get("name")
        if product is not None:
            maker = await store.db["producers"].find_one({"_id": product["producerId"]})
            assert node["product"]["producer"]["name"] == maker["name"]
        invited = [str(i["producerId"]) for i in inquiry.get("invitations", [])]
        shown = [_node_id(i["producer"]["id"]) for i in node["invitations"]]
        assert shown == [p for p in invited if p in shown]  # in the inquiry's order: those the role may see


def _node_id(global_id: str) -> str:
    return base64.b64decode(global_id).decode().split(":", 1)[1]


# --- paths that must ask the same policy as `inquiry(id)` and `deal(id)`: the RFQ board and event reports --------

SUBMIT = "mutation($input: SubmitInquiryInput!) { submitInquiry(input: $input) { inquiry { id invitations { producer { id } } } errors { code } } }"
QUOTE = "mutation($i: ID!, $input: QuotationInput!) { submitQuotation(inquiryId: $i, input: $input) { quotation { id } errors { code } } }"
ACCEPT = "mutation($q: ID!) { acceptQuotation(id: $q, revision: 1) { deal { id valueVnd } errors { code } } }"


def producer_gid(scene: dict[str, Any], role: str) -> str:
    return gid("Producer", scene["principals"][role].org_id)


@pytest.fixture(scope="module")
async def board_rfq(catalogue: Catalogue, scene: dict[str, Any]) -> dict[str, Any]:
    """An open RFQ for coconut candy, with no group, province or rating asked, submitted by the buyer through the
    API: the coconut-candy makers are invited (the scene's maker and rival among them), the maker quoted, and the
    board index is up to date. The Hà Nội outsider matches the board but was not invited."""
    api, keys = catalogue.api, scene["keys"]
    rfq = {"criteria": {"query": "kẹo dừa"}, "quantity": 300, "unit": "hộp"}
    submitted = (await api.data(SUBMIT, {"input": rfq}, as_=keys["buyer"]))["submitInquiry"]
    assert submitted["errors"] == []
    inquiry_id = submitted["inquiry"]["id"]
    quote = {"unitPriceVnd": 45000, "leadTimeDays": 10}
    quoted = (await api.data(QUOTE, {"i": inquiry_id, "input": quote}, as_=keys["maker"]))["submitQuotation"]
    assert quoted["errors"] == []
    await catalogue.sync_board()
    return {
        "id": inquiry_id,
        "invited": sorted(i["producer"]["id"] for i in submitted["inquiry"]["invitations"]),
        "quotation": quoted["quotation"]["id"],
    }


BOARD = "{ openRequests(first: 100) { edges { node { id invitations { status reason producer { id name } } quotations { id } } } } }"


@pytest.mark.parametrize(
    ("role", "own_invitation", "sees_quotation"),
    [("outsider", False, False), ("rival", True, False), ("maker", True, True)],
)
async def test_rfq_board_shows_a_producer_only_its_own_invitation_and_quotation(
    catalogue: Catalogue,
    scene: dict[str, Any],
    board_rfq: dict[str, Any],
    role: str,
    own_invitation: bool,
    sees_quotation: bool,
) -> None:
    """The board asks `visible_invitations` and the quotation policy as `inquiry(id)` does: a producer that can
    meet the RFQ but was not invited reads it without learning who was invited or who quoted."""
    me = producer_gid(scene, role)
    assert (me in board_rfq["invited"]) is own_invitation
    assert {producer_gid(scene, "maker"), producer_gid(scene, "rival")} <= set(board_rfq["invited"])
    body = await ask(catalogue, scene, role, BOARD)
    nodes = {e["node"]["id"]: e["node"] for e in body["data"]["openRequests"]["edges"]}
    assert board_rfq["id"] in nodes  # no group, province or rating asked: every producer can meet it
    node = nodes[board_rfq["id"]]
    assert [i["producer"]["id"] for i in node["invitations"]] == ([me] if own_invitation else [])
    assert [q["id"] for q in node["quotations"]] == ([board_rfq["quotation"]] if sees_quotation else [])
    # Nowhere on its board does a producer see another producer's invitation.
    assert {i["producer"]["id"] for n in nodes.values() for i in n["invitations"]} <= {me}
    # The board shows what `inquiry(id)` shows, to invited and uninvited producers alike.
    by_id = await ask(catalogue, scene, role, "query($i: ID!) { inquiry(id: $i) { invitations { status reason producer { id name } } quotations { id } } }", i=board_rfq["id"])  # fmt: skip
    inquiry = by_id["data"]["inquiry"]
    assert inquiry == {k: node[k] for k in ("invitations", "quotations")}


async def test_rfq_board_shows_an_admin_every_invitation_and_quotation(
    catalogue: Catalogue, scene: dict[str, Any], board_rfq: dict[str, Any]
) -> None:
    body = await ask(catalogue, scene, "admin", BOARD)
    node = next(e["node"] for e in body["data"]["openRequests"]["edges"] if e["node"]["id"] == board_rfq["id"])
    assert sorted(i["producer"]["id"] for i in node["invitations"]) == board_rfq["invited"]
    assert all(
        i["status"] and i["reason"].startswith("matched:") and i["producer"]["name"] for i in node["invitations"]
    )
    assert [q["id"] for q in node["quotations"]] == [board_rfq["quotation"]]


@pytest.fixture(scope="module")
async def event_deals(catalogue: Catalogue, scene: dict[str, Any]) -> dict[str, Any]:
    """A trade event in Vĩnh Long where the buyer signed two MoUs: one with the maker (Vĩnh Long), one with the
    outsider (Hà Nội). Each deal comes from a direct inquiry, quoted and accepted through the API."""
    api, keys, store = catalogue.api, scene["keys"], catalogue.fixture.store
    deals: dict[str, str] = {}
    values: dict[str, int] = {}
    for role, quantity, price in (("maker", 40, 150000), ("outsider", 10, 90000)):
        product = await store.db["products"].find_one(
            {"producerId": scene["principals"][role].org_id, "status": "published"}
        )
        assert product is not None
        direct = {"productId": gid("Product", product["_id"]), "quantity": quantity, "unit": "hộp"}
        inquiry = (await api.data(SUBMIT, {"input": direct}, as_=keys["buyer"]))["submitInquiry"]["inquiry"]
        quote = {"unitPriceVnd": price, "leadTimeDays": 3}
        quotation = (await api.data(QUOTE, {"i": inquiry["id"], "input": quote}, as_=keys[role]))["submitQuotation"]
        accepted = (await api.data(ACCEPT, {"q": quotation["quotation"]["id"]}, as_=keys["buyer"]))["acceptQuotation"]
        assert accepted["errors"] == []
        deals[role], values[role] = accepted["deal"]["id"], accepted["deal"]["valueVnd"]
    # On from yesterday to tomorrow, so that the MoUs, dated today, fall within its days.
    days = {"s": str(date.today() - timedelta(days=1)), "e": str(date.today() + timedelta(days=1))}
    created = await api.data(
        'mutation($s: Date!, $e: Date!) { createTradeEvent(input: {name: "Hội chợ OCOP Vĩnh Long", organiser: "Sở NN&MT", province: "Vĩnh Long", startsOn: $s, endsOn: $e}) { event { id } errors { code } } }',
        days, as_=keys["admin"],
    )  # fmt: skip
    assert created["createTradeEvent"]["errors"] == []
    event_id = created["createTradeEvent"]["event"]["id"]
    for deal_id in deals.values():
        signed = await api.data(
            'mutation($d: ID!, $e: ID!) { signMou(dealId: $d, input: {termsSummary: "giao hàng mỗi quý", eventId: $e}) { errors { code } } }',
            {"d": deal_id, "e": event_id}, as_=keys["buyer"],
        )  # fmt: skip
        assert signed["signMou"]["errors"] == []
    return {"event": event_id, "deals": deals, "values": values}


EVENT_REPORTS = (
    "{ tradeEvents(first: 100) { edges { node { id report { mousSigned valueVnd deals { id state valueVnd } } } } } }"
)


@pytest.mark.parametrize(
    ("role", "report_deals", "visible_deals"),
    [
        ("office", {"maker"}, {"maker"}),  # the event's province: its own producer's deal only
        ("admin", {"maker", "outsider"}, {"maker", "outsider"}),
        ("other_office", None, {"outsider"}),  # sees its producer's deal, but not this event's report
        ("buyer", None, {"maker", "outsider"}),
        ("maker", None, {"maker"}),
        ("anonymous", None, set()),
    ],
)
async def test_event_report_lists_only_the_deals_the_viewer_may_see(
    catalogue: Catalogue,
    scene: dict[str, Any],
    event_deals: dict[str, Any],
    role: str,
    report_deals: set[str] | None,
    visible_deals: set[str],
) -> None:
    """`tradeEvents { report { deals } }` asks `can_see_deal`, as `deal(id)` does."""
    deals = event_deals["deals"]
    visible: set[str] = set()
    for name, deal_id in deals.items():
        found = await ask(catalogue, scene, role, "query($d: ID!) { deal(id: $d) { id } }", d=deal_id)
        if found["data"]["deal"] is not None:
            visible.add(name)
    assert visible == visible_deals
    body = await ask(catalogue, scene, role, EVENT_REPORTS)
    node = next(e["node"] for e in body["data"]["tradeEvents"]["edges"] if e["node"]["id"] == event_deals["event"])
    if report_deals is None:
        assert node["report"] is None
        return
    assert sorted(d["id"] for d in node["report"]["deals"]) == sorted(deals[name] for name in report_deals)
    assert report_deals == visible
    # The totals cover the listed deals and no others: a total over more would price the deals left out.
    listed = node["report"]["deals"]
    assert node["report"]["mousSigned"] == len(listed)
    assert node["report"]["valueVnd"] == sum(d["valueVnd"] for d in listed if d["state"] not in ("CANCELLED", "LOST"))
    assert node["report"]["valueVnd"] == sum(event_deals["values"][name] for name in report_deals)
    if role == "admin":
        assert node["report"]["mousSigned"] == 2
        assert node["report"]["valueVnd"] == sum(event_deals["values"].values()) == 40 * 150000 + 10 * 90000


async def test_a_coordinators_event_totals_are_those_of_its_own_producers_deals(
    catalogue: Catalogue, scene: dict[str, Any], event_deals: dict[str, Any]
) -> None:
    """The Vĩnh Long office sees the event's report but only its maker's deal: the Hà Nội outsider's deal is
    neither listed nor counted, so the report tells nothing of its value."""
    body = await ask(catalogue, scene, "office", EVENT_REPORTS)
    node = next(e["node"] for e in body["data"]["tradeEvents"]["edges"] if e["node"]["id"] == event_deals["event"])
    report = node["report"]
    assert [d["id"] for d in report["deals"]] == [event_deals["deals"]["maker"]]
    assert report["mousSigned"] == 1
    assert report["valueVnd"] == sum(d["valueVnd"] for d in report["deals"]) == event_deals["values"]["maker"]
    assert report["valueVnd"] == 40 * 150000


async def _no_matchmaking(criteria: Criteria, limit: int) -> list[Match]:
    raise AssertionError("direct inquiries need no matchmaking")
