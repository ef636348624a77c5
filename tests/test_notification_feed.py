"""`notificationEvents` over graphql-transport-ws against a second API process: a new notification reaches its
person live, nobody else's connection hears of it, and a reconnection with `after` replays what it missed."""

from __future__ import annotations

from market.accounts.records import Role
from market.notifications.fanout import fan_out_pending
from tests.conftest import Catalogue, gid
from tests.test_subscriptions import (  # noqa: F401 - the fixtures are used by name
    connected,
    member,
    server,
    server_app,
    streams_open,
    two_producers,
)
from tests.test_trade import SUBMIT, buyer_org

FEED = """subscription($after: String) { notificationEvents(after: $after) {
  cursor notification { event title read inquiry { id } payload } } }"""


async def test_notifications_arrive_live_to_their_person_only_and_resume(
    server: str,  # noqa: F811 - the fixture imported above
    catalogue: Catalogue,
) -> None:
    product, other = await two_producers(catalogue)
    maker = await member(catalogue, Role.PRODUCER, "feed maker", org_id=str(product["producerId"]))
    rival = await member(catalogue, Role.PRODUCER, "feed rival", org_id=str(other["producerId"]))
    buyer = await member(catalogue, Role.BUYER, "feed buyer", org_id=await buyer_org(catalogue, "feed"))
    store = catalogue.fixture.store
    direct = {"productId": gid("Product", product["_id"]), "quantity": 20, "unit": "hộp"}

    async def invite() -> str:
        sent = await catalogue.api.data(SUBMIT, {"input": direct}, as_=buyer.handle)
        while (await fan_out_pending(store)).events:
            pass
        inquiry_id: str = sent["submitInquiry"]["inquiry"]["id"]
        return inquiry_id

    # Events other tests left for these producers reach their members, this maker too: before it listens.
    while (await fan_out_pending(store)).events:
        pass
    async with connected(server, maker.key) as mine, connected(server, rival.key) as theirs:
        await mine.subscribe(FEED)
        await theirs.subscribe(FEED)
        await streams_open(store, maker, "notificationEvents")
        await streams_open(store, rival, "notificationEvents")
        first = await invite()
        event = (await mine.next())["notificationEvents"]
        assert event["notification"]["event"] == "inquiry.invited" and event["notification"]["read"] is False
        assert event["notification"]["inquiry"] == {"id": first}
        assert await theirs.drain() == []
    second = await invite()  # while nobody listens
    async with connected(server, maker.key) as again:
        await again.subscribe(FEED, {"after": event["cursor"]})
        replayed = (await again.next())["notificationEvents"]
        assert replayed["notification"]["inquiry"] == {"id": second}
