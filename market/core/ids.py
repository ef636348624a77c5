"""Record ids as clients send them."""

from __future__ import annotations

import base64

from bson import ObjectId

from market.core.errors import not_found


def parse_object_id(value: str, field: str, what: str) -> ObjectId:
    """A malformed id names nothing, so it is NOT_FOUND, the same answer as an id that does not exist."""
    try:
        return ObjectId(value)
    except Exception as exc:
        raise not_found(field, what) from exc


def object_id_of(value: str, type_names: tuple[str, ...] = ()) -> ObjectId | None:
    """The ObjectId in a raw id (`665f…`) or in a global id the API hands out (base64 of `Producer:665f…`)
    of one of `type_names`; None when it is neither."""
    value = value.strip()
    if ObjectId.is_valid(value):
        return ObjectId(value)
    try:
        decoded = base64.b64decode(value.encode(), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    kind, _, raw = decoded.partition(":")
    if kind in type_names and ObjectId.is_valid(raw):
        return ObjectId(raw)
    return None


def global_id_of(type_name: str, value: ObjectId) -> str:
    """The global id the API hands out for this object (base64 of `Type:id`)."""
    return base64.b64encode(f"{type_name}:{value}".encode()).decode()
