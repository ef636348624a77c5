"""API-key authentication: `Authorization: Bearer <key>` (or `X-API-Key: <key>`) → a Principal.

Only the SHA-256 of a key is stored. Resolved keys are cached for a short time so a busy client does not
pay a MongoDB round trip per request.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from market.accounts.policy import Principal
from market.accounts.records import Account
from market.accounts.repository import hash_key
from market.store import Store

CACHE_SECONDS = 30.0
CACHE_SIZE = 10_000


class InvalidApiKey(Exception):
    pass


def principal_of(account: Account) -> Principal:
    return Principal(
        account_id=account.id,
        name=account.name,
        role=account.role,
        org_id=account.org_id,
        province_code=account.province_code,
    )


def key_from_headers(headers: Mapping[str, str]) -> str | None:
    auth = headers.get("authorization")
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise InvalidApiKey("the Authorization header must be `Bearer <API key>`")
        return value.strip()
    key = headers.get("x-api-key")
    return key.strip() if key else None


def key_from_connection_params(params: Mapping[str, object]) -> str | None:
    """The key a WebSocket client sends in `connection_init`: `{"Authorization": "Bearer <key>"}` or
    `{"apiKey": "<key>"}` (names in any case)."""
    named = {str(name).lower(): value for name, value in params.items()}
    auth, key = named.get("authorization"), named.get("apikey")
    if auth is None and key is None:
        return None
    if not isinstance(auth, str | None) or not isinstance(key, str | None):
        raise InvalidApiKey("the API key in connection_init must be a string")
    headers = {"authorization": auth} if auth is not None else {"x-api-key": key or ""}
    return key_from_headers(headers) or None


class Authenticator:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._cache: dict[str, tuple[float, Principal]] = {}

    async def principal(self, key: str | None) -> Principal | None:
        if key is None:
            return None
        digest = hash_key(key)
        now = time.monotonic()
        hit = self._cache.get(digest)
        if hit and hit[0] > now:
            return hit[1]
        account = await self.store.accounts.account_for_key(key)
        if account is None:
            raise InvalidApiKey("the API key is not valid")
        principal = principal_of(account)
        if len(self._cache) >= CACHE_SIZE:
            self._cache.clear()
        self._cache[digest] = (now + CACHE_SECONDS, principal)
        return principal
