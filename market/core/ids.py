"""Record ids as clients send them."""

from __future__ import annotations

from bson import ObjectId

from market.core.errors import not_found


def parse_object_id(value: str, field: str, what: str) -> ObjectId:
    """A malformed id names nothing, so it is NOT_FOUND, the same answer as an id that does not exist."""
    try:
        return ObjectId(value)
    except Exception as exc:
        raise not_found(field, what) from exc
