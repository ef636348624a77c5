"""Change streams, as the live feeds use them: a counted, closable stream per subscriber, resumable from an
opaque cursor (the change's resume token), and the helpers that read what an update changed.

A StreamQuota bounds them: the process holds at most `per_process` streams, so subscribers never take every
pooled connection from queries, and one account at most `per_owner`, so no account takes them all.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Awaitable, Callable, Hashable, Mapping
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import bson
from bson.errors import BSONError
from pymongo.asynchronous.change_stream import AsyncChangeStream
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import OperationFailure

from market.core.errors import DomainError

T = TypeVar("T")
U = TypeVar("U")
Change = dict[str, Any]

MAX_CURSOR = 1024
# A change stream keeps one pooled MongoDB connection busy while it waits for changes. One process holds at
# most this many, so subscribers never take every connection from queries (the pool holds 100).
MAX_OPEN_STREAMS = 60
MAX_STREAMS_PER_OWNER = 10


def encode_cursor(token: Mapping[str, Any]) -> str:
    return base64.urlsafe_b64encode(bson.encode(dict(token))).decode().rstrip("=")


def decode_cursor(value: str, field: str = "after") -> dict[str, Any]:
    invalid = DomainError.of("not_a_subscription_cursor", field)
    if not value or len(value) > MAX_CURSOR:
        raise invalid
    try:
        token = bson.decode(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    except (binascii.Error, ValueError, BSONError) as exc:
        raise invalid from exc
    # Exactly str: bson's Code is a str too.
    if type(token.get("_data")) is not str or not set(token) <= {"_data", "_typeBits"}:
        raise invalid
    return token


class EndOfFeed(Exception):
    """The subscriber may no longer see what it follows."""


class StreamQuota:
    """How many change streams this process, and each owner (an account), may hold open at once."""

    def __init__(self, per_process: int = MAX_OPEN_STREAMS, per_owner: int = MAX_STREAMS_PER_OWNER) -> None:
        self.per_process = per_process
        self.per_owner = per_owner
        self.open = 0
        self.by_owner: dict[Hashable, int] = {}

    def take(self, owner: Hashable) -> None:
        """Count one more stream, or refuse it. Called before any await, so concurrent subscribers cannot all
        pass the check."""
        held = self.by_owner.get(owner, 0)
        if held >= self.per_owner:
            raise DomainError.of(
                "too_many_subscriptions",
                None,
                max=self.per_owner,
            )
        if self.open >= self.per_process:
            raise DomainError.of("server_full", None)
        self.open += 1
        self.by_owner[owner] = held + 1

    def give_back(self, owner: Hashable) -> None:
        self.open -= 1
        left = self.by_owner.get(owner, 1) - 1
        if left > 0:
            self.by_owner[owner] = left
        else:
            self.by_owner.pop(owner, None)


class OpenStream:
    """A change stream, counted against its quota until it is closed."""

    def __init__(self, stream: AsyncChangeStream[Change], quota: StreamQuota, owner: Hashable) -> None:
        self.stream = stream
        self.quota = quota
        self.owner = owner
        self.closed = False

    async def next(self) -> Change:
        return await self.stream.next()

    async def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.quota.give_back(self.owner)
            await self.stream.close()


class Feed(Generic[T]):
    """The events of one open change stream. Closing it, reaching its end or cancelling a read closes the server
    cursor."""

    def __init__(self, stream: OpenStream, convert: Callable[[Change], Awaitable[T | None]]) -> None:
        self._stream = stream
        self._convert = convert

    @property
    def stream(self) -> OpenStream:
        """The change stream it reads, shared with every `map` of it."""
        return self._stream

    def map(self, fn: Callable[[T], U]) -> Feed[U]:
        convert = self._convert

        async def mapped(change: Change) -> U | None:
            event = await convert(change)
            return None if event is None else fn(event)

        return Feed(self._stream, mapped)

    def __aiter__(self) -> Feed[T]:
        return self

    async def __anext__(self) -> T:
        try:
            while True:
                event = await self._convert(await self._stream.next())
                if event is not None:
                    return event
        except (EndOfFeed, StopAsyncIteration):
            await self.aclose()
            raise StopAsyncIteration from None
        except asyncio.CancelledError:
            # The reader was stopped, which is how a subscription ends when its connection closes. The server
            # cursor is closed now rather than whenever the iterator is collected, and a second cancellation
            # cannot interrupt that.
            await asyncio.shield(self.aclose())
            raise

    async def aclose(self) -> None:
        await self._stream.close()


async def open_stream(
    target: AsyncDatabase[Change] | AsyncCollection[Change],
    pipeline: list[dict[str, Any]],
    *,
    quota: StreamQuota,
    owner: Hashable,
    after: str | None,
    comment: str,
) -> OpenStream:
    options: dict[str, Any] = {"full_document": "updateLookup", "comment": comment}
    if after is not None:
        options["resume_after"] = decode_cursor(after)
    quota.take(owner)
    opening = asyncio.ensure_future(target.watch(pipeline, **options))
    try:
        stream = await asyncio.shield(opening)
    except asyncio.CancelledError:
        # The reader went away (its connection closed) while the server was opening the stream: the cursor
        # the server opens is closed as soon as it is known, rather than left until the server's idle timeout.
        opening.add_done_callback(_close_when_open)
        quota.give_back(owner)
        raise
    except BaseException as exc:
        quota.give_back(owner)
        if isinstance(exc, OperationFailure) and after is not None:
            raise DomainError.of("cursor_expired", "after") from exc
        raise
    return OpenStream(stream, quota, owner)


_CLOSING: set[asyncio.Task[None]] = set()  # closes under way, held until done (the loop keeps weak references)


def _close_when_open(opening: asyncio.Future[AsyncChangeStream[Change]]) -> None:
    if opening.cancelled() or opening.exception() is not None:
        return
    closing = asyncio.get_running_loop().create_task(opening.result().close())
    _CLOSING.add(closing)
    closing.add_done_callback(_CLOSING.discard)


def change_time(change: Change) -> datetime:
    wall = change.get("wallTime")
    if isinstance(wall, datetime):
        return wall if wall.tzinfo else wall.replace(tzinfo=UTC)
    at: datetime = change["clusterTime"].as_datetime()
    return at


def updated_fields(change: Change) -> dict[str, Any]:
    fields: dict[str, Any] = (change.get("updateDescription") or {}).get("updatedFields") or {}
    return fields


def touches(fields: Mapping[str, Any], name: str) -> bool:
    return any(key == name or key.startswith(name + ".") for key in fields)


def added(fields: Mapping[str, Any], name: str) -> list[Any]:
    """Values an update wrote into array `name`: the whole array when set, else the elements pushed."""
    out: list[Any] = []
    for key, value in fields.items():
        if key == name and isinstance(value, list):
            out.extend(value)
        elif key.startswith(name + "."):
            out.append(value)
    return out
