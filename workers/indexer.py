"""Writes products into a Meilisearch index, always from a fresh read of MongoDB.

Both the live sync and a rebuild go through `ProductIndexer.apply`: given product and producer ids it
reads their current state, projects the documents, drops what must not be indexed, and waits until
Meilisearch reports the tasks as succeeded. Writing the current state (not the state carried by a change
event) makes replays idempotent: applying the same ids twice yields the same index.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any

from bson import ObjectId

from market.models import Product, ProductStatus
from market.store import Store
from search.client import MeiliClient
from search.documents import VERSION_FIELDS, is_indexed, product_document

BATCH = 1000


@dataclass(slots=True)
class ApplyResult:
    upserted: int = 0
    deleted: int = 0
    skipped: int = 0  # already at this version or newer in the index
    tasks: list[int] = field(default_factory=list)  # Meilisearch tasks, when not waited for


class ProductIndexer:
    def __init__(self, store: Store, meili: MeiliClient) -> None:
        self.store = store
        self.meili = meili

    async def expand_producers(self, producer_ids: Iterable[ObjectId]) -> set[ObjectId]:
        """A producer's name and verification are denormalised into each of its products' documents."""
        ids = list(producer_ids)
        if not ids:
            return set()
        docs = await self.store.products.collection.find({"producerId": {"$in": ids}}, {"_id": 1}).to_list(None)
        return {d["_id"] for d in docs}

    async def apply(
        self, index_uid: str, product_ids: set[ObjectId], *, guard_versions: bool = True, wait: bool = True
    ) -> ApplyResult:
        """Write the current state of these products. With `wait` (the default) return only once every
        Meilisearch task has succeeded; otherwise the caller waits for `result.tasks`."""
        result = ApplyResult()
        ids = list(product_ids)
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            products = await self.store.products.get_many(chunk)
            await self._write(index_uid, products, {str(i) for i in chunk}, guard_versions, result)
        if wait:
            await self.meili.wait_tasks(result.tasks, timeout=120)
            result.tasks.clear()
        return result

    async def _write(
        self,
        index_uid: str,
        products: list[Product],
        requested: set[str],
        guard_versions: bool,
        result: ApplyResult,
    ) -> None:
        producers = {p.id: p for p in await self.store.producers.get_many(list({p.producer_id for p in products}))}
        documents = [
            product_document(p, producers[p.producer_id])
            for p in products
            if is_indexed(p) and p.producer_id in producers
        ]
        keep = {d["id"] for d in documents}
        to_delete = sorted(requested - keep)
        if guard_versions and documents:
            current = await self._indexed_versions(index_uid, [d["id"] for d in documents])
            fresh = []
            for doc in documents:
                seen = current.get(doc["id"])
                if seen is not None and all(seen.get(f, 0) >= doc[f] for f in VERSION_FIELDS):
                    result.skipped += 1  # never let an older version overwrite a newer one
                else:
                    fresh.append(doc)
            documents = fresh
        if documents:
            result.tasks.append(await self.meili.add_documents(index_uid, documents))
            result.upserted += len(documents)
        if to_delete:
            result.tasks.append(await self.meili.delete_documents(index_uid, to_delete))
            result.deleted += len(to_delete)

    async def _indexed_versions(self, index_uid: str, ids: list[str]) -> dict[str, dict[str, Any]]:
        quoted = ", ".join(f'"{i}"' for i in ids)
        body = await self.meili.fetch_documents(
            index_uid, ["id", *VERSION_FIELDS], filter=f"id IN [{quoted}]", limit=len(ids)
        )
        return {row["id"]: row for row in body["results"]}

    async def all_indexable_ids(self) -> AsyncIterator[list[ObjectId]]:
        cursor = self.store.products.collection.find(
            {"status": {"$ne": ProductStatus.ARCHIVED.value}}, {"_id": 1}, batch_size=BATCH
        )
        chunk: list[ObjectId] = []
        async for doc in cursor:
            chunk.append(doc["_id"])
            if len(chunk) >= BATCH:
                yield chunk
                chunk = []
        if chunk:
            yield chunk
