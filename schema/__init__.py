"""The GraphQL schema, assembled from one module per domain."""

import asyncio
from collections.abc import Callable, Iterable, Iterator
from typing import Annotated, Any

import strawberry
from graphql import ASTValidationRule, GraphQLError
from strawberry import relay
from strawberry.extensions import (
    DisableIntrospection,
    MaskErrors,
    SchemaExtension,
    max_aliases,
    query_depth_limiter,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.name_converter import NameConverter
from strawberry.schema.schema import DEFAULT_ALLOWED_OPERATION_TYPES, StrawberryGraphQLCoreExecutionContext
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType

from market.core.errors import DomainError
from market.core.paging import MAX_PAGE
from schema import prepared
from schema.accounts.audit import AuditQuery
from schema.accounts.identity import IdentityMutation
from schema.accounts.organisations import OrganisationMutation, OrganisationQuery
from schema.accounts.privacy import PrivacyMutation, PrivacyQuery
from schema.accounts.types import AccountMutation, AccountQuery
from schema.catalog.documents import Document, DocumentMutation
from schema.catalog.lots import Lot, LotMutation
from schema.catalog.mutations import CatalogMutation
from schema.catalog.queries import CatalogQuery
from schema.catalog.search import SearchQuery
from schema.catalog.transfer import TransferMutation, TransferQuery
from schema.catalog.types import BuyerOrganisation, Producer, Product
from schema.document_cache import DocumentCache, DocumentStore
from schema.errors import CLIENT_CODES, classify, localize
from schema.execution import DirectFieldsExecutionContext, lean_resolvers, mark_direct_fields
from schema.labels import LabelsQuery
from schema.notifications.alerts import AlertMutation, AlertQuery, RfqBoardFollow, SavedSearch
from schema.notifications.operations import NotificationMutation, NotificationQuery, NotificationSubscription
from schema.observability import ObserveOperation, note_errors
from schema.pagination import resolve_node
from schema.scalars import SCALARS
from schema.trade.approvals import ApprovalMutation, ApprovalQuery, PurchaseApproval
from schema.trade.operations import TradeMutation, TradeQuery
from schema.trade.samples import SampleMutation, SampleQuery, SampleRequest, SampleSubscription
from schema.trade.stats import StatsQuery
from schema.trade.subscriptions import TradeSubscription
from schema.trade.types import Deal, Inquiry, Quotation, TradeEvent

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 5000


@strawberry.type
class NodeQuery:
    # Plain resolvers rather than `relay.node()`: that field mutates itself when a schema is built, so a
    # second schema in the same process (production and dev, or a test) would fail to build.
    @strawberry.field(description="Fetch any object by its global id; null if it does not exist or is not yours.")
    async def node(
        self,
        info: strawberry.Info,
        id: Annotated[
            strawberry.ID,
            strawberry.argument(
                description="A global id, as any `id` field gives it; text that is not one is a top-level INVALID "
                "error."
            ),
        ],
    ) -> relay.Node | None:
        return await resolve_node(info, id, "id")

    @strawberry.field(description="Fetch several objects by global id, in order; null for each one not found.")
    async def nodes(
        self,
        info: strawberry.Info,
        ids: Annotated[
            list[strawberry.ID],
            strawberry.argument(description=f"Global ids, at most {MAX_PAGE} (a top-level OUT_OF_RANGE error beyond)."),
        ],
    ) -> list[relay.Node | None]:
        if len(ids) > MAX_PAGE:
            raise DomainError.of("too_many_ids", "ids", max=MAX_PAGE)
        return list(await asyncio.gather(*(resolve_node(info, i, f"ids[{n}]") for n, i in enumerate(ids))))


@strawberry.type(
    description="Reads. Without an API key you see what is public: the published catalogue, producers, provinces "
    "and trade events. With `Authorization: Bearer <key>` you see more, by your role. Bad arguments fail with a "
    "top-level error whose `extensions` hold `code` and `field`."
)
class Query(
    CatalogQuery,
    SearchQuery,
    AccountQuery,
    OrganisationQuery,
    AuditQuery,
    PrivacyQuery,
    TradeQuery,
    ApprovalQuery,
    SampleQuery,
    StatsQuery,
    TransferQuery,
    NodeQuery,
    LabelsQuery,
    NotificationQuery,
    AlertQuery,
):
    pass


@strawberry.type(
    description="Writes. Each needs an API key (a top-level UNAUTHENTICATED error without one). Business and "
    "validation failures come back in the payload's `errors`, and then nothing is written."
)
class Mutation(
    CatalogMutation,
    DocumentMutation,
    LotMutation,
    TransferMutation,
    TradeMutation,
    SampleMutation,
    ApprovalMutation,
    AccountMutation,
    IdentityMutation,
    OrganisationMutation,
    PrivacyMutation,
    NotificationMutation,
    AlertMutation,
):
    pass


@strawberry.type(
    description="Live updates over graphql-transport-ws on the same URL; send the API key in `connection_init`. "
    "Each subscriber gets only what it may see. To resume without missing anything, subscribe again with `after` "
    "set to the last cursor received."
)
class Subscription(TradeSubscription, SampleSubscription, NotificationSubscription):
    pass


def _expected(error: GraphQLError) -> bool:
    """Client mistakes and outages, not bugs: they are neither logged with a traceback nor masked."""
    return bool(error.extensions) and error.extensions.get("code") in CLIENT_CODES  # type: ignore[union-attr]


class Schema(strawberry.Schema):
    production: bool = False
    documents: DocumentStore
    # Off when operations are traced: the span is ObserveOperation's, on Strawberry's path.
    prepared_path: bool = True

    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        allowed = DEFAULT_ALLOWED_OPERATION_TYPES if allowed_operation_types is None else allowed_operation_types
        ready = prepared.prepared(self.documents, query, operation_name) if self.prepared_path else None
        if ready is None or ready.operation_type not in allowed or ready.operation_type is OperationType.SUBSCRIPTION:
            return await super().execute(
                query,
                variable_values,
                context_value,
                root_value,
                operation_name,
                allowed_operation_types,
                operation_extensions,
            )
        assert query is not None
        return await prepared.run(
            self,
            ready,
            query,
            variable_values,
            context_value,
            root_value,
            operation_name,
            allowed,
            operation_extensions,
        )

    def masked(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        """Errors as a client gets them: in production, unexpected ones masked."""
        return MaskUnexpectedErrors()._process_errors(errors) if self.production else errors

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        document = execution_context.graphql_document if execution_context is not None else None
        locale = getattr(execution_context.context, "locale", "en") if execution_context is not None else "en"
        for error in errors:
            classify(error, document, production=self.production)
            localize(error, locale)
        unexpected = [e for e in errors if not _expected(e)]
        # During an HTTP request the tracebacks go into the request's log line (api/observe.py).
        if not note_errors(errors, unexpected) and unexpected:
            super().process_errors(unexpected, execution_context)


class MaskUnexpectedErrors(MaskErrors):
    """Strawberry's masking, with a code clients can branch on."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda e: not _expected(e))

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        masked.extensions = {"code": "INTERNAL_SERVER_ERROR"}
        return masked


class RequestLimits(SchemaExtension):
    """The document limits in one extension: at most MAX_TOKENS tokens (checked by the parser), and the
    depth and alias rules added to validation. Strawberry's MaxTokensLimiter and AddValidationRules do the
    same as two extensions, and every extension costs each request its hook lookups."""

    def __init__(self, rules: tuple[type[ASTValidationRule], ...]) -> None:
        self.rules = rules

    def on_operation(self) -> Iterator[None]:
        self.execution_context.parse_options["max_tokens"] = MAX_TOKENS
        self.execution_context.validation_rules = self.execution_context.validation_rules + self.rules
        yield


class RememberedNames(NameConverter):
    """Camel-cases each Python name once. Strawberry asks for an argument's GraphQL name every time it
    converts the argument, on every request; the names are the schema's own, so the memory is bounded."""

    def __init__(self) -> None:
        super().__init__()
        self._names: dict[str, str] = {}

    def apply_naming_config(self, name: str) -> str:
        converted = self._names.get(name)
        if converted is None:
            converted = self._names[name] = super().apply_naming_config(name)
        return converted


def build_schema(
    *, production: bool = False, short_path: bool = True, max_batch: int = 10, tracer: object = None
) -> Schema:
    """The schema. `short_path=False` executes with Strawberry's own execution context only
    (OCOP_SHORT_PATH=false), for when an upgrade of Strawberry or graphql-core is in doubt. With an
    OpenTelemetry `tracer`, each operation is a span (schema/observability.py)."""
    # Limiter rules are built once here. Extensions are constructed per request, and a limiter extension
    # would build a new rule class each time, which changes the validation cache key and defeats the cache
    # (strawberry issue #4635); a stable tuple of rule classes keeps it effective.
    rules: tuple[type[ASTValidationRule], ...] = (
        query_depth_limiter.create_validator(MAX_DEPTH, None),
        max_aliases.create_validator(MAX_ALIASES),
    )
    documents = DocumentStore()
    extensions: list[Callable[[], SchemaExtension]] = [
        lambda: ObserveOperation(tracer),
        lambda: RequestLimits(rules),
        lambda: DocumentCache(documents),
    ]
    if production:
        extensions += [DisableIntrospection, MaskUnexpectedErrors]
    schema = Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[
            Product,
            Producer,
            BuyerOrganisation,
            Inquiry,
            Quotation,
            Deal,
            TradeEvent,
            PurchaseApproval,
            Document,
            Lot,
            SampleRequest,
            SavedSearch,
            RfqBoardFollow,
        ],
        extensions=extensions,
        config=StrawberryConfig(
            name_converter=RememberedNames(),
            relay_max_results=100,
            batching_config={"max_operations": max_batch} if max_batch else None,
        ),
        scalar_overrides=SCALARS,
        execution_context_class=DirectFieldsExecutionContext if short_path else StrawberryGraphQLCoreExecutionContext,
    )
    schema.production = production
    schema.documents = documents
    schema.prepared_path = tracer is None
    if short_path:
        mark_direct_fields(schema)
        lean_resolvers(schema)
    return schema
