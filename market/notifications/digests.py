"""Daily digests: one email a day listing what a person chose to hear of DAILY (their in-app notifications
marked for the digest), sent at the digest time (repository.next_digest)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession

from market.core.clock import utcnow
from market.core.messages import event_title
from market.events.records import Audience, Event
from market.notifications.links import INBOX_PATH, path_of
from market.notifications.unsubscribe import PATH as UNSUBSCRIBE_PATH
from market.notifications.unsubscribe import make_token
from market.storage.transactions import in_transaction

if TYPE_CHECKING:
    from market.store import Store


async def send_digests(store: Store, *, now: datetime | None = None) -> int:
    """Queue the digests due by `now`, a batch of accounts at a time until none is left; how many."""
    now = now or utcnow()
    key = await store.notifications.signing_key()
    sent = 0
    previous: set[ObjectId] = set()
    while True:
        due = await store.notifications.digest_due(now)
        # A pass takes every due item of the accounts it reads (up to 50 each), or another worker has taken
        # them; the same accounts again would mean a pass that took nothing, which must not spin.
        if not due or set(due) == previous:
            return sent
        previous = set(due)
        for account_id in due:
            try:
                sent += await _digest(store, key, account_id, now)
            except _Taken:
                continue


async def _digest(store: Store, key: bytes, account_id: ObjectId, now: datetime) -> bool:
    account = await store.accounts.get(account_id)
    items = await store.notifications.digest_items(account_id, now)
    if not items:
        return False
    prefs = (await store.notifications.preferences_of([account_id]))[account_id]
    locale = prefs.locale or (account.locale if account else "vi")
    lines = []
    for item in items:
        event = Event(item.event_id, item.event, item.payload, _NOBODY, item.occurred_at, subject=item.subject)
        lines.append(f"- {event_title(item.event, locale)}: {store.mail.link(path_of(event))}")

    async def work(session: AsyncClientSession) -> bool:
        if await store.notifications.digested([i.id for i in items], session) != len(items):
            raise _Taken
        if account is None or not account.email or account.deleted:
            return False
        await store.mail.enqueue(
            to=account.email,
            template="event_digest",
            locale=locale,
            params={
                "name": account.name,
                "count": len(items),
                "items": "\n".join(lines),
                "link": store.mail.link(INBOX_PATH),
                "unsubscribe": store.mail.link(UNSUBSCRIBE_PATH, token=make_token(key, account_id, items[0].event)),
            },
            session=session,
        )
        return True

    return await in_transaction(store.client, work)


class _Taken(Exception):
    """Another worker took these items into its digest first."""


_NOBODY = Audience()
