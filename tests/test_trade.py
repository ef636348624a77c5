"""The trade flow as buyers and producers meet it, through GraphQL under different accounts: an open RFQ
with matchmaking, quotation, counter-offer, revision, acceptance, the deal through every state, an MoU at a
trade event, and the statistics; plus idempotency, concurrency, expiry and who sees what."""

from __future__ import annotations

import asyncio
import base64
import secrets
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from bson import ObjectId

from market.accounts.records import Role
from market.accounts.services import create_account, issue_api_key
from market.trade.inquiries import expire_inquiries
from tests.conftest import Catalogue, gid

SUBMIT = """
mutation($input: SubmitInquiryInput!, $key: String) {
  submitInquiry(input: $input, idempotencyKey: $key) {
    inquiry { id status kind invitations { reason status producer { id name } matchedProducts { name stars } } }
    errors { field code message }
  }
}"""
QUOTE = """
mutation($inquiry: ID!, $input: QuotationInput!, $key: String) {
  submitQuotation(inquiryId: $inquiry, input: $input, idempotencyKey: $key) {
    quotation { id status current { number unitPriceVnd } revisions { number unitPriceVnd } }
    errors { field code message }
  }
}"""
ACCEPT = """
mutation($id: ID!, $revision: Int!, $key: String) {
  acceptQuotation(id: $id, revision: $revision, idempotencyKey: $key) {
    deal { id state version quantity unitPriceVnd valueVnd allowedTransitions }
    errors { field code message }
  }
}"""
ADVANCE = """
mutation($id: ID!, $to: DealState!, $v: Int!, $note: String, $order: OrderInput, $key: String) {
  advanceDeal(id: $id, to: $to, expectedVersion: $v, note: $note, order: $order, idempotencyKey: $key) {
    deal { id state version allowedTransitions history { from to by party note } order { quantity valueVnd } }
    errors { field code message }
  }
}"""
INQUIRY = """
query($id: ID!) {
  inquiry(id: $id) {
    id status closedReason
    invitations { producer { id } status }
    quotations { id producer { id } current { number unitPriceVnd } revisions { number unitPriceVnd } }
  }
}"""


def codes(payload: dict[str, Any]) -> set[tuple[str | None, str]]:
    return {(e["field"], e["code"]) for e in payload["errors"]}


async def account(cat: Catalogue, role: Role, name: str, **kwargs: Any) -> str:
    store = cat.fixture.store
    record = await create_account(store, name=name, role=role, **kwargs)
    key = f"{name}-{secrets.token_hex(3)}"
    cat.api.keys[key] = await issue_api_key(store, record.id, name)
    return key


async def buyer_org(cat: Catalogue, name: str) -> str:
    org = await cat.fixture.store.buyers.insert({"name": f"{name} {secrets.token_hex(3)}", "kind": "supermarket_chain"})
    return str(org.id)


@pytest.fixture
async def parties(catalogue: Catalogue) -> dict[str, str]:
    return {
        "buyer": await account(catalogue, Role.BUYER, "Co.op buyer", org_id=await buyer_org(catalogue, "Co.op")),
        "rival_buyer": await account(catalogue, Role.BUYER, "Other buyer", org_id=await buyer_org(catalogue, "Mart")),
        "admin": await account(catalogue, Role.ADMIN, "Admin"),
        "office": await account(catalogue, Role.COORDINATOR, "Vĩnh Long office", province="Vĩnh Long"),
    }


async def test_open_rfq_to_completed_deal_mou_and_stats(catalogue: Catalogue, parties: dict[str, str]) -> None:
    api = catalogue.api
    buyer = parties["buyer"]
    rfq = {"criteria": {"query": "kẹo dừa", "minStars": 4}, "quantity": 500, "unit": "hộp", "message": "Tết order"}
    first = (await api.data(SUBMIT, {"input": rfq, "key": "rfq-1"}, as_=buyer))["submitInquiry"]
    assert first["errors"] == []
    inquiry = first["inquiry"]
    assert inquiry["kind"] == "OPEN" and inquiry["status"] == "OPEN"
    invited = inquiry["invitations"]
    assert 1 <= len(invited) <= 10
    matched = [(p["name"], p["stars"]) for i in invited for p in i["matchedProducts"]]
    assert all(stars >= 4 for _, stars in matched), matched
    assert all("kẹo" in name.casefold() and "dừa" in name.casefold() for name, _ in matched), matched
    assert all(i["reason"].startswith("matched:") for i in invited)

    again = (await api.data(SUBMIT, {"input": rfq, "key": "rfq-1"}, as_=buyer))["submitInquiry"]
    assert again["inquiry"]["id"] == inquiry["id"]  # the retry created nothing
    reused = (await api.data(SUBMIT, {"input": {**rfq, "quantity": 7}, "key": "rfq-1"}, as_=buyer))["submitInquiry"]
    assert codes(reused) == {("idempotencyKey", "IDEMPOTENCY_KEY_REUSED")}

    producer_gid = invited[0]["producer"]["id"]
    producer_id = ObjectId(base64.b64decode(producer_gid).decode().split(":")[1])
    maker = await account(catalogue, Role.PRODUCER, "Candy maker", org_id=str(producer_id))
    await catalogue.sync_board()
    board = await api.data("{ openRequests(first: 50) { edges { node { id } } } }", as_=maker)
    assert inquiry["id"] in [e["node"]["id"] for e in board["openRequests"]["edges"]]
    searched = await api.data('{ openRequests(query: "keo dua") { edges { node { id } } } }', as_=maker)
    assert inquiry["id"] in [e["node"]["id"] for e in searched["openRequests"]["edges"]]
    by_kind = await api.data(
        "{ openRequests(filter: {buyerKinds: [SUPERMARKET_CHAIN]}) { edges { node { id } } } }", as_=maker
    )
    assert inquiry["id"] in [e["node"]["id"] for e in by_kind["openRequests"]["edges"]]
    crafts = await api.data("{ openRequests(filter: {groups: [HANDICRAFT]}) { edges { node { id } } } }", as_=maker)
    assert inquiry["id"] not in [e["node"]["id"] for e in crafts["openRequests"]["edges"]]
    tea_maker = await catalogue.fixture.store.products.collection.find_one({"status": "published", "group": "beverage",
                                                                           "provinceCode": {"$ne": "86"}})  # fmt: skip
    assert tea_maker is not None
    drinks = await account(catalogue, Role.PRODUCER, "Tea maker", org_id=str(tea_maker["producerId"]))
    other_board = await api.data("{ openRequests(first: 50) { edges { node { id } } } }", as_=drinks)
    # The RFQ sets no group, so a beverage maker whose best rating reaches 4★ may see it; below 4★ it may not.
    best = max(p["stars"] for p in await catalogue.fixture.store.products.collection.find(
        {"producerId": tea_maker["producerId"], "status": "published"}).to_list(None))  # fmt: skip
    assert (inquiry["id"] in [e["node"]["id"] for e in other_board["openRequests"]["edges"]]) is (best >= 4)
    inbox = await api.data("{ inquiries(first: 50) { totalCount edges { node { id } } } }", as_=maker)
    assert inquiry["id"] in [e["node"]["id"] for e in inbox["inquiries"]["edges"]]

    quote = {"unitPriceVnd": 42000, "leadTimeDays": 7, "priceTiers": [{"minQuantity": 1000, "unitPriceVnd": 39000}]}
    quoted = (await api.data(QUOTE, {"inquiry": inquiry["id"], "input": quote, "key": "q-1"}, as_=maker))[
        "submitQuotation"
    ]
    assert quoted["errors"] == [] and quoted["quotation"]["current"]["number"] == 1
    counter = await api.data(
        'mutation($i: ID!, $p: ID!) { sendMessage(inquiryId: $i, input: {producerId: $p, body: "Giá 38.000 được không?", counterUnitPriceVnd: 38000}) { message { side counterUnitPriceVnd } errors { code } } }',
        {"i": inquiry["id"], "p": producer_gid}, as_=buyer,
    )  # fmt: skip
    assert counter["sendMessage"]["message"] == {"side": "BUYER", "counterUnitPriceVnd": 38000}
    revised = (await api.data(QUOTE, {"inquiry": inquiry["id"], "input": {**quote, "unitPriceVnd": 38000}}, as_=maker))[
        "submitQuotation"
    ]
    quotation = revised["quotation"]
    assert [r["unitPriceVnd"] for r in quotation["revisions"]] == [42000, 38000]
    thread = await api.data(
        "query($i: ID!) { inquiry(id: $i) { thread { side body counterUnitPriceVnd } } }",
        {"i": inquiry["id"]},
        as_=maker,
    )
    assert thread["inquiry"]["thread"][0]["counterUnitPriceVnd"] == 38000

    # A competitor never sees this quotation's price; another buyer sees nothing at all.
    if len(invited) > 1:
        rival_id = base64.b64decode(invited[1]["producer"]["id"]).decode().split(":")[1]
        rival = await account(catalogue, Role.PRODUCER, "Rival maker", org_id=rival_id)
        seen = await api.data(INQUIRY, {"id": inquiry["id"]}, as_=rival)
        assert seen["inquiry"]["quotations"] == []
        assert [i["producer"]["id"] for i in seen["inquiry"]["invitations"]] == [invited[1]["producer"]["id"]]
        assert (await api.data("query($id: ID!) { node(id: $id) { id } }", {"id": quotation["id"]}, as_=rival))[
            "node"
        ] is None
    other = parties["rival_buyer"]
    assert (await api.data(INQUIRY, {"id": inquiry["id"]}, as_=other))["inquiry"] is None
    assert (await api.data("{ inquiries { totalCount } }", as_=other))["inquiries"]["totalCount"] == 0

    stale = (await api.data(ACCEPT, {"id": quotation["id"], "revision": 1}, as_=buyer))["acceptQuotation"]
    assert codes(stale) == {("revision", "CONFLICT")}
    by_maker = (await api.data(ACCEPT, {"id": quotation["id"], "revision": 2}, as_=maker))["acceptQuotation"]
    assert codes(by_maker) == {(None, "FORBIDDEN")}
    accepted = (await api.data(ACCEPT, {"id": quotation["id"], "revision": 2, "key": "acc-1"}, as_=buyer))[
        "acceptQuotation"
    ]
    deal = accepted["deal"]
    assert accepted["errors"] == [] and deal["state"] == "NEGOTIATING"
    assert deal["unitPriceVnd"] == 38000 and deal["valueVnd"] == 500 * 38000
    retry = (await api.data(ACCEPT, {"id": quotation["id"], "revision": 2, "key": "acc-1"}, as_=buyer))[
        "acceptQuotation"
    ]
    assert retry["deal"]["id"] == deal["id"]
    closed = await api.data(INQUIRY, {"id": inquiry["id"]}, as_=buyer)
    assert closed["inquiry"]["status"] == "CLOSED" and closed["inquiry"]["closedReason"] == "ACCEPTED"
    late = (await api.data(QUOTE, {"inquiry": inquiry["id"], "input": quote}, as_=maker))["submitQuotation"]
    assert codes(late) == {("inquiryId", "INVALID_STATE")} and "accepted a quotation" in late["errors"][0]["message"]

    async def move(role: str, to: str, version: int, **extra: Any) -> dict[str, Any]:
        return (await api.data(ADVANCE, {"id": deal["id"], "to": to, "v": version, **extra}, as_=role))["advanceDeal"]

    assert codes(await move(buyer, "DELIVERED", 1)) == {("to", "INVALID_TRANSITION")}
    agreed = await move(maker, "AGREED", 1, note="chốt giá")
    assert agreed["deal"]["state"] == "AGREED" and agreed["deal"]["allowedTransitions"] == ["CANCELLED", "LOST"]
    assert codes(await move(maker, "ORDERED", 2)) == {("to", "FORBIDDEN")}
    assert codes(await move(buyer, "ORDERED", 2)) == {("order", "REQUIRED")}
    assert codes(await move(buyer, "AGREED", 1)) == {("expectedVersion", "CONFLICT")}
    order = {"quantity": 500, "valueVnd": 19_000_000, "deliveryDate": str(date.today() + timedelta(days=20))}
    ordered = await move(buyer, "ORDERED", 2, order=order, key="order-1")
    assert ordered["deal"]["order"] == {"quantity": 500, "valueVnd": 19_000_000}
    assert (await move(buyer, "ORDERED", 2, order=order, key="order-1"))["deal"]["version"] == 3  # replayed
    assert (await move(maker, "DELIVERED", 3))["deal"]["state"] == "DELIVERED"
    completed = await move(buyer, "COMPLETED", 4, note="đã nhận hàng")
    assert completed["deal"]["state"] == "COMPLETED" and completed["deal"]["allowedTransitions"] == []
    assert [h["to"] for h in completed["deal"]["history"]] == [
        "NEGOTIATING",
        "AGREED",
        "ORDERED",
        "DELIVERED",
        "COMPLETED",
    ]

    event = await api.data(
        'mutation { createTradeEvent(input: {name: "Diễn đàn OCOP ĐBSCL", organiser: "Bộ NN&PTNT", province: "Vĩnh Long", startsOn: "2026-09-30", ends_on: null}) { event { id } errors { field code } } }'.replace(", ends_on: null", ""),
        as_=parties["admin"],
    )  # fmt: skip
    event_id = event["createTradeEvent"]["event"]["id"]
    mou = await api.data(
        'mutation($d: ID!, $e: ID!) { signMou(dealId: $d, input: {termsSummary: "500 hộp kẹo dừa mỗi quý", eventId: $e}) { deal { mou { parties event { name } } } errors { code } } }',
        {"d": deal["id"], "e": event_id}, as_=buyer,
    )  # fmt: skip
    assert mou["signMou"]["deal"]["mou"]["event"]["name"] == "Diễn đàn OCOP ĐBSCL"
    report_query = "query($e: ID!) { node(id: $e) { ... on TradeEvent { report { mousSigned valueVnd } } } }"
    report = await api.data(report_query, {"e": event_id}, as_=parties["office"])
    assert report["node"]["report"] == {"mousSigned": 1, "valueVnd": 500 * 38000}
    assert (await api.data(report_query, {"e": event_id}, as_=other))["node"]["report"] is None

    producer = await catalogue.fixture.store.producers.get(producer_id)
    assert producer is not None and producer.address.province_code == "86"  # Bến Tre and Trà Vinh candy makers
    stats = await api.data(
        '{ ocopStats(province: "86") { dealsByState { state count } agreedValueVnd } }', as_=parties["office"]
    )
    completed_count = next(s["count"] for s in stats["ocopStats"]["dealsByState"] if s["state"] == "COMPLETED")
    assert completed_count >= 1 and stats["ocopStats"]["agreedValueVnd"] >= 500 * 38000
    assert (await api.gql("{ ocopStats { productsTotal } }"))["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def direct_deal(cat: Catalogue, parties: dict[str, str]) -> tuple[dict[str, Any], str]:
    """A direct inquiry about one product, quoted and accepted: a NEGOTIATING deal and the maker's key."""
    api = cat.api
    product = await cat.fixture.store.products.collection.find_one(
        {"status": "published", "provinceCode": "86", "name": {"$regex": "^Kẹo dừa"}}
    )
    assert product is not None
    maker = await account(cat, Role.PRODUCER, "Honey maker", org_id=str(product["producerId"]))
    inquiry = (
        await api.data(SUBMIT, {"input": {"productId": gid("Product", product["_id"]), "quantity": 40, "unit": "hũ"}},
                       as_=parties["buyer"])
    )["submitInquiry"]["inquiry"]  # fmt: skip
    assert inquiry["kind"] == "DIRECT" and len(inquiry["invitations"]) == 1
    quotation = (
        await api.data(
            QUOTE, {"inquiry": inquiry["id"], "input": {"unitPriceVnd": 150000, "leadTimeDays": 3}}, as_=maker
        )
    )["submitQuotation"]["quotation"]
    deal = (await api.data(ACCEPT, {"id": quotation["id"], "revision": 1}, as_=parties["buyer"]))["acceptQuotation"][
        "deal"
    ]
    return deal, maker


async def test_concurrent_moves_on_one_version_make_one_change(catalogue: Catalogue, parties: dict[str, str]) -> None:
    deal, maker = await direct_deal(catalogue, parties)

    async def agree(i: int) -> dict[str, Any]:
        role = maker if i % 2 else parties["buyer"]
        body = await catalogue.api.data(ADVANCE, {"id": deal["id"], "to": "AGREED", "v": 1}, as_=role)
        return body["advanceDeal"]

    results = await asyncio.gather(*(agree(i) for i in range(50)))
    won = [r for r in results if not r["errors"]]
    assert len(won) == 1
    assert all(codes(r) == {("expectedVersion", "CONFLICT")} for r in results if r["errors"])
    final = await catalogue.api.data("query($id: ID!) { deal(id: $id) { version history { to } } }", {"id": deal["id"]},
                                     as_=parties["buyer"])  # fmt: skip
    assert final["deal"]["version"] == 2 and [h["to"] for h in final["deal"]["history"]] == ["NEGOTIATING", "AGREED"]


async def test_cancel_needs_a_reason_and_ends_the_deal(catalogue: Catalogue, parties: dict[str, str]) -> None:
    deal, maker = await direct_deal(catalogue, parties)
    api = catalogue.api
    missing = await api.data(ADVANCE, {"id": deal["id"], "to": "CANCELLED", "v": 1}, as_=maker)
    assert codes(missing["advanceDeal"]) == {("note", "REQUIRED")}
    lost = await api.data(ADVANCE, {"id": deal["id"], "to": "LOST", "v": 1, "note": "giá cao"}, as_=parties["buyer"])
    assert lost["advanceDeal"]["deal"]["state"] == "LOST"
    after = await api.data(ADVANCE, {"id": deal["id"], "to": "AGREED", "v": 2}, as_=maker)
    assert codes(after["advanceDeal"]) == {("to", "INVALID_TRANSITION")}
    assert "final state" in after["advanceDeal"]["errors"][0]["message"]
    office = await api.data("query($id: ID!) { deal(id: $id) { state allowedTransitions } }", {"id": deal["id"]},
                            as_=parties["office"])  # fmt: skip
    assert office["deal"] == {"state": "LOST", "allowedTransitions": []}  # the province's office reads, never moves
    other = await api.data(
        "query($id: ID!) { deal(id: $id) { state } }", {"id": deal["id"]}, as_=parties["rival_buyer"]
    )
    assert other["deal"] is None


async def test_expired_inquiries_accept_no_quotation(catalogue: Catalogue, parties: dict[str, str]) -> None:
    api = catalogue.api
    product = await catalogue.fixture.store.products.collection.find_one(
        {"status": "published", "name": {"$regex": "^Gạo"}}
    )
    assert product is not None
    maker = await account(catalogue, Role.PRODUCER, "Rice maker", org_id=str(product["producerId"]))
    inquiry = (
        await api.data(SUBMIT, {"input": {"productId": gid("Product", product["_id"]), "quantity": 10, "unit": "bao"}},
                       as_=parties["buyer"])
    )["submitInquiry"]["inquiry"]  # fmt: skip
    oid = ObjectId(base64.b64decode(inquiry["id"]).decode().split(":")[1])
    await catalogue.fixture.store.trade.inquiries.update_one(
        {"_id": oid}, {"$set": {"expiresAt": datetime.now(UTC) - timedelta(minutes=1)}}
    )
    seen = await api.data(INQUIRY, {"id": inquiry["id"]}, as_=maker)
    assert seen["inquiry"]["status"] == "CLOSED" and seen["inquiry"]["closedReason"] == "EXPIRED"
    late = await api.data(
        QUOTE, {"inquiry": inquiry["id"], "input": {"unitPriceVnd": 1000, "leadTimeDays": 1}}, as_=maker
    )
    assert codes(late["submitQuotation"]) == {("inquiryId", "INVALID_STATE")}
    assert "expired" in late["submitQuotation"]["errors"][0]["message"]
    assert await expire_inquiries(catalogue.fixture.store) >= 1
    stored = await catalogue.fixture.store.trade.inquiry(oid)
    assert stored is not None and stored.status.value == "closed" and stored.closed_reason is not None


async def test_inquiry_validation_and_roles(catalogue: Catalogue, parties: dict[str, str]) -> None:
    api = catalogue.api
    both = await api.data(SUBMIT, {"input": {"quantity": 0, "unit": "", "expiresInDays": 120, "neededBy": "2020-01-01"}},
                          as_=parties["buyer"])  # fmt: skip
    assert codes(both["submitInquiry"]) >= {
        ("productId", "INVALID"), ("quantity", "OUT_OF_RANGE"), ("unit", "REQUIRED"),
        ("expiresInDays", "OUT_OF_RANGE"), ("neededBy", "OUT_OF_RANGE"),
    }  # fmt: skip
    not_buyer = await api.data(SUBMIT, {"input": {"criteria": {"query": "trà"}, "quantity": 1, "unit": "hộp"}},
                               as_=parties["office"])  # fmt: skip
    assert codes(not_buyer["submitInquiry"]) == {(None, "FORBIDDEN")}
    anonymous = await api.gql(SUBMIT, {"input": {"criteria": {"query": "trà"}, "quantity": 1, "unit": "hộp"}})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    bad_province = await api.data(SUBMIT, {"input": {"criteria": {"provinces": ["Atlantis"]}, "quantity": 1, "unit": "x"}},
                                  as_=parties["buyer"])  # fmt: skip
    assert codes(bad_province["submitInquiry"]) == {("criteria.provinces[0]", "UNKNOWN_PROVINCE")}
    board = await api.gql("{ openRequests { totalCount } }", as_=parties["buyer"])
    assert board["errors"][0]["extensions"]["code"] == "FORBIDDEN"
