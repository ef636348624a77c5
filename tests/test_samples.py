"""Sample requests as buyers and producers meet them, through GraphQL under each role of the world: a buyer asks,
the producer ships or declines, the buyer turns shipped samples into an inquiry; idempotency, who sees what,
bad input, and the live feed each side hears."""

from __future__ import annotations

import asyncio
import secrets
from datetime import date, timedelta
from typing import Any

from bson import ObjectId

from market.accounts.records import Role
from market.accounts.services import create_account, issue_api_key
from market.catalog.records import ProductStatus
from market.store import Store
from market.trade import feeds
from tests.conftest import Api, World, gid
from tests.pinned_clock import pinned_clock

REQUEST = """
mutation($input: RequestSamplesInput!, $key: String) {
  requestSamples(input: $input, idempotencyKey: $key) {
    sampleRequest { id status quantity unit deliveryAddress neededBy note product { id } producer { id }
                    buyerOrganisation { id } }
    errors { field code message }
  }
}"""
ACCEPT = """
mutation($id: ID!, $shipping: ShippingInput!) {
  acceptSampleRequest(id: $id, shipping: $shipping) {
    sampleRequest { id status shipping { carrier trackingNumber shippedOn } }
    errors { field code message }
  }
}"""
DECLINE = """
mutation($id: ID!, $reason: String!) {
  declineSampleRequest(id: $id, reason: $reason) { sampleRequest { id status declineReason } errors { field code } }
}"""
CONVERT = """
mutation($id: ID!, $input: ConvertToInquiryInput!, $key: String) {
  convertToInquiry(id: $id, input: $input, idempotencyKey: $key) {
    inquiry { id kind quantity unit product { id } invitations { producer { id } } }
    errors { field code message }
  }
}"""
QUOTE = """
mutation($inquiry: ID!, $input: QuotationInput!) {
  submitQuotation(inquiryId: $inquiry, input: $input) {
    quotation { id current { number validUntil } }
    errors { field code }
  }
}"""
ACCEPT_QUOTE = """
mutation($id: ID!, $revision: Int!) {
  acceptQuotation(id: $id, revision: $revision) { deal { id } errors { field code } }
}"""
LIST = "query($status: SampleRequestStatus) { sampleRequests(first: 100, status: $status) { edges { node { id } } } }"
NODE = "query($id: ID!) { node(id: $id) { id ... on SampleRequest { status inquiry { id } } } }"


async def published_product(store: Store, producer_id: str) -> str:
    product = await store.products.insert(
        {
            "producerId": ObjectId(producer_id), "name": f"Kẹo dừa sáp {secrets.token_hex(3)}", "description": "",
            "group": "food", "category": "Kẹo", "stars": 4, "provinceCode": "86", "formerProvince": "Trà Vinh",
            "priceVnd": 55000, "unit": "hộp 250g", "moq": 1, "status": ProductStatus.PUBLISHED.value,
        }
    )  # fmt: skip
    return gid("Product", product.id)


async def other_buyer(api: Api, store: Store) -> str:
    org = await store.buyers.insert({"name": f"Vietnam Airlines catering {secrets.token_hex(3)}", "kind": "airline"})
    account = await create_account(store, name="Other buyer", role=Role.BUYER, org_id=str(org.id))
    api.keys["sample_other_buyer"] = await issue_api_key(store, account.id, "sample_other_buyer")
    return "sample_other_buyer"


def ask(product: str, **fields: Any) -> dict[str, Any]:
    return {"productId": product, "quantity": 6, "deliveryAddress": "199-205 Nguyễn Thái Học, Q.1, TP HCM", **fields}


def codes(payload: Any) -> set[tuple[str | None, str]]:
    return {(e["field"], e["code"]) for e in payload["errors"]}


async def test_samples_from_request_to_inquiry(api: Api, world: World, store: Store) -> None:
    product = await published_product(store, world.producer_id)
    needed = (date.today() + timedelta(days=10)).isoformat()
    sent = (await api.data(REQUEST, {"input": ask(product, neededBy=needed, note="Cho hội đồng chọn hàng Tết"),
                                     "key": "mau-keo-dua-1"}, as_="buyer"))["requestSamples"]  # fmt: skip
    assert sent["errors"] == []
    request = sent["sampleRequest"]
    assert request["status"] == "REQUESTED" and request["unit"] == "hộp 250g" and request["neededBy"] == needed
    assert request["producer"]["id"] == world.producer_gid and request["product"]["id"] == product

    # A retry returns the first request; the same key for another request is refused.
    retry = await api.data(REQUEST, {"input": ask(product, neededBy=needed, note="Cho hội đồng chọn hàng Tết"),
                                     "key": "mau-keo-dua-1"}, as_="buyer")  # fmt: skip
    assert retry["requestSamples"]["sampleRequest"]["id"] == request["id"]
    reused = await api.data(REQUEST, {"input": ask(product, quantity=7), "key": "mau-keo-dua-1"}, as_="buyer")
    assert codes(reused["requestSamples"]) == {("idempotencyKey", "IDEMPOTENCY_KEY_REUSED")}

    # Only an accepted request becomes an inquiry.
    early = await api.data(CONVERT, {"id": request["id"], "input": {"quantity": 500, "unit": "hộp"}}, as_="buyer")
    assert codes(early["convertToInquiry"]) == {("id", "INVALID_STATE")}

    shipping = {"carrier": "Viettel Post", "trackingNumber": "VTP123456789", "shippedOn": date.today().isoformat()}
    by_buyer = await api.data(ACCEPT, {"id": request["id"], "shipping": shipping}, as_="buyer")
    assert codes(by_buyer["acceptSampleRequest"]) == {(None, "FORBIDDEN")}
    by_rival = await api.data(ACCEPT, {"id": request["id"], "shipping": shipping}, as_="other_producer")
    assert codes(by_rival["acceptSampleRequest"]) == {("id", "NOT_FOUND")}
    by_office = await api.data(ACCEPT, {"id": request["id"], "shipping": shipping}, as_="coordinator")
    assert codes(by_office["acceptSampleRequest"]) == {(None, "FORBIDDEN")}
    accepted = (await api.data(ACCEPT, {"id": request["id"], "shipping": shipping}, as_="producer"))[
        "acceptSampleRequest"
    ]
    assert accepted["errors"] == []
    assert accepted["sampleRequest"]["status"] == "ACCEPTED"
    assert accepted["sampleRequest"]["shipping"] == shipping
    twice = await api.data(ACCEPT, {"id": request["id"], "shipping": shipping}, as_="producer")
    assert codes(twice["acceptSampleRequest"]) == {("id", "INVALID_STATE")}
    declined_late = await api.data(DECLINE, {"id": request["id"], "reason": "hết hàng"}, as_="producer")
    assert codes(declined_late["declineSampleRequest"]) == {("id", "INVALID_STATE")}

    by_producer = await api.data(CONVERT, {"id": request["id"], "input": {"quantity": 500, "unit": "hộp"}},
                                 as_="producer")  # fmt: skip
    assert codes(by_producer["convertToInquiry"]) == {(None, "FORBIDDEN")}
    order = {"id": request["id"], "input": {"quantity": 500, "unit": "hộp 250g"}, "key": "tu-mau-den-don"}
    converted = (await api.data(CONVERT, order, as_="buyer"))["convertToInquiry"]
    assert converted["errors"] == []
    inquiry = converted["inquiry"]
    assert inquiry["kind"] == "DIRECT" and inquiry["quantity"] == 500 and inquiry["product"]["id"] == product
    assert [i["producer"]["id"] for i in inquiry["invitations"]] == [world.producer_gid]
    again = (await api.data(CONVERT, order, as_="buyer"))["convertToInquiry"]
    assert again["inquiry"]["id"] == inquiry["id"]  # the retry's answer, nothing new
    other = await api.data(CONVERT, {**order, "key": "another"}, as_="buyer")
    assert codes(other["convertToInquiry"]) == {("id", "INVALID_STATE")}
    assert await store.db["inquiries"].count_documents({"productId": ObjectId(_raw(product))}) == 1
    linked = await api.data(NODE, {"id": request["id"]}, as_="producer")
    assert linked["node"]["inquiry"]["id"] == inquiry["id"]


def _raw(global_id: str) -> str:
    import base64

    return base64.b64decode(global_id).decode().split(":", 1)[1]


async def test_a_producer_declines_with_a_reason(api: Api, world: World, store: Store) -> None:
    product = await published_product(store, world.producer_id)
    request = (await api.data(REQUEST, {"input": ask(product)}, as_="buyer"))["requestSamples"]["sampleRequest"]
    blank = await api.data(DECLINE, {"id": request["id"], "reason": "  "}, as_="producer")
    assert codes(blank["declineSampleRequest"]) == {("reason", "REQUIRED")}
    done = (await api.data(DECLINE, {"id": request["id"], "reason": "Hết mùa dừa sáp"}, as_="producer"))[
        "declineSampleRequest"
    ]
    assert done["sampleRequest"] == {"id": request["id"], "status": "DECLINED", "declineReason": "Hết mùa dừa sáp"}
    convert = await api.data(CONVERT, {"id": request["id"], "input": {"quantity": 5, "unit": "hộp"}}, as_="buyer")
    assert codes(convert["convertToInquiry"]) == {("id", "INVALID_STATE")}


async def test_who_sees_a_sample_request(api: Api, world: World, store: Store) -> None:
    stranger = await other_buyer(api, store)
    product = await published_product(store, world.producer_id)
    request = (await api.data(REQUEST, {"input": ask(product)}, as_="buyer"))["requestSamples"]["sampleRequest"]
    sees = {"buyer", "producer", "coordinator", "admin"}
    for role in ("buyer", "producer", "coordinator", "admin", "other_producer", "other_coordinator", stranger, None):
        node = (await api.gql(NODE, {"id": request["id"]}, as_=role))["data"]["node"]
        assert (node is not None) == (role in sees), role
        listed = await api.gql(LIST, {"status": "REQUESTED"}, as_=role)
        if role is None:
            assert listed["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
            continue
        ids = [e["node"]["id"] for e in listed["data"]["sampleRequests"]["edges"]]
        assert (request["id"] in ids) == (role in sees), role
    declined_only = await api.data(LIST, {"status": "DECLINED"}, as_="buyer")
    assert request["id"] not in [e["node"]["id"] for e in declined_only["sampleRequests"]["edges"]]


async def test_bad_sample_requests(api: Api, world: World, store: Store) -> None:
    product = await published_product(store, world.producer_id)
    draft = await store.products.insert(
        {
            "producerId": ObjectId(world.producer_id), "name": "Bản nháp", "description": "", "group": "food",
            "category": "Kẹo", "stars": 3, "provinceCode": "86", "priceVnd": 1000, "unit": "gói", "moq": 1,
            "status": ProductStatus.DRAFT.value,
        }
    )  # fmt: skip
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    cases = [
        (ask(product, quantity=0), "buyer", {("quantity", "OUT_OF_RANGE")}),
        (ask(product, quantity=5000), "buyer", {("quantity", "OUT_OF_RANGE")}),
        (ask(product, deliveryAddress=" "), "buyer", {("deliveryAddress", "REQUIRED")}),
        (ask(product, neededBy=yesterday), "buyer", {("neededBy", "OUT_OF_RANGE")}),
        (ask(product, note="x" * 2001), "buyer", {("note", "TOO_LONG")}),
        (ask(gid("Product", draft.id)), "buyer", {("productId", "NOT_FOUND")}),
        (ask(gid("Product", ObjectId())), "buyer", {("productId", "NOT_FOUND")}),
        (ask(world.producer_gid), "buyer", {("productId", "INVALID")}),
        (ask(product), "producer", {(None, "FORBIDDEN")}),
        (ask(product), "coordinator", {(None, "FORBIDDEN")}),
    ]
    before = await store.db["sample_requests"].count_documents({})
    for input, role, expected in cases:
        result = (await api.data(REQUEST, {"input": input}, as_=role))["requestSamples"]
        assert codes(result) == expected, (input, role)
        assert result["sampleRequest"] is None
    assert await store.db["sample_requests"].count_documents({}) == before
    unknown = await api.data(DECLINE, {"id": gid("SampleRequest", ObjectId()), "reason": "x"}, as_="producer")
    assert codes(unknown["declineSampleRequest"]) == {("id", "NOT_FOUND")}
    request = (await api.data(REQUEST, {"input": ask(product)}, as_="buyer"))["requestSamples"]["sampleRequest"]
    bad_shipping = await api.data(
        ACCEPT, {"id": request["id"], "shipping": {"carrier": "", "shippedOn": "2020-01-01"}}, as_="producer"
    )
    assert codes(bad_shipping["acceptSampleRequest"]) == {
        ("shipping.carrier", "REQUIRED"),
        ("shipping.shippedOn", "INVALID"),
    }


async def test_trade_days_are_utc_days_whatever_the_servers_zone(api: Api, world: World, store: Store) -> None:
    """At 06:30 on 11 March in Vietnam, still the 10th in UTC, on a server keeping Vietnam's time, the trade's
    today is the 10th: samples and goods may be needed by the 10th but not the 9th, samples shipped without a day
    went out on the 10th, and a quotation is good for 30 days from the 10th, or until the 10th itself."""
    product = await published_product(store, world.producer_id)

    async def quote(inquiry: str, **valid_until: str) -> Any:
        offer = {"unitPriceVnd": 52000, "leadTimeDays": 7, **valid_until}
        return (await api.data(QUOTE, {"inquiry": inquiry, "input": offer}, as_="producer"))["submitQuotation"]

    with pinned_clock():
        late = (await api.data(REQUEST, {"input": ask(product, neededBy="2025-03-09")}, as_="buyer"))["requestSamples"]
        assert codes(late) == {("neededBy", "OUT_OF_RANGE")}
        sent = (await api.data(REQUEST, {"input": ask(product, neededBy="2025-03-10")}, as_="buyer"))["requestSamples"]
        assert sent["errors"] == []
        request = sent["sampleRequest"]["id"]
        shipped = await api.data(ACCEPT, {"id": request, "shipping": {"carrier": "Viettel Post"}}, as_="producer")
        assert shipped["acceptSampleRequest"]["sampleRequest"]["shipping"]["shippedOn"] == "2025-03-10"

        order = {"quantity": 500, "unit": "hộp 250g"}
        past = await api.data(CONVERT, {"id": request, "input": {**order, "neededBy": "2025-03-09"}}, as_="buyer")
        assert codes(past["convertToInquiry"]) == {("neededBy", "OUT_OF_RANGE")}
        converted = await api.data(CONVERT, {"id": request, "input": {**order, "neededBy": "2025-03-10"}}, as_="buyer")
        assert converted["convertToInquiry"]["errors"] == []
        inquiry = converted["convertToInquiry"]["inquiry"]["id"]

        first = await quote(inquiry)
        assert first["errors"] == [] and first["quotation"]["current"]["validUntil"] == "2025-04-09"
        assert codes(await quote(inquiry, validUntil="2025-03-09")) == {("validUntil", "OUT_OF_RANGE")}
        last_day = await quote(inquiry, validUntil="2025-03-10")
        assert last_day["errors"] == [] and last_day["quotation"]["current"]["number"] == 2
        accepted = await api.data(ACCEPT_QUOTE, {"id": last_day["quotation"]["id"], "revision": 2}, as_="buyer")
        assert accepted["acceptQuotation"]["errors"] == [] and accepted["acceptQuotation"]["deal"] is not None


async def test_each_side_hears_of_the_other(api: Api, world: World, store: Store) -> None:
    auth = api.app.state.services.auth
    producer = await auth.principal(api.keys["producer"])
    buyer = await auth.principal(api.keys["buyer"])
    rival = await auth.principal(api.keys["other_producer"])
    product = await published_product(store, world.producer_id)
    rivals_product = await published_product(store, world.other_producer_id)
    to_producer = await feeds.sample_request_events(store, producer)
    to_buyer = await feeds.sample_request_events(store, buyer)
    to_rival = await feeds.sample_request_events(store, rival)
    try:
        request = (await api.data(REQUEST, {"input": ask(product)}, as_="buyer"))["requestSamples"]["sampleRequest"]
        shipping = {"carrier": "GHN"}
        await api.data(ACCEPT, {"id": request["id"], "shipping": shipping}, as_="producer")
        theirs = (await api.data(REQUEST, {"input": ask(rivals_product)}, as_="buyer"))["requestSamples"]
        raw = ObjectId(_raw(request["id"]))

        async def next_of(feed: Any) -> feeds.SampleRequestEvent:
            event: feeds.SampleRequestEvent = await asyncio.wait_for(feed.__anext__(), 10)
            return event

        heard = [await next_of(to_producer), await next_of(to_producer)]
        assert [(e.kind, e.sample_request_id) for e in heard] == [
            (feeds.SampleRequestEventKind.SAMPLE_REQUESTED, raw),
            (feeds.SampleRequestEventKind.SAMPLE_ACCEPTED, raw),
        ]
        buyer_heard = [await next_of(to_buyer) for _ in range(3)]
        assert [e.kind.name for e in buyer_heard] == ["SAMPLE_REQUESTED", "SAMPLE_ACCEPTED", "SAMPLE_REQUESTED"]
        # The rival hears of the request made to it, and of nothing before it.
        first = await next_of(to_rival)
        assert first.sample_request_id == ObjectId(_raw(theirs["sampleRequest"]["id"]))
    finally:
        for feed in (to_producer, to_buyer, to_rival):
            await feed.aclose()
