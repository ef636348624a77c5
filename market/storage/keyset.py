"""Keyset pagination over MongoDB: stable under inserts, and O(1) round trips whatever the page."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pymongo.asynchronous.collection import AsyncCollection

from market.core.paging import Cursor, LazyCursor, Page, PageRequest, SortSpec, decode_cursor, sort_signature

T = TypeVar("T")


def _dig(doc: Mapping[str, Any], path: str) -> Any:
    value: Any = doc
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def after_filter(sort: SortSpec, values: list[Any]) -> dict[str, Any]:
    """(a, b, _id) > (x, y, z) in the sort's direction, as an $or of prefix equalities."""
    clauses = []
    for i, (field, direction) in enumerate(sort):
        clause = {f: {"$eq": values[j]} for j, (f, _) in enumerate(sort[:i])}
        clause[field] = {"$gt" if direction > 0 else "$lt": values[i]}
        clauses.append(clause)
    return {"$or": clauses}


def reversed_sort(sort: SortSpec) -> SortSpec:
    return [(field, -direction) for field, direction in sort]


async def fetch_page(
    collection: AsyncCollection[dict[str, Any]],
    base_filter: dict[str, Any],
    sort: SortSpec,
    request: PageRequest,
    convert: Callable[[dict[str, Any]], T],
) -> Page[T]:
    """One page in one query. Backward, the query walks the reversed order from `before` (every direction
    flipped, so the same indexes serve it read from the other end) and the page is turned round."""
    request = request.validated()
    tiebreak = sort[-1][1] if sort else 1
    full_sort: SortSpec = sort if sort and sort[-1][0] == "_id" else [*sort, ("_id", tiebreak)]
    # Filters may change between pages (a position in this order stays meaningful), the order may not: both
    # directions hand out and read the same cursors.
    signature = sort_signature(collection.name, full_sort)
    clauses = [base_filter] if base_filter else []
    if request.after is not None:
        clauses.append(after_filter(full_sort, decode_cursor(request.after, signature, len(full_sort), "after")))
    if request.before is not None:
        before = decode_cursor(request.before, signature, len(full_sort), "before")
        clauses.append(after_filter(reversed_sort(full_sort), before))
    query = clauses[0] if len(clauses) == 1 else {"$and": clauses} if clauses else {}
    size, backward = request.size, request.backward
    order = reversed_sort(full_sort) if backward else full_sort
    # Even for an empty page (`first: 0`): its extra row tells whether the list goes on.
    docs: list[dict[str, Any]] = await collection.find(query, sort=order, limit=size + 1).to_list(None)
    more = len(docs) > size
    docs = docs[:size]
    if backward:
        docs.reverse()
    items: list[tuple[T, Cursor]] = [
        (convert(doc), LazyCursor(signature, [_dig(doc, f) for f, _ in full_sort])) for doc in docs
    ]
    # The far side of the page is known from the extra row. The near side is reported as going on whenever
    # a cursor was given, as the specification allows without a look: the row the cursor came from lies
    # there unless it was deleted since.
    if backward:
        return Page(items=items, has_next=request.before is not None, has_previous=more)
    return Page(items=items, has_next=more, has_previous=request.after is not None)
