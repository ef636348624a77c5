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
from schema.nodes import object_ids
from schema.selection import node_fields, top_fields

if TYPE_CHECKING:
    from schema.context import Context


async def _products_and_makers(info: Info["Context", None], ids: list[Any], makers_too: bool) -> None:
    loaders = info.context.loaders
    products = await loaders.product.load_many(ids)
    if makers_too:
        await loaders.producer.load_many([p.producer_id for p in products if p is not None])


async def inquiries_ahead(info: Info["Context", None], inquiries: list[trade.Inquiry]) -> None:
    node = node_fields(info)
    loaders = info.context.loaders
    loads: list[Awaitable[Any]] = []
    if "product" in node:
        makers_too = "producer" in node["product"]
        ids = [i.product_id for i in inquiries if i.product_id is not None]
        loads.append(_products_and_makers(info, ids, makers_too))
    if "buyerOrganisation" in node:
        loads.append(loaders.buyer_org.load_many([i.buyer_org_id for i in inquiries]))
    if "quotations" in node:
        loads.append(loaders.quotations_by_inquiry.load_many([i.id for i in inquiries]))
    # Quotations are shown by their producer's province: those are invited producers.
    if "quotations" in node or "producer" in node.get("invitations", {}):
        loads.append(loaders.producer.load_many([v.producer_id for i in inquiries for v in i.invitations]))
    if loads:
        await asyncio.gather(*loads)


async def deals_ahead(info: Info["Context", None], deals: list[trade.Deal]) -> None:
    node = node_fields(info)
    loaders = info.context.loaders
    loads: list[Awaitable[Any]] = []
    if "product" in node:
        makers_too = "producer" in node["product"]
        loads.append(_products_and_makers(info, [d.product_id for d in deals if d.product_id], makers_too))
    if "buyerOrganisation" in node:
        loads.append(loaders.buyer_org.load_many([d.buyer_org_id for d in deals]))
    if "producer" in node:
        loads.append(loaders.producer.load_many([d.producer_id for d in deals]))
    if loads:
        await asyncio.gather(*loads)


async def product_ahead(info: Info["Context", None], node_id: str) -> None:
    """`product(id)` with its `producer` selected: the two records in one query rather than one after the other."""
    if "producer" in top_fields(info):
        ids = [i for i in object_ids([node_id]) if i is not None]
        if ids:
            await info.context.loaders.products_with_makers(ids)


async def producers_ahead(info: Info["Context", None], products: list[catalog.Product]) -> None:
    """The producers of a page of products, when their `producer` is selected."""
    if products and "producer" in node_fields(info):
        await info.context.loaders.producer.load_many([p.producer_id for p in products])
