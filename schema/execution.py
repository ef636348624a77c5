"""A shorter path through graphql-core for fields whose value is read straight off the object: plain
attributes of a scalar or enum type, and the global `id` of Relay nodes.

Most of a result page is such fields (a product's id, name, price, stars...). For each one graphql-core
builds a resolve-info object, calls Strawberry's resolver wrapper (for `id`, with argument conversion and
an `Info` object), and walks the generic value completion. These fields need none of it: the value is an
attribute, and completing it is coercing it to its type. The execution context below does exactly that,
and hands every other field, and every value that would raise an error (a missing attribute, a null in a
non-null field, a failed coercion), back to the general path, so results and errors are unchanged
(tests/test_execution.py runs the same queries both ways).
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any, NamedTuple

import strawberry
from graphql import GraphQLField, GraphQLLeafType, GraphQLNonNull, GraphQLObjectType, Undefined, is_leaf_type
from graphql.pyutils import Path
from strawberry import relay
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.base import StrawberryObjectDefinition

# Key in a GraphQLField's `extensions` under which its `DirectField` is kept.
DIRECT = "ocop-direct"


_NODE_ID_RESOLVER = relay.Node.__dict__["_id"].__func__


class DirectField(NamedTuple):
    read: Callable[[Any], Any]
    leaf: GraphQLLeafType
    non_null: bool


def _node_id_reader(origin: type[relay.Node], type_name: str) -> Callable[[Any], relay.GlobalID] | None:
    """`Node.id` as Strawberry resolves it, for node types that keep its default `resolve_id` and
    `resolve_typename`."""
    node = relay.Node
    if (
        getattr(origin.resolve_id, "__func__", None) is not node.resolve_id.__func__  # type: ignore[attr-defined]
        or getattr(origin.resolve_typename, "__func__", None) is not node.resolve_typename.__func__  # type: ignore[attr-defined]
    ):
        return None
    id_of = attrgetter(origin.resolve_id_attr())

    def read(source: Any) -> relay.GlobalID:
        if not isinstance(source, origin):
            raise TypeError("not a node")  # the general path resolves it from the schema
        return relay.GlobalID(type_name=type_name, node_id=str(id_of(source)))

    return read


def _reader(graphql_type: GraphQLObjectType, field: GraphQLField) -> Callable[[Any], Any] | None:
    definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if definition is None or field.args:
        return None
    if getattr(field.resolve, "_is_default", False):  # Strawberry's marker for a field without resolver
        return attrgetter(definition.python_name)
    origin_definition = graphql_type.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if (
        definition.python_name == "_id"
        and isinstance(origin_definition, StrawberryObjectDefinition)
        and issubclass(origin_definition.origin, relay.Node)
        and definition.origin is relay.Node
        and definition.base_resolver is not None
        and getattr(definition.base_resolver.wrapped_func, "__func__", None) is _NODE_ID_RESOLVER
        and not definition.extensions
    ):
        return _node_id_reader(origin_definition.origin, graphql_type.name)
    return None


def mark_direct_fields(schema: strawberry.Schema) -> int:
    """Mark the fields the short path may take. Returns how many were marked."""
    if schema.config.default_resolver is not getattr:
        return 0  # the short path reads attributes as Strawberry's default resolver does
    marked = 0
    for graphql_type in schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
            continue
        for field in graphql_type.fields.values():
            non_null = isinstance(field.type, GraphQLNonNull)
            leaf = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
            if not is_leaf_type(leaf):
                continue
            read = _reader(graphql_type, field)
            if read is not None:
                field.extensions[DIRECT] = DirectField(read, leaf, non_null)
                marked += 1
    return marked


_MISSED = object()


def _complete(direct: DirectField, source: Any) -> Any:
    """The field's completed value, or _MISSED when the general path must produce it (or the error)."""
    try:
        value = direct.read(source)
        if value is None:
            return _MISSED if direct.non_null else None
        if isinstance(value, Exception):
            return _MISSED
        coerced = direct.leaf.coerce_output_value(value)
    except Exception:
        return _MISSED
    return _MISSED if coerced is None or coerced is Undefined else coerced


class DirectFieldsExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # id(grouped field set) -> (the set, kept alive so that its id is not reused; its fields if all direct)
        self._direct_sets: dict[int, tuple[Any, list[tuple[str, DirectField]] | None]] = {}

    def _direct_fields(
        self, parent_type: GraphQLObjectType, grouped_field_set: Any
    ) -> list[tuple[str, DirectField]] | None:
        cached = self._direct_sets.get(id(grouped_field_set))
        if cached is not None:
            return cached[1]
        fields: list[tuple[str, DirectField]] | None = []
        for response_name, field_details_list in grouped_field_set.items():
            direct = self._direct(parent_type, field_details_list)
            if direct is None:
                fields = None
                break
            fields.append((response_name, direct))  # type: ignore[union-attr]
        self._direct_sets[id(grouped_field_set)] = (grouped_field_set, fields)
        return fields

    def _direct(self, parent_type: GraphQLObjectType, field_details_list: Any) -> DirectField | None:
        field = self.schema.get_field(parent_type, field_details_list[0].node.name.value)
        return field.extensions.get(DIRECT) if field else None

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: Any,
        position_context: Any,
    ) -> Any:
        """An object whose selected fields are all direct is completed in one loop."""
        fields = self._direct_fields(parent_type, grouped_field_set)
        if fields is not None:
            results = {}
            for response_name, direct in fields:
                value = _complete(direct, source_value)
                if value is _MISSED:
                    break
                results[response_name] = value
            else:
                return results
        return super().execute_fields(parent_type, source_value, path, grouped_field_set, position_context)

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Path,
        position_context: Any,
    ) -> Any:
        direct = self._direct(parent_type, field_details_list)
        if direct is not None:
            value = _complete(direct, source)
            if value is not _MISSED:
                return value
        return super().execute_field(parent_type, source, field_details_list, path, position_context)
