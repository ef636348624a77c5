"""Catalog mutations. Each returns its object and `errors`; the rules live in market.catalog."""

from typing import TYPE_CHECKING

import strawberry
from strawberry.types import Info

from market.catalog import services as catalog
from schema.catalog.inputs import (
    CreateProducerInput,
    CreateProductInput,
    UpdateProducerInput,
    UpdateProductInput,
    sent_fields,
)
from schema.catalog.types import Producer, Product
from schema.errors import UserError, returns_user_errors
from schema.pagination import decode_global_id

if TYPE_CHECKING:
    from schema.context import Context


@strawberry.type
class ProducerPayload:
    producer: Producer | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ProductPayload:
    product: Product | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CatalogMutation:
    @strawberry.mutation(description="Register a producer (admins and the province's OCOP office).")
    @returns_user_errors(ProducerPayload)
    async def create_producer(self, info: Info["Context", None], input: CreateProducerInput) -> ProducerPayload:
        ctx = info.context
        record = await catalog.create_producer(ctx.store, ctx.require_viewer(), sent_fields(input))
        return ProducerPayload(producer=Producer.from_record(record))

    @strawberry.mutation
    @returns_user_errors(ProducerPayload)
    async def update_producer(
        self,
        info: Info["Context", None],
        id: strawberry.ID,
        expected_version: int,
        input: UpdateProducerInput,
    ) -> ProducerPayload:
        ctx = info.context
        viewer = ctx.require_viewer()
        producer_id = decode_global_id(id, "Producer", "id")
        record = await catalog.update_producer(ctx.store, viewer, producer_id, expected_version, sent_fields(input))
        return ProducerPayload(producer=Producer.from_record(record))

    @strawberry.mutation(description="Create a DRAFT product of a producer you belong to.")
    @returns_user_errors(ProductPayload)
    async def create_product(self, info: Info["Context", None], input: CreateProductInput) -> ProductPayload:
        ctx = info.context
        viewer = ctx.require_viewer()
        data = sent_fields(input)
        data["producerId"] = decode_global_id(input.producer_id, "Producer", "producerId")
        return ProductPayload(product=Product.from_record(await catalog.create_product(ctx.store, viewer, data)))

    @strawberry.mutation
    @returns_user_errors(ProductPayload)
    async def update_product(
        self, info: Info["Context", None], id: strawberry.ID, expected_version: int, input: UpdateProductInput
    ) -> ProductPayload:
        ctx = info.context
        viewer = ctx.require_viewer()
        product_id = decode_global_id(id, "Product", "id")
        record = await catalog.update_product(ctx.store, viewer, product_id, expected_version, sent_fields(input))
        return ProductPayload(product=Product.from_record(record))

    @strawberry.mutation(description="Make a product public (and searchable).")
    @returns_user_errors(ProductPayload)
    async def publish_product(
        self, info: Info["Context", None], id: strawberry.ID, expected_version: int | None = None
    ) -> ProductPayload:
        ctx = info.context
        viewer = ctx.require_viewer()
        record = await catalog.publish_product(
            ctx.store, viewer, decode_global_id(id, "Product", "id"), expected_version
        )
        return ProductPayload(product=Product.from_record(record))

    @strawberry.mutation(description="Withdraw a product from the catalog and from search.")
    @returns_user_errors(ProductPayload)
    async def archive_product(
        self, info: Info["Context", None], id: strawberry.ID, expected_version: int | None = None
    ) -> ProductPayload:
        ctx = info.context
        viewer = ctx.require_viewer()
        record = await catalog.archive_product(
            ctx.store, viewer, decode_global_id(id, "Product", "id"), expected_version
        )
        return ProductPayload(product=Product.from_record(record))
