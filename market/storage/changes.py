"""Change streams, as the live feeds use them: a counted, closable stream per subscriber, resumable from an
opaque cursor (the change's resume token), and the helpers that read what an update changed.

One process holds at most MAX_OPEN_STREAMS streams, so subscribers never take every pooled connection from
queries.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import bson
from bson.errors import BSONError
from pymongo.asynchronous.change_stream import AsyncChangeStream
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import OperationFailure

from market.core.errors import DomainError, ErrorCode

T = TypeVar("T")
U = TypeVar("U")
Change = dict[str, Any]

MAX_CURSOR = 1024
# A change stream keeps one pooled MongoDB connection busy while it waits for changes. One process holds at
# most this many, so subscribers never take every connection from queries (the pool holds 100).
MAX_OPEN_STREAMS = 60


def encode_cursor(token: Mapping[str, Any]) -> str:
    return base64.urlsafe_b64encode(bson.encode(dict(token))).decode().rstrip("=")


def decode_cursor(value: str, field: str = "after") -> dict[str, Any]:
    invalid = DomainError.single(ErrorCode.INVALID, field, f"{field} is not a cursor of this subscription")
    if not value or len(value) > MAX_CURSOR:
        raise invalid
    try:
        token = bson.decode(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    except (binascii.Error, ValueError, BSONError) as exc:
        raise invalid from exc
    if not isinstance(token.get("_data"), str) or not set(token) <= {"_data", "_typeBits"}:
        raise invalid
    return token


class EndOfFeed(Exception):
    """The subscriber may no longer see what it follows."""


class OpenStream:
    """A change stream, counted against MAX_OPEN_STREAMS until it is closed."""

    count = 0  # in this process

    def __init__(self, stream: AsyncChangeStream[Change]) -> None:
        self.stream = stream
        self.closed = False

    async def next(self) -> Change:
        return await self.stream.next()

    async def close(self) -> None:
        if not self.closed:
            self.closed = True
            OpenStream.count -= 1
            await self.stream.close()


class Feed(Generic[T]):
    """The events of one open change stream. Closing it, or reaching its end, closes the server cursor."""

    def __init__(self, stream: OpenStream, convert: Callable[[Change], Awaitable[T | None]]) -> None:
        self._stream = stream
        self._convert = convert

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

    async def aclose(self) -> None:
        await self._stream.close()


async def open_stream(
    target: AsyncDatabase[Change] | AsyncCollection[Change],
    pipeline: list[dict[str, Any]],
    *,
    after: str | None,
    comment: str,
) -> OpenStream:
    options: dict[str, Any] = {"full_document": "updateLookup", "comment": comment}
    if after is not None:
        options["resume_after"] = decode_cursor(after)
    if OpenStream.count >= MAX_OPEN_STREAMS:
        raise DomainError.single(ErrorCode.UNAVAILABLE, None, "this server follows all it can; retry in a moment")
    OpenStream.count += 1  # before the await, so concurrent subscribers cannot all pass the check
    try:
        stream = await target.watch(pipeline, **options)
    except BaseException as exc:
        OpenStream.count -= 1
        if isinstance(exc, OperationFailure) and after is not None:
            raise DomainError.single(
                ErrorCode.INVALID, "after", "this cursor can no longer be resumed: subscribe without `after` and reload"
            ) from exc
        raise
    return OpenStream(stream)


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
