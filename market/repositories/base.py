"""What every repository shares: optimistic concurrency on a `version` field."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bson import ObjectId
from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection

from market.errors import DomainError, ErrorCode, conflict, not_found
from market.provinces import load_provinces


def utcnow() -> datetime:
    # MongoDB stores milliseconds; truncate so what we return equals what we read back later.
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


async def versioned_update(
    collection: AsyncCollection[dict[str, Any]],
    _id: ObjectId,
    *,
    expected_version: int | None,
    set_fields: dict[str, Any],
    unset_fields: list[str] | None = None,
    what: str,
    field: str = "id",
    session: AsyncClientSession | None = None,
) -> dict[str, Any]:
    """Apply the change only if nobody changed the record since `expected_version`; bump the version."""
    query: dict[str, Any] = {"_id": _id}
    if expected_version is not None:
        query["version"] = expected_version
    update: dict[str, Any] = {"$set": {**set_fields, "updatedAt": utcnow()}, "$inc": {"version": 1}}
    if unset_fields:
        update["$unset"] = dict.fromkeys(unset_fields, "")
    doc = await collection.find_one_and_update(query, update, return_document=ReturnDocument.AFTER, session=session)
    if doc is not None:
        return doc
    current = await collection.find_one({"_id": _id}, {"version": 1}, session=session)
    if current is None:
        raise not_found(field, what)
    raise conflict(expected_version or 0, current["version"])


def parse_object_id(value: str, field: str, what: str) -> ObjectId:
    try:
        return ObjectId(value)
    except Exception as exc:
        raise not_found(field, what) from exc


def province_query(text: str, field: str, *, code_path: str, former_path: str) -> dict[str, Any]:
    """A current province matches everything registered under it, including under its old provinces;
    an old province name matches only what was registered under that old name."""
    match = load_provinces().resolve(text)
    if match is None:
        raise DomainError.single(ErrorCode.UNKNOWN_PROVINCE, field, f"unknown province {text!r}")
    query: dict[str, Any] = {code_path: match.province.code}
    if match.former_name:
        query[former_path] = match.former_name
    return query
