"""Writes documents into a Meilisearch index, always from a fresh read of MongoDB.

Both the live sync and a rebuild go through `Indexer.apply`: given ids it reads their current state,
projects the documents, drops what must not be indexed, and (by default) waits until Meilisearch reports
the tasks as succeeded. Writing the current state (not the state carried by a change event) makes replays
idempotent: applying the same ids twice yields the same index.

Two indexes are kept this way: products (`ProductIndexer`) and the RFQ board (`RfqIndexer`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from bson import ObjectId

from market.catalog.records import ProductStatus
from market.store import Store
from search.client import MeiliClient
from search.documents import VERSION_FIELDS, is_indexed, product_document, projection_fingerprint
from search.filters import one_of
from search.rfqs import RFQ_SETTINGS, is_on_board, rfq_document, rfq_fingerprint
from search.settings import PRODUCT_SETTINGS

BATCH = 1000
# Up to this many products (the few a mutation changes) are read with their producers in one round trip;
# more in two reads, each producer once.
JOINED_READ_MAX = 32


@dataclass(slots=True)
class ApplyResult:
    upserted: int = 0
    deleted: int = 0
    skipped: int = 0  # already at this version or newer in the index
    tasks: list[int] = field(default_factory=list)  # Meilisearch tasks, when not waited for


class Indexer:
    """What one derived index needs: which collections feed it, and how to turn ids into documents."""

    watched: tuple[str, ...] = ()
    settings: Mapping[str, Any] = {}
    version_fields: tuple[str, ...] = ("version",)

    def __init__(self, store: Store, meili: MeiliClient) -> None:
        self.store = store
        self.meili = meili

    def fingerprint(self) -> str:
        """Changes when the document shape (or what feeds it) changes: the index must then be rebuilt."""
        raise NotImplementedError

    def affected(self, changed: Mapping[str, set[ObjectId]]) -> AsyncIterator[set[ObjectId]]:
        """The document ids to rewrite after changes to these ids of these watched collections, a batch at a
        time: one change can fan out to any number of documents."""
        raise NotImplementedError

    async def documents(self, ids: list[ObjectId]) -> list[dict[str, Any]]:
        """The documents of those ids that belong in the index now."""
        raise NotImplementedError

    def all_ids(self) -> AsyncIterator[list[ObjectId]]:
        raise NotImplementedError

    async def count(self) -> int:
        raise NotImplementedError

    async def apply(
        self, index_uid: str, ids: set[ObjectId], *, guard_versions: bool = True, wait: bool = True
    ) -> ApplyResult:
        """Write the current state of these ids. With `wait` (the default) return only once every
        Meilisearch task has succeeded; otherwise the caller waits for `result.tasks`."""
        result = ApplyResult()
        ordered = list(ids)
        for start in range(0, len(ordered), BATCH):
            await self._write(index_uid, ordered[start : start + BATCH], guard_versions, result)
        if wait:
            await self.meili.wait_tasks(result.tasks, timeout=120)
            result.tasks.clear()
        return result

    async def _write(self, index_uid: str, ids: list[ObjectId], guard_versions: bool, result: ApplyResult) -> None:
        requested = [str(i) for i in ids]
        current: dict[str, dict[str, Any]] = {}
        if guard_versions:
            # The index's versions are read alongside MongoDB rather than after it: a change becomes
            # searchable a round trip sooner. Read no later than the documents, they can only show an index
            # as old or older, so the guard lets through as much or more, never skipping what MongoDB holds.
            documents, current = await asyncio.gather(self.documents(ids), self._indexed_versions(index_uid, requested))
        else:
            documents = await self.documents(ids)
        to_delete = sorted(set(requested) - {d["id"] for d in documents})
        fresh = []
        for doc in documents:
            seen = current.get(doc["id"])
            if seen is not None and all(seen.get(f, 0) >= doc[f] for f in self.version_fields):
                result.skipped += 1  # never let an older version overwrite a newer one
            else:
                fresh.append(doc)
        if fresh:
            result.tasks.append(await self.meili.add_documents(index_uid, fresh))
            result.upserted += len(fresh)
        if to_delete:
            result.tasks.append(await self.meili.delete_documents(index_uid, to_delete))
            result.deleted += len(to_delete)

    async def _indexed_versions(self, index_uid: str, ids: list[str]) -> dict[str, dict[str, Any]]:
        body = await self.meili.fetch_documents(
            index_uid, ["id", *self.version_fields], filter=one_of("id", ids), limit=len(ids)
        )
        return {row["id"]: row for row in body["results"]}


class ProductIndexer(Indexer):
    watched = ("products", "producers")
    settings = PRODUCT_SETTINGS
    version_fields = VERSION_FIELDS
    _indexable: ClassVar[dict[str, Any]] = {"status": {"$ne": ProductStatus.ARCHIVED.value}}

    def fingerprint(self) -> str:
        return projection_fingerprint()

    async def affected(self, changed: Mapping[str, set[ObjectId]]) -> AsyncIterator[set[ObjectId]]:
        products = changed.get("products", set())
        if products:
            yield set(products)
        producers = list(changed.get("producers", set()))
        if producers:
            # A producer's name and verification are denormalised into each of its products' documents; a
            # producer may have the whole catalogue, so its products are read from a cursor, not as one list.
            async for chunk in self.store.products.id_batches({"producerId": {"$in": producers}}, BATCH):
                yield set(chunk) - products

    async def documents(self, ids: list[ObjectId]) -> list[dict[str, Any]]:
        if len(ids) <= JOINED_READ_MAX:
            # One round trip for products and producers: a change is searchable a read sooner.
            found = await self.store.products.get_many_with_makers(ids)
            return [product_document(p, maker) for p, maker in found if maker is not None and is_indexed(p)]
        # A batch names few producers: joined in MongoDB, each would be looked up and decoded again for every
        # one of its products.
        products = [p for p in await self.store.products.get_many(ids) if is_indexed(p)]
        makers = {m.id: m for m in await self.store.producers.get_many(list({p.producer_id for p in products}))}
        return [product_document(p, makers[p.producer_id]) for p in products if p.producer_id in makers]

    def all_ids(self) -> AsyncIterator[list[ObjectId]]:
        return self.store.products.id_batches(self._indexable, BATCH)

    async def count(self) -> int:
        return await self.store.products.count_where(self._indexable)


class RfqIndexer(Indexer):
    """The RFQ board: open RFQs, for producers to browse."""

    watched = ("inquiries",)
    settings = RFQ_SETTINGS
    _indexable: ClassVar[dict[str, Any]] = {"kind": "open", "status": "open"}

    def fingerprint(self) -> str:
        return rfq_fingerprint()

    async def affected(self, changed: Mapping[str, set[ObjectId]]) -> AsyncIterator[set[ObjectId]]:
        inquiries = changed.get("inquiries", set())
        if inquiries:
            yield set(inquiries)

    async def documents(self, ids: list[ObjectId]) -> list[dict[str, Any]]:
        inquiries = await self.store.trade.inquiries_by_id(ids)
        buyers = {b.id: b for b in await self.store.buyers.get_many(list({i.buyer_org_id for i in inquiries}))}
        return [rfq_document(i, buyers.get(i.buyer_org_id)) for i in inquiries if is_on_board(i)]

    def all_ids(self) -> AsyncIterator[list[ObjectId]]:
        return self.store.trade.inquiry_id_batches(self._indexable, BATCH)

    async def count(self) -> int:
        return await self.store.trade.count_inquiries(self._indexable)
