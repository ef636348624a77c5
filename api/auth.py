"""API-key authentication: `Authorization: Bearer <key>` (or `X-API-Key: <key>`) → a Principal.

Only the SHA-256 of a key is stored. Resolved keys are cached so a busy client does not pay a MongoDB round
trip per request; the cache is trusted only while this process follows changes to keys (api/revocations.py),
which drops a revoked key's entry as soon as the change arrives. The lookup has its own short deadline:
with MongoDB out of reach a request is answered UNAVAILABLE quickly instead of waiting for the driver.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import pymongo
from bson import ObjectId
from pymongo.errors import PyMongoError

from market.accounts.policy import Principal
from market.accounts.records import Account
from market.accounts.repository import hash_key
from market.storage.faults import is_unavailable
from market.store import Store

CACHE_SECONDS = 30.0
CACHE_SIZE = 10_000


class InvalidApiKey(Exception):
    pass


class AuthUnavailable(Exception):
    """The key could not be checked: MongoDB did not answer in time."""


def principal_of(account: Account, key_id: ObjectId | None = None) -> Principal:
    return Principal(
        account_id=account.id,
        name=account.name,
        role=account.role,
        org_id=account.org_id,
        province_code=account.province_code,
        key_id=key_id,
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
    def __init__(self, store: Store, *, lookup_timeout: float = 2.0, cache_seconds: float = CACHE_SECONDS) -> None:
        self.store = store
        self.lookup_timeout = lookup_timeout
        self.cache_seconds = cache_seconds
        # False while the feed of key changes is down: every request then checks its key in MongoDB.
        self.cache_trusted = True
        self._cache: dict[str, tuple[float, Principal]] = {}
        # Bumped by every forget, distrust and trust: a lookup that started before a change (a revocation
        # arriving while the key was being read) must not cache what it read.
        self._generation = 0

    async def principal(self, key: str | None) -> Principal | None:
        if key is None:
            return None
        digest = hash_key(key)
        now = time.monotonic()
        hit = self._cache.get(digest)
        if hit and hit[0] > now and self.cache_trusted:
            return hit[1]
        generation = self._generation
        try:
            with pymongo.timeout(self.lookup_timeout):
                found = await self.store.accounts.account_for_key(key)
        except PyMongoError as exc:
            if is_unavailable(exc):
                raise AuthUnavailable("the API key cannot be checked right now; retry in a moment") from exc
            raise
        if found is None:
            self._cache.pop(digest, None)
            raise InvalidApiKey("the API key is not valid")
        principal = principal_of(found[1], found[0])
        if self.cache_trusted and generation == self._generation:
            if len(self._cache) >= CACHE_SIZE:
                self._cache.clear()
            self._cache[digest] = (now + self.cache_seconds, principal)
        return principal

    def forget(self, *, key_id: ObjectId | None = None, account_id: ObjectId | None = None) -> None:
        """Drop what the cache holds for this key or account; the next request reads MongoDB."""
        self._generation += 1
        stale = [
            digest
            for digest, (_, p) in self._cache.items()
            if (key_id is not None and p.key_id == key_id) or (account_id is not None and p.account_id == account_id)
        ]
        for digest in stale:
            del self._cache[digest]

    def distrust(self) -> None:
        self._generation += 1
        self.cache_trusted = False
        self._cache.clear()

    def trust(self) -> None:
        self._generation += 1
        self._cache.clear()  # changes made while the feed was down were not seen
        self.cache_trusted = True
