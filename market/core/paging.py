"""Pages of lists: what a client asks for (first and after, or last and before), what it gets back, and the
opaque cursors between."""

from __future__ import annotations

import base64
import hashlib
import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from bson import ObjectId, json_util

from market.core.errors import DomainError

T = TypeVar("T")

MAX_PAGE = 100
DEFAULT_PAGE = 20

SortSpec = list[tuple[str, int]]


@dataclass(frozen=True, slots=True)
class PageRequest:
    """The `first` items after `after`, or the `last` items before `before` (the end of the list without it),
    as the Relay connection specification reads them; `after` and `before` may both bound the page. With
    neither size, a page of DEFAULT_PAGE runs forward, or backward when `before` comes alone: a client that
    names only the cursor to stop at wants what leads up to it."""

    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None

    @property
    def backward(self) -> bool:
        return self.last is not None or (self.first is None and self.before is not None and self.after is None)

    @property
    def size(self) -> int:
        size = self.last if self.backward else self.first
        return DEFAULT_PAGE if size is None else size

    def validated(self) -> PageRequest:
        if self.first is not None and self.last is not None:
            # The specification discourages both at once: which of the two slices wins would be a guess.
            raise DomainError.of("first_and_last", "last")
        for name, value in (("first", self.first), ("last", self.last)):
            if value is None:
                continue
            if value < 0:
                raise DomainError.of("negative", name)
            if value > MAX_PAGE:
                raise DomainError.of("at_most", name, max=MAX_PAGE, got=value)
        return self


class LazyCursor:
    """A keyset cursor encoded only when read (`str()`): most pages are shown without their cursors, and
    encoding one per row was a few per cent of the CPU of a long page."""

    __slots__ = ("signature", "values")

    def __init__(self, signature: str, values: list[Any]) -> None:
        self.signature = signature
        self.values = values

    def __str__(self) -> str:
        return encode_cursor(self.signature, self.values)


Cursor = str | LazyCursor


@dataclass(slots=True)
class Page(Generic[T]):
    items: Sequence[tuple[T, Cursor]]  # each item with its cursor
    has_next: bool
    has_previous: bool


@dataclass(frozen=True, slots=True)
class Listing(Generic[T]):
    """A page of a list, and the list's total, counted only when a client asks for it."""

    page: Page[T]
    count: Callable[[], Awaitable[int]]


def sort_signature(scope: str, sort: SortSpec) -> str:
    """A short, stable name for one list's order (`scope` names the list): a cursor carries it, so a cursor
    of another list, or of the same list in another order, is refused rather than read as a position."""
    spec = ",".join(f"{field}:{direction}" for field, direction in sort)
    return hashlib.blake2b(f"{scope}|{spec}".encode(), digest_size=6).hexdigest()


def encode_cursor(signature: str, values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json_util.dumps([signature, *values]).encode()).decode()


MAX_CURSOR_LENGTH = 512
# What a cursor may carry: the sort values of one row, of these exact types. A dict would be read by MongoDB
# as an operator, and subclasses are other BSON types (bson's Code is a str, Int64 an int).
CURSOR_VALUE_TYPES = frozenset({str, int, float, bool, type(None), datetime, ObjectId})
# BSON has no integer wider than this; a larger one fails only when the query is encoded.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def _storable(value: Any) -> bool:
    kind = type(value)
    if kind not in CURSOR_VALUE_TYPES:
        return False
    if kind is int:
        return INT64_MIN <= value <= INT64_MAX
    if kind is float:
        return math.isfinite(value)
    if kind is str:
        # JSON escapes can make lone surrogates, which BSON cannot encode.
        try:
            value.encode()
        except UnicodeEncodeError:
            return False
    return True


def decode_cursor(cursor: str, signature: str, width: int, field: str = "after") -> list[Any]:
    """The sort values inside a cursor this list handed out in this order, or a typed error on `field` (the
    argument that carried it) for anything else."""
    refused = DomainError.of("not_a_list_cursor", field)
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise refused
    try:
        decoded = json_util.loads(base64.urlsafe_b64decode(cursor.encode()).decode())
    except Exception as exc:  # bson and json raise many kinds for hand-made text; every one is the client's
        raise refused from exc
    if not isinstance(decoded, list) or len(decoded) != width + 1:
        raise refused
    tag, *values = decoded
    if type(tag) is not str or tag != signature:
        raise refused
    if not all(_storable(v) for v in values):
        raise refused
    return values
