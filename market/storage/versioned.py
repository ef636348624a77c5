"""Optimistic concurrency on a `version` field: the one versioned update every repository uses."""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection

from market.core.clock import utcnow
from market.core.errors import conflict, not_found


async def versioned_update(
    collection: AsyncCollection[dict[str, Any]],
    _id: ObjectId,
    *,
    expected_version: int | None,
    set_fields: dict[str, Any],
    unset_fields: list[str] | None = None,
    push: dict[str, Any] | None = None,
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
    if push:
        update["$push"] = push
    doc = await collection.find_one_and_update(query, update, return_document=ReturnDocument.AFTER, session=session)
    if doc is not None:
        return doc
    current = await collection.find_one({"_id": _id}, {"version": 1}, session=session)
    if current is None:
        raise not_found(field, what)
    raise conflict(expected_version or 0, current["version"])
