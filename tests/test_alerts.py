"""Alerts end to end against the real servers: a buyer's saved search told of a newly published product through
the search index, a producer following an RFQ board filter told of a new open RFQ, and certificate expiry
announced once per threshold (the day moved forward, never waited for). The worker's steps run as
`ocop worker --once` runs them: sync the indexes, match the alerts, fan the events out, send the mail."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import pytest

from api.settings import Settings
from devservices.mailbox import Mailbox
from market.core.clock import utcnow
from market.core.ids import global_id_of, object_id_of
from market.mail.delivery import drain
from market.mail.smtp import SmtpSender
from market.notifications.certificate_expiry import sweep_certificates
from market.notifications.digests import send_digests
from market.store import Store
from market.trade.inquiries import Match, submit_inquiry
from market.trade.records import Criteria
from search.client import MeiliClient
from search.rfqs import RFQS
from search.settings import PRODUCTS
from tests.conftest import Api
from tests.notify_helpers import TradeWorld, forget_mail, trade_world
from tests.test_notifications import principal
from workers.alerts import Matchers, drain_alerts
from workers.indexer import RfqIndexer
from workers.notify import drain_notifications
from workers.sync import SearchSync

CREATE = """
mutation($input: CreateProductInput!) {
  createProduct(input: $input) { product { id version } errors { field code message } }
}"""
PUBLISH = """
mutation($id: ID!, $v: Int!) { publishProduct(id: $id, expectedVersion: $v) {
  product { version } errors { field code message } } }"""
UPDATE = """
mutation($id: ID!, $v: Int!, $input: UpdateProductInput!) { updateProduct(id: $id, expectedVersion: $v, input: $input) {
  product { version } errors { field code message } } }"""
SAVE = """
mutation($input: SaveSearchInput!) {
  saveSearch(input: $input) {
    savedSearch { id name query alert alertedCount filter { minStars groups provinces } }
    errors { field code message }
  }
}"""
SAVED = "{ savedSearches { id name alertedCount } }"
NODE = "query($id: ID!) { node(id: $id) { id ... on SavedSearch { name } } }"
DELETE = "mutation($id: ID!) { deleteSavedSearch(id: $id) { deletedId errors { field code } } }"
PREFERENCES = """
mutation($input: NotificationPreferencesInput!) {
  updateNotificationPreferences(input: $input) { errors { field code } }
}"""
NOTICES = """
query { notifications(first: 50) { edges { node {
  id event title payload inquiry { id } product { id } } } } }"""
FOLLOW = """
mutation($input: FollowRfqBoardInput!) {
  followRfqBoard(input: $input) { follow { id groups provinces } errors { field code message } }
}"""


@pytest.fixture
async def trade(api: Api, store: Store, settings: Settings) -> AsyncIterator[TradeWorld]:
    world = await trade_world(api, store)
    yield world
    forget_mail(settings, world)


async def worker_once(store: Store, meili: MeiliClient, settings: Settings) -> None:
    """What `ocop worker --once` does: indexes in sync, alerts matched, events fanned out, mail sent."""
    products, rfqs = settings.index_uid(PRODUCTS), settings.index_uid(RFQS)
    await SearchSync(store, meili, products, max_await_ms=100).run(once=True, timeout=60)
    await SearchSync(store, meili, rfqs, indexer=RfqIndexer(store, meili), max_await_ms=100).run(once=True, timeout=60)
    matchers = Matchers.of(store, meili, products, rfqs)
    try:
        await drain_alerts(store, matchers)
    finally:
        await matchers.close()
    await drain_notifications(store, production=False)
    await drain(store, SmtpSender(settings.resolved_smtp_url, mail_from=settings.mail_from, timeout=5))


async def product(api: Api, trade: TradeWorld, name: str, stars: int, *, publish: bool = True, **extra: Any) -> str:
    payload = {
        "producerId": global_id_of("Producer", trade.maker.org_id), "name": name, "group": "FOOD", "category": "Kẹo",
        "stars": stars, "priceVnd": 52000, "unit": "hộp 250g", **extra,
    }  # fmt: skip
    made = (await api.data(CREATE, {"input": payload}, as_=trade.maker.handle))["createProduct"]
    assert made["errors"] == [], made["errors"]
    if publish:
        done = await api.data(PUBLISH, {"id": made["product"]["id"], "v": 1}, as_=trade.maker.handle)
        assert done["publishProduct"]["errors"] == []
    return str(made["product"]["id"])


async def events_of(api: Api, handle: str, event: str) -> list[dict[str, Any]]:
    found = await api.data(NOTICES, as_=handle)
    return [e["node"] for e in found["notifications"]["edges"] if e["node"]["event"] == event]


async def test_a_saved_search_tells_the_buyer_once_of_a_new_four_star_coconut_candy(
    api: Api, store: Store, meili: MeiliClient, settings: Settings, trade: TradeWorld
) -> None:
    tag = secrets.token_hex(3)
    chosen = await api.data(
        PREFERENCES, {"input": {"locale": "vi", "events": [{"event": "saved_search.matched", "email": "IMMEDIATE"}]}},
        as_=trade.buyer.handle,
    )  # fmt: skip
    assert chosen["updateNotificationPreferences"]["errors"] == []
    # A 4★ coconut candy already on sale when the search is saved is in its results: not news.
    seen_before = await product(api, trade, f"Kẹo dừa truyền thống {tag}", 4)
    await worker_once(store, meili, settings)
    saved = (await api.data(SAVE, {"input": {"name": "Kẹo dừa cho Tết", "query": "kẹo dừa 4 sao", "alert": "INSTANT"}},
                            as_=trade.buyer.handle))["saveSearch"]  # fmt: skip
    assert saved["errors"] == []
    search_id = saved["savedSearch"]["id"]
    assert saved["savedSearch"]["alert"] == "INSTANT" and saved["savedSearch"]["query"] == "kẹo dừa 4 sao"

    four = await product(api, trade, f"Kẹo dừa sáp Cầu Kè {tag}", 4)
    three = await product(api, trade, f"Kẹo dừa lá dứa {tag}", 3)
    not_candy = await product(api, trade, f"Mật ong hoa nhãn {tag}", 4)
    await worker_once(store, meili, settings)

    alerts = await events_of(api, trade.buyer.handle, "saved_search.matched")
    told = [a["payload"]["product"] for a in alerts]
    assert told == [four], (told, {"four": four, "three": three, "honey": not_candy, "seen": seen_before})
    [alert] = alerts
    assert alert["payload"]["savedSearch"] == search_id and alert["product"]["id"] == four
    assert alert["title"] == "A new product matches your search"
    mails = Mailbox.of(settings).latest(to=trade.buyer.email)
    assert len(mails) == 1
    assert f"Kẹo dừa sáp Cầu Kè {tag}" in mails[0].text and "4★" in mails[0].text
    assert "/products/" in mails[0].text

    # Changing the product again, or running the worker again, tells nothing more: it matched before.
    changed = await api.data(UPDATE, {"id": four, "v": 2, "input": {"priceVnd": 49000}}, as_=trade.maker.handle)
    assert changed["updateProduct"]["errors"] == []
    await worker_once(store, meili, settings)
    await worker_once(store, meili, settings)
    assert len(await events_of(api, trade.buyer.handle, "saved_search.matched")) == 1
    assert len(Mailbox.of(settings).latest(to=trade.buyer.email)) == 1
    # The 3★ one raised to 4★ now newly matches, and is told of once.
    raised = await api.data(UPDATE, {"id": three, "v": 2, "input": {"stars": 4}}, as_=trade.maker.handle)
    assert raised["updateProduct"]["errors"] == []
    await worker_once(store, meili, settings)
    told = sorted(a["payload"]["product"] for a in await events_of(api, trade.buyer.handle, "saved_search.matched"))
    assert told == sorted([four, three])
    listed = (await api.data(SAVED, as_=trade.buyer.handle))["savedSearches"]
    assert [(s["id"], s["alertedCount"]) for s in listed] == [(search_id, 2)]


async def test_a_saved_search_is_its_owners_alone(api: Api, store: Store, trade: TradeWorld, sync: Any) -> None:
    await sync()  # the index is there, as the running worker keeps it
    saved = (await api.data(SAVE, {"input": {"name": "Nước mắm", "query": "nước mắm", "alert": "DAILY",
                                             "filter": {"minStars": 4, "groups": ["FOOD"], "provinces": ["91"]}}},
                            as_=trade.buyer.handle))["saveSearch"]  # fmt: skip
    assert saved["errors"] == []
    assert saved["savedSearch"]["filter"] == {"minStars": 4, "groups": ["FOOD"], "provinces": ["91"]}
    search_id = saved["savedSearch"]["id"]
    assert (await api.data(NODE, {"id": search_id}, as_=trade.buyer.handle))["node"]["id"] == search_id
    for other in (trade.maker.handle, trade.coordinator.handle, trade.rival.handle):
        assert (await api.data(NODE, {"id": search_id}, as_=other))["node"] is None
        assert search_id not in str(await api.data(SAVED, as_=other))
        refused = await api.data(DELETE, {"id": search_id}, as_=other)
        assert refused["deleteSavedSearch"]["errors"] == [{"field": "id", "code": "NOT_FOUND"}]
    assert (await api.data(NODE, {"id": search_id}))["node"] is None
    anonymous = await api.gql(SAVED)
    assert anonymous["data"] is None and anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    bad = await api.data(SAVE, {"input": {"name": "", "query": "x" * 201, "filter": {"minStars": 7, "provinces": ["zz"]}}},
                         as_=trade.buyer.handle)  # fmt: skip
    assert sorted((e["field"], e["code"]) for e in bad["saveSearch"]["errors"]) == [
        ("filter.minStars", "OUT_OF_RANGE"), ("filter.provinces[0]", "UNKNOWN_PROVINCE"), ("name", "REQUIRED"),
        ("query", "TOO_LONG"),
    ]  # fmt: skip
    # It is the person's data: in their export.
    exported = (await api.data("{ exportMyData }", as_=trade.buyer.handle))["exportMyData"]
    assert [s["name"] for s in exported["alerts"]["savedSearches"]] == ["Nước mắm"]
    gone = await api.data(DELETE, {"id": search_id}, as_=trade.buyer.handle)
    assert gone["deleteSavedSearch"] == {"deletedId": search_id, "errors": []}
    assert (await api.data(SAVED, as_=trade.buyer.handle))["savedSearches"] == []


async def test_a_producer_following_a_group_hears_of_a_new_open_rfq(
    api: Api, store: Store, meili: MeiliClient, settings: Settings, trade: TradeWorld
) -> None:
    tag = secrets.token_hex(3)
    await product(api, trade, f"Kẹo dừa sáp {tag}", 4)  # the maker's catalogue meets food RFQs up to 4★
    food = await api.data(FOLLOW, {"input": {"name": "Thực phẩm", "groups": ["FOOD"]}}, as_=trade.maker_member.handle)
    assert food["followRfqBoard"]["errors"] == []
    drinks = await api.data(FOLLOW, {"input": {"groups": ["BEVERAGE"]}}, as_=trade.maker.handle)
    assert drinks["followRfqBoard"]["errors"] == []
    refused = await api.data(FOLLOW, {"input": {"groups": ["FOOD"]}}, as_=trade.buyer.handle)
    assert refused["followRfqBoard"]["errors"][0]["code"] == "FORBIDDEN"
    unknown = await api.data(FOLLOW, {"input": {"provinces": ["Atlantis"]}}, as_=trade.maker.handle)
    assert unknown["followRfqBoard"]["errors"] == [
        {"field": "provinces[0]", "code": "UNKNOWN_PROVINCE", "message": "unknown province 'Atlantis'"}
    ]

    async def nobody(criteria: Criteria, limit: int) -> list[Match]:
        return []

    buyer = await principal(store, trade.buyer.account_id)
    rfq = await submit_inquiry(
        store, buyer, {"criteria": {"query": f"kẹo dừa {tag}", "groups": ["food"], "minStars": 4}, "quantity": 300,
                       "unit": "hộp"}, nobody,
    )  # fmt: skip
    too_good = await submit_inquiry(
        store, buyer, {"criteria": {"query": "kẹo dừa", "groups": ["food"], "minStars": 5}, "quantity": 10,
                       "unit": "hộp"}, nobody,
    )  # fmt: skip
    await worker_once(store, meili, settings)
    await worker_once(store, meili, settings)

    alerts = await events_of(api, trade.maker_member.handle, "rfq.matched")
    assert [a["inquiry"]["id"] for a in alerts] == [global_id_of("Inquiry", rfq.id)]
    assert alerts[0]["payload"]["follow"] == food["followRfqBoard"]["follow"]["id"]
    assert global_id_of("Inquiry", too_good.id) not in str(alerts)  # the board would not show a 5★ RFQ to a 4★ maker
    mails = Mailbox.of(settings).latest(to=trade.maker_member.email)
    assert len(mails) == 1 and f"kẹo dừa {tag}" in mails[0].text
    # The follower of beverages, the colleague of the same producer, hears nothing of it; nor does a rival.
    assert await events_of(api, trade.maker.handle, "rfq.matched") == []
    assert await events_of(api, trade.rival.handle, "rfq.matched") == []


async def test_certificate_expiry_is_announced_once_per_threshold(
    api: Api, store: Store, settings: Settings, trade: TradeWorld
) -> None:
    # Far enough ahead that no other product of the test database ends near it.
    ends = date.today() + timedelta(days=3300)
    product_id = await product(api, trade, f"Kẹo dừa hết hạn {secrets.token_hex(3)}", 4, validUntil=ends.isoformat())
    oid = object_id_of(product_id, ("Product",))
    assert oid is not None

    async def sweep(days_before: int) -> int:
        report = await sweep_certificates(store, day=ends - timedelta(days=days_before))
        await drain_notifications(store, production=False)
        return report.alerts

    assert await sweep(91) == 0
    assert await sweep(90) == 1
    assert await sweep(90) == 0  # the same day again: a second worker, a restart
    assert await sweep(45) == 0
    assert await sweep(30) == 1
    assert await sweep(29) == 0
    assert await sweep(0) == 1
    assert await sweep(-5) == 0
    fired = await store.alerts.certificate_alerts_of(oid)
    assert [f["threshold"] for f in fired] == [90, 30, 0]

    for person in (trade.maker, trade.maker_member, trade.coordinator):
        seen = await events_of(api, person.handle, "certificate.expiring")
        mine = [n for n in seen if n["payload"]["product"] == product_id]
        assert sorted(n["payload"]["threshold"] for n in mine) == [0, 30, 90], person
        assert all(n["product"]["id"] == product_id for n in mine)
    assert await events_of(api, trade.rival.handle, "certificate.expiring") == []
    assert await events_of(api, trade.buyer.handle, "certificate.expiring") == []


async def test_a_daily_saved_search_sends_its_email_in_the_digest(
    api: Api, store: Store, meili: MeiliClient, settings: Settings, trade: TradeWorld
) -> None:
    tag = secrets.token_hex(3)
    saved = await api.data(
        SAVE, {"input": {"name": "Mật ong", "query": f"mật ong {tag}", "alert": "DAILY"}}, as_=trade.buyer.handle
    )
    assert saved["saveSearch"]["errors"] == []
    honey = await product(api, trade, f"Mật ong hoa cà phê {tag}", 4)
    await worker_once(store, meili, settings)

    assert [a["payload"]["product"] for a in await events_of(api, trade.buyer.handle, "saved_search.matched")] == [
        honey
    ]
    box = Mailbox.of(settings)
    assert box.latest(to=trade.buyer.email) == []  # not at once: in tomorrow's digest
    assert await send_digests(store, now=utcnow() + timedelta(days=2)) >= 1
    await drain(store, SmtpSender(settings.resolved_smtp_url, mail_from=settings.mail_from, timeout=5))
    [digest] = box.latest(to=trade.buyer.email)
    assert f"/products/{honey}" in digest.text
