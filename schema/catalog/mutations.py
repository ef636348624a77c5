"""Catalog mutations. Each returns its object and `errors`; the rules live in market.catalog."""

from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from market.catalog import services as catalog
from schema.catalog.inputs import (
    CreateProducerInput,
    CreateProductInput,
    UpdateProducerInput,
    UpdateProductInput,
    product_fields,
    sent_fields,
)
from schema.catalog.types import Producer, Product
from schema.errors import UserError, returns_user_errors
from schema.pagination import decode_global_id, global_id

if TYPE_CHECKING:
    from schema.context import Context

ERRORS = "Why nothing was written; empty on success."
EXPECTED_VERSION = (
    "The `version` you last read. If the record has changed since, nothing is written and `errors` holds CONFLICT."
)
OPTIONAL_VERSION = f"{EXPECTED_VERSION} Omit it to act whatever the current version."
PRODUCER_ID = Annotated[strawberry.ID, strawberry.argument(description="The Producer id.")]
PRODUCT_ID = Annotated[strawberry.ID, strawberry.argument(description="The Product id.")]
# Written once for the four mutations of an existing product, which refuse it the same ways.
PRODUCT_ERRORS = (
    "NOT_FOUND (no such product, or one you may not see), INVALID (`id` is not a Product id), FORBIDDEN (you are "
    "neither one of its producer's members nor an admin), CONFLICT (stale `expectedVersion`)"
)


@strawberry.type(description="The result of a producer mutation: the producer, or the errors.")
class ProducerPayload:
    producer: Producer | None = strawberry.field(
        default=None, description="The producer as saved; null when `errors` is not empty."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="The result of a product mutation: the product, or the errors.")
class ProductPayload:
    product: Product | None = strawberry.field(
        default=None, description="The product as saved; null when `errors` is not empty."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="The result of `deleteProduct`: the id of the product removed, or the errors.")
class DeleteProductPayload:
    deleted_id: strawberry.ID | None = strawberry.field(
        default=None, description="The Product id that was deleted; null when `errors` is not empty."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type
class CatalogMutation:
    @strawberry.mutation(
        description="Register a producer. Admins, and the OCOP office of the producer's province. `errors`: "
        "REQUIRED, TOO_LONG, INVALID, UNKNOWN_PROVINCE, FORBIDDEN, DUPLICATE (the name is taken in that province)."
    )
    @returns_user_errors(ProducerPayload)
    async def create_producer(
        self,
        info: Info["Context", None],
        input: Annotated[CreateProducerInput, strawberry.argument(description="The producer's details.")],
    ) -> ProducerPayload:
        ctx = info.context
        record = await catalog.create_producer(ctx.store, ctx.require_viewer(), sent_fields(input))
        return ProducerPayload(producer=Producer.from_record(record))

    @strawberry.mutation(
        description="Change a producer's profile. Its own members, the OCOP office of its province, and admins; "
        "only the office or an admin may change `verified` or move it to another province. `errors`: NOT_FOUND, "
        "INVALID, FORBIDDEN, CONFLICT, REQUIRED, TOO_LONG, UNKNOWN_PROVINCE, DUPLICATE."
    )
    @returns_user_errors(ProducerPayload)
    async def update_producer(
        self,
        info: Info["Context", None],
        id: PRODUCER_ID,
        expected_version: Annotated[int, strawberry.argument(description=EXPECTED_VERSION)],
        input: Annotated[UpdateProducerInput, strawberry.argument(description="The fields to change.")],
    ) -> ProducerPayload:
        ctx = info.context
        viewer = ctx.require_viewer()
        producer_id = decode_global_id(id, "Producer", "id")
        record = await catalog.update_producer(ctx.store, viewer, producer_id, expected_version, sent_fields(input))
        return ProducerPayload(producer=Producer.from_record(record))

    @strawberry.mutation(
        description="Create a DRAFT product of a producer you belong to (admins: of any producer). `errors`: "
        "REQUIRED, INVALID, OUT_OF_RANGE, TOO_LONG, UNKNOWN_PROVINCE, NOT_FOUND (`producerId`), FORBIDDEN, "
        "DUPLICATE (`externalId`)."
    )
    @returns_user_errors(ProductPayload)
    async def create_product(
        self,
        info: Info["Context", None],
        input: Annotated[CreateProductInput, strawberry.argument(description="The product's details.")],
    ) -> ProductPayload:
        ctx = info.context
        viewer = ctx.require_viewer()
        data = product_fields(input)
        data["producerId"] = decode_global_id(input.producer_id, "Producer", "producerId")
        return ProductPayload(product=Product.from_record(await catalog.create_product(ctx.store, viewer, data)))

    @strawberry.mutation(
        description="Change a product; a published one stays published and its search entry follows within a "
        "second. Its producer's members and admins. `errors`: " + PRODUCT_ERRORS + ", INVALID_STATE (archived), "
        "REQUIRED, OUT_OF_RANGE, TOO_LONG, UNKNOWN_PROVINCE, DUPLICATE (`externalId`)."
    )
    @returns_user_errors(ProductPayload)
    async def update_product(
        self,
        info: Info["Context", None],
        id: PRODUCT_ID,
        expected_version: Annotated[int, strawberry.argument(description=EXPECTED_VERSION)],
        input: Annotated[UpdateProductInput, strawberry.argument(description="The fields to change.")],
    ) -> ProductPayload:
        ctx = info.context
        viewer = ctx.require_viewer()
        product_id = decode_global_id(id, "Product", "id")
        record = await catalog.update_product(ctx.store, viewer, product_id, expected_version, product_fields(input))
        return ProductPayload(product=Product.from_record(record))

    @strawberry.mutation(
        description="Make a DRAFT or ARCHIVED product public; it is searchable within a second. Its producer's "
        "members and admins. `errors`: " + PRODUCT_ERRORS + ", INVALID_STATE (already published)."
    )
    @returns_user_errors(ProductPayload)
    async def publish_product(
        self,
        info: Info["Context", None],
        id: PRODUCT_ID,
        expected_version: Annotated[int | None, strawberry.argument(description=OPTIONAL_VERSION)] = None,
    ) -> ProductPayload:
        ctx = info.context
        viewer = ctx.require_viewer()
        record = await catalog.publish_product(
            ctx.store, viewer, decode_global_id(id, "Product", "id"), expected_version
        )
        return ProductPayload(product=Product.from_record(record))

    @strawberry.mutation(
        description="Withdraw a product from the catalog and from search; `publishProduct` brings it back. Its "
        "producer's members and admins. `errors`: " + PRODUCT_ERRORS + ", INVALID_STATE (already archived)."
    )
    @returns_user_errors(ProductPayload)
    async def archive_product(
        self,
        info: Info["Context", None],
        id: PRODUCT_ID,
        expected_version: Annotated[int | None, strawberry.argument(description=OPTIONAL_VERSION)] = None,
    ) -> ProductPayload:
        ctx = info.context
        viewer = ctx.require_viewer()
        record = await catalog.archive_product(
            ctx.store, viewer, decode_global_id(id, "Product", "id"), expected_version
        )
        return ProductPayload(product=Product.from_record(record))

    @strawberry.mutation(
        description="Delete a product that was never published and has no lots or documents; `productChanges` "
        "lists the deletion. A product that buyers may have seen is not deleted: archive it. Its producer's members "
        "and admins. `errors`: " + PRODUCT_ERRORS + ", INVALID_STATE (it has been published, or has lots or "
        "documents)."
    )
    @returns_user_errors(DeleteProductPayload)
    async def delete_product(
        self,
        info: Info["Context", None],
        id: PRODUCT_ID,
        expected_version: Annotated[int, strawberry.argument(description=EXPECTED_VERSION)],
    ) -> DeleteProductPayload:
        ctx = info.context
        viewer = ctx.require_viewer()
        deleted = await catalog.delete_product(
            ctx.store, viewer, decode_global_id(id, "Product", "id"), expected_version
        )
        return DeleteProductPayload(deleted_id=strawberry.ID(global_id("Product", str(deleted))))
