"""Keyset pagination over MongoDB: stable under inserts, and O(1) round trips whatever the page."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pymongo.asynchronous.collection import AsyncCollection

from market.core.paging import Page, PageRequest, SortSpec, decode_cursor, encode_cursor, sort_signature

T = TypeVar("T")


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
    # Filters may change between pages (a position in this order stays meaningful), the order may not.
    signature = sort_signature(collection.name, full_sort)
    query = dict(base_filter)
    if request.after is not None:
        values = decode_cursor(request.after, signature, len(full_sort))
        after = _after_filter(full_sort, values)
        query = {"$and": [base_filter, after]} if base_filter else after
    if request.first == 0:
        return Page(items=[], has_next=False, has_previous=request.after is not None)
    docs = await collection.find(query, sort=full_sort, limit=request.first + 1).to_list(None)
    items = [
        (convert(doc), encode_cursor(signature, [_dig(doc, f) for f, _ in full_sort])) for doc in docs[: request.first]
    ]
    return Page(items=items, has_next=len(docs) > request.first, has_previous=request.after is not None)
