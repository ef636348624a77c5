"""What a GraphQL request did, for the API's request log, metrics and traces (api/observe.py).

The API opens a `RequestRecord` for each HTTP request and keeps it in `CURRENT` while the request runs; the
schema fills it in. `ObserveOperation` names the operation and its type, and `Schema.process_errors` hands
over the errors' codes and the unexpected errors, whose tracebacks then go into the request's one log line
instead of lines of their own.

Error codes are also counted for the whole process in `ERRORS`, as the short path's hits are in
`schema.execution.COUNTS`: that counts operations over WebSocket too, which have no request record.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    SelectionSetNode,
    get_operation_ast,
)
from strawberry.extensions import SchemaExtension

from schema.errors import CLIENT_CODES

# An error without a code is what production masks as INTERNAL_SERVER_ERROR; it is counted as one in dev too.
UNEXPECTED = "INTERNAL_SERVER_ERROR"
OTHER = "other"
# Codes are the schema's own, but an extension or a future resolver could set anything: a bound keeps the
# metric's series few whatever happens.
MAX_CODES = 64
_CODE = re.compile(r"[A-Z][A-Z0-9_]{0,47}")

ERRORS: dict[str, int] = {}


class Operation(NamedTuple):
    type: str  # query, mutation, subscription
    name: str | None
    root_fields: tuple[str, ...]  # of an unnamed operation

    @property
    def label(self) -> str:
        """The operation's name, else its root fields (`products+searchProducts`): clients that send
        unnamed documents mostly send a handful of shapes, and the fields say which."""
        return self.name or "+".join(self.root_fields)


@dataclass(slots=True)
class RequestRecord:
    request_id: str
    operations: list[Operation] = field(default_factory=list)  # those parsed; several in a batch
    error_codes: list[str] = field(default_factory=list)
    faults: list[GraphQLError] = field(default_factory=list)  # errors that are bugs, not the client's doing


CURRENT: ContextVar[RequestRecord | None] = ContextVar("ocop_request", default=None)


def note_error_code(code: str) -> None:
    """Count one error by its code, and add it to the current request's."""
    if not (code in ERRORS or (len(ERRORS) < MAX_CODES and _CODE.fullmatch(code))):
        code = OTHER
    ERRORS[code] = ERRORS.get(code, 0) + 1
    if (record := CURRENT.get()) is not None:
        record.error_codes.append(code)


def _code(error: GraphQLError) -> str:
    code = error.extensions.get("code") if error.extensions else None
    return code if isinstance(code, str) else UNEXPECTED


def note_errors(errors: Sequence[GraphQLError], unexpected: Sequence[GraphQLError]) -> bool:
    """Count `errors` by code (after `schema.errors.classify` gave them one). True when an HTTP request is
    under way and took `unexpected` (the subset that are bugs) to log with its line."""
    for error in errors:
        note_error_code(_code(error))
    record = CURRENT.get()
    if record is None:
        return False
    record.faults.extend(unexpected)
    return True


def describe(document: DocumentNode | None, name: str | None) -> Operation | None:
    """The operation of `document` that `name` selects, None if none is."""
    operation = get_operation_ast(document, name) if document is not None else None
    if operation is None:
        return None
    if operation.name is not None:
        return Operation(operation.operation.value, operation.name.value, ())
    return Operation(operation.operation.value, None, _root_fields(document, operation.selection_set))  # type: ignore[arg-type]


def _root_fields(document: DocumentNode, selection_set: SelectionSetNode) -> tuple[str, ...]:
    names: set[str] = set()
    fragments: dict[str, FragmentDefinitionNode] | None = None
    seen: set[str] = set()

    def walk(selections: SelectionSetNode) -> None:
        nonlocal fragments
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                names.add(selection.name.value)
            elif isinstance(selection, InlineFragmentNode):
                walk(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
                seen.add(selection.name.value)
                if fragments is None:
                    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
                if (fragment := fragments.get(selection.name.value)) is not None:
                    walk(fragment.selection_set)

    walk(selection_set)
    return tuple(sorted(names))


class ObserveOperation(SchemaExtension):
    """Names the operation in the request record and, with tracing on, wraps it in a span.

    It has no `resolve` hook on purpose: a schema extension with one (Strawberry's OpenTelemetryExtension
    is such) wraps every resolver in graphql-core middleware, and the short execution path steps aside for
    any middleware (schema/execution.py), so every field would go the slow way."""

    def __init__(self, tracer: Any = None) -> None:
        self.tracer = tracer

    def on_operation(self) -> Iterator[None]:
        span = self._start_span() if self.tracer is not None else None
        try:
            yield
        finally:
            record = CURRENT.get()
            if record is not None or span is not None:
                context = self.execution_context
                described = describe(context.graphql_document, context.operation_name)
                if record is not None and described is not None:
                    record.operations.append(described)
                if span is not None:
                    self._end_span(span, described)

    def _start_span(self) -> tuple[Any, object]:
        from opentelemetry import context, trace

        span = self.tracer.start_span("GraphQL operation")  # renamed once the document is known
        return span, context.attach(trace.set_span_in_context(span))

    def _end_span(self, started: tuple[Any, object], described: Operation | None) -> None:
        from opentelemetry import context
        from opentelemetry.trace import Status, StatusCode

        span, token = started
        context.detach(token)  # type: ignore[arg-type]
        if described is not None:
            span.update_name(f"{described.type} {described.label}".rstrip())
            span.set_attribute("graphql.operation.type", described.type)
            if described.name is not None:
                span.set_attribute("graphql.operation.name", described.name)
        errors = self.execution_context.pre_execution_errors or []
        codes = [_code(e) for e in errors]
        if codes:
            span.set_attribute("ocop.graphql.error_codes", codes)
        faults = [e for e, c in zip(errors, codes, strict=True) if c not in CLIENT_CODES]
        for fault in faults:
            span.record_exception(fault.original_error or fault)
        if faults:
            span.set_status(Status(StatusCode.ERROR, faults[0].message[:200]))
        span.end()
