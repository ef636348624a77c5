"""Notifications end to end against the real servers: business events written with the change that caused
them, fanned out by the worker's code to in-app notifications, email through the local SMTP server (read back
from its mailbox) and signed webhooks received by an HTTP server of the test's own."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from bson import ObjectId

from api.settings import Settings
from bench.webhook_receiver import Receiver
from devservices.mailbox import Mailbox
from market.accounts.policy import principal_of
from market.core.clock import utcnow
from market.core.ids import global_id_of
from market.events.signing import verify
from market.mail.delivery import drain
from market.mail.smtp import SmtpSender
from market.notifications.digests import send_digests
from market.store import Store
from market.trade.inquiries import Match, submit_inquiry
from market.trade.records import Criteria
from tests.conftest import Api
from tests.notify_helpers import CREATE_WEBHOOK, NOTIFICATIONS, TradeWorld, forget_mail, trade_world
from workers.notify import drain_notifications

SECRET = "bi-mat-cua-htx-dua-sap-2025"
PREFERENCES = """
mutation($input: NotificationPreferencesInput!) {
  updateNotificationPreferences(input: $input) {
    preferences { locale events { event email } } errors { field code message }
  }
}"""


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = await Receiver().start()
    yield found
    await found.stop()


@pytest.fixture
async def trade(api: Api, store: Store, settings: Settings) -> AsyncIterator[TradeWorld]:
    world = await trade_world(api, store)
    yield world
    forget_mail(settings, world)


async def principal(store: Store, account_id: ObjectId) -> Any:
    account = await store.accounts.get(account_id)
    assert account is not None
    return principal_of(account)


async def rfq(store: Store, trade: TradeWorld, invited: list[ObjectId], query: str = "kẹo dừa sáp") -> ObjectId:
    async def matcher(criteria: Criteria, limit: int) -> list[Match]:
        return [Match(p, [], "test") for p in invited]

    inquiry = await submit_inquiry(
        store,
        await principal(store, trade.buyer.account_id),
        {"criteria": {"query": query, "minStars": 4}, "quantity": 500, "unit": "hộp 250g",
         "targetUnitPriceVnd": 48000, "message": "Hộp quà Tết"},
        matcher,
    )  # fmt: skip
    return inquiry.id


async def deliver(store: Store, settings: Settings) -> None:
    """What `ocop worker --once` does for notifications and mail."""
    await drain_notifications(store, production=False)
    await drain(store, SmtpSender(settings.resolved_smtp_url, mail_from=settings.mail_from, timeout=5))


async def test_an_rfq_invitation_reaches_the_producer_by_webhook_and_by_email(
    api: Api, store: Store, settings: Settings, trade: TradeWorld, receiver: Receiver
) -> None:
    created = await api.data(
        CREATE_WEBHOOK, {"input": {"url": receiver.url, "events": ["inquiry.invited"], "secret": SECRET}},
        as_=trade.maker.handle,
    )  # fmt: skip
    assert created["createWebhook"]["errors"] == [] and created["createWebhook"]["secret"] == SECRET
    chosen = await api.data(
        PREFERENCES, {"input": {"locale": "vi", "events": [{"event": "inquiry.invited", "email": "IMMEDIATE"}]}},
        as_=trade.maker.handle,
    )  # fmt: skip
    assert {"event": "inquiry.invited", "email": "IMMEDIATE"} in chosen["updateNotificationPreferences"]["preferences"][
        "events"
    ]

    inquiry_id = await rfq(store, trade, [trade.maker.org_id])
    await deliver(store, settings)

    # The webhook: one signed POST, the event id in X-Ocop-Delivery.
    assert len(receiver.requests) == 1
    hit = receiver.requests[0]
    assert hit.headers["x-ocop-event"] == "inquiry.invited"
    assert verify(SECRET, hit.body, hit.headers["x-ocop-signature"])
    assert not verify("another secret of sixteen", hit.body, hit.headers["x-ocop-signature"])
    body = json.loads(hit.body)
    assert body["id"] == hit.headers["x-ocop-delivery"] and body["event"] == "inquiry.invited"
    assert body["data"]["inquiry"] == global_id_of("Inquiry", inquiry_id)
    assert body["data"]["producer"] == global_id_of("Producer", trade.maker.org_id)

    # The email, in Vietnamese, with a link to the RFQ, to every member of the producer.
    box = Mailbox.of(settings)
    for person in (trade.maker, trade.maker_member):
        mails = box.latest(to=person.email)
        assert len(mails) == 1, person
        assert "mời" in mails[0].subject and "kẹo dừa sáp" in mails[0].subject
        assert f"/inquiries/{global_id_of('Inquiry', inquiry_id)}" in mails[0].text
        assert "Hộp quà Tết" in mails[0].text
        box.remove(mails[0].id)

    # In the app, the same event.
    seen = await api.data(NOTIFICATIONS, {"unread": True}, as_=trade.maker.handle)
    assert seen["unreadNotificationCount"] == 1
    node = seen["notifications"]["edges"][0]["node"]
    assert node["event"] == "inquiry.invited" and node["eventId"] == hit.headers["x-ocop-delivery"]
    assert node["inquiry"]["id"] == global_id_of("Inquiry", inquiry_id)


async def test_a_rival_producer_never_hears_of_an_invitation_it_did_not_get(
    api: Api, store: Store, settings: Settings, trade: TradeWorld, receiver: Receiver
) -> None:
    await api.data(
        CREATE_WEBHOOK, {"input": {"url": receiver.url, "events": ["inquiry.invited", "quotation.submitted"]}},
        as_=trade.rival.handle,
    )  # fmt: skip
    shared = await rfq(store, trade, [trade.maker.org_id, trade.rival.org_id])
    await rfq(store, trade, [trade.maker.org_id], "nước mắm")
    await deliver(store, settings)

    rival = await api.data(NOTIFICATIONS, {"unread": False}, as_=trade.rival.handle)
    assert rival["unreadNotificationCount"] == 1
    [only] = [e["node"] for e in rival["notifications"]["edges"]]
    assert only["inquiry"]["id"] == global_id_of("Inquiry", shared)
    assert only["payload"]["producer"] == global_id_of("Producer", trade.rival.org_id)
    maker_gid = global_id_of("Producer", trade.maker.org_id)
    assert maker_gid not in json.dumps(only["payload"])
    assert len(receiver.requests) == 1 and maker_gid.encode() not in receiver.requests[0].body
    assert Mailbox.of(settings).latest(to=trade.rival.email)[0].subject.count("nước mắm") == 0
    maker = await api.data(NOTIFICATIONS, {"unread": False}, as_=trade.maker.handle)
    assert maker["notifications"]["totalCount"] == 2
    # Offices oversee trade through queries, not notifications.
    office = await api.data(NOTIFICATIONS, {"unread": False}, as_=trade.coordinator.handle)
    assert office["unreadNotificationCount"] == 0


async def test_quotations_deals_and_reading(api: Api, store: Store, settings: Settings, trade: TradeWorld) -> None:
    from market.trade.deals import advance_deal
    from market.trade.pipeline import DealState
    from market.trade.quotations import accept_quotation, submit_quotation

    inquiry_id = await rfq(store, trade, [trade.maker.org_id])
    maker = await principal(store, trade.maker.account_id)
    quotation = await submit_quotation(store, maker, str(inquiry_id), {"unitPriceVnd": 50000, "leadTimeDays": 7})
    deal = await accept_quotation(store, await principal(store, trade.buyer.account_id), str(quotation.id), 1)
    await advance_deal(store, maker, str(deal.id), DealState.AGREED, deal.version)
    await drain_notifications(store, production=False)

    buyer = await api.data(NOTIFICATIONS, {"unread": True}, as_=trade.buyer.handle)
    events = sorted(e["node"]["event"] for e in buyer["notifications"]["edges"])
    assert events == ["deal.state_changed", "deal.state_changed", "quotation.submitted"]
    producer = await api.data(NOTIFICATIONS, {"unread": True}, as_=trade.maker.handle)
    events = sorted(e["node"]["event"] for e in producer["notifications"]["edges"])
    assert events == ["deal.state_changed", "deal.state_changed", "inquiry.invited", "quotation.accepted"]
    accepted = next(e["node"] for e in producer["notifications"]["edges"] if e["node"]["event"] == "quotation.accepted")
    assert accepted["deal"]["id"] == global_id_of("Deal", deal.id)

    mark = """mutation($ids: [ID!], $all: Boolean!) { markNotificationsRead(ids: $ids, all: $all) {
                marked unreadCount errors { field code } } }"""
    one = accepted["id"]
    done = await api.data(mark, {"ids": [one], "all": False}, as_=trade.maker.handle)
    assert done["markNotificationsRead"] == {"marked": 1, "unreadCount": 3, "errors": []}
    # Someone else's id changes nothing of theirs.
    other = await api.data(mark, {"ids": [buyer["notifications"]["edges"][0]["node"]["id"]], "all": False},
                           as_=trade.maker.handle)  # fmt: skip
    assert other["markNotificationsRead"]["marked"] == 0
    assert (await api.data(NOTIFICATIONS, {"unread": True}, as_=trade.buyer.handle))["unreadNotificationCount"] == 3
    both = await api.data(mark, {"ids": [one], "all": True}, as_=trade.maker.handle)
    assert both["markNotificationsRead"]["errors"][0]["code"] == "INVALID"
    everything = await api.data(mark, {"ids": None, "all": True}, as_=trade.maker.handle)
    assert everything["markNotificationsRead"]["unreadCount"] == 0


async def test_preferences_digest_and_an_unsubscribe_link_that_needs_no_sign_in(
    api: Api, store: Store, settings: Settings, trade: TradeWorld
) -> None:
    bad = await api.data(
        PREFERENCES, {"input": {"locale": "fr", "events": [{"event": "inquiry.nothing", "email": "DAILY"}]}},
        as_=trade.maker.handle,
    )  # fmt: skip
    assert [(e["field"], e["code"]) for e in bad["updateNotificationPreferences"]["errors"]] == [
        ("events[0].event", "INVALID"),
        ("locale", "INVALID"),
    ]
    await api.data(
        PREFERENCES, {"input": {"locale": "en", "events": [{"event": "inquiry.invited", "email": "DAILY"}]}},
        as_=trade.maker.handle,
    )  # fmt: skip
    await rfq(store, trade, [trade.maker.org_id])
    await deliver(store, settings)
    box = Mailbox.of(settings)
    assert box.latest(to=trade.maker.email) == []  # the digest waits for its time
    assert len(box.latest(to=trade.maker_member.email)) == 1  # who chose nothing gets it at once

    assert await send_digests(store, now=utcnow() + timedelta(days=1, minutes=1)) >= 1
    await drain(store, SmtpSender(settings.resolved_smtp_url, mail_from=settings.mail_from, timeout=5))
    [digest] = box.latest(to=trade.maker.email)
    assert digest.subject == "OCOP Market: 1 new notifications today"
    link = next(line for line in digest.text.splitlines() if "/unsubscribe?token=" in line).strip()

    url = urlsplit(link)
    page = await api.client.get(f"{url.path}?{url.query}", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and "no longer get emails" in page.text and "<script" not in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    again = await api.client.get(f"{url.path}?{url.query}")
    assert again.status_code == 200
    forged = await api.client.get(f"{url.path}?{url.query[:-2]}xx")
    assert forged.status_code == 400
    prefs = await api.data("{ notificationPreferences { events { event email } } }", as_=trade.maker.handle)
    assert {"event": "inquiry.invited", "email": "OFF"} in prefs["notificationPreferences"]["events"]
    for mail in box.latest(to=trade.maker_member.email) + box.latest(to=trade.maker.email):
        box.remove(mail.id)


async def test_notifications_need_a_key(api: Api) -> None:
    body = await api.gql("{ unreadNotificationCount }")
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_one_call_sends_the_digests_of_more_accounts_than_a_batch(store: Store) -> None:
    """`digest_due` reads 100 accounts at a time; `send_digests` goes on until none is due, so a worker's pass
    (or a test) is not left with digests that wait for a later one in an order MongoDB chooses."""
    now = utcnow()
    accounts = [ObjectId() for _ in range(130)]  # no such accounts: their items are taken, and no mail is made
    due = now - timedelta(minutes=1)
    item = {"event": "inquiry.invited", "payload": {}, "subject": {}, "occurredAt": now, "createdAt": now}
    await store.db["notifications"].insert_many(
        [{**item, "accountId": a, "eventId": ObjectId(), "unread": True, "digestAt": due} for a in accounts]
    )
    await send_digests(store, now=now)
    assert not set(accounts) & set(await store.notifications.digest_due(now, limit=1000))
