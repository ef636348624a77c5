"""Request rates per API key and per client address: token buckets, HTTP 429 with `Retry-After` when one
is empty.

Buckets live in this process's memory. With N API processes (or hosts) behind a balancer a client may get
up to N times the rate; the README says so. The address is the ASGI client address, which uvicorn sets from
`X-Forwarded-For` only for proxies named in `--forwarded-allow-ips`.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import time
from collections import OrderedDict
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import InvalidApiKey, key_from_headers
from api.clients import client_of
from api.graphql import error_response

# Buckets kept; past this the least recently used goes. A bucket idle for burst/rate seconds is full again, so
# dropping it changes nothing; one dropped sooner gives its name a fresh burst, which the per-address
# bucket still bounds.
MAX_BUCKETS = 50_000


@dataclass(slots=True)
class Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """`rate` tokens a second, at most `burst` saved up, per name."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self._buckets: OrderedDict[str, Bucket] = OrderedDict()

    def take(self, name: str, now: float) -> float:
        """Take a token: 0 when one was there, else the seconds until one will be."""
        bucket = self._buckets.get(name)
        if bucket is None:
            if len(self._buckets) >= MAX_BUCKETS:
                self._buckets.popitem(last=False)
            bucket = self._buckets[name] = Bucket(float(self.burst), now)
        else:
            self._buckets.move_to_end(name)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.rate

    def reserve(self, name: str, now: float) -> float:
        """Take a token even when there is none yet, going into debt: the seconds until the debt is paid,
        which the caller waits before going on."""
        wait = self.take(name, now)
        if wait:
            self._buckets[name].tokens -= 1
        return wait


class RateLimit:
    def __init__(self, app: ASGIApp, *, per_key: TokenBuckets, per_address: TokenBuckets) -> None:
        self.app = app
        self.per_key = per_key
        self.per_address = per_address

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        address = client_of(scope)
        key = _key_of(scope)
        wait = self._wait(address, key)
        # A batch of N operations costs N tokens: the endpoint charges the other N - 1 once it has parsed it.
        scope.setdefault("state", {})["rate_charge"] = lambda extra: self._charge(address, key, extra)
        if not wait:
            if scope["type"] == "websocket":
                receive = self._paced(receive, address, key, scope)
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1013, "reason": "too many requests"})
            return
        retry = max(1, math.ceil(wait))
        message = f"too many requests; retry in {retry} s"
        await error_response(message, "RATE_LIMITED", 429, retry_after=retry)(scope, receive, send)

    def _paced(self, receive: Receive, address: str, key: str | None, scope: Scope) -> Receive:
        """Every message on a WebSocket is a request too (queries and mutations run over it as well as
        subscriptions): each takes a token, and a client out of tokens waits for its next message to be
        read, so a flood slows down instead of being served at full speed. A key sent in `connection_init`
        rather than the upgrade's headers is counted once the connection has been authenticated with it."""

        async def paced() -> Message:
            message = await receive()
            if message["type"] == "websocket.receive":
                now = time.monotonic()
                wait = self.per_address.reserve(address, now)
                bucket = key or _connection_key(scope)
                if bucket is not None:
                    wait = max(wait, self.per_key.reserve(bucket, now))
                if wait:
                    await asyncio.sleep(wait)
            return message

        return paced

    def _charge(self, address: str, key: str | None, extra: int) -> float:
        """Take `extra` more tokens; the wait before the first one missing, or 0."""
        for _ in range(extra):
            if wait := self._wait(address, key):
                return wait
        return 0.0

    def _wait(self, address: str, key: str | None) -> float:
        now = time.monotonic()
        wait = self.per_address.take(address, now)
        if not wait and key is not None:
            wait = self.per_key.take(key, now)
        return wait


def _connection_key(scope: Scope) -> str | None:
    viewer = scope.get("state", {}).get("viewer")
    key_id = getattr(viewer, "key_id", None)
    return f"key:{key_id}" if key_id is not None else None


def _key_of(scope: Scope) -> str | None:
    """A digest of the API key the request carries, read as authentication reads it (so `bearer K` and
    `Bearer  K` share one bucket), and never kept in memory in the clear."""
    headers = Headers(scope=scope)
    try:
        key = key_from_headers(headers)
    except InvalidApiKey:
        key = headers.get("authorization")
    return hashlib.blake2b(key.encode(), digest_size=16).hexdigest() if key else None
