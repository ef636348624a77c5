"""Parsed and validated documents, kept between requests with their size bounded in bytes.

Strawberry's ParserCache and ValidationCache bound the number of documents only, and a parsed document
takes about a hundred times its text in memory (every token is kept for error locations): 512 documents of
4 MB would hold gigabytes. Here a document is cached only when its text is short, and the cache drops the
least recently used documents once their texts add up to more than a budget.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from graphql import DocumentNode, GraphQLError, OperationDefinitionNode, parse
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionContext

MAX_CACHED_QUERY = 8 * 1024  # characters; longer documents are parsed and validated every time
CACHE_BUDGET = 256 * 1024  # characters of query text over all cached documents
MAX_ENTRIES = 512


@dataclass(slots=True)
class _Entry:
    document: DocumentNode
    errors: list[GraphQLError] | None = None  # validation's answer, once known
    # By operation name: the operation a request runs (schema/prepared.py), for the names the document holds.
    operations: dict[str | None, Any] = field(default_factory=dict)


@dataclass
class DocumentStore:
    """One schema's cache, shared by its requests."""

    budget: int = CACHE_BUDGET
    max_entries: int = MAX_ENTRIES
    _entries: OrderedDict[str, _Entry] = field(default_factory=OrderedDict)
    _size: int = 0
    hits: int = 0
    parses: int = 0
    validations: int = 0

    def get(self, query: str) -> _Entry | None:
        entry = self._entries.get(query)
        if entry is not None:
            self.hits += 1
            self._entries.move_to_end(query)
        return entry

    def peek(self, query: str) -> _Entry | None:
        """The entry, if any, without counting a hit or refreshing it: for a caller that may not use it."""
        return self._entries.get(query)

    def put(self, query: str, entry: _Entry) -> bool:
        """Keep the document if it is short enough; whether it is kept."""
        if len(query) > MAX_CACHED_QUERY:
            return False
        if query in self._entries:
            return True
        self._entries[query] = entry
        self._size += len(query)
        while self._size > self.budget or len(self._entries) > self.max_entries:
            old, _ = self._entries.popitem(last=False)
            self._size -= len(old)
        return True

    @property
    def size(self) -> int:
        return self._size

    def __len__(self) -> int:
        return len(self._entries)


class DocumentCache(SchemaExtension):
    def __init__(self, documents: DocumentStore) -> None:
        self.documents = documents
        self.entry: _Entry | None = None
        self.cached = True

    def on_operation(self) -> Iterator[None]:
        yield
        if not self.cached and self.entry is not None:
            _unlink_tokens(self.entry.document)

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        query = context.query or ""
        self.entry = self.documents.get(query)
        if self.entry is None:
            self.documents.parses += 1
            try:
                document = parse(query, **context.parse_options)
            except GraphQLError:
                # Strawberry parses it again and reports the syntax error on every transport (raised from
                # here, a subscription would end without telling the client why).
                yield
                return
            self.entry = _Entry(document)
            self.cached = self.documents.put(query, self.entry)
        context.graphql_document = self.entry.document
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        entry = self.entry
        if entry is None or entry.document is not context.graphql_document:
            entry = _Entry(context.graphql_document)  # type: ignore[arg-type]
        if entry.errors is None:
            self.documents.validations += 1
            entry.errors = validate_document(context.schema._schema, entry.document, context.validation_rules)
        context.pre_execution_errors = entry.errors or _operation_choice(context)
        yield


def _operation_choice(context: ExecutionContext) -> list[GraphQLError]:
    """A document with several operations needs `operationName`. Strawberry would otherwise run the first one
    (its execution context falls back to the first operation's name), which may be a mutation the client did
    not mean to send."""
    named = getattr(context, "_provided_operation_name", None)
    document = context.graphql_document
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)] if document else []
    if named is None and len(operations) > 1:
        return [GraphQLError("Must provide operationName when the document contains several operations.")]
    return []


def _unlink_tokens(document: DocumentNode) -> None:
    """The lexer links a document's tokens both ways, a cycle that only the collector frees: a long document
    (its text and every token) would outlive its request until the next collection. Cutting the links lets
    reference counting free it as soon as the request lets go of it."""
    token = document.loc.start_token if document.loc is not None else None
    while token is not None:
        following = token.next
        token.prev = token.next = None
        token = following
