"""Unsubscribe links that work without signing in: the token names a person and an event type and is signed
with a key kept in MongoDB, so it cannot be forged or moved to someone else. Opening it turns that event's
email off; doing so twice changes nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import TYPE_CHECKING

from bson import ObjectId
from bson.errors import InvalidId

from market.events.names import is_event_name

if TYPE_CHECKING:
    from market.store import Store

PATH = "/unsubscribe"
MAX_TOKEN = 200


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _sig(key: bytes, account_id: ObjectId, event: str) -> str:
    return _b64(hmac.new(key, f"{account_id}:{event}".encode(), hashlib.sha256).digest()[:18])


def make_token(key: bytes, account_id: ObjectId, event: str) -> str:
    return f"{account_id}.{event}.{_sig(key, account_id, event)}"


def read_token(key: bytes, token: str) -> tuple[ObjectId, str] | None:
    """(account, event) of a token this key signed; None for anything else."""
    if not token or len(token) > MAX_TOKEN:
        return None
    account, _, rest = token.partition(".")
    event, _, signature = rest.rpartition(".")
    try:
        account_id = ObjectId(account)
    except (InvalidId, TypeError):
        return None
    if not is_event_name(event) or not hmac.compare_digest(_sig(key, account_id, event), signature):
        return None
    return account_id, event


async def unsubscribe(store: Store, token: str) -> str | None:
    """Turn the email of the token's event off for its person; the event's name, or None for a bad token."""
    found = read_token(await store.notifications.signing_key(), token)
    if found is None:
        return None
    account_id, event = found
    await store.notifications.turn_off(account_id, event)
    return event
