"""Subscriptions end to end: the app served by uvicorn, a graphql-transport-ws client (the `websockets`
package), data written through the GraphQL API and the market functions. Who is told what, who is told
nothing, refused connections and operations, the per-connection and per-process limits, and resuming after a
cursor."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import json
import secrets
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import uvicorn
from bson import ObjectId
from starlette.applications import Starlette
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from api.app import create_app
from api.auth import principal_of
from api.graphql import MAX_SUBSCRIPTIONS_PER_CONNECTION
from market.accounts.policy import Principal
from market.accounts.records import Role
from market.accounts.services import create_account, issue_api_key
from market.store import Store
from market.trade.feeds import InquiryEventKind, encode_cursor, inquiry_event_for, inquiry_events
from market.trade.inquiries import Match, send_message, submit_inquiry
from market.trade.quotations import submit_quotation
from market.trade.records import Criteria
from tests.conftest import Catalogue, gid
from tests.test_trade import ACCEPT, ADVANCE, QUOTE, SUBMIT, buyer_org

PROTOCOL = "graphql-transport-ws"
QUIET = 2.0  # how long a subscriber must stay silent to show it was told nothing

INQUIRY_EVENTS = """
subscription($after: String) {
  inquiryEvents(after: $after) {
    kind cursor at
    inquiry { id kind status }
    quotation { id producer { id } current { number unitPriceVnd } revisions { unitPriceVnd } }
    message { side body }
  }
}"""
DEAL_EVENTS = """
subscription($id: ID!, $after: String) {
  dealEvents(dealId: $id, after: $after) { id state version eventCursor allowedTransitions history { to } }
}"""
SEND = """
mutation($i: ID!, $input: MessageInput!) { sendMessage(inquiryId: $i, input: $input) { errors { code } } }"""


@dataclass(frozen=True)
class Member:
    handle: str  # the name of its key in `catalogue.api.keys`
    key: str
    principal: Principal


async def member(cat: Catalogue, role: Role, name: str, **kwargs: Any) -> Member:
    store = cat.fixture.store
    account = await create_account(store, name=name, role=role, **kwargs)
    handle = f"{name}-{secrets.token_hex(3)}"
    cat.api.keys[handle] = await issue_api_key(store, account.id, name)
    return Member(handle, cat.api.keys[handle], principal_of(account))


# Above the per-connection bound, so both bounds can be seen; the default is 10.
PER_ACCOUNT = MAX_SUBSCRIPTIONS_PER_CONNECTION + 5


@pytest.fixture(scope="module")
def server_app(catalogue: Catalogue) -> Starlette:
    return create_app(catalogue.settings.model_copy(update={"max_subscriptions": PER_ACCOUNT}))


@pytest.fixture(scope="module")
async def server(server_app: Starlette) -> AsyncIterator[str]:
    """The app on a free port, standing for a second API process: it has its own MongoDB client, so what it
    tells subscribers of writes made through `catalogue.api` can only have come through the database."""
    app = server_app
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", timeout_graceful_shutdown=5
    )
    served = uvicorn.Server(config)
    task = asyncio.create_task(served.serve())
    while not served.started:
        assert not task.done(), "the server did not start"
        await asyncio.sleep(0.02)
    yield f"ws://127.0.0.1:{port}/graphql"
    served.should_exit = True
    await task
    await app.state.services.close()


class Client:
    """One graphql-transport-ws connection."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.ids = itertools.count(1)

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))

    async def receive(self, timeout: float = 10.0) -> dict[str, Any]:
        frame = await asyncio.wait_for(self.ws.recv(), timeout)
        assert isinstance(frame, str), "graphql-transport-ws messages are text frames"
        message: dict[str, Any] = json.loads(frame)
        return message

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> str:
        op = str(next(self.ids))
        await self.send({"id": op, "type": "subscribe", "payload": {"query": query, "variables": variables or {}}})
        return op

    async def next(self, timeout: float = 10.0) -> dict[str, Any]:
        message = await self.receive(timeout)
        assert message["type"] == "next" and "errors" not in message["payload"], message
        data: dict[str, Any] = message["payload"]["data"]
        return data

    async def drain(self, quiet: float = QUIET) -> list[dict[str, Any]]:
        """Every event until the connection has been silent for `quiet` seconds."""
        events = []
        with contextlib.suppress(TimeoutError):
            while True:
                events.append(await self.next(timeout=quiet))
        return events


@contextlib.asynccontextmanager
async def connected(
    url: str, key: str | None = None, *, payload: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> AsyncIterator[Client]:
    async with connect(url, subprotocols=[Subprotocol(PROTOCOL)], additional_headers=headers) as ws:
        client = Client(ws)
        init = payload if payload is not None else {"Authorization": f"Bearer {key}"}
        await client.send({"type": "connection_init", "payload": init})
        ack = await client.receive()
        assert ack["type"] == "connection_ack", ack
        yield client


async def refusal(url: str, payload: dict[str, Any], subprotocol: str = PROTOCOL) -> int | None:
    """The close code of a connection that sent `connection_init` with this payload."""
    async with connect(url, subprotocols=[Subprotocol(subprotocol)]) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
            await asyncio.wait_for(ws.recv(), 10)
    return closed.value.rcvd.code if closed.value.rcvd else None


async def stream_count(store: Store, who: Member, feed: str) -> int:
    """The change streams the server holds open for this feed and account."""
    comment = f"ocop:{feed}:{who.principal.account_id}"
    ops = await store.client.admin.aggregate(
        [
            {"$currentOp": {"allUsers": True, "idleCursors": True}},
            {"$match": {"$or": [{"cursor.originatingCommand.comment": comment}, {"command.comment": comment}]}},
        ]
    )
    return len(await ops.to_list(None))


async def streams_open(store: Store, who: Member, feed: str, count: int = 1) -> None:
    """Wait until the server holds `count` change streams of this feed for this account (a subscription
    only hears of changes written after its stream is open); with `count=0`, until all are closed."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        open_now = await stream_count(store, who, feed)
        if open_now >= count if count else open_now == 0:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{feed} streams for {who.handle}: {await stream_count(store, who, feed)}, wanted {count}")


def node_id(global_id: str) -> ObjectId:
    import base64

    return ObjectId(base64.b64decode(global_id).decode().split(":")[1])


async def two_producers(cat: Catalogue) -> tuple[dict[str, Any], dict[str, Any]]:
    """Published products of two different producers, in different provinces."""
    products = cat.fixture.store.db["products"]
    first = await products.find_one({"status": "published", "provinceCode": "86"})
    assert first is not None
    second = await products.find_one(
        {"status": "published", "producerId": {"$ne": first["producerId"]}, "provinceCode": {"$ne": "86"}}
    )
    assert second is not None
    return first, second


async def test_connections_need_a_key_and_the_current_protocol(
    server: str, server_app: Starlette, catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    buyer = await member(catalogue, Role.BUYER, "WS buyer", org_id=await buyer_org(catalogue, "WS"))
    assert await refusal(server, {}) == 4403
    assert await refusal(server, {"Authorization": "Bearer ocop_not_a_key"}) == 4403
    assert await refusal(server, {"Authorization": buyer.key}) == 4403  # no Bearer scheme
    assert await refusal(server, {"apiKey": 42}) == 4403
    # The legacy graphql-ws protocol is not spoken at all.
    assert await refusal(server, {"Authorization": f"Bearer {buyer.key}"}, "graphql-ws") == 4406

    # A key in the payload, under either name, or in the upgrade request's header.
    async with connected(server, payload={"apiKey": buyer.key}):
        pass
    async with connected(server, payload={}, headers={"Authorization": f"Bearer {buyer.key}"}) as client:
        # At most MAX_SUBSCRIPTIONS_PER_CONNECTION operations at once on one connection.
        for _ in range(MAX_SUBSCRIPTIONS_PER_CONNECTION):
            await client.subscribe(INQUIRY_EVENTS)
        await streams_open(catalogue.fixture.store, buyer, "inquiryEvents", MAX_SUBSCRIPTIONS_PER_CONNECTION)
        extra = await client.subscribe(INQUIRY_EVENTS)
        refused = await client.receive()
        assert refused["id"] == extra and refused["type"] == "error"
        assert refused["payload"][0]["message"] == "Subscription limit reached"
    # Leaving closes every stream the connection held.
    await streams_open(catalogue.fixture.store, buyer, "inquiryEvents", 0)

    # One account holds at most PER_ACCOUNT subscriptions, over all its connections; others are unaffected.
    colleague = await member(catalogue, Role.BUYER, "WS colleague", org_id=str(buyer.principal.org_id))
    async with connected(server, buyer.key) as first, connected(server, buyer.key) as second:
        for _ in range(MAX_SUBSCRIPTIONS_PER_CONNECTION):
            await first.subscribe(INQUIRY_EVENTS)
        for _ in range(PER_ACCOUNT - MAX_SUBSCRIPTIONS_PER_CONNECTION):
            await second.subscribe(INQUIRY_EVENTS)
        await streams_open(catalogue.fixture.store, buyer, "inquiryEvents", PER_ACCOUNT)
        extra = await second.subscribe(INQUIRY_EVENTS)
        refused = await second.receive()
        assert refused["id"] == extra and refused["type"] == "error", refused
        assert refused["payload"][0]["extensions"]["code"] == "TOO_MANY_SUBSCRIPTIONS", refused
        async with connected(server, colleague.key) as other:
            await other.subscribe(INQUIRY_EVENTS)
            await streams_open(catalogue.fixture.store, colleague, "inquiryEvents", 1)
    await streams_open(catalogue.fixture.store, buyer, "inquiryEvents", 0)

    # One process holds a bounded number of change streams, whatever the number of connections.
    quota = server_app.state.services.store.trade.streams
    monkeypatch.setattr(quota, "per_process", quota.open + 1)
    async with connected(server, buyer.key) as first, connected(server, buyer.key) as second:
        await first.subscribe(INQUIRY_EVENTS)
        await streams_open(catalogue.fixture.store, buyer, "inquiryEvents")
        await second.subscribe(INQUIRY_EVENTS)
        busy = await second.receive()
        assert busy["type"] == "error" and busy["payload"][0]["extensions"]["code"] == "UNAVAILABLE", busy

    # Subscribing before the connection is acknowledged closes it.
    async with connect(server, subprotocols=[Subprotocol(PROTOCOL)]) as ws:
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": INQUIRY_EVENTS}}))
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


async def test_a_producer_hears_of_an_inquiry_to_it_and_a_competitor_of_nothing(
    server: str, catalogue: Catalogue
) -> None:
    product, other = await two_producers(catalogue)
    maker = await member(catalogue, Role.PRODUCER, "WS maker", org_id=str(product["producerId"]))
    rival = await member(catalogue, Role.PRODUCER, "WS rival", org_id=str(other["producerId"]))
    buyer = await member(catalogue, Role.BUYER, "WS buyer", org_id=await buyer_org(catalogue, "WS"))
    store = catalogue.fixture.store
    async with connected(server, maker.key) as mine, connected(server, rival.key) as theirs:
        await mine.subscribe(INQUIRY_EVENTS)
        await theirs.subscribe(INQUIRY_EVENTS)
        await streams_open(store, maker, "inquiryEvents")
        await streams_open(store, rival, "inquiryEvents")

        direct = {"productId": gid("Product", product["_id"]), "quantity": 20, "unit": "hộp"}
        sent = await catalogue.api.data(SUBMIT, {"input": direct}, as_=buyer.handle)
        inquiry = sent["submitInquiry"]["inquiry"]
        invited = (await mine.next())["inquiryEvents"]
        assert invited["kind"] == "INQUIRY_INVITED" and invited["cursor"] and invited["at"]
        assert invited["inquiry"] == {"id": inquiry["id"], "kind": "DIRECT", "status": "OPEN"}
        assert invited["quotation"] is None and invited["message"] is None

        closing = "mutation($id: ID!) { closeInquiry(id: $id) { errors { code } } }"
        await catalogue.api.data(closing, {"id": inquiry["id"]}, as_=buyer.handle)
        closed = (await mine.next())["inquiryEvents"]
        assert closed["kind"] == "INQUIRY_CLOSED" and closed["inquiry"]["status"] == "CLOSED"

        assert await theirs.drain() == []


async def test_quotations_reach_their_buyer_and_never_a_competitor(server: str, catalogue: Catalogue) -> None:
    store = catalogue.fixture.store
    product, other = await two_producers(catalogue)
    a = await member(catalogue, Role.PRODUCER, "WS quoting maker", org_id=str(product["producerId"]))
    b = await member(catalogue, Role.PRODUCER, "WS competitor", org_id=str(other["producerId"]))
    buyer = await member(catalogue, Role.BUYER, "WS RFQ buyer", org_id=await buyer_org(catalogue, "WS RFQ"))
    stranger = await member(catalogue, Role.BUYER, "WS other buyer", org_id=await buyer_org(catalogue, "WS other"))
    admin = await member(catalogue, Role.ADMIN, "WS admin")
    office = await member(catalogue, Role.COORDINATOR, "WS office", province="Vĩnh Long")
    everyone = [a, b, buyer, stranger, admin, office]

    async def both(criteria: Criteria, limit: int) -> list[Match]:
        return [Match(product["producerId"], [product["_id"]], "test"), Match(other["producerId"], [other["_id"]])]

    async with contextlib.AsyncExitStack() as stack:
        clients = {m.handle: await stack.enter_async_context(connected(server, m.key)) for m in everyone}
        for m in everyone:
            await clients[m.handle].subscribe(INQUIRY_EVENTS)
        for m in everyone:
            await streams_open(store, m, "inquiryEvents")

        rfq = {"criteria": {"query": "đặc sản"}, "quantity": 300, "unit": "hộp"}
        record = await submit_inquiry(store, buyer.principal, rfq, both)
        inquiry_id = gid("Inquiry", record.id)
        for m in (a, b):
            invited = (await clients[m.handle].next())["inquiryEvents"]
            assert invited["kind"] == "INQUIRY_INVITED" and invited["inquiry"]["id"] == inquiry_id

        async def quote(who: Member, price: int) -> dict[str, Any]:
            body = {"unitPriceVnd": price, "leadTimeDays": 5}
            done = await catalogue.api.data(QUOTE, {"inquiry": inquiry_id, "input": body}, as_=who.handle)
            quotation: dict[str, Any] = done["submitQuotation"]["quotation"]
            return quotation

        theirs = await quote(b, 50_000)
        ours = await quote(a, 42_000)
        assert (await quote(a, 39_000))["id"] == ours["id"]
        a_thread = gid("Producer", product["producerId"])
        message = {"producerId": a_thread, "body": "39.000 cho 300 hộp?", "counterUnitPriceVnd": 37000}
        await catalogue.api.data(SEND, {"i": inquiry_id, "input": message}, as_=buyer.handle)
        await catalogue.api.data(SEND, {"i": inquiry_id, "input": {"body": "Đồng ý 38.000"}}, as_=a.handle)
        decline = 'mutation($id: ID!) { declineQuotation(id: $id, reason: "giá cao") { errors { code } } }'
        await catalogue.api.data(decline, {"id": theirs["id"]}, as_=buyer.handle)
        accepted = await catalogue.api.data(ACCEPT, {"id": ours["id"], "revision": 2}, as_=buyer.handle)
        assert accepted["acceptQuotation"]["errors"] == []

        seen = dict(
            zip(
                [m.handle for m in everyone],
                await asyncio.gather(*(clients[m.handle].drain() for m in everyone)),
                strict=True,
            )
        )

    def kinds(m: Member) -> list[str]:
        return [e["inquiryEvents"]["kind"] for e in seen[m.handle]]

    def quotations(m: Member) -> set[str]:
        return {e["inquiryEvents"]["quotation"]["id"] for e in seen[m.handle] if e["inquiryEvents"]["quotation"]}

    # The buyer: its RFQ, both quotations and the revision, the producer's reply (not its own message), and
    # its own decisions, which its colleagues see too.
    assert kinds(buyer) == [
        "INQUIRY_SUBMITTED", "QUOTATION_SUBMITTED", "QUOTATION_SUBMITTED", "QUOTATION_REVISED", "MESSAGE",
        "QUOTATION_DECLINED", "QUOTATION_ACCEPTED", "INQUIRY_CLOSED",
    ]  # fmt: skip
    assert quotations(buyer) == {theirs["id"], ours["id"]}
    revised = seen[buyer.handle][3]["inquiryEvents"]["quotation"]
    assert revised["current"] == {"number": 2, "unitPriceVnd": 39_000}
    assert seen[buyer.handle][4]["inquiryEvents"]["message"] == {"side": "PRODUCER", "body": "Đồng ý 38.000"}

    # Each producer: its own quotation and what became of it, the buyer's message in its own thread only, the
    # closing. Never a rival's quotation or price.
    assert kinds(a) == ["QUOTATION_SUBMITTED", "QUOTATION_REVISED", "MESSAGE", "QUOTATION_ACCEPTED", "INQUIRY_CLOSED"]
    assert quotations(a) == {ours["id"]}
    assert seen[a.handle][2]["inquiryEvents"]["message"]["body"] == "39.000 cho 300 hộp?"
    assert kinds(b) == ["QUOTATION_SUBMITTED", "QUOTATION_DECLINED", "INQUIRY_CLOSED"]
    assert quotations(b) == {theirs["id"]}

    # The Trà Vinh–Vĩnh Long office (province 86) oversees the RFQ and its producer's quotation, not threads.
    assert kinds(office) == [
        "INQUIRY_SUBMITTED", "QUOTATION_SUBMITTED", "QUOTATION_REVISED", "QUOTATION_ACCEPTED", "INQUIRY_CLOSED",
    ]  # fmt: skip
    assert quotations(office) == {ours["id"]}
    assert kinds(admin) == [
        "INQUIRY_SUBMITTED", "QUOTATION_SUBMITTED", "QUOTATION_SUBMITTED", "QUOTATION_REVISED", "MESSAGE", "MESSAGE",
        "QUOTATION_DECLINED", "QUOTATION_ACCEPTED", "INQUIRY_CLOSED",
    ]  # fmt: skip
    assert seen[stranger.handle] == []


async def test_each_change_is_checked_again_before_it_is_sent(catalogue: Catalogue) -> None:
    """The server-side `$match` is the first guard. Each change is then checked again with the permission
    rules, so one that reached the wrong stream would still not be sent: here every change of an RFQ,
    read from an unfiltered stream, is offered to every kind of viewer."""
    store = catalogue.fixture.store
    product, other = await two_producers(catalogue)
    a = await member(catalogue, Role.PRODUCER, "Check maker", org_id=str(product["producerId"]))
    b = await member(catalogue, Role.PRODUCER, "Check competitor", org_id=str(other["producerId"]))
    buyer = await member(catalogue, Role.BUYER, "Check buyer", org_id=await buyer_org(catalogue, "Check"))
    stranger = await member(catalogue, Role.BUYER, "Check stranger", org_id=await buyer_org(catalogue, "Check x"))
    office = await member(catalogue, Role.COORDINATOR, "Check office", province="Vĩnh Long")
    far_office = await member(catalogue, Role.COORDINATOR, "Check far office", province="Hà Nội")
    admin = await member(catalogue, Role.ADMIN, "Check admin")

    async def both(criteria: Criteria, limit: int) -> list[Match]:
        return [Match(product["producerId"], [product["_id"]]), Match(other["producerId"], [other["_id"]])]

    watched = [{"$match": {"ns.coll": {"$in": ["inquiries", "quotations", "messages"]}}}]
    async with await store.db.watch(watched, full_document="updateLookup") as everything:
        rfq = await submit_inquiry(
            store, buyer.principal, {"criteria": {"query": "quà"}, "quantity": 5, "unit": "hộp"}, both
        )
        await submit_quotation(store, a.principal, str(rfq.id), {"unitPriceVnd": 91_000, "leadTimeDays": 1})
        await send_message(store, a.principal, str(rfq.id), {"body": "Giá tốt"})
        changes: dict[str, dict[str, Any]] = {}
        while len(changes) < 3:
            change = await everything.next()
            if change["operationType"] == "insert":
                changes[change["ns"]["coll"]] = change

    async def kind(who: Member, coll: str) -> InquiryEventKind | None:
        event = await inquiry_event_for(store, who.principal, changes[coll])
        return event.kind if event else None

    K = InquiryEventKind
    expected = {
        "inquiries": {a: K.INQUIRY_INVITED, b: K.INQUIRY_INVITED, buyer: K.INQUIRY_SUBMITTED, office: K.INQUIRY_SUBMITTED,
                      admin: K.INQUIRY_SUBMITTED, stranger: None, far_office: None},
        "quotations": {a: K.QUOTATION_SUBMITTED, buyer: K.QUOTATION_SUBMITTED, office: K.QUOTATION_SUBMITTED,
                       admin: K.QUOTATION_SUBMITTED, b: None, stranger: None, far_office: None},
        "messages": {buyer: K.MESSAGE, admin: K.MESSAGE, a: None, b: None, office: None, stranger: None,
                     far_office: None},
    }  # fmt: skip
    for coll, by_viewer in expected.items():
        got = {who.handle: await kind(who, coll) for who in by_viewer}
        assert got == {who.handle: want for who, want in by_viewer.items()}, coll


async def agreed_deal(cat: Catalogue) -> tuple[str, Member, Member]:
    """A direct inquiry, quoted and accepted: the deal's id, its buyer and its producer's member."""
    product, _ = await two_producers(cat)
    maker = await member(cat, Role.PRODUCER, "WS deal maker", org_id=str(product["producerId"]))
    buyer = await member(cat, Role.BUYER, "WS deal buyer", org_id=await buyer_org(cat, "WS deal"))
    direct = {"productId": gid("Product", product["_id"]), "quantity": 40, "unit": "hũ"}
    inquiry = (await cat.api.data(SUBMIT, {"input": direct}, as_=buyer.handle))["submitInquiry"]["inquiry"]
    body = {"unitPriceVnd": 150_000, "leadTimeDays": 3}
    quoted = await cat.api.data(QUOTE, {"inquiry": inquiry["id"], "input": body}, as_=maker.handle)
    quotation = quoted["submitQuotation"]["quotation"]
    accepted = await cat.api.data(ACCEPT, {"id": quotation["id"], "revision": 1}, as_=buyer.handle)
    return accepted["acceptQuotation"]["deal"]["id"], buyer, maker


async def test_deal_events_reach_the_deal_parties_and_refuse_others(server: str, catalogue: Catalogue) -> None:
    store = catalogue.fixture.store
    deal_id, buyer, maker = await agreed_deal(catalogue)
    stranger = await member(catalogue, Role.BUYER, "WS deal stranger", org_id=await buyer_org(catalogue, "WS x"))

    async def move(who: Member, to: str, version: int, **extra: Any) -> None:
        done = await catalogue.api.data(ADVANCE, {"id": deal_id, "to": to, "v": version, **extra}, as_=who.handle)
        assert done["advanceDeal"]["errors"] == [], done

    async with connected(server, stranger.key) as outsider:
        for variables, field, code in [
            ({"id": deal_id}, "dealId", "NOT_FOUND"),  # exists, not theirs: the same answer as a missing deal
            ({"id": gid("Deal", ObjectId())}, "dealId", "NOT_FOUND"),
            ({"id": gid("Inquiry", ObjectId())}, "dealId", "INVALID"),
        ]:
            op = await outsider.subscribe(DEAL_EVENTS, variables)
            refused = await outsider.receive()
            assert refused["id"] == op and refused["type"] == "error", refused
            assert refused["payload"][0]["extensions"]["code"] == code
            assert refused["payload"][0]["extensions"]["field"] == field

    async with connected(server, buyer.key) as client:
        await client.subscribe(DEAL_EVENTS, {"id": deal_id})
        await streams_open(store, buyer, "dealEvents")
        await move(maker, "AGREED", 1, note="chốt")
        agreed = (await client.next())["dealEvents"]
        assert agreed["id"] == deal_id and agreed["state"] == "AGREED" and agreed["version"] == 2
        assert agreed["allowedTransitions"] == ["ORDERED", "CANCELLED", "LOST"]  # as the buyer sees it
        assert agreed["eventCursor"]
        delivery = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
        order = {"quantity": 40, "valueVnd": 6_000_000, "deliveryDate": delivery}
        await move(buyer, "ORDERED", 2, order=order)
        assert (await client.next())["dealEvents"]["state"] == "ORDERED"

    # Disconnected meanwhile: resuming after the last update received gives the deal as it is now.
    await move(maker, "DELIVERED", 3)
    async with connected(server, buyer.key) as client:
        await client.subscribe(DEAL_EVENTS, {"id": deal_id, "after": agreed["eventCursor"]})
        caught_up = (await client.next())["dealEvents"]
        assert caught_up["state"] == "DELIVERED" and caught_up["version"] == 4
        assert [h["to"] for h in caught_up["history"]] == ["NEGOTIATING", "AGREED", "ORDERED", "DELIVERED"]


async def test_resuming_after_a_cursor_replays_what_was_missed(server: str, catalogue: Catalogue) -> None:
    store = catalogue.fixture.store
    product, _ = await two_producers(catalogue)
    maker = await member(catalogue, Role.PRODUCER, "WS resume maker", org_id=str(product["producerId"]))
    buyer = await member(catalogue, Role.BUYER, "WS resume buyer", org_id=await buyer_org(catalogue, "WS resume"))

    async with connected(server, buyer.key) as client:
        await client.subscribe(INQUIRY_EVENTS)
        await streams_open(store, buyer, "inquiryEvents")
        direct = {"productId": gid("Product", product["_id"]), "quantity": 12, "unit": "hộp"}
        inquiry = (await catalogue.api.data(SUBMIT, {"input": direct}, as_=buyer.handle))["submitInquiry"]["inquiry"]
        submitted = (await client.next())["inquiryEvents"]
        assert submitted["kind"] == "INQUIRY_SUBMITTED"

    # While the buyer is away: a quotation and a message.
    body = {"unitPriceVnd": 80_000, "leadTimeDays": 2}
    await catalogue.api.data(QUOTE, {"inquiry": inquiry["id"], "input": body}, as_=maker.handle)
    await catalogue.api.data(SEND, {"i": inquiry["id"], "input": {"body": "Còn hàng"}}, as_=maker.handle)

    async with connected(server, buyer.key) as client:
        await client.subscribe(INQUIRY_EVENTS, {"after": submitted["cursor"]})
        quoted = (await client.next())["inquiryEvents"]
        assert quoted["kind"] == "QUOTATION_SUBMITTED" and quoted["inquiry"]["id"] == inquiry["id"]
        assert quoted["quotation"]["current"]["unitPriceVnd"] == 80_000
        told = (await client.next())["inquiryEvents"]
        assert told["kind"] == "MESSAGE" and told["message"]["body"] == "Còn hàng"

        # From the last cursor on, nothing is replayed twice.
        await client.subscribe(INQUIRY_EVENTS, {"after": told["cursor"]})
        assert await client.drain() == []

        for after in ["not a cursor", encode_cursor({"_data": "zz"})]:
            op = await client.subscribe(INQUIRY_EVENTS, {"after": after})
            refused = await client.receive()
            assert refused["id"] == op and refused["type"] == "error", refused
            assert refused["payload"][0]["extensions"]["code"] == "INVALID"
            assert refused["payload"][0]["extensions"]["field"] == "after"


async def test_a_feed_whose_reader_is_cancelled_closes_its_server_cursor(catalogue: Catalogue) -> None:
    """A subscription ends by having its task cancelled: its server cursor closes then, not whenever the
    iterator happens to be collected."""
    buyer = await member(catalogue, Role.BUYER, "Cancelled reader", org_id=await buyer_org(catalogue, "Cancel"))
    store = catalogue.fixture.store
    feeds = [await inquiry_events(store, buyer.principal) for _ in range(8)]  # within the per-account quota
    readers = [asyncio.create_task(feed.__anext__()) for feed in feeds]
    await streams_open(store, buyer, "inquiryEvents", len(feeds))
    for reader in readers:  # at every point of a read: waiting for a connection, in a getMore, between two
        await asyncio.sleep(0.01)
        reader.cancel()
    for reader in readers:
        with contextlib.suppress(asyncio.CancelledError):
            await reader
    await streams_open(store, buyer, "inquiryEvents", 0)  # `feeds` still holds every iterator


async def test_a_feed_cancelled_while_its_stream_opens_leaves_no_server_cursor(catalogue: Catalogue) -> None:
    """A connection can close while the server is still opening a subscription's change stream: the cursor it
    opens is closed once it is known, not left until the server's idle timeout."""
    buyer = await member(catalogue, Role.BUYER, "Early leaver", org_id=await buyer_org(catalogue, "Leave"))
    store = catalogue.fixture.store
    for turns in range(12):  # cancelled after 0, 1, 2… turns of the event loop: before, during, after the command
        opening = asyncio.create_task(inquiry_events(store, buyer.principal))
        for _ in range(turns):
            await asyncio.sleep(0)
        opening.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            feed = await opening
            await feed.aclose()  # it opened before the cancellation reached it: closed as a reader would
    await streams_open(store, buyer, "inquiryEvents", 0)


async def test_a_connection_closes_the_streams_its_subscriptions_left_open(catalogue: Catalogue) -> None:
    """Whatever point a subscription was stopped at, the streams it opened are closed with its connection:
    here two opened and never read, one of them already dropped by everything but a reference cycle."""
    from schema.context import Context
    from schema.loaders import Loaders

    buyer = await member(catalogue, Role.BUYER, "Connection closer", org_id=await buyer_org(catalogue, "Closer"))
    store = catalogue.fixture.store
    context = Context(store=store, search=None, viewer=buyer.principal, loaders=Loaders.create(store))  # type: ignore[arg-type]
    kept = context.following(await inquiry_events(store, buyer.principal))
    cycle: list[Any] = [context.following(await inquiry_events(store, buyer.principal))]
    cycle.append(cycle)  # collected only by a full collection, which need not come soon
    del cycle
    await streams_open(store, buyer, "inquiryEvents", 2)
    await context.close_feeds()
    await streams_open(store, buyer, "inquiryEvents", 0)
    assert kept is not None


async def test_a_connection_closes_the_streams_of_feeds_its_subscriptions_mapped_and_dropped(
    catalogue: Catalogue,
) -> None:
    """A subscription returns a `map` of the feed it opened, and the opened one is dropped at once; stopped
    before its first read, the mapped one may be dropped too. Their streams still close with the connection,
    and their places in the account's quota come back."""
    from schema.context import Context
    from schema.loaders import Loaders

    buyer = await member(catalogue, Role.BUYER, "Mapped leaver", org_id=await buyer_org(catalogue, "Mapped"))
    store = catalogue.fixture.store
    context = Context(store=store, search=None, viewer=buyer.principal, loaders=Loaders.create(store))  # type: ignore[arg-type]
    held = context.following(await inquiry_events(store, buyer.principal)).map(lambda event: event)
    dropped = context.following(await inquiry_events(store, buyer.principal)).map(lambda event: event)
    quota = dropped.stream.quota
    del dropped
    gc.collect()
    await streams_open(store, buyer, "inquiryEvents", 2)
    await context.close_feeds()
    await streams_open(store, buyer, "inquiryEvents", 0)
    assert buyer.principal.account_id not in quota.by_owner
    assert held.stream.closed
