"""Keyset pagination over MongoDB: stable under inserts, and O(1) round trips whatever the page."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from bson import json_util
from pymongo.asynchronous.collection import AsyncCollection

from market.errors import DomainError, ErrorCode

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


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json_util.dumps(values).encode()).decode()


def decode_cursor(cursor: str, width: int) -> list[Any]:
    try:
        values = json_util.loads(base64.urlsafe_b64decode(cursor.encode()).decode())
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise DomainError.single(ErrorCode.INVALID, "after", "after is not a cursor from this list") from exc
    if not isinstance(values, list) or len(values) != width:
        raise DomainError.single(ErrorCode.INVALID, "after", "after is not a cursor from this list")
    return values


def _dig(doc: Mapping[str, Any], path: str) -> Any:
    value: Any = doc
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _after_filter(sort: SortSpec, values: list[Any]) -> dict[str, Any]:
    """(a, b, _id) > (x, y, z) in the sort's direction, as an $or of prefix equalities."""
    clauses = []
    for i, (field, direction) in enumerate(sort):
        clause = {f: {"$eq": values[j]} for j, (f, _) in enumerate(sort[:i])}
        clause[field] = {"$gt" if direction > 0 else "$lt": values[i]}
        clauses.append(clause)
    return {"$or": clauses}


async def fetch_page(
    collection: AsyncCollection[dict[str, Any]],
    base_filter: dict[str, Any],
    sort: SortSpec,
    request: PageRequest,
    convert: Callable[[dict[str, Any]], T],
) -> Page[T]:
    request = request.validated()
    tiebreak = sort[-1][1] if sort else 1
    full_sort: SortSpec = sort if sort and sort[-1][0] == "_id" else [*sort, ("_id", tiebreak)]
    query = dict(base_filter)
    if request.after is not None:
        values = decode_cursor(request.after, len(full_sort))
        after = _after_filter(full_sort, values)
        query = {"$and": [base_filter, after]} if base_filter else after
    if request.first == 0:
        return Page(items=[], has_next=False, has_previous=request.after is not None)
    docs = await collection.find(query, sort=full_sort, limit=request.first + 1).to_list(None)
    items = [(convert(doc), encode_cursor([_dig(doc, f) for f, _ in full_sort])) for doc in docs[: request.first]]
    return Page(items=items, has_next=len(docs) > request.first, has_previous=request.after is not None)
