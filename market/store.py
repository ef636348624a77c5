"""The composition root of storage: one MongoDB connection and every domain's repository on it. Created
explicitly by whoever needs it (the API's lifespan, a CLI command, a test), never at import time.

Use cases across the domains receive a Store and reach their repositories through it; they refer to this
module for typing only, so no domain imports it at run time (import-linter checks the layers).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from bson import Timestamp
from pymongo import AsyncMongoClient
from pymongo.asynchronous.change_stream import AsyncChangeStream
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import OperationFailure
from pymongo.monitoring import CommandListener
from pymongo.read_concern import ReadConcern

from market.accounts.repository import AccountRepository, BuyerOrgRepository
from market.catalog.document_repository import DocumentRepository
from market.catalog.lot_repository import LotRepository
from market.catalog.repository import ProducerRepository, ProductRepository
from market.events.outbox import EventOutbox
from market.mail.outbox import MailOutbox
from market.membership.repository import ReviewQueue
from market.notifications.alert_repository import AlertRepository
from market.notifications.repository import NotificationRepository
from market.notifications.webhook_repository import WebhookRepository
from market.storage.idempotency import IdempotencyKeys
from market.storage.persisted_queries import PersistedQueries
from market.storage.sync_state import SyncStateStore
from market.trade.repository import TradeRepository
from market.trade.sample_repository import SampleRequestRepository


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
        self.documents = DocumentRepository(self.db)
        self.lots = LotRepository(self.db)
        self.sample_requests = SampleRequestRepository(self.db, self.trade.streams)
        self.persisted_queries = PersistedQueries(self.db)
        self.idempotency = IdempotencyKeys(client, self.db)
        self.mail = MailOutbox(self.db)
        self.reviews = ReviewQueue(self.db)
        self.events = EventOutbox(self.db)
        self.notifications = NotificationRepository(self.db, self.trade.streams)
        self.webhooks = WebhookRepository(self.db)
        self.alerts = AlertRepository(self.db)

    @classmethod
    def connect(
        cls, url: str, db_name: str, listeners: Sequence[CommandListener] = (), *, majority_reads: bool = False
    ) -> Store:
        """`majority_reads`: read only what a majority of members holds, so that what is read is never taken
        back by a failover (the sync worker indexes what it reads)."""
        options: dict[str, Any] = {"readConcernLevel": "majority"} if majority_reads else {}
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            url,
            tz_aware=True,
            # An acknowledged write is on a majority of members, so no failover rolls it back; writes and
            # reads interrupted by an election are retried once on the new primary.
            w="majority",
            retryWrites=True,
            retryReads=True,
            # Long enough for a stepdown's election to finish, short enough that a request fails instead
            # of hanging while a replica set has no primary at all.
            serverSelectionTimeoutMS=5000,
            event_listeners=list(listeners),
            appname="ocop-market",
            **options,
        )
        return cls(client, db_name)

    @property
    def repositories(self) -> tuple[HasIndexes, ...]:
        """Every repository; each declares the indexes its own queries need."""
        return (
            self.producers,
            self.products,
            self.accounts,
            self.buyers,
            self.trade,
            self.idempotency,
            self.persisted_queries,
            self.documents,
            self.lots,
            self.sample_requests,
            self.mail,
            self.reviews,
            self.events,
            self.notifications,
            self.webhooks,
            self.alerts,
        )

    async def ensure_indexes(self) -> None:
        for repo in self.repositories:
            await repo.ensure_indexes()

    def sync_state(self, name: str) -> SyncStateStore:
        """The durable state of one search sync (lease, resume token, health), by its name."""
        return SyncStateStore(self.db, name)

    async def watch(self, pipeline: list[dict[str, Any]], **options: Any) -> AsyncChangeStream[dict[str, Any]]:
        """A change stream over the whole database (the sync worker's), opened with PyMongo's options."""
        return await self.db.watch(pipeline, **options)

    async def cluster_time(self) -> Timestamp:
        """The cluster time now: a change stream started at it sees every later write."""
        reply = await self.db.command("ping")
        ts = reply.get("operationTime") or (reply.get("$clusterTime") or {}).get("clusterTime")
        if not isinstance(ts, Timestamp):
            raise RuntimeError("MongoDB did not report a cluster time; it must run as a replica set")
        return ts

    async def oldest_oplog_time(self) -> Timestamp | None:
        """The time of the oldest change the server still keeps; None where the oplog may not be read."""
        try:
            oplog = self.client.local.get_collection("oplog.rs", read_concern=ReadConcern("local"))
            entry = await oplog.find_one({}, {"ts": 1}, sort=[("$natural", 1)])
        except OperationFailure:
            return None  # not allowed to read the oplog (some managed services): rely on the server's errors
        return entry["ts"] if entry else None

    async def ping(self) -> bool:
        await self.client.admin.command("ping")
        return True

    async def close(self) -> None:
        await self.client.close()
