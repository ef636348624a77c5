"""Reading a whole collection's ids in batches, with one cursor: what a rebuild of a derived index walks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.collection import AsyncCollection


async def id_batches(
    collection: AsyncCollection[dict[str, Any]], query: dict[str, Any], size: int
) -> AsyncIterator[list[ObjectId]]:
    chunk: list[ObjectId] = []
    async for doc in collection.find(query, {"_id": 1}, batch_size=size):
        chunk.append(doc["_id"])
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
