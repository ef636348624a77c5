"""Loading ahead what the selected fields of a product, or of a page of products, inquiries or deals, will
read.

Resolved one object at a time, an inbox page of 50 inquiries with their product, its producer, the invited
producers and the quotations awaits about 200 nested fields, each a coroutine, a task and a turn of the event
loop in graphql-core: most of the API's CPU for such a page. Loaded here, a query per kind of record for the
whole page and no more than the page needs, those fields find their records in the request's loaders and
answer at once (schema.loaders.ready), and the short execution path walks the page in one go.
"""

import asyncio
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from strawberry.types import Info

from market.catalog import records as catalog
from market.trade import records as trade
from schema.loaders import load_ahead
from schema.nodes import object_ids
from schema.selection import node_fields, top_fields

if TYPE_CHECKING:
    from schema.context import Context


async def _ahead(
    info: Info["Context", None],
    node: dict[str, Any],
    product_ids: list[Any],
    producer_ids: list[Any],
    other: list[Awaitable[Any]],
) -> None:
    """Products (when `product` is selected) and the other loads at once; then, in one query, the given
    producers with those of the products when `product { producer }` is selected."""
    loaders = info.context.loaders
    loads = list(other)
    if "product" in node:
        loads.insert(0, load_ahead(loaders.product, product_ids))
    loaded = await asyncio.gather(*loads) if loads else []
    if "product" in node and "producer" in node["product"]:
        producer_ids = producer_ids + [p.producer_id for p in loaded[0] if p is not None]
    if producer_ids:
        await load_ahead(loaders.producer, producer_ids)


async def inquiries_ahead(info: Info["Context", None], inquiries: list[trade.Inquiry]) -> None:
    node = node_fields(info)
    loaders = info.context.loaders
    other: list[Awaitable[Any]] = []
    if "buyerOrganisation" in node:
        other.append(load_ahead(loaders.buyer_org, [i.buyer_org_id for i in inquiries]))
    if "quotations" in node:
        other.append(load_ahead(loaders.quotations_by_inquiry, [i.id for i in inquiries]))
    # Quotations are shown by their producer's province: those are invited producers.
    invited = "quotations" in node or "producer" in node.get("invitations", {})
    producer_ids = [v.producer_id for i in inquiries for v in i.invitations] if invited else []
    product_ids = [i.product_id for i in inquiries if i.product_id is not None]
    await _ahead(info, node, product_ids, producer_ids, other)


async def deals_ahead(info: Info["Context", None], deals: list[trade.Deal]) -> None:
    node = node_fields(info)
    loaders = info.context.loaders
    other: list[Awaitable[Any]] = []
    if "buyerOrganisation" in node:
        other.append(load_ahead(loaders.buyer_org, [d.buyer_org_id for d in deals]))
    producer_ids = [d.producer_id for d in deals] if "producer" in node else []
    await _ahead(info, node, [d.product_id for d in deals if d.product_id], producer_ids, other)


async def product_ahead(info: Info["Context", None], node_id: str) -> None:
    """`product(id)` with its `producer` selected: the two records in one query rather than one after the other."""
    if "producer" in top_fields(info):
        ids = [i for i in object_ids([node_id]) if i is not None]
        if ids:
            await info.context.loaders.products_with_makers(ids)


async def producers_ahead(info: Info["Context", None], products: list[catalog.Product]) -> None:
    """The producers of a page of products, when their `producer` is selected."""
    if products and "producer" in node_fields(info):
        await load_ahead(info.context.loaders.producer, [p.producer_id for p in products])
