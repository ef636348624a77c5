"""Token buckets (api/rate_limit.py) on an explicit clock, and the middleware's answers for each kind of
connection."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from starlette.types import Message, Scope

from api import rate_limit
from api.rate_limit import RateLimit, TokenBuckets


def test_a_new_name_starts_with_a_full_burst() -> None:
    buckets = TokenBuckets(rate=1.0, burst=3)
    assert [buckets.take("a", 100.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a", 100.0) == pytest.approx(1.0)


def test_the_wait_is_the_time_until_the_next_token() -> None:
    buckets = TokenBuckets(rate=4.0, burst=2)
    buckets.take("a", 0.0)
    buckets.take("a", 0.0)
    assert buckets.take("a", 0.0) == pytest.approx(0.25)
    # A quarter of a token has come back after 0.0625 s: three quarters are missing, at 4 a second.
    assert buckets.take("a", 0.0625) == pytest.approx(0.1875)


def test_a_refused_request_costs_nothing() -> None:
    buckets = TokenBuckets(rate=1.0, burst=1)
    assert buckets.take("a", 0.0) == 0.0
    for now in (0.1, 0.2, 0.3):
        assert buckets.take("a", now) == pytest.approx(1 - now)
    assert buckets.take("a", 1.0) == 0.0


def test_tokens_come_back_at_the_rate() -> None:
    buckets = TokenBuckets(rate=2.0, burst=4)
    for _ in range(4):
        assert buckets.take("a", 10.0) == 0.0
    assert buckets.take("a", 10.0) > 0
    # One second at 2 a second: two requests, not three.
    assert buckets.take("a", 11.0) == 0.0
    assert buckets.take("a", 11.0) == 0.0
    assert buckets.take("a", 11.0) == pytest.approx(0.5)


def test_idle_time_saves_up_at_most_the_burst() -> None:
    buckets = TokenBuckets(rate=1.0, burst=3)
    buckets.take("a", 0.0)
    taken = [buckets.take("a", 3600.0) for _ in range(4)]
    assert taken[:3] == [0.0, 0.0, 0.0] and taken[3] == pytest.approx(1.0)


def test_names_have_buckets_of_their_own() -> None:
    buckets = TokenBuckets(rate=1.0, burst=1)
    assert buckets.take("a", 0.0) == 0.0
    assert buckets.take("a", 0.0) > 0
    assert buckets.take("b", 0.0) == 0.0


def test_a_slow_rate_gives_a_long_wait() -> None:
    buckets = TokenBuckets(rate=0.1, burst=1)
    buckets.take("a", 0.0)
    assert buckets.take("a", 0.0) == pytest.approx(10.0)


def test_the_least_recently_used_bucket_goes_when_there_are_too_many(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rate_limit, "MAX_BUCKETS", 3)
    buckets = TokenBuckets(rate=1.0, burst=2)
    for name in ("idle-1", "idle-2"):
        buckets.take(name, 0.0)
    buckets.take("busy", 9.0)
    buckets.take("busy", 9.0)
    buckets.take("idle-2", 9.5)  # used again: now more recent than idle-1
    # A fourth name pushes out the bucket used longest ago; the busy one keeps its debt.
    assert buckets.take("new", 10.0) == 0.0
    assert set(buckets._buckets) == {"idle-2", "busy", "new"}
    assert buckets.take("busy", 10.0) == 0.0
    assert buckets.take("busy", 10.0) > 0


# --- the middleware ---------------------------------------------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.called = 0

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        self.called += 1


async def _run(middleware: RateLimit, scope: Scope) -> list[Message]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await middleware(scope, receive, send)
    return sent


def _scope(kind: str, address: str = "10.0.0.1", key: bytes | None = None) -> Scope:
    headers = [(b"authorization", b"Bearer " + key)] if key else []
    return {"type": kind, "client": (address, 1), "headers": headers, "path": "/graphql", "method": "POST"}


async def test_the_middleware_passes_within_the_rate_and_answers_429_beyond() -> None:
    app = Recorder()
    middleware = RateLimit(app, per_key=TokenBuckets(1.0, 10), per_address=TokenBuckets(0.001, 1))
    assert await _run(middleware, _scope("http")) == []
    sent = await _run(middleware, _scope("http"))
    assert app.called == 1
    start = sent[0]
    assert start["status"] == 429
    assert (b"retry-after", b"1000") in start["headers"]


async def test_a_websocket_beyond_the_rate_is_closed_try_again_later() -> None:
    app = Recorder()
    middleware = RateLimit(app, per_key=TokenBuckets(0.5, 1), per_address=TokenBuckets(100.0, 100))
    assert await _run(middleware, _scope("websocket", key=b"k")) == []
    sent = await _run(middleware, _scope("websocket", key=b"k"))
    assert app.called == 1
    assert sent == [{"type": "websocket.close", "code": 1013, "reason": "too many requests"}]


async def test_lifespan_is_not_counted() -> None:
    app = Recorder()
    middleware = RateLimit(app, per_key=TokenBuckets(0.001, 1), per_address=TokenBuckets(0.001, 1))
    for _ in range(3):
        await _run(middleware, {"type": "lifespan"})
    assert app.called == 3


async def test_a_request_without_a_client_address_shares_one_bucket() -> None:
    app = Recorder()
    middleware = RateLimit(app, per_key=TokenBuckets(100.0, 100), per_address=TokenBuckets(0.001, 1))
    scope = _scope("http")
    scope["client"] = None
    await _run(middleware, scope)
    assert (await _run(middleware, dict(scope)))[0]["status"] == 429
    assert app.called == 1


def test_reserving_goes_into_debt_and_says_how_long_to_wait() -> None:
    buckets = TokenBuckets(rate=2.0, burst=1)
    assert buckets.reserve("socket", 0.0) == 0.0
    assert buckets.reserve("socket", 0.0) == pytest.approx(0.5)
    assert buckets.reserve("socket", 0.0) == pytest.approx(1.0)  # each message queued behind the last
    assert buckets.take("socket", 0.5) > 0  # the debt is still being paid
    assert buckets.take("socket", 2.0) == 0.0


async def test_messages_on_a_websocket_are_paced_by_the_same_buckets(monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    # The module's own view of the clock and of sleeping, not the event loop's.
    monkeypatch.setattr(rate_limit, "asyncio", SimpleNamespace(sleep=sleep))
    monkeypatch.setattr(rate_limit, "time", SimpleNamespace(monotonic=lambda: 50.0))  # a flood: all at once
    read: list[Message] = []

    class Reader:
        async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
            for _ in range(5):
                read.append(await receive())

    async def receive() -> Message:
        return {"type": "websocket.receive", "text": "{}"}

    async def send(message: Message) -> None:
        pass

    middleware = RateLimit(Reader(), per_key=TokenBuckets(100.0, 100), per_address=TokenBuckets(2.0, 3))
    await middleware(_scope("websocket"), receive, send)
    assert len(read) == 5  # nothing dropped: the client is slowed down, not refused
    # The upgrade took one token of three; two messages pass at once, then each waits half a second more.
    assert waits == pytest.approx([0.5, 1.0, 1.5])


def test_an_ipv6_client_is_its_slash_64() -> None:
    def scope(address: str) -> Scope:
        return {"type": "http", "client": (address, 1), "headers": []}

    assert rate_limit.client_of(scope("2001:db8:1:2::5")) == rate_limit.client_of(scope("2001:db8:1:2:ffff::9"))
    assert rate_limit.client_of(scope("2001:db8:1:2::5")) != rate_limit.client_of(scope("2001:db8:1:3::5"))
    assert rate_limit.client_of(scope("10.0.0.7")) == "10.0.0.7"
