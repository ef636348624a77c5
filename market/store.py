"""The MongoDB connection and the repositories built on it. Created explicitly by whoever needs it
(the API's lifespan, a CLI command, a test), never at import time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.monitoring import CommandListener

from market.repositories.accounts import AccountRepository, BuyerOrgRepository
from market.repositories.producers import ProducerRepository
from market.repositories.products import ProductRepository
from market.repositories.trade import TradeRepository


class Store:
    def __init__(self, client: AsyncMongoClient[dict[str, Any]], db_name: str) -> None:
        self.client = client
        self.db: AsyncDatabase[dict[str, Any]] = client[db_name]
        self.producers = ProducerRepository(self.db)
        self.products = ProductRepository(self.db)
        self.accounts = AccountRepository(self.db)
        self.buyers = BuyerOrgRepository(self.db)
        self.trade = TradeRepository(self.db)

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

    async def ensure_indexes(self) -> None:
        for repo in (self.producers, self.products, self.accounts, self.buyers, self.trade):
            await repo.ensure_indexes()
        # These modules build on Store, so they are imported here rather than at the top.
        from market.idempotency import ensure_idempotency_indexes
        from market.stats import ensure_stats_indexes

        await ensure_idempotency_indexes(self)
        await ensure_stats_indexes(self)

    async def ping(self) -> bool:
        await self.client.admin.command("ping")
        return True

    async def close(self) -> None:
        await self.client.close()
