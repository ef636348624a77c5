"""The composition root of storage: one MongoDB connection and every domain's repository on it. Created
explicitly by whoever needs it (the API's lifespan, a CLI command, a test), never at import time.

Use cases across the domains receive a Store and reach their repositories through it; they refer to this
module for typing only, so no domain imports it at run time (import-linter checks the layers).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol, TypeVar

from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.monitoring import CommandListener

from market.accounts.repository import AccountRepository, BuyerOrgRepository
from market.catalog.repository import ProducerRepository, ProductRepository
from market.storage.idempotency import IdempotencyKeys
from market.storage.transactions import in_transaction
from market.trade.repository import TradeRepository

T = TypeVar("T")


class HasIndexes(Protocol):
    async def ensure_indexes(self) -> None: ...


class Store:
    def __init__(self, client: AsyncMongoClient[dict[str, Any]], db_name: str) -> None:
        self.client = client
        self.db: AsyncDatabase[dict[str, Any]] = client[db_name]
        self.producers = ProducerRepository(self.db)
        self.products = ProductRepository(self.db)
        self.accounts = AccountRepository(self.db)
        self.buyers = BuyerOrgRepository(self.db)
        self.trade = TradeRepository(self.db)
        self.idempotency = IdempotencyKeys(client, self.db)

    @classmethod
    def connect(cls, url: str, db_name: str, listeners: Sequence[CommandListener] = ()) -> Store:
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            url,
            tz_aware=True,
            serverSelectionTimeoutMS=5000,
            event_listeners=list(listeners),
            appname="ocop-market",
        )
        return cls(client, db_name)

    @property
    def repositories(self) -> tuple[HasIndexes, ...]:
        """Every repository; each declares the indexes its own queries need."""
        return (self.producers, self.products, self.accounts, self.buyers, self.trade, self.idempotency)

    async def ensure_indexes(self) -> None:
        for repo in self.repositories:
            await repo.ensure_indexes()

    async def transaction(self, work: Callable[[AsyncClientSession], Awaitable[T]]) -> T:
        return await in_transaction(self.client, work)

    async def ping(self) -> bool:
        await self.client.admin.command("ping")
        return True

    async def close(self) -> None:
        await self.client.close()
