"""Who sees and does what on the trade side, role by operation, through the GraphQL surface (node lookups,
connections and nested fields), plus the round trips of the inbox and deal lists."""

from __future__ import annotations

import base64
import secrets
from typing import Any

import pytest
from bson import ObjectId

from market.accounts.policy import Principal
from market.accounts.records import Role
from market.accounts.services import create_account, issue_api_key
from market.trade.inquiries import Match, submit_inquiry
from market.trade.quotations import accept_quotation, submit_quotation
from market.trade.records import Criteria
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
    makers = await store.products.collection.distinct(
        "producerId", {"provinceCode": "86", "status": "published", "name": {"$regex": "^Kẹo dừa"}}
    )
    outsider_producer = await store.products.collection.find_one({"provinceCode": "01", "status": "published"})
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
    products = await store.products.collection.find({"status": "published"}, limit=12).to_list(None)
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
      producer { name } product { name } buyerOrganisation { name } } } } }"""

    async def commands_for(query: str, first: int) -> list[str]:
        with counter.counting(catalogue.settings.db_name) as commands:
            body = await catalogue.api.data(query, {"n": first}, as_=scene["keys"]["buyer"])
        assert len(next(iter(body.values()))["edges"]) == first
        return commands

    small, large = await commands_for(inbox, 2), await commands_for(inbox, 12)
    assert sorted(small) == sorted(large) and len(large) <= 6, large
    small, large = await commands_for(deals, 2), await commands_for(deals, 12)
    assert sorted(small) == sorted(large) and len(large) <= 5, large


async def _no_matchmaking(criteria: Criteria, limit: int) -> list[Match]:
    raise AssertionError("direct inquiries need no matchmaking")
