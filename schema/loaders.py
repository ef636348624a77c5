"""DataLoaders, created per request (in the context) so batching never leaks data across viewers."""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from bson import ObjectId
from strawberry.dataloader import DataLoader

from market.models import BuyerOrg, Producer, Product
from market.store import Store
from market.trade import Quotation

T = TypeVar("T", bound=Any)


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


@dataclass
class Loaders:
    producer: DataLoader[ObjectId, Producer | None]
    product: DataLoader[ObjectId, Product | None]
    buyer_org: DataLoader[ObjectId, BuyerOrg | None]
    quotations_by_inquiry: DataLoader[ObjectId, list[Quotation]]

    @classmethod
    def create(cls, store: Store) -> "Loaders":
        return cls(
            producer=DataLoader(load_fn=_by_id(store.producers.get_many)),
            product=DataLoader(load_fn=_by_id(store.products.get_many)),
            buyer_org=DataLoader(load_fn=_by_id(store.buyers.get_many)),
            quotations_by_inquiry=DataLoader(load_fn=_grouped(store)),
        )
