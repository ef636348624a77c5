"""Operations whose document is already parsed and validated, run straight on graphql-core.

Strawberry runs every operation through its extension machinery: a context manager per hook and per
extension, an execution context, a middleware manager. For a document the cache already holds, valid, those
steps decide nothing, yet cost about a tenth of a light request's CPU. Such an operation is executed here
with the work of our three extensions done inline: the document comes from the cache (DocumentCache, which
validated it under RequestLimits' rules), and the operation is named in the request record
(ObserveOperation). Everything else (a first sight of a document, a syntax or validation error, a
subscription, a traced process) takes Strawberry's full path, whose answers these match.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError, OperationDefinitionNode, execute
from graphql import OperationType as CoreOperationType
from strawberry.execution import optimized_is_awaitable
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType

from schema.document_cache import DocumentStore
from schema.observability import CURRENT, Operation, describe

if TYPE_CHECKING:
    from schema import Schema

_TYPES = {
    CoreOperationType.QUERY: OperationType.QUERY,
    CoreOperationType.MUTATION: OperationType.MUTATION,
    CoreOperationType.SUBSCRIPTION: OperationType.SUBSCRIPTION,
}
# Strawberry's check, quicker than graphql-core's; annotated as returning a bool rather than a TypeGuard.
_IS_AWAITABLE: Any = optimized_is_awaitable


@dataclass(frozen=True, slots=True)
class Prepared:
    """A cached, valid document and the one operation of it a request runs."""

    document: Any
    operation_type: OperationType
    described: Operation | None


def prepared(documents: DocumentStore, query: str | None, operation_name: str | None) -> Prepared | None:
    """The request's operation if its document is cached and valid and names one operation unambiguously."""
    if not query:
        return None
    entry = documents.peek(query)  # counted as a hit below, or by Strawberry's path when it is not used here
    if entry is None or entry.errors is None or entry.errors:
        return None
    known = entry.operations.get(operation_name)
    if known is None:
        known = _operation(entry.document, operation_name)
        if known is None:
            return None
        # Only names the document holds are kept: a client cannot grow the entry with names of its own.
        entry.operations[operation_name] = known
    documents.get(query)
    return known


def _operation(document: Any, operation_name: str | None) -> Prepared | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None:
        chosen = operations[0] if len(operations) == 1 else None
    else:
        chosen = next((o for o in operations if o.name is not None and o.name.value == operation_name), None)
    if chosen is None:
        return None  # Strawberry's path answers with the right error
    return Prepared(document, _TYPES[chosen.operation], describe(document, operation_name))


async def run(
    schema: Schema,
    ready: Prepared,
    query: str,
    variable_values: dict[str, Any] | None,
    context_value: Any,
    root_value: Any,
    operation_name: str | None,
    allowed_operation_types: Iterable[OperationType],
    operation_extensions: dict[str, Any] | None,
) -> ExecutionResult:
    record = CURRENT.get()
    if record is not None and ready.described is not None:
        record.operations.append(ready.described)
    try:
        outcome = execute(
            schema._schema,
            ready.document,
            root_value=root_value,
            context_value=context_value,
            variable_values=variable_values,
            operation_name=operation_name,
            is_awaitable=_IS_AWAITABLE,
            executor_class=schema.execution_context_class,
            operation_extensions=operation_extensions,
        )
        result = await outcome if isinstance(outcome, Awaitable) else outcome
        data, errors = result.data, result.errors
    except Exception as exc:  # as Strawberry does: an error of the operation, not of the transport
        data, errors = None, [exc if isinstance(exc, GraphQLError) else GraphQLError(str(exc), original_error=exc)]
    if errors:
        context = ExecutionContext(
            query=query,
            schema=schema,
            allowed_operations=allowed_operation_types,
            context=context_value,
            root_value=root_value,
            variables=variable_values,
            provided_operation_name=operation_name,
            operation_extensions=operation_extensions,
        )
        context.graphql_document = ready.document
        schema.process_errors(errors, context)
        errors = schema.masked(errors)
    return ExecutionResult(data=data, errors=errors or None, extensions={})
