"""Authentication: `Authorization: Bearer <API key or access token>` (or `X-API-Key: <key>`) → a Principal.

A credential is an API key (`ocop_…`) or the access token of a signed-in session (`oat_…`, see
market/accounts/sessions.py). Only the SHA-256 of either is stored.

Resolved credentials are cached so a busy client does not pay a MongoDB round
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

from market.accounts.policy import Principal, ScopeWithoutOrgRole, principal_of
from market.accounts.tokens import digest, is_access_token
from market.core.clock import utcnow
from market.storage.faults import is_unavailable
from market.store import Store

__all__ = ["AuthUnavailable", "Authenticator", "InvalidApiKey", "principal_of"]

CACHE_SECONDS = 30.0
CACHE_SIZE = 10_000


class InvalidApiKey(Exception):
    pass


class AuthUnavailable(Exception):
    """The key could not be checked: MongoDB did not answer in time."""


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
        hashed = digest(key)
        now = time.monotonic()
        hit = self._cache.get(hashed)
        if hit and hit[0] > now and self.cache_trusted:
            return hit[1]
        generation = self._generation
        try:
            with pymongo.timeout(self.lookup_timeout):
                principal = await self._lookup(key)
        except PyMongoError as exc:
            if is_unavailable(exc):
                raise AuthUnavailable("the API key cannot be checked right now; retry in a moment") from exc
            raise
        if principal is None:
            self._cache.pop(hashed, None)
            if is_access_token(key):
                raise InvalidApiKey("the access token is not valid or has expired; refresh the session")
            raise InvalidApiKey("the API key is not valid")
        if self.cache_trusted and generation == self._generation:
            if len(self._cache) >= CACHE_SIZE:
                self._cache.clear()
            lifetime = self.cache_seconds
            if principal.expires_at is not None:
                lifetime = min(lifetime, (principal.expires_at - utcnow()).total_seconds())
            self._cache[hashed] = (now + lifetime, principal)
        return principal

    async def _lookup(self, credential: str) -> Principal | None:
        accounts = self.store.accounts
        if is_access_token(credential):
            signed_in = await accounts.account_for_session(credential)
            if signed_in is None:
                return None
            session, account = signed_in
            return principal_of(account, session.id, expires_at=session.access_expires_at, via_session=True)
        found = await accounts.account_for_key(credential)
        if found is None:
            return None
        key, account = found
        try:
            principal = principal_of(account, key.id, scope=key.scope, expires_at=key.expires_at)
        except ScopeWithoutOrgRole as exc:
            raise InvalidApiKey(str(exc)) from exc
        await accounts.touch_key(key.id)
        return principal

    def forget(self, *, key_id: ObjectId | None = None, account_id: ObjectId | None = None) -> None:
        """Drop what the cache holds for this key or account; the next request reads MongoDB."""
        self._generation += 1
        stale = [
            hashed
            for hashed, (_, p) in self._cache.items()
            if (key_id is not None and p.key_id == key_id) or (account_id is not None and p.account_id == account_id)
        ]
        for hashed in stale:
            del self._cache[hashed]

    def distrust(self) -> None:
        self._generation += 1
        self.cache_trusted = False
        self._cache.clear()

    def trust(self) -> None:
        self._generation += 1
        self._cache.clear()  # changes made while the feed was down were not seen
        self.cache_trusted = True
