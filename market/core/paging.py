"""Pages of lists: what a client asks for (first, after), what it gets back, and the opaque cursors between."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from bson import ObjectId, json_util

from market.core.errors import DomainError, ErrorCode

T = TypeVar("T")

MAX_PAGE = 100
DEFAULT_PAGE = 20

SortSpec = list[tuple[str, int]]


@dataclass(frozen=True, slots=True)
class PageRequest:
    first: int = DEFAULT_PAGE
    after: str | None = None

    def validated(self) -> PageRequest:
        if self.first < 0:
            raise DomainError.single(ErrorCode.OUT_OF_RANGE, "first", "first must not be negative")
        if self.first > MAX_PAGE:
            raise DomainError.single(
                ErrorCode.OUT_OF_RANGE, "first", f"first must be at most {MAX_PAGE}, got {self.first}"
            )
        return self


@dataclass(slots=True)
class Page(Generic[T]):
    items: list[tuple[T, str]]  # each item with its cursor
    has_next: bool
    has_previous: bool


@dataclass(frozen=True, slots=True)
class Listing(Generic[T]):
    """A page of a list, and the list's total, counted only when a client asks for it."""

    page: Page[T]
    count: Callable[[], Awaitable[int]]


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json_util.dumps(values).encode()).decode()


MAX_CURSOR_LENGTH = 512
# What a cursor may carry: the sort values of one row. A dict would be read by MongoDB as an operator.
CURSOR_VALUE_TYPES = (str, int, float, bool, type(None), datetime, ObjectId)


def decode_cursor(cursor: str, width: int) -> list[Any]:
    """The sort values inside a cursor this list handed out, or a typed error for anything else."""
    refused = DomainError.single(ErrorCode.INVALID, "after", "after is not a cursor from this list")
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise refused
    try:
        values = json_util.loads(base64.urlsafe_b64decode(cursor.encode()).decode())
    except Exception as exc:  # bson and json raise many kinds for hand-made text; every one is the client's
        raise refused from exc
    if not isinstance(values, list) or len(values) != width:
        raise refused
    if not all(isinstance(v, CURSOR_VALUE_TYPES) for v in values):
        raise refused
    return values
