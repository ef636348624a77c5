"""The GraphQL schema, assembled from one module per domain."""

import strawberry
from graphql import GraphQLError
from strawberry import relay
from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig

from market.errors import DomainError
from schema.accounts.types import AccountQuery
from schema.catalog.mutations import CatalogMutation
from schema.catalog.queries import CatalogQuery
from schema.catalog.search import SearchQuery
from schema.catalog.types import BuyerOrganisation, Producer, Product
from schema.errors import Unauthenticated
from schema.scalars import SCALARS

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 5000


@strawberry.type
class Query(CatalogQuery, SearchQuery, AccountQuery):
    node: relay.Node | None = relay.node(description="Fetch any object by its global id.")
    nodes: list[relay.Node | None] = relay.node(description="Fetch several objects by global id.")


@strawberry.type
class Mutation(CatalogMutation):
    pass


def _expected(error: GraphQLError) -> bool:
    """Client-facing failures, not bugs: they are neither logged as errors nor masked."""
    original = error.original_error
    return original is None or isinstance(original, (DomainError, Unauthenticated))


class Schema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: object = None) -> None:
        unexpected = [e for e in errors if not _expected(e)]
        if unexpected:
            super().process_errors(unexpected, execution_context)  # type: ignore[arg-type]


def build_schema(*, production: bool = False) -> strawberry.Schema:
    # Limiter instances are built once here, not per request, so the validation cache stays effective.
    extensions: list[object] = [
        ParserCache(maxsize=512),
        ValidationCache(maxsize=512),
        QueryDepthLimiter(max_depth=MAX_DEPTH),
        MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        MaxTokensLimiter(max_token_count=MAX_TOKENS),
    ]
    if production:
        from strawberry.extensions import DisableIntrospection, MaskErrors

        extensions += [DisableIntrospection(), MaskErrors(should_mask_error=lambda e: not _expected(e))]
    return Schema(
        query=Query,
        mutation=Mutation,
        types=[Product, Producer, BuyerOrganisation],
        extensions=extensions,  # type: ignore[arg-type]
        config=StrawberryConfig(relay_max_results=100),
        scalar_overrides=SCALARS,
    )
