"""Multi-document transactions (the local and production servers are replica sets, so they have them)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession

T = TypeVar("T")


async def in_transaction(
    client: AsyncMongoClient[dict[str, Any]], work: Callable[[AsyncClientSession], Awaitable[T]]
) -> T:
    """Run `work` in a MongoDB transaction, retried on transient errors (with_transaction)."""
    async with client.start_session() as session:
        result: T = await session.with_transaction(work)
        return result
