"""The trade flow as buyers and producers meet it, through GraphQL under different accounts: an open RFQ
with matchmaking, quotation, counter-offer, revision, acceptance, the deal through every state, an MoU at a
trade event, and the statistics; plus idempotency, concurrency, expiry and who sees what."""

from __future__ import annotations

import asyncio
import base64
import logging
import secrets
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from bson import ObjectId

from market.accounts.records import Role
from market.accounts.services import create_account, issue_api_key
from market.catalog.records import Producer, Product
from market.catalog.validation import MAX_DEAL_VALUE_VND, MAX_MOQ, horizon
from market.trade import deals
from market.trade.inquiries import expire_inquiries
from market.trade.quotations import OTHER_ACCEPTED
from tests.conftest import Api, Catalogue, CommandCounter, gid
from tests.pinned_clock import pinned_clock

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


async def make_parties(cat: Catalogue) -> dict[str, str]:
    return {
        "buyer": await account(cat, Role.BUYER, "Co.op buyer", org_id=await buyer_org(cat, "Co.op")),
        "rival_buyer": await account(cat, Role.BUYER, "Other buyer", org_id=await buyer_org(cat, "Mart")),
        "admin": await account(cat, Role.ADMIN, "Admin"),
        "office": await account(cat, Role.COORDINATOR, "Vĩnh Long office", province="Vĩnh Long"),
    }


@pytest.fixture
async def parties(catalogue: Catalogue) -> dict[str, str]:
    return await make_parties(catalogue)


# --- one open RFQ, from submission to a completed deal with an MoU ------------------------------------------
# Each stage is a module-scoped fixture that runs once and records what the API answered at that moment; a
# stage that must come after another (the board is read while the RFQ is open, a stale acceptance is tried
# before the real one) asks for it, so the tests below hold in any order and alone.

RFQ = {"criteria": {"query": "kẹo dừa", "minStars": 4}, "quantity": 500, "unit": "hộp", "message": "Tết order"}
OFFER = {"unitPriceVnd": 42000, "leadTimeDays": 7, "priceTiers": [{"minQuantity": 1000, "unitPriceVnd": 39000}]}
BOARD = "{ openRequests(first: 50) { edges { node { id } } } }"
EVENT = "Diễn đàn OCOP ĐBSCL"
REPORT = "query($e: ID!) { node(id: $e) { ... on TradeEvent { report { mousSigned valueVnd } } } }"


def object_id(global_id: str) -> ObjectId:
    return ObjectId(base64.b64decode(global_id).decode().split(":")[1])


def ids(connection: dict[str, Any]) -> list[str]:
    return [e["node"]["id"] for e in connection["edges"]]


async def move(api: Api, deal_id: str, as_: str, to: str, version: int, **extra: Any) -> dict[str, Any]:
    return (await api.data(ADVANCE, {"id": deal_id, "to": to, "v": version, **extra}, as_=as_))["advanceDeal"]


@pytest.fixture(scope="module")
async def rfq_parties(catalogue: Catalogue) -> dict[str, str]:
    """The buyer, another buyer, an admin and the Vĩnh Long office of the RFQ scenario, its own accounts."""
    return await make_parties(catalogue)


@pytest.fixture(scope="module")
async def rfq(catalogue: Catalogue, rfq_parties: dict[str, str]) -> dict[str, Any]:
    """The buyer's open RFQ for 500 boxes of 4★+ coconut candy: the `submitInquiry` payload."""
    return (await catalogue.api.data(SUBMIT, {"input": RFQ, "key": "rfq-1"}, as_=rfq_parties["buyer"]))["submitInquiry"]


@pytest.fixture(scope="module")
async def maker(catalogue: Catalogue, rfq: dict[str, Any]) -> str:
    """The key of a member of the first invited producer."""
    producer_id = object_id(rfq["inquiry"]["invitations"][0]["producer"]["id"])
    return await account(catalogue, Role.PRODUCER, "Candy maker", org_id=str(producer_id))


@pytest.fixture(scope="module")
async def boards(catalogue: Catalogue, rfq: dict[str, Any], maker: str) -> dict[str, Any]:
    """The RFQ board while the RFQ is open: the ids the maker sees plainly, searched and narrowed, and the ids a
    beverage maker outside Vĩnh Long sees, with that maker's best rating."""
    api, store = catalogue.api, catalogue.fixture.store
    await catalogue.sync_board()
    seen = {
        "board": ids((await api.data(BOARD, as_=maker))["openRequests"]),
        "searched": ids((await api.data('{ openRequests(query: "keo dua") { edges { node { id } } } }', as_=maker))["openRequests"]),
        "by_kind": ids((await api.data("{ openRequests(filter: {buyerKinds: [SUPERMARKET_CHAIN]}) { edges { node { id } } } }", as_=maker))["openRequests"]),
        "crafts": ids((await api.data("{ openRequests(filter: {groups: [HANDICRAFT]}) { edges { node { id } } } }", as_=maker))["openRequests"]),
    }  # fmt: skip
    tea_maker = await store.db["products"].find_one({"status": "published", "group": "beverage",
                                                          "provinceCode": {"$ne": "86"}})  # fmt: skip
    assert tea_maker is not None
    drinks = await account(catalogue, Role.PRODUCER, "Tea maker", org_id=str(tea_maker["producerId"]))
    seen["drinks"] = ids((await api.data(BOARD, as_=drinks))["openRequests"])
    seen["drinks_best_stars"] = max(p["stars"] for p in await store.db["products"].find(
        {"producerId": tea_maker["producerId"], "status": "published"}).to_list(None))  # fmt: skip
    return seen


@pytest.fixture(scope="module")
async def negotiation(
    catalogue: Catalogue, rfq_parties: dict[str, str], rfq: dict[str, Any], maker: str
) -> dict[str, Any]:
    """The maker quotes 42 000 ₫ (key q-1), the buyer counters at 38 000 ₫, the maker revises to 38 000 ₫: the
    three payloads."""
    api, inquiry_id = catalogue.api, rfq["inquiry"]["id"]
    quoted = (await api.data(QUOTE, {"inquiry": inquiry_id, "input": OFFER, "key": "q-1"}, as_=maker))[
        "submitQuotation"
    ]
    counter = await api.data(
        'mutation($i: ID!, $p: ID!) { sendMessage(inquiryId: $i, input: {producerId: $p, body: "Giá 38.000 được không?", counterUnitPriceVnd: 38000}) { message { side counterUnitPriceVnd } errors { code } } }',
        {"i": inquiry_id, "p": rfq["inquiry"]["invitations"][0]["producer"]["id"]}, as_=rfq_parties["buyer"],
    )  # fmt: skip
    revised = (await api.data(QUOTE, {"inquiry": inquiry_id, "input": {**OFFER, "unitPriceVnd": 38000}}, as_=maker))[
        "submitQuotation"
    ]
    return {"quoted": quoted, "counter": counter["sendMessage"], "revised": revised}


@pytest.fixture(scope="module")
async def refused_acceptances(
    catalogue: Catalogue, rfq_parties: dict[str, str], maker: str, negotiation: dict[str, Any]
) -> dict[str, Any]:
    """Before any acceptance: the buyer accepts the superseded revision 1, the maker accepts revision 2."""
    api, quotation_id = catalogue.api, negotiation["revised"]["quotation"]["id"]
    stale = await api.data(ACCEPT, {"id": quotation_id, "revision": 1}, as_=rfq_parties["buyer"])
    by_maker = await api.data(ACCEPT, {"id": quotation_id, "revision": 2}, as_=maker)
    return {"stale": stale["acceptQuotation"], "by_maker": by_maker["acceptQuotation"]}


@pytest.fixture(scope="module")
async def acceptance(
    catalogue: Catalogue,
    rfq_parties: dict[str, str],
    negotiation: dict[str, Any],
    boards: dict[str, Any],
    refused_acceptances: dict[str, Any],
) -> dict[str, Any]:
    """The buyer accepts revision 2 (key acc-1) and retries with the same key. Accepting closes the RFQ, so the
    board is read and the refused acceptances are tried first."""
    api, quotation_id = catalogue.api, negotiation["revised"]["quotation"]["id"]
    request = {"id": quotation_id, "revision": 2, "key": "acc-1"}
    accepted = (await api.data(ACCEPT, request, as_=rfq_parties["buyer"]))["acceptQuotation"]
    retry = (await api.data(ACCEPT, request, as_=rfq_parties["buyer"]))["acceptQuotation"]
    return {"accepted": accepted, "retry": retry}


@pytest.fixture(scope="module")
async def deal_moves(
    catalogue: Catalogue, rfq_parties: dict[str, str], maker: str, acceptance: dict[str, Any]
) -> dict[str, Any]:
    """The deal walked from NEGOTIATING to COMPLETED by its buyer and maker, with the moves refused on the way:
    every `advanceDeal` payload, in order."""
    api, buyer, deal_id = catalogue.api, rfq_parties["buyer"], acceptance["accepted"]["deal"]["id"]
    order = {"quantity": 500, "valueVnd": 19_000_000, "deliveryDate": str(date.today() + timedelta(days=20))}
    moves: dict[str, Any] = {}
    moves["skip_to_delivered"] = await move(api, deal_id, buyer, "DELIVERED", 1)
    moves["agreed"] = await move(api, deal_id, maker, "AGREED", 1, note="chốt giá")
    moves["ordered_by_maker"] = await move(api, deal_id, maker, "ORDERED", 2)
    moves["ordered_without_order"] = await move(api, deal_id, buyer, "ORDERED", 2)
    moves["stale_version"] = await move(api, deal_id, buyer, "AGREED", 1)
    moves["ordered"] = await move(api, deal_id, buyer, "ORDERED", 2, order=order, key="order-1")
    moves["ordered_replayed"] = await move(api, deal_id, buyer, "ORDERED", 2, order=order, key="order-1")
    moves["delivered"] = await move(api, deal_id, maker, "DELIVERED", 3)
    moves["completed"] = await move(api, deal_id, buyer, "COMPLETED", 4, note="đã nhận hàng")
    return moves


@pytest.fixture(scope="module")
async def mou(
    catalogue: Catalogue, rfq_parties: dict[str, str], acceptance: dict[str, Any], deal_moves: dict[str, Any]
) -> dict[str, Any]:
    """A trade event in Vĩnh Long created by the admin, on from yesterday to tomorrow, and the completed deal's
    MoU signed there by the buyer, dated today by default."""
    api, yesterday, tomorrow = catalogue.api, date.today() - timedelta(days=1), date.today() + timedelta(days=1)
    event = await api.data(
        f'mutation {{ createTradeEvent(input: {{name: "{EVENT}", organiser: "Bộ NN&PTNT", province: "Vĩnh Long", startsOn: "{yesterday}", endsOn: "{tomorrow}"}}) {{ event {{ id }} errors {{ field code }} }} }}',
        as_=rfq_parties["admin"],
    )  # fmt: skip
    event_id = event["createTradeEvent"]["event"]["id"]
    signed = await api.data(
        'mutation($d: ID!, $e: ID!) { signMou(dealId: $d, input: {termsSummary: "500 hộp kẹo dừa mỗi quý", eventId: $e}) { deal { mou { parties event { name } } } errors { code } } }',
        {"d": acceptance["accepted"]["deal"]["id"], "e": event_id}, as_=rfq_parties["buyer"],
    )  # fmt: skip
    return {"event_id": event_id, "signed": signed["signMou"]}


async def test_open_rfq_invites_the_matching_producers(rfq: dict[str, Any]) -> None:
    assert rfq["errors"] == []
    inquiry = rfq["inquiry"]
    assert inquiry["kind"] == "OPEN" and inquiry["status"] == "OPEN"
    invited = inquiry["invitations"]
    assert 1 <= len(invited) <= 10
    matched = [(p["name"], p["stars"]) for i in invited for p in i["matchedProducts"]]
    assert all(stars >= 4 for _, stars in matched), matched
    assert all("kẹo" in name.casefold() and "dừa" in name.casefold() for name, _ in matched), matched
    assert all(i["reason"].startswith("matched:") for i in invited)


async def test_retried_rfq_creates_nothing_and_its_key_takes_no_other_input(
    catalogue: Catalogue, rfq_parties: dict[str, str], rfq: dict[str, Any]
) -> None:
    api, buyer = catalogue.api, rfq_parties["buyer"]
    again = (await api.data(SUBMIT, {"input": RFQ, "key": "rfq-1"}, as_=buyer))["submitInquiry"]
    assert again["inquiry"]["id"] == rfq["inquiry"]["id"]  # the retry created nothing
    reused = (await api.data(SUBMIT, {"input": {**RFQ, "quantity": 7}, "key": "rfq-1"}, as_=buyer))["submitInquiry"]
    assert codes(reused) == {("idempotencyKey", "IDEMPOTENCY_KEY_REUSED")}


async def test_open_rfq_is_on_the_board_of_the_producers_that_can_meet_it(
    catalogue: Catalogue, rfq: dict[str, Any], maker: str, boards: dict[str, Any]
) -> None:
    inquiry_id = rfq["inquiry"]["id"]
    assert inquiry_id in boards["board"]
    assert inquiry_id in boards["searched"]  # accents optional
    assert inquiry_id in boards["by_kind"]
    assert inquiry_id not in boards["crafts"]
    # The RFQ sets no group, so a beverage maker whose best rating reaches 4★ may see it; below 4★ it may not.
    assert (inquiry_id in boards["drinks"]) is (boards["drinks_best_stars"] >= 4)
    inbox = await catalogue.api.data("{ inquiries(first: 50) { totalCount edges { node { id } } } }", as_=maker)
    assert inquiry_id in ids(inbox["inquiries"])


async def test_the_board_reads_expiry_by_the_domain_clock(catalogue: Catalogue, parties: dict[str, str]) -> None:
    """The board shows an RFQ until its expiresAt by the clock that tells `Inquiry.status`, not by another
    reading of the system clock: what `inquiry(id)` calls OPEN is on the board of a producer it invited."""
    api = catalogue.api
    with pinned_clock():
        submitted = await api.data(SUBMIT, {"input": {**RFQ, "expiresInDays": 1}}, as_=parties["buyer"])
        inquiry = submitted["submitInquiry"]["inquiry"]
        producer = object_id(inquiry["invitations"][0]["producer"]["id"])
        maker = await account(catalogue, Role.PRODUCER, "Pinned candy maker", org_id=str(producer))
        await catalogue.sync_board()
        seen = await api.data(INQUIRY, {"id": inquiry["id"]}, as_=maker)
        assert seen["inquiry"]["status"] == "OPEN"
        assert inquiry["id"] in ids((await api.data(BOARD, as_=maker))["openRequests"])


async def test_the_board_filter_takes_provinces_as_follows_do(catalogue: Catalogue, parties: dict[str, str]) -> None:
    """`openRequests(filter: {provinces})` reads a code or any current or old name, as `followRfqBoard` does,
    and refuses one it does not know, rather than showing an empty board."""
    api = catalogue.api
    asked = {**RFQ, "criteria": {**RFQ["criteria"], "provinces": ["Vĩnh Long"]}}
    inquiry = (await api.data(SUBMIT, {"input": asked}, as_=parties["buyer"]))["submitInquiry"]["inquiry"]
    producer = object_id(inquiry["invitations"][0]["producer"]["id"])
    maker = await account(catalogue, Role.PRODUCER, "Board filter maker", org_id=str(producer))
    await catalogue.sync_board()
    narrowed = "query($p: [String!]) { openRequests(first: 50, filter: {provinces: $p}) { edges { node { id } } } }"
    for named in (["86"], ["Vĩnh Long"], ["vinh long"], ["Trà Vinh"]):
        board = await api.data(narrowed, {"p": named}, as_=maker)
        assert inquiry["id"] in ids(board["openRequests"]), named
    for bad, field in ((["86", "Atlantis"], "filter.provinces[1]"), ([""], "filter.provinces[0]")):
        body = await api.gql(narrowed, {"p": bad}, as_=maker)
        assert body["data"] is None, body
        assert body["errors"][0]["extensions"]["code"] == "UNKNOWN_PROVINCE", body
        assert body["errors"][0]["extensions"]["field"] == field, body


async def test_an_rfq_names_each_province_and_group_once(catalogue: Catalogue, parties: dict[str, str]) -> None:
    """Vĩnh Long, and Trà Vinh and Bến Tre merged into it, are one province of the RFQ, not three."""
    asked = {**RFQ, "criteria": {"query": "kẹo dừa", "provinces": ["Vĩnh Long", "Trà Vinh", "86"],
                                 "groups": ["FOOD", "FOOD"], "certifications": ["VIETGAP", "VIETGAP"]}}  # fmt: skip
    submitted = (await catalogue.api.data(SUBMIT, {"input": asked}, as_=parties["buyer"]))["submitInquiry"]
    assert submitted["errors"] == []
    query = "query($id: ID!) { inquiry(id: $id) { criteria { provinces { code } groups certifications } } }"
    read = await catalogue.api.data(query, {"id": submitted["inquiry"]["id"]}, as_=parties["buyer"])
    assert read["inquiry"]["criteria"] == {
        "provinces": [{"code": "86"}],
        "groups": ["food"],
        "certifications": ["VIETGAP"],
    }


async def test_an_rfq_stored_with_a_repeated_province_reads_it_once(
    catalogue: Catalogue, parties: dict[str, str]
) -> None:
    """RFQs written before their criteria were cleaned of repeats may hold a province several times."""
    asked = {**RFQ, "criteria": {"query": "kẹo dừa", "provinces": ["86"], "groups": ["FOOD"]}}
    submitted = (await catalogue.api.data(SUBMIT, {"input": asked}, as_=parties["buyer"]))["submitInquiry"]
    assert submitted["errors"] == []
    stored = {"criteria.provinces": ["86", "86", "86"], "criteria.groups": ["food", "food"]}
    await catalogue.fixture.store.db["inquiries"].update_one(
        {"_id": object_id(submitted["inquiry"]["id"])}, {"$set": stored}
    )
    query = "query($id: ID!) { inquiry(id: $id) { criteria { provinces { code } groups } } }"
    read = await catalogue.api.data(query, {"id": submitted["inquiry"]["id"]}, as_=parties["buyer"])
    assert read["inquiry"]["criteria"] == {"provinces": [{"code": "86"}], "groups": ["food"]}


async def test_counter_offer_is_answered_by_a_revision_that_keeps_the_first(
    catalogue: Catalogue, rfq: dict[str, Any], maker: str, negotiation: dict[str, Any]
) -> None:
    quoted = negotiation["quoted"]
    assert quoted["errors"] == [] and quoted["quotation"]["current"]["number"] == 1
    assert negotiation["counter"]["message"] == {"side": "BUYER", "counterUnitPriceVnd": 38000}
    assert [r["unitPriceVnd"] for r in negotiation["revised"]["quotation"]["revisions"]] == [42000, 38000]
    thread = await catalogue.api.data(
        "query($i: ID!) { inquiry(id: $i) { thread { side body counterUnitPriceVnd } } }",
        {"i": rfq["inquiry"]["id"]},
        as_=maker,
    )
    assert thread["inquiry"]["thread"][0]["counterUnitPriceVnd"] == 38000


async def test_only_the_buyer_accepts_and_only_the_latest_revision(refused_acceptances: dict[str, Any]) -> None:
    assert codes(refused_acceptances["stale"]) == {("revision", "CONFLICT")}
    assert codes(refused_acceptances["by_maker"]) == {(None, "FORBIDDEN")}


async def test_invited_competitor_sees_only_its_own_invitation_and_no_quotation(
    catalogue: Catalogue, rfq: dict[str, Any], negotiation: dict[str, Any]
) -> None:
    api, inquiry_id = catalogue.api, rfq["inquiry"]["id"]
    invited = rfq["inquiry"]["invitations"]
    assert len(invited) > 1  # Cầu Kè and Hoa Dương both make 4★ coconut candy
    rival_gid = invited[1]["producer"]["id"]
    rival = await account(catalogue, Role.PRODUCER, "Rival maker", org_id=str(object_id(rival_gid)))
    seen = await api.data(INQUIRY, {"id": inquiry_id}, as_=rival)
    assert seen["inquiry"]["quotations"] == []
    assert [i["producer"]["id"] for i in seen["inquiry"]["invitations"]] == [rival_gid]
    quotation_id = negotiation["revised"]["quotation"]["id"]
    assert (await api.data("query($id: ID!) { node(id: $id) { id } }", {"id": quotation_id}, as_=rival))["node"] is None


async def test_another_buyer_sees_nothing_of_the_inquiry(
    catalogue: Catalogue, rfq_parties: dict[str, str], rfq: dict[str, Any], negotiation: dict[str, Any]
) -> None:
    api, other = catalogue.api, rfq_parties["rival_buyer"]
    assert (await api.data(INQUIRY, {"id": rfq["inquiry"]["id"]}, as_=other))["inquiry"] is None
    assert (await api.data("{ inquiries { totalCount } }", as_=other))["inquiries"]["totalCount"] == 0


async def test_accepting_opens_one_deal_at_the_revised_price(acceptance: dict[str, Any]) -> None:
    accepted, deal = acceptance["accepted"], acceptance["accepted"]["deal"]
    assert accepted["errors"] == [] and deal["state"] == "NEGOTIATING"
    assert deal["unitPriceVnd"] == 38000 and deal["valueVnd"] == 500 * 38000
    assert acceptance["retry"]["deal"]["id"] == deal["id"]  # the retry opened no second deal


async def test_accepting_closes_the_inquiry_to_further_quotations(
    catalogue: Catalogue, rfq_parties: dict[str, str], rfq: dict[str, Any], maker: str, acceptance: dict[str, Any]
) -> None:
    api, inquiry_id = catalogue.api, rfq["inquiry"]["id"]
    closed = await api.data(INQUIRY, {"id": inquiry_id}, as_=rfq_parties["buyer"])
    assert closed["inquiry"]["status"] == "CLOSED" and closed["inquiry"]["closedReason"] == "ACCEPTED"
    late = (await api.data(QUOTE, {"inquiry": inquiry_id, "input": OFFER}, as_=maker))["submitQuotation"]
    assert codes(late) == {("inquiryId", "INVALID_STATE")} and "accepted a quotation" in late["errors"][0]["message"]


async def test_the_deal_moves_through_every_state_with_history(deal_moves: dict[str, Any]) -> None:
    agreed = deal_moves["agreed"]
    assert agreed["deal"]["state"] == "AGREED" and agreed["deal"]["allowedTransitions"] == ["CANCELLED", "LOST"]
    assert deal_moves["ordered"]["deal"]["order"] == {"quantity": 500, "valueVnd": 19_000_000}
    assert deal_moves["ordered_replayed"]["deal"]["version"] == 3  # replayed
    assert deal_moves["delivered"]["deal"]["state"] == "DELIVERED"
    completed = deal_moves["completed"]
    assert completed["deal"]["state"] == "COMPLETED" and completed["deal"]["allowedTransitions"] == []
    assert [h["to"] for h in completed["deal"]["history"]] == [
        "NEGOTIATING",
        "AGREED",
        "ORDERED",
        "DELIVERED",
        "COMPLETED",
    ]


async def test_deal_moves_out_of_turn_are_refused(deal_moves: dict[str, Any]) -> None:
    assert codes(deal_moves["skip_to_delivered"]) == {("to", "INVALID_TRANSITION")}
    assert codes(deal_moves["ordered_by_maker"]) == {("to", "FORBIDDEN")}
    assert codes(deal_moves["ordered_without_order"]) == {("order", "REQUIRED")}
    assert codes(deal_moves["stale_version"]) == {("expectedVersion", "CONFLICT")}


async def test_the_mou_is_recorded_at_the_event_and_counted_in_its_report(
    catalogue: Catalogue, rfq_parties: dict[str, str], mou: dict[str, Any]
) -> None:
    api = catalogue.api
    assert mou["signed"]["deal"]["mou"]["event"]["name"] == EVENT
    report = await api.data(REPORT, {"e": mou["event_id"]}, as_=rfq_parties["office"])
    assert report["node"]["report"] == {"mousSigned": 1, "valueVnd": 500 * 38000}
    assert (await api.data(REPORT, {"e": mou["event_id"]}, as_=rfq_parties["rival_buyer"]))["node"]["report"] is None


async def test_the_statistics_count_the_completed_deal(
    catalogue: Catalogue, rfq_parties: dict[str, str], rfq: dict[str, Any], deal_moves: dict[str, Any]
) -> None:
    api = catalogue.api
    producer = await catalogue.fixture.store.producers.get(
        object_id(rfq["inquiry"]["invitations"][0]["producer"]["id"])
    )
    assert producer is not None and producer.address.province_code == "86"  # Bến Tre and Trà Vinh candy makers
    stats = await api.data(
        '{ ocopStats(province: "86") { dealsByState { state count } agreedValueVnd } }', as_=rfq_parties["office"]
    )
    completed_count = next(s["count"] for s in stats["ocopStats"]["dealsByState"] if s["state"] == "COMPLETED")
    assert completed_count >= 1 and stats["ocopStats"]["agreedValueVnd"] >= 500 * 38000
    assert (await api.gql("{ ocopStats { productsTotal } }"))["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def direct_inquiry(
    cat: Catalogue, parties: dict[str, str], quantity: int, unit: str = "hộp"
) -> tuple[dict[str, Any], str]:
    """The buyer's direct inquiry about one published product; (the inquiry, its maker's key)."""
    product = await cat.fixture.store.db["products"].find_one(
        {"status": "published", "provinceCode": "86", "name": {"$regex": "^Kẹo dừa"}}
    )
    assert product is not None
    maker = await account(cat, Role.PRODUCER, "Coconut maker", org_id=str(product["producerId"]))
    variables = {"input": {"productId": gid("Product", product["_id"]), "quantity": quantity, "unit": unit}}
    inquiry = (await cat.api.data(SUBMIT, variables, as_=parties["buyer"]))["submitInquiry"]["inquiry"]
    assert inquiry["kind"] == "DIRECT" and len(inquiry["invitations"]) == 1
    return inquiry, maker


async def direct_deal(cat: Catalogue, parties: dict[str, str]) -> tuple[dict[str, Any], str]:
    """A direct inquiry about one product, quoted and accepted: a NEGOTIATING deal and the maker's key."""
    api = cat.api
    inquiry, maker = await direct_inquiry(cat, parties, 40, "hũ")
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
    product = await catalogue.fixture.store.db["products"].find_one({"status": "published", "name": {"$regex": "^Gạo"}})
    assert product is not None
    maker = await account(catalogue, Role.PRODUCER, "Rice maker", org_id=str(product["producerId"]))
    inquiry = (
        await api.data(SUBMIT, {"input": {"productId": gid("Product", product["_id"]), "quantity": 10, "unit": "bao"}},
                       as_=parties["buyer"])
    )["submitInquiry"]["inquiry"]  # fmt: skip
    oid = ObjectId(base64.b64decode(inquiry["id"]).decode().split(":")[1])
    await catalogue.fixture.store.db["inquiries"].update_one(
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


FAR = "9999-12-31"
SIGN = "mutation($d: ID!, $input: MouInput!) { signMou(dealId: $d, input: $input) { deal { id } errors { field code message } } }"
CREATE_EVENT = "mutation($input: TradeEventInput!) { createTradeEvent(input: $input) { event { id } errors { field code message } } }"


async def test_trade_days_out_of_range_name_their_field(
    catalogue: Catalogue, parties: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    """Every day a trade input carries is bounded, so a year-9999 day is a payload error on its field."""
    api, buyer = catalogue.api, parties["buyer"]
    deal, maker = await direct_deal(catalogue, parties)
    with caplog.at_level(logging.ERROR, logger="strawberry.execution"):
        rfq = {"criteria": {"query": "trà"}, "quantity": 1, "unit": "hộp", "neededBy": FAR}
        asked = (await api.data(SUBMIT, {"input": rfq}, as_=buyer))["submitInquiry"]
        assert codes(asked) == {("neededBy", "OUT_OF_RANGE")}
        found = await api.data("query($d: ID!) { deal(id: $d) { product { id } } }", {"d": deal["id"]}, as_=buyer)
        direct = {"productId": found["deal"]["product"]["id"], "quantity": 40, "unit": "hũ"}
        inquiry_id = (await api.data(SUBMIT, {"input": direct}, as_=buyer))["submitInquiry"]["inquiry"]["id"]
        offer = {"unitPriceVnd": 150000, "leadTimeDays": 3, "validUntil": FAR}
        quoted = (await api.data(QUOTE, {"inquiry": inquiry_id, "input": offer}, as_=maker))["submitQuotation"]
        assert codes(quoted) == {("validUntil", "OUT_OF_RANGE")}
        assert (await move(api, deal["id"], maker, "AGREED", 1))["errors"] == []
        order = {"quantity": 40, "valueVnd": 6_000_000, "deliveryDate": FAR}
        ordered = await move(api, deal["id"], buyer, "ORDERED", 2, order=order)
        assert codes(ordered) == {("order.deliveryDate", "OUT_OF_RANGE")}
        for signed_on in (FAR, str(date.today() + timedelta(days=2)), "2017-12-31"):
            mou = {"termsSummary": "giao hàng mỗi quý", "signedOn": signed_on}
            signed = (await api.data(SIGN, {"d": deal["id"], "input": mou}, as_=buyer))["signMou"]
            assert codes(signed) == {("signedOn", "OUT_OF_RANGE")}, signed_on
        event = {"name": "Hội chợ", "organiser": "Sở NN&MT", "province": "Vĩnh Long"}
        for days, field in (({"startsOn": FAR}, "startsOn"), ({"startsOn": "2026-01-01", "endsOn": FAR}, "endsOn")):
            made = (await api.data(CREATE_EVENT, {"input": {**event, **days}}, as_=parties["admin"]))[
                "createTradeEvent"
            ]
            assert codes(made) == {(field, "OUT_OF_RANGE")}
    assert not [r for r in caplog.records if r.name == "strawberry.execution" and r.levelno >= logging.ERROR]


async def test_two_booths_of_an_event_cannot_share_a_number(catalogue: Catalogue, parties: dict[str, str]) -> None:
    """Booth numbers are compared trimmed and whatever their case, so " a1 " is booth A1 again: the error names
    the booth that has the number first, and no event is saved."""
    api, store = catalogue.api, catalogue.fixture.store
    product = await store.db["products"].find_one({"status": "published"})
    assert product is not None
    producer = gid("Producer", product["producerId"])
    name = f"Hội chợ {secrets.token_hex(3)}"
    booths = [{"number": number, "producerId": producer} for number in ("A1", "B1", " a1 ")]
    event = {"name": name, "organiser": "Sở NN&MT", "province": "Vĩnh Long", "startsOn": "2026-01-01", "booths": booths}
    made = (await api.data(CREATE_EVENT, {"input": event}, as_=parties["admin"]))["createTradeEvent"]
    assert made["event"] is None and codes(made) == {("booths[2].number", "DUPLICATE")}
    assert (
        made["errors"][0]["message"]
        == "booths[2].number repeats the number of booths[0], A1: each booth of an event has its own"
    )
    assert await store.db["trade_events"].count_documents({"name": name}) == 0


async def test_a_booth_shows_only_existing_products_of_its_own_producer(
    catalogue: Catalogue, parties: dict[str, str], counter: CommandCounter
) -> None:
    """Each booth whose products include an unknown one or another producer's gets an error on its productIds
    naming them, and no event is saved; the products of all the booths are read at once."""
    api, store = catalogue.api, catalogue.fixture.store
    own = await store.db["products"].find_one({"status": "published"})
    assert own is not None
    other = await store.db["products"].find_one({"status": "published", "producerId": {"$ne": own["producerId"]}})
    assert other is not None
    producer, rival = gid("Producer", own["producerId"]), gid("Producer", other["producerId"])
    mine, theirs, ghost = gid("Product", own["_id"]), gid("Product", other["_id"]), ObjectId()
    name = f"Hội chợ {secrets.token_hex(3)}"

    async def create(*booths: tuple[str, list[str]]) -> dict[str, Any]:
        event = {
            "name": name, "organiser": "Sở NN&MT", "province": "Vĩnh Long", "startsOn": "2026-01-01",
            "booths": [{"number": f"A{i}", "producerId": p, "productIds": ids} for i, (p, ids) in enumerate(booths)],
        }  # fmt: skip
        return (await api.data(CREATE_EVENT, {"input": event}, as_=parties["admin"]))["createTradeEvent"]

    made = await create((producer, [mine, theirs]), (rival, [theirs, gid("Product", ghost)]), (producer, [mine]))
    assert made["event"] is None
    assert codes(made) == {("booths[0].productIds", "INVALID"), ("booths[1].productIds", "NOT_FOUND")}
    messages = {e["field"]: e["message"] for e in made["errors"]}
    assert theirs in messages["booths[0].productIds"] and mine not in messages["booths[0].productIds"]
    assert messages["booths[1].productIds"] == f"unknown products: {gid('Product', ghost)}"
    assert await store.db["trade_events"].count_documents({"name": name}) == 0

    async def commands_for(booths: int) -> list[str]:
        with counter.counting(catalogue.settings.db_name) as commands:
            made = await create(*[(producer, [mine, theirs])] * booths)
        assert codes(made) == {(f"booths[{i}].productIds", "INVALID") for i in range(booths)}
        return commands

    one, many = await commands_for(1), await commands_for(6)
    assert sorted(one) == sorted(many), many
    saved = await create((producer, [mine]), (rival, [theirs]))
    assert saved["errors"] == [] and saved["event"] is not None


async def an_giang_producer(cat: Catalogue, *statuses: str) -> tuple[Producer, list[Product]]:
    """A producer of An Giang, whose drafts the Vĩnh Long office does not see, with a product in each status."""
    store, tag = cat.fixture.store, secrets.token_hex(3)
    address = {"provinceCode": "91", "formerProvince": "Kiên Giang", "commune": "Phường Dương Đông"}
    maker = await store.producers.insert({"name": f"HTX Tiêu {tag}", "type": "cooperative", "address": address,
                                          "verified": True})  # fmt: skip
    products = []
    for n, status in enumerate(statuses):
        doc = {
            "producerId": maker.id, "name": f"Tiêu {n} {tag}", "description": "", "group": "food",
            "category": "Gia vị", "stars": 4, "provinceCode": "91", "formerProvince": "Kiên Giang",
            "priceVnd": 90000, "unit": "hũ", "moq": 1, "status": status,
        }  # fmt: skip
        products.append(await store.products.insert(doc))
    return maker, products


BOOTH_PRODUCTS = """
query($e: ID!) {
  node(id: $e) { ... on TradeEvent { booths { products { id } } } }
  nodes(ids: [$e]) { ... on TradeEvent { booths { products { id } } } }
  tradeEvents(first: 100) { edges { node { id booths { products { id } } } } }
}"""


async def test_a_booth_shows_each_viewer_only_the_products_it_may_see(
    catalogue: Catalogue, parties: dict[str, str]
) -> None:
    """Trade events are public, but a booth's product that is no longer published (back in draft or archived
    after the event was made) is shown only to those who may see it in the catalogue: its producer's members,
    its province's office and admins. Anonymous visitors, buyers, other producers and other provinces' offices
    see the booth without it, through node, nodes and the list of events alike."""
    api, store = catalogue.api, catalogue.fixture.store
    tag = secrets.token_hex(3)
    maker, made_products = await an_giang_producer(catalogue, "published", "published", "published")
    rival, _ = await an_giang_producer(catalogue)
    products = dict(zip(("kept", "drafted", "archived"), made_products, strict=True))
    event = {
        "name": f"Hội chợ {tag}", "organiser": "Sở NN&MT", "province": "Vĩnh Long", "startsOn": str(horizon()),
        "booths": [{"number": "A1", "producerId": gid("Producer", maker.id),
                    "productIds": [gid("Product", p.id) for p in products.values()]}],
    }  # fmt: skip
    made = (await api.data(CREATE_EVENT, {"input": event}, as_=parties["admin"]))["createTradeEvent"]
    assert made["errors"] == []
    event_id = made["event"]["id"]
    for label, status in (("drafted", "draft"), ("archived", "archived")):
        await store.db["products"].update_one({"_id": products[label].id}, {"$set": {"status": status}})
    viewers = {
        "member": await account(catalogue, Role.PRODUCER, "Tiêu member", org_id=str(maker.id)),
        "rival": await account(catalogue, Role.PRODUCER, "Sim member", org_id=str(rival.id)),
        "office": await account(catalogue, Role.COORDINATOR, "An Giang office", province="An Giang"),
    }
    every = {gid("Product", p.id) for p in products.values()}
    published = {gid("Product", products["kept"].id)}
    sees = {
        None: published, parties["buyer"]: published, viewers["rival"]: published, parties["office"]: published,
        viewers["member"]: every, viewers["office"]: every, parties["admin"]: every,
    }  # fmt: skip
    for viewer, expected in sees.items():
        read = await api.data(BOOTH_PRODUCTS, {"e": event_id}, as_=viewer)
        listed = [e["node"] for e in read["tradeEvents"]["edges"] if e["node"]["id"] == event_id]
        for found in (read["node"], read["nodes"][0], *listed):
            assert {p["id"] for p in found["booths"][0]["products"]} == expected, viewer
        assert len(listed) == 1, viewer


async def test_a_booth_lists_published_products_once(catalogue: Catalogue, parties: dict[str, str]) -> None:
    """A booth shows the public its products: a draft or archived one is refused with INVALID_STATE and a product
    listed twice with INVALID, each on the booth's productIds and naming the products; no event is saved. For an
    office, another province's draft is an unknown product, as the catalogue hides it from that office."""
    api, store = catalogue.api, catalogue.fixture.store
    maker, (shown, draft, archived) = await an_giang_producer(catalogue, "published", "draft", "archived")
    producer, name = gid("Producer", maker.id), f"Hội chợ {secrets.token_hex(3)}"

    async def create(as_: str, *products: list[Product]) -> dict[str, Any]:
        event = {
            "name": name, "organiser": "Sở NN&MT", "province": "Vĩnh Long", "startsOn": "2026-01-01",
            "booths": [{"number": f"A{i}", "producerId": producer, "productIds": [gid("Product", p.id) for p in listed]}
                       for i, listed in enumerate(products)],
        }  # fmt: skip
        return (await api.data(CREATE_EVENT, {"input": event}, as_=as_))["createTradeEvent"]

    # A repeat is a fault of the input itself, found before anything is read, as a repeated booth number is.
    repeated = await create(parties["admin"], [shown, draft], [shown, shown, draft, shown])
    assert repeated["event"] is None and codes(repeated) == {("booths[1].productIds", "INVALID")}
    assert repeated["errors"][0]["message"] == (
        f"a booth lists each of its products once; these are listed more than once: {gid('Product', shown.id)}"
    )
    unpublished = await create(parties["admin"], [shown, draft, archived], [shown])
    assert unpublished["event"] is None and codes(unpublished) == {("booths[0].productIds", "INVALID_STATE")}
    assert unpublished["errors"][0]["message"] == (
        "a booth is open to every visitor, so it shows published products only; these are drafts or archived: "
        f"{gid('Product', draft.id)}, {gid('Product', archived.id)}"
    )
    by_office = await create(parties["office"], [shown, draft])
    assert codes(by_office) == {("booths[0].productIds", "NOT_FOUND")}
    assert by_office["errors"][0]["message"] == f"unknown products: {gid('Product', draft.id)}"
    assert await store.db["trade_events"].count_documents({"name": name}) == 0
    assert (await create(parties["office"], [shown]))["event"] is not None


async def test_id_errors_of_a_trade_event_name_the_field_as_sent(catalogue: Catalogue, parties: dict[str, str]) -> None:
    """An id that is not one, or of another type, is an error on its own booth's field, as the booth's other
    errors are; an unknown buyer organisation is one on buyerOrganisationIds, the field the client sent."""
    api, store = catalogue.api, catalogue.fixture.store
    maker, (product,) = await an_giang_producer(catalogue, "published")
    producer, shown, name = gid("Producer", maker.id), gid("Product", product.id), f"Hội chợ {secrets.token_hex(3)}"

    async def create(second: dict[str, Any], buyers: list[str] | None = None) -> set[tuple[str | None, str]]:
        event = {
            "name": name, "organiser": "Sở NN&MT", "province": "Vĩnh Long", "startsOn": "2026-01-01",
            "booths": [{"number": "A1", "producerId": producer, "productIds": [shown]}, {"number": "A2", **second}],
            "buyerOrganisationIds": buyers or [],
        }  # fmt: skip
        made = (await api.data(CREATE_EVENT, {"input": event}, as_=parties["admin"]))["createTradeEvent"]
        assert made["event"] is None
        return codes(made)

    assert await create({"producerId": shown}) == {("booths[1].producerId", "INVALID")}
    assert await create({"producerId": producer, "productIds": [shown, producer]}) == {
        ("booths[1].productIds", "INVALID")
    }
    assert await create({"producerId": producer, "productIds": [gid("Product", "a1")]}) == {
        ("booths[1].productIds", "NOT_FOUND")
    }
    for buyer in (gid("BuyerOrganisation", ObjectId()), gid("BuyerOrganisation", "a1")):
        assert await create({"producerId": producer}, [buyer]) == {("buyerOrganisationIds", "NOT_FOUND")}, buyer
    assert await store.db["trade_events"].count_documents({"name": name}) == 0


async def test_booth_and_buyer_errors_list_the_ids_as_the_client_sent_them(
    catalogue: Catalogue, parties: dict[str, str]
) -> None:
    """The errors that list products or buyer organisations list the global ids the client sent, exactly as
    written (an id encoded in upper case stays so), in English and in Vietnamese, not the database's ids."""
    api = catalogue.api
    maker, (shown, draft) = await an_giang_producer(catalogue, "published", "draft")
    _, (theirs,) = await an_giang_producer(catalogue, "published")
    ghost, buyer = gid("Product", str(ObjectId()).upper()), gid("BuyerOrganisation", ObjectId())
    others, drafted, listed = gid("Product", theirs.id), gid("Product", draft.id), gid("Product", shown.id)

    def event(*products: str) -> dict[str, Any]:
        return {
            "name": f"Hội chợ {secrets.token_hex(3)}", "organiser": "Sở NN&MT", "province": "Vĩnh Long",
            "startsOn": "2026-01-01", "buyerOrganisationIds": [buyer],
            "booths": [{"number": "A1", "producerId": gid("Producer", maker.id), "productIds": list(products)}],
        }  # fmt: skip

    made = await api.data(CREATE_EVENT, {"input": event(ghost, others, drafted)}, as_=parties["admin"])
    assert {(e["field"], e["code"]): e["message"] for e in made["createTradeEvent"]["errors"]} == {
        ("booths[0].productIds", "NOT_FOUND"): f"unknown products: {ghost}",
        ("booths[0].productIds", "INVALID"): (
            f"a booth shows its own producer's products; these are another producer's: {others}"
        ),
        ("booths[0].productIds", "INVALID_STATE"): (
            f"a booth is open to every visitor, so it shows published products only; these are drafts or archived: "
            f"{drafted}"
        ),
        ("buyerOrganisationIds", "NOT_FOUND"): f"unknown buyer organisations: {buyer}",
    }
    repeated = await api.data(CREATE_EVENT, {"input": event(listed, listed)}, as_=parties["admin"])
    assert [e["message"] for e in repeated["createTradeEvent"]["errors"]] == [
        f"a booth lists each of its products once; these are listed more than once: {listed}"
    ]
    in_vietnamese = await api.client.post(
        "/graphql",
        json={"query": CREATE_EVENT, "variables": {"input": event(drafted)}},
        headers={"Authorization": f"Bearer {api.keys[parties['admin']]}", "Accept-Language": "vi"},
    )
    assert [e["message"] for e in in_vietnamese.json()["data"]["createTradeEvent"]["errors"]] == [
        "gian hàng mở cho mọi khách tham quan nên chỉ trưng bày sản phẩm đã đăng; các sản phẩm này là bản nháp "
        f"hoặc đã lưu trữ: {drafted}",
        f"không có tổ chức bên mua nào có id: {buyer}",
    ]


async def test_an_mou_signed_at_an_event_is_dated_within_its_days(
    catalogue: Catalogue, parties: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An MoU signed at a trade event falls within the event's days, both included. Without signedOn it is
    dated by the domain's clock, and that day is checked as well. A refused MoU is not recorded."""
    api, buyer, store = catalogue.api, parties["buyer"], catalogue.fixture.store
    first, last = date.today() - timedelta(days=12), date.today() - timedelta(days=10)
    event = {"name": f"Hội chợ {secrets.token_hex(3)}", "organiser": "Sở NN&MT", "province": "Vĩnh Long",
             "startsOn": str(first), "endsOn": str(last)}  # fmt: skip
    made = (await api.data(CREATE_EVENT, {"input": event}, as_=parties["admin"]))["createTradeEvent"]
    at_event = {"termsSummary": "giao hàng mỗi quý", "eventId": made["event"]["id"]}

    async def sign(deal: dict[str, Any], **signed_on: str) -> dict[str, Any]:
        return (await api.data(SIGN, {"d": deal["id"], "input": {**at_event, **signed_on}}, as_=buyer))["signMou"]

    deal, _ = await direct_deal(catalogue, parties)
    for day in (first - timedelta(days=1), last + timedelta(days=1)):
        refused = await sign(deal, signedOn=str(day))
        assert codes(refused) == {("signedOn", "OUT_OF_RANGE")}, day
        assert refused["errors"][0]["message"] == (
            f"signedOn must fall within the trade event's days, {first} to {last}, got {day}"
        )
    dated_today = await sign(deal)
    assert codes(dated_today) == {("signedOn", "OUT_OF_RANGE")}
    assert dated_today["errors"][0]["message"].startswith("without signedOn the MoU is dated today")
    assert f"{first} to {last}" in dated_today["errors"][0]["message"]
    assert len((await sign(deal, signedOn=FAR))["errors"]) == 1  # out of any range already: no second error
    stored = await store.trade.deal(object_id(deal["id"]))
    assert stored is not None and stored.mou is None

    assert (await sign(deal, signedOn=str(first)))["errors"] == []
    assert (await sign((await direct_deal(catalogue, parties))[0], signedOn=str(last)))["errors"] == []
    monkeypatch.setattr(deals, "today", lambda: first + timedelta(days=1))
    by_default = (await direct_deal(catalogue, parties))[0]
    assert (await sign(by_default))["errors"] == []
    stored = await store.trade.deal(object_id(by_default["id"]))
    assert stored is not None and stored.mou is not None and stored.mou.signed_on == first + timedelta(days=1)


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
    for criteria in ({}, {"query": "   "}, {"query": " ", "groups": []}):  # none asks for anything
        empty = await api.data(SUBMIT, {"input": {"criteria": criteria, "quantity": 1, "unit": "x"}},
                               as_=parties["buyer"])  # fmt: skip
        assert codes(empty["submitInquiry"]) == {("criteria", "REQUIRED")}, criteria
    board = await api.gql("{ openRequests { totalCount } }", as_=parties["buyer"])
    assert board["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_deal_worth_more_than_the_bound_is_refused_when_quoted_and_when_accepted(
    catalogue: Catalogue, parties: dict[str, str]
) -> None:
    """A unit price and a quantity each within bounds can multiply to more than a deal's value may be (and
    than a JSON client reads exactly): the quotation is refused, and a revision stored without that bound
    opens no deal."""
    api, store = catalogue.api, catalogue.fixture.store
    quantity = MAX_MOQ
    inquiry, maker = await direct_inquiry(catalogue, parties, quantity)
    too_much = MAX_DEAL_VALUE_VND // quantity + 1
    for offer in (
        {"unitPriceVnd": too_much, "leadTimeDays": 5},
        {"unitPriceVnd": 1, "leadTimeDays": 5, "priceTiers": [{"minQuantity": 1000, "unitPriceVnd": too_much}]},
    ):
        refused = (await api.data(QUOTE, {"inquiry": inquiry["id"], "input": offer}, as_=maker))["submitQuotation"]
        assert refused["quotation"] is None and codes(refused) == {("unitPriceVnd", "OUT_OF_RANGE")}, refused
        assert f"{too_much * quantity}" in refused["errors"][0]["message"].replace(",", "")
    assert await store.db["quotations"].count_documents({"inquiryId": object_id(inquiry["id"])}) == 0

    at_most = MAX_DEAL_VALUE_VND // quantity
    quoted = (
        await api.data(
            QUOTE, {"inquiry": inquiry["id"], "input": {"unitPriceVnd": at_most, "leadTimeDays": 5}}, as_=maker
        )
    )["submitQuotation"]["quotation"]
    await store.db["quotations"].update_one(  # as a revision stored before deals were bounded
        {"_id": object_id(quoted["id"])}, {"$set": {"revisions.0.unitPriceVnd": too_much}}
    )
    refused = (await api.data(ACCEPT, {"id": quoted["id"], "revision": 1}, as_=parties["buyer"]))["acceptQuotation"]
    assert refused["deal"] is None and codes(refused) == {("revision", "OUT_OF_RANGE")}, refused
    assert await store.db["deals"].count_documents({"quotationId": object_id(quoted["id"])}) == 0
    seen = await api.data(INQUIRY, {"id": inquiry["id"]}, as_=parties["buyer"])
    assert seen["inquiry"]["status"] == "OPEN"

    await store.db["quotations"].update_one(
        {"_id": object_id(quoted["id"])}, {"$set": {"revisions.0.unitPriceVnd": at_most}}
    )
    deal = (await api.data(ACCEPT, {"id": quoted["id"], "revision": 1}, as_=parties["buyer"]))["acceptQuotation"][
        "deal"
    ]
    assert deal["valueVnd"] == at_most * quantity <= MAX_DEAL_VALUE_VND


async def test_a_quotation_whose_minimum_order_the_inquiry_does_not_reach_opens_no_deal(
    catalogue: Catalogue, parties: dict[str, str]
) -> None:
    api, store = catalogue.api, catalogue.fixture.store
    inquiry, maker = await direct_inquiry(catalogue, parties, 10)
    quoted = (
        await api.data(
            QUOTE, {"inquiry": inquiry["id"], "input": {"unitPriceVnd": 40000, "leadTimeDays": 5, "moq": 50}}, as_=maker
        )
    )["submitQuotation"]["quotation"]
    refused = (await api.data(ACCEPT, {"id": quoted["id"], "revision": 1}, as_=parties["buyer"]))["acceptQuotation"]
    assert refused["deal"] is None and codes(refused) == {("revision", "INVALID")}, refused
    assert "50" in refused["errors"][0]["message"] and "10" in refused["errors"][0]["message"]
    assert await store.db["deals"].count_documents({"quotationId": object_id(quoted["id"])}) == 0


async def test_accepting_one_quotation_declines_the_others_and_tells_their_producers(
    catalogue: Catalogue, parties: dict[str, str]
) -> None:
    api, store = catalogue.api, catalogue.fixture.store
    request = {"criteria": {"query": "kẹo dừa"}, "quantity": 50, "unit": "hộp"}
    rfq = (await api.data(SUBMIT, {"input": request}, as_=parties["buyer"]))["submitInquiry"]["inquiry"]
    invited = [i["producer"]["id"] for i in rfq["invitations"]][:2]
    assert len(invited) == 2, rfq
    makers = [
        await account(catalogue, Role.PRODUCER, f"Rival maker {n}", org_id=str(object_id(producer)))
        for n, producer in enumerate(invited)
    ]
    quotes = [
        (await api.data(QUOTE, {"inquiry": rfq["id"], "input": OFFER}, as_=maker))["submitQuotation"]["quotation"]
        for maker in makers
    ]
    accepted = await api.data(ACCEPT, {"id": quotes[0]["id"], "revision": 1}, as_=parties["buyer"])
    assert accepted["acceptQuotation"]["errors"] == [], accepted

    status = "query($id: ID!) { node(id: $id) { ... on Quotation { status declineReason } } }"
    other = (await api.data(status, {"id": quotes[1]["id"]}, as_=makers[1]))["node"]
    assert other == {"status": "DECLINED", "declineReason": OTHER_ACCEPTED}
    told = await store.db["events"].count_documents(
        {"name": "quotation.declined", "payload.quotation": quotes[1]["id"]}
    )
    assert told == 1
    again = await api.data(ACCEPT, {"id": quotes[1]["id"], "revision": 1}, as_=parties["buyer"])
    assert again["acceptQuotation"]["deal"] is None and again["acceptQuotation"]["errors"]
