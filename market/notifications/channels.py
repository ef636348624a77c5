"""The channels an event goes out by. Each one `plan`s its deliveries inside the fan-out's transaction, by
writing them to its own outbox (in-app notifications are written directly; email goes to the mail outbox,
webhooks to their deliveries), and its own worker loop delivers them from there with retries. A channel
never decides who may hear of an event: it gets the recipients the event's audience named.

A new channel (SMS, Zalo OA) is one more class with a `plan` writing to an outbox of its own, a sender loop
like workers/mail.py, and a frequency in each person's preferences; see the README.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession

from market.accounts.records import Account
from market.events import names
from market.events.records import Event
from market.mail.templates import Locale, format_amount
from market.notifications.links import INBOX_PATH, path_of
from market.notifications.preferences import frequency
from market.notifications.records import Frequency, Preferences, Webhook
from market.notifications.repository import next_digest
from market.notifications.unsubscribe import PATH as UNSUBSCRIBE_PATH
from market.notifications.unsubscribe import make_token

if TYPE_CHECKING:
    from market.store import Store


@dataclass(frozen=True, slots=True)
class FanOut:
    """One event and everyone and everything it goes to, read before the fan-out's transaction."""

    event: Event
    recipients: list[Account]
    preferences: dict[ObjectId, Preferences]
    webhooks: list[Webhook]
    now: datetime
    signing_key: bytes

    def email_frequency(self, account: Account) -> Frequency:
        if not account.email:
            return Frequency.OFF
        chosen = frequency(self.preferences[account.id], self.event.name)
        # A saved search's own setting: DAILY gathers its alerts into the digest even where the person's
        # preference for the event is IMMEDIATE (OFF stays off).
        if chosen is Frequency.IMMEDIATE and self.event.payload.get("alert") == "daily":
            return Frequency.DAILY
        return chosen

    def locale(self, account: Account) -> str:
        return self.preferences[account.id].locale or account.locale or "vi"


class Channel(Protocol):
    name: str

    async def plan(self, store: Store, fan: FanOut, session: AsyncClientSession) -> int:
        """Write this channel's deliveries of the event in `session`; how many."""
        ...


class InApp:
    name = "in_app"

    async def plan(self, store: Store, fan: FanOut, session: AsyncClientSession) -> int:
        digest = {a.id: next_digest(fan.now) for a in fan.recipients if fan.email_frequency(a) is Frequency.DAILY}
        await store.notifications.add(fan.event, [a.id for a in fan.recipients], session, digest_at=digest)
        return len(fan.recipients)


def details(event: Event, locale: str) -> str:
    """The figures of an event, in the reader's language; the headline comes from the event's title."""
    p = event.payload
    lang: Locale = "vi" if locale == "vi" else "en"
    if event.name in (names.QUOTATION_SUBMITTED, names.QUOTATION_REVISED) and "revision" in p:
        price = format_amount(int(p["revision"]["unitPriceVnd"]), lang)
        return f"{price} / {'đơn vị' if lang == 'vi' else 'unit'}"
    if event.name in (names.DEAL_STATE_CHANGED, names.MOU_SIGNED):
        moved = f"{p['from']} → {p['state']}" if p.get("from") else str(p.get("state", ""))
        return f"{moved}, {format_amount(int(p.get('valueVnd') or 0), lang)}"
    if event.name == names.QUOTATION_DECLINED:
        return str(p.get("reason") or "")
    if event.name == names.INQUIRY_COUNTER_OFFER and p.get("counterUnitPriceVnd"):
        return format_amount(int(p["counterUnitPriceVnd"]), lang)
    if event.name == names.APPROVAL_REQUESTED:
        return f"{p.get('requestedBy', '')}, {format_amount(int(p.get('valueVnd') or 0), lang)}"
    if event.name in (names.PRODUCT_PUBLISHED, names.ORGANISATION_VERIFIED):
        return str(p.get("name") or "")
    if event.name == names.WEBHOOK_DISABLED:
        return str(p.get("url") or "")
    if event.name == names.SAVED_SEARCH_MATCHED:
        price = format_amount(int(p.get("priceVnd") or 0), lang)
        return f"{p.get('productName', '')}, {p.get('stars', '')}★, {price} / {p.get('unit', '')} ({p.get('name', '')})"
    if event.name == names.RFQ_MATCHED:
        return f"{p.get('query', '')}: {p.get('quantity', '')} {p.get('unit', '')}"
    if event.name == names.CERTIFICATE_EXPIRING:
        left = int(p.get("daysLeft") or 0)
        if lang == "vi":
            when = f"hết hạn ngày {p.get('validUntil')}" + (f", còn {left} ngày" if left > 0 else "")
        else:
            when = f"valid until {p.get('validUntil')}" + (f", {left} days left" if left > 0 else "")
        return f"{p.get('name', '')}: {when}"
    return ""


class Email:
    name = "email"

    async def plan(self, store: Store, fan: FanOut, session: AsyncClientSession) -> int:
        sent = 0
        for account in fan.recipients:
            if fan.email_frequency(account) is not Frequency.IMMEDIATE or account.email is None:
                continue
            locale = fan.locale(account)
            template, params = self.message(store, fan, account, locale)
            await store.mail.enqueue(to=account.email, template=template, locale=locale, params=params, session=session)
            sent += 1
        return sent

    def message(self, store: Store, fan: FanOut, account: Account, locale: str) -> tuple[str, dict[str, Any]]:
        event = fan.event
        common = {
            "name": account.name,
            "link": store.mail.link(path_of(event)),
            "unsubscribe": store.mail.link(UNSUBSCRIBE_PATH, token=make_token(fan.signing_key, account.id, event.name)),
        }
        p = event.payload
        if event.name == names.INQUIRY_INVITED:
            target = p.get("targetUnitPriceVnd")
            return "rfq_invitation", {
                **common,
                "producer": p.get("producerName") or "",
                "buyer": p.get("buyerOrganisation") or "",
                "request": p.get("query") or p.get("unit") or "",
                "quantity": f"{p.get('quantity')} {p.get('unit')}",
                "target": format_amount(int(target), "vi" if locale == "vi" else "en") if target else "",
                "message": p.get("message") or "",
            }
        return "event_notice", {**common, "event": event.name, "details": details(event, locale)}


class Webhooks:
    name = "webhook"

    async def plan(self, store: Store, fan: FanOut, session: AsyncClientSession) -> int:
        if not fan.webhooks:
            return 0
        await store.webhooks.add_deliveries(fan.event, fan.webhooks, body_of(fan.event), session)
        return len(fan.webhooks)


def body_of(event: Event) -> bytes:
    """The JSON every webhook receives for `event`: the same bytes on every attempt, so one signature holds."""
    document = {
        "id": str(event.id),
        "event": event.name,
        "occurredAt": event.occurred_at.isoformat(),
        "data": event.payload,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), default=str).encode()


CHANNELS: tuple[Channel, ...] = (InApp(), Email(), Webhooks())
DIGEST_PATH = INBOX_PATH
