"""Idempotency keys for mutations that create or move things.

A retry with the same key returns the first result and writes nothing; the same key with a different
input is a typed error. The key's record is written in the same transaction as the change it guards, so a
crash between the two is impossible and two concurrent retries cannot both succeed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from bson import ObjectId
from pymongo import ASCENDING, AsyncMongoClient, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from market.core.errors import DomainError
from market.storage.transactions import in_transaction

T = TypeVar("T")
KEEP_SECONDS = 7 * 24 * 3600
MAX_KEY = 200


def _fingerprint(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


class IdempotencyKeys:
    """The `idempotency_keys` collection: one record per account, operation and key, expiring after a week."""

    def __init__(self, client: AsyncMongoClient[dict[str, Any]], db: AsyncDatabase[dict[str, Any]]) -> None:
        self._client = client
        self._keys = db["idempotency_keys"]

    async def ensure_indexes(self) -> None:
        await self._keys.create_indexes(
            [IndexModel([("createdAt", ASCENDING)], expireAfterSeconds=KEEP_SECONDS, name="expire")]
        )

    async def replayed(self, *, account_id: ObjectId, operation: str, key: str | None, payload: Any) -> ObjectId | None:
        """The first result of this key, checked before any other rule so that a retry of a request that
        succeeded (and would now fail: the quotation is accepted, the version moved on) returns that result."""
        if key is None:
            return None
        previous = await self._keys.find_one({"_id": f"{account_id}:{operation}:{key}"})
        if previous is None:
            return None
        if previous["fingerprint"] != _fingerprint(payload):
            raise DomainError.of(
                "idempotency_key_reused",
                "idempotencyKey",
            )
        result: ObjectId = previous["resultId"]
        return result

    async def replay(
        self,
        *,
        account_id: ObjectId,
        operation: str,
        key: str | None,
        payload: Any,
        load: Callable[[ObjectId], Awaitable[T | None]],
    ) -> T | None:
        """`replayed`, loaded: the record a retry must return, or None for a first request."""
        earlier = await self.replayed(account_id=account_id, operation=operation, key=key, payload=payload)
        if earlier is None:
            return None
        found = await load(earlier)
        if found is None:
            raise RuntimeError(f"the result of {operation} {earlier} recorded for an idempotency key is missing")
        return found

    async def once(
        self,
        *,
        account_id: ObjectId,
        operation: str,
        key: str | None,
        payload: Any,
        work: Callable[[AsyncClientSession], Awaitable[ObjectId]],
    ) -> tuple[ObjectId, bool]:
        """(result id, replayed). Runs `work` in a transaction; with a key, at most once per account and key."""
        if key is not None and not 0 < len(key) <= MAX_KEY:
            raise DomainError.of("key_length", "idempotencyKey", max=MAX_KEY)
        record_id = f"{account_id}:{operation}:{key}"
        fingerprint = _fingerprint(payload)

        async def earlier() -> tuple[ObjectId, bool] | None:
            found = await self.replayed(account_id=account_id, operation=operation, key=key, payload=payload)
            return (found, True) if found is not None else None

        if key is not None and (first := await earlier()) is not None:
            return first

        async def guarded(session: AsyncClientSession) -> ObjectId:
            if key is not None:
                await self._keys.insert_one(
                    {"_id": record_id, "fingerprint": fingerprint, "createdAt": datetime.now(UTC)}, session=session
                )
            result = await work(session)
            if key is not None:
                await self._keys.update_one({"_id": record_id}, {"$set": {"resultId": result}}, session=session)
            return result

        try:
            return await in_transaction(self._client, guarded), False
        except DuplicateKeyError:
            # A concurrent retry with the same key committed first.
            if key is not None and (first := await earlier()) is not None:
                return first
            raise
