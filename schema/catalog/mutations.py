"""Catalog mutations. Each returns its object and `errors`; the rules live in market.catalog."""

from collections.abc import Awaitable
from typing import TYPE_CHECKING

import strawberry
from strawberry.types import Info

from market import catalog, models
from schema.catalog.inputs import (
    CreateProducerInput,
    CreateProductInput,
    UpdateProducerInput,
    UpdateProductInput,
    sent_fields,
)
from schema.catalog.types import Producer, Product
from schema.errors import UserError, attempt
from schema.pagination import decode_global_id

if TYPE_CHECKING:
    from schema.context import Context


@strawberry.type
class ProducerPayload:
    producer: Producer | None
    errors: list[UserError]


@strawberry.type
class ProductPayload:
    product: Product | None
    errors: list[UserError]


async def _producer_payload(work: Awaitable[models.Producer]) -> ProducerPayload:
    record, errors = await attempt(work)
    return ProducerPayload(producer=Producer.from_record(record) if record else None, errors=errors)


async def _product_payload(work: Awaitable[models.Product]) -> ProductPayload:
    record, errors = await attempt(work)
    return ProductPayload(product=Product.from_record(record) if record else None, errors=errors)


@strawberry.type
class CatalogMutation:
    @strawberry.mutation(description="Register a producer (admins and the province's OCOP office).")
    async def create_producer(self, info: Info["Context", None], input: CreateProducerInput) -> ProducerPayload:
        ctx = info.context
        return await _producer_payload(catalog.create_producer(ctx.store, ctx.require_viewer(), sent_fields(input)))

    @strawberry.mutation
    async def update_producer(
        self,
        info: Info["Context", None],
        id: strawberry.ID,
        expected_version: int,
        input: UpdateProducerInput,
    ) -> ProducerPayload:
        ctx = info.context
        viewer = ctx.require_viewer()

        async def work() -> models.Producer:
            producer_id = decode_global_id(id, "Producer", "id")
            return await catalog.update_producer(ctx.store, viewer, producer_id, expected_version, sent_fields(input))

        return await _producer_payload(work())

    @strawberry.mutation(description="Create a DRAFT product of a producer you belong to.")
    async def create_product(self, info: Info["Context", None], input: CreateProductInput) -> ProductPayload:
        ctx = info.context
        viewer = ctx.require_viewer()

        async def work() -> models.Product:
            data = sent_fields(input)
            data["producerId"] = decode_global_id(input.producer_id, "Producer", "producerId")
            return await catalog.create_product(ctx.store, viewer, data)

        return await _product_payload(work())

    @strawberry.mutation
    async def update_product(
        self, info: Info["Context", None], id: strawberry.ID, expected_version: int, input: UpdateProductInput
    ) -> ProductPayload:
        ctx = info.context
        viewer = ctx.require_viewer()

        async def work() -> models.Product:
            product_id = decode_global_id(id, "Product", "id")
            return await catalog.update_product(ctx.store, viewer, product_id, expected_version, sent_fields(input))

        return await _product_payload(work())

    @strawberry.mutation(description="Make a product public (and searchable).")
    async def publish_product(
        self, info: Info["Context", None], id: strawberry.ID, expected_version: int | None = None
    ) -> ProductPayload:
        ctx = info.context
        viewer = ctx.require_viewer()

        async def work() -> models.Product:
            return await catalog.publish_product(
                ctx.store, viewer, decode_global_id(id, "Product", "id"), expected_version
            )

        return await _product_payload(work())

    @strawberry.mutation(description="Withdraw a product from the catalog and from search.")
    async def archive_product(
        self, info: Info["Context", None], id: strawberry.ID, expected_version: int | None = None
    ) -> ProductPayload:
        ctx = info.context
        viewer = ctx.require_viewer()

        async def work() -> models.Product:
            return await catalog.archive_product(
                ctx.store, viewer, decode_global_id(id, "Product", "id"), expected_version
            )

        return await _product_payload(work())
