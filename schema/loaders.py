"""DataLoaders, created per request (in the context) so batching never leaks data across viewers.

Every node type has one, and every nested field that points to a node loads it through it, so a page of N
objects costs one query per kind of record, whatever N is. Loaders hand back records; whether the viewer may
see one is the domain policy's question, asked by the node type.
"""

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Iterable, Sequence
from functools import cached_property
from typing import Any, TypeVar

from bson import ObjectId
from strawberry.dataloader import DataLoader, WrongNumberOfResultsReturned

from market.accounts.records import BuyerOrg
from market.catalog.documents import Document
from market.catalog.lots import Lot
from market.catalog.records import Producer, Product
from market.store import Store
from market.trade.records import Deal, Inquiry, Quotation, SampleRequest, TradeEvent

T = TypeVar("T", bound=Any)
K = TypeVar("K")
V = TypeVar("V")


def _held(loader: DataLoader[K, V], key: K) -> Any:
    """The loader's future for the key when it holds the key's value (settled, without error), else None."""
    future = loader.cache_map.get(key) if loader.cache else None
    if future is not None and future.done() and not future.cancelled() and future.exception() is None:
        return future
    return None


async def _settle(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


def ready(loader: DataLoader[K, V], key: K, then: Callable[[V], Any]) -> Any:
    """`then(value)` at once when the loader already holds the key's value, else an awaitable of it.

    A nested field of a list page whose records a resolver loaded ahead (schema/prefetch.py) is then
    resolved without a coroutine, a task and a turn of the event loop per object: the short execution path
    (schema/execution.py) completes the whole page in one walk. `then` may itself answer with an awaitable."""
    held = _held(loader, key)
    if held is not None:
        return then(held.result())

    async def later() -> Any:
        return await _settle(then(await loader.load(key)))

    return later()


def ready_many(loader: DataLoader[K, V], keys: Sequence[K], then: Callable[[list[V]], Any]) -> Any:
    """`ready` for several keys: at once when the loader holds every one."""
    values = []
    for key in keys:
        held = _held(loader, key)
        if held is None:

            async def later() -> Any:
                return await _settle(then(await loader.load_many(keys)))

            return later()
        values.append(held.result())
    return then(values)


async def load_ahead(loader: DataLoader[K, V], keys: Iterable[K]) -> list[V]:
    """The values of `keys`, in their order, loaded into `loader` as its own `load_many` would, but with one
    call of its batch function for the keys it neither holds nor awaits yet, and no task, callback or
    gather per key: a page loaded ahead (schema/prefetch.py) reads hundreds of keys. Those keys wait in the
    loader while they load, so a concurrent `load` or `load_ahead` of one of them awaits it rather than
    fetching it again; a failed batch fails them as the loader would (tests/unit/test_load_ahead.py)."""
    keys = list(keys)
    cache = loader.cache_map
    waiting: dict[K, asyncio.Future[V]] = {}
    for key in keys:
        held = cache.get(key)
        if (held is None or held.cancelled()) and key not in waiting:
            waiting[key] = asyncio.get_running_loop().create_future()
            cache.set(key, waiting[key])
    if waiting:
        try:
            values = list(await loader.load_fn(list(waiting)))
            if len(values) != len(waiting):
                raise WrongNumberOfResultsReturned(expected=len(waiting), received=len(values))
        except Exception as exc:
            for future in waiting.values():
                _settle_future(future, exc)
            raise
        except BaseException:  # cancelled: a later load of these keys fetches them again, as the loader's would
            for future in waiting.values():
                future.cancel()
            raise
        for future, value in zip(waiting.values(), values, strict=True):
            _settle_future(future, value)
    futures = [cache.get(key) for key in keys]
    if all(f is not None and f.done() and not f.cancelled() for f in futures):
        return [f.result() for f in futures]  # type: ignore[union-attr]
    return await loader.load_many(keys)  # some are loading elsewhere, or were cancelled: the loader's way


def _settle_future(future: asyncio.Future[V], value: V | BaseException) -> None:
    if future.done():
        return
    if isinstance(value, BaseException):
        future.set_exception(value)
        future.exception()  # retrieved here: whoever awaits it still gets it, and asyncio logs nothing
    else:
        future.set_result(value)


def _by_id(
    fetch: Callable[[list[ObjectId]], Awaitable[list[T]]],
) -> Callable[[list[ObjectId]], Awaitable[list[T | None]]]:
    async def load(ids: Sequence[ObjectId]) -> list[T | None]:
        found = {item.id: item for item in await fetch(list(set(ids)))}
        return [found.get(i) for i in ids]

    return load


def _grouped(store: Store) -> Callable[[list[ObjectId]], Awaitable[list[list[Quotation]]]]:
    async def load(inquiry_ids: Sequence[ObjectId]) -> list[list[Quotation]]:
        by_inquiry: dict[ObjectId, list[Quotation]] = {i: [] for i in inquiry_ids}
        for quotation in await store.trade.quotations_of(list(set(inquiry_ids))):
            by_inquiry.setdefault(quotation.inquiry_id, []).append(quotation)
        return [by_inquiry[i] for i in inquiry_ids]

    return load


def _documents_by(
    fetch: Callable[[list[ObjectId]], Awaitable[list[Document]]], key: Callable[[Document], ObjectId | None]
) -> Callable[[list[ObjectId]], Awaitable[list[list[Document]]]]:
    async def load(owner_ids: Sequence[ObjectId]) -> list[list[Document]]:
        grouped: dict[ObjectId, list[Document]] = {i: [] for i in owner_ids}
        for document in await fetch(list(set(owner_ids))):
            owner = key(document)
            if owner is not None:
                grouped.setdefault(owner, []).append(document)
        return [grouped[i] for i in owner_ids]

    return load


class Loaders:
    """One DataLoader per kind of record, each made on first use: most requests need one or none."""

    def __init__(self, store: Store) -> None:
        self._store = store

    @classmethod
    def create(cls, store: Store) -> "Loaders":
        return cls(store)

    @cached_property
    def producer(self) -> DataLoader[ObjectId, Producer | None]:
        return DataLoader(load_fn=_by_id(self._store.producers.get_many))

    @cached_property
    def product(self) -> DataLoader[ObjectId, Product | None]:
        return DataLoader(load_fn=_by_id(self._store.products.get_many))

    async def products_with_makers(self, ids: Sequence[ObjectId]) -> None:
        """Load products not held yet together with their producers, in one query, into both loaders."""
        missing = [i for i in dict.fromkeys(ids) if not _held(self.product, i)]
        if not missing:
            return
        found = {p.id: (p, maker) for p, maker in await self._store.products.get_many_with_makers(missing)}
        for product_id in missing:
            product, maker = found.get(product_id, (None, None))
            self.product.prime(product_id, product)
            if product is not None:
                self.producer.prime(product.producer_id, maker)

    @cached_property
    def buyer_org(self) -> DataLoader[ObjectId, BuyerOrg | None]:
        return DataLoader(load_fn=_by_id(self._store.buyers.get_many))

    @cached_property
    def inquiry(self) -> DataLoader[ObjectId, Inquiry | None]:
        return DataLoader(load_fn=_by_id(self._store.trade.inquiries_by_id))

    @cached_property
    def quotation(self) -> DataLoader[ObjectId, Quotation | None]:
        return DataLoader(load_fn=_by_id(self._store.trade.quotations_by_id))

    @cached_property
    def deal(self) -> DataLoader[ObjectId, Deal | None]:
        return DataLoader(load_fn=_by_id(self._store.trade.deals_by_id))

    @cached_property
    def trade_event(self) -> DataLoader[ObjectId, TradeEvent | None]:
        return DataLoader(load_fn=_by_id(self._store.trade.events_by_id))

    @cached_property
    def quotations_by_inquiry(self) -> DataLoader[ObjectId, list[Quotation]]:
        return DataLoader(load_fn=_grouped(self._store))

    @cached_property
    def document(self) -> DataLoader[ObjectId, Document | None]:
        return DataLoader(load_fn=_by_id(self._store.documents.get_many))

    @cached_property
    def documents_by_product(self) -> DataLoader[ObjectId, list[Document]]:
        return DataLoader(load_fn=_documents_by(self._store.documents.of_products, lambda d: d.product_id))

    @cached_property
    def documents_by_producer(self) -> DataLoader[ObjectId, list[Document]]:
        """A producer's own documents, not its products'."""
        return DataLoader(load_fn=_documents_by(self._store.documents.of_producers, lambda d: d.producer_id))

    @cached_property
    def lot(self) -> DataLoader[ObjectId, Lot | None]:
        return DataLoader(load_fn=_by_id(self._store.lots.get_many))

    @cached_property
    def sample_request(self) -> DataLoader[ObjectId, SampleRequest | None]:
        return DataLoader(load_fn=_by_id(self._store.sample_requests.get_many))
