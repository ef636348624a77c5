"""A shorter path through graphql-core for fields whose value is read straight off the object.

Most of a result page is such fields: a search page is edges of products (name, price, stars...) and lists
of facet counts, all plain attributes. For each field graphql-core builds a resolve-info object, calls
Strawberry's resolver wrapper (for a node's `id`, with argument conversion and an `Info` object) and walks
its generic value completion; with a few hundred fields a page, that was the largest cost of a search
after Meilisearch itself.

A field is *direct* when Strawberry would only read an attribute for it: no resolver, arguments, permission
classes or field extensions (or it is the default `Node.id`). A field with a plain synchronous resolver
method that takes no arguments but `self` and perhaps `info` is direct too: it is called as Strawberry would
call it, with one `Info` made per field of a selection rather than per object. Such resolvers only read
(see `schema.loaders.ready`: a nested object already loaded comes back at once, anything else as an
awaitable, which hands the object back).

An object whose selected fields are all direct is completed here in one recursive walk: attributes are read
or resolvers called, scalars and enums coerced, lists and nested objects walked the same way. Anything
unusual (a null in a non-null field, a failed coercion, a field with another kind of resolver or a
directive, an abstract type, a deferred fragment, a list that is not a list, an awaitable) abandons the walk
for that object, and graphql-core completes it from the start, so results and errors are exactly
Strawberry's (tests/test_execution.py runs the same queries both ways). The walk has no side effects, so
redoing an object costs time only.
"""

from __future__ import annotations

import inspect
import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import strawberry
from graphql import (
    GRAPHQL_MAX_INT,
    GRAPHQL_MIN_INT,
    GraphQLBoolean,
    GraphQLField,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfoHelpers,
    GraphQLString,
    Undefined,
    get_named_type,
    is_leaf_type,
)
from graphql.execution.executor import to_nodes
from graphql.pyutils import Path
from strawberry import relay
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.arguments import convert_arguments
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.cast import TYPE_CAST_ATTRIBUTE
from strawberry.types.field import StrawberryField

# Key in a GraphQLField's `extensions` under which its reader and completer are kept.
DIRECT = "ocop-direct"

_NODE_ID_RESOLVER = relay.Node.__dict__["_id"].__func__
_MISSED = object()  # "the general path must complete this"
_MAX_CLASSES = 64  # classes remembered per object type: a bound, though a schema's types have a few each


@dataclass(slots=True)
class ShortPathCounts:
    """How often the short path was taken in this process, and how often it handed an object back: a test
    and /metrics show when a Strawberry or graphql-core upgrade makes it stop being taken."""

    objects: int = 0  # objects completed in one walk
    fields: int = 0  # single direct fields of objects that also had other fields
    handed_back: int = 0  # walks abandoned for graphql-core to redo


COUNTS = ShortPathCounts()

Reader = Callable[[Any], Any]
# (execution context, parent type, the field's details) -> the field's reader in this selection
Binder = Callable[["DirectFieldsExecutionContext", GraphQLObjectType, Any], Reader]
# (execution context, the field's details, value) -> completed value or _MISSED
Completer = Callable[["DirectFieldsExecutionContext", Any, Any], Any]
DirectFields = list[tuple[str, Any, Reader, Completer]]


def _completer(return_type: GraphQLOutputType) -> Completer:
    """graphql-core's value completion for one type, unrolled once at start-up rather than walked for every
    value: null checks, list items, the object's type check and subfields, scalar and enum coercion."""
    if isinstance(return_type, GraphQLNonNull):
        inner = _completer(return_type.of_type)

        def non_null(context: DirectFieldsExecutionContext, details: Any, value: Any) -> Any:
            return _MISSED if value is None else inner(context, details, value)

        return non_null
    if isinstance(return_type, GraphQLList):
        item = _completer(return_type.of_type)

        def list_(context: DirectFieldsExecutionContext, details: Any, value: Any) -> Any:
            if value is None:
                return None
            if type(value) is not list and type(value) is not tuple:
                return _MISSED  # generators and the like: graphql-core knows them
            items = []
            for each in value:
                completed = item(context, details, each)
                if completed is _MISSED:
                    return _MISSED
                items.append(completed)
            return items

        return list_
    if isinstance(return_type, GraphQLObjectType):
        object_type = return_type
        is_type_of = object_type.is_type_of
        # class -> whether Strawberry's `is_type_of` accepts its instances: without a cast (which marks one
        # instance), its answer depends on the class alone, and an abstract base's isinstance is slow.
        accepted: dict[type, bool] = {}

        def object_(context: DirectFieldsExecutionContext, details: Any, value: Any) -> Any:
            if value is None:
                return None
            if is_type_of is not None:
                if getattr(value, TYPE_CAST_ATTRIBUTE, None) is None:
                    kind = type(value)
                    ok = accepted.get(kind)
                    if ok is None:
                        ok = _accepts(is_type_of, value)
                        if len(accepted) < _MAX_CLASSES:
                            accepted[kind] = ok
                else:
                    ok = _accepts(is_type_of, value)
                if not ok:
                    return _MISSED
            fields = context._object_fields(object_type, details)
            return _MISSED if fields is None else context._complete_object(fields, value)

        return object_
    coerce = return_type.coerce_output_value  # type: ignore[union-attr]

    def leaf(context: DirectFieldsExecutionContext, details: Any, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, Exception):
            return _MISSED
        try:
            coerced = coerce(value)
        except Exception:
            return _MISSED
        return _MISSED if coerced is None or coerced is Undefined else coerced

    if coerce is GraphQLInt.coerce_output_value:

        def int_(context: DirectFieldsExecutionContext, details: Any, value: Any) -> Any:
            # graphql-core answers such a value with itself; anything else takes its coercion (below).
            if type(value) is int and GRAPHQL_MIN_INT <= value <= GRAPHQL_MAX_INT:
                return value
            return leaf(context, details, value)

        return int_
    unchanged = _UNCHANGED.get(coerce)
    if unchanged is not None:

        def same(context: DirectFieldsExecutionContext, details: Any, value: Any) -> Any:
            return value if type(value) is unchanged else leaf(context, details, value)

        return same

    return leaf


# graphql-core's output coercions that answer any value of exactly this type with the value itself.
_UNCHANGED: dict[Callable[[Any], Any], type] = {
    GraphQLString.coerce_output_value: str,
    GraphQLBoolean.coerce_output_value: bool,
}


def _accepts(is_type_of: Callable[[Any, Any], Any], value: Any) -> bool:
    try:
        return is_type_of(value, None) is True
    except Exception:
        return False


# type -> whether its instances are awaitable: looking up a missing `__await__` walks the type's MRO and
# raises inside getattr, which a page of a thousand fields would pay a thousand times.
_AWAITABLE_TYPES: dict[type, bool] = {}


def _pending(value: Any) -> bool:
    """Whether a resolver answered with an awaitable (what it needs is not loaded yet): graphql-core then
    resolves the field again and awaits that. A coroutine that will not be awaited is closed unstarted."""
    kind = type(value)
    awaitable = _AWAITABLE_TYPES.get(kind)
    if awaitable is None:
        awaitable = _AWAITABLE_TYPES[kind] = getattr(kind, "__await__", None) is not None
    if not awaitable:
        return False
    if inspect.iscoroutine(value):
        value.close()
    return True


def _node_id_reader(origin: type[relay.Node], type_name: str) -> Reader | None:
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


def _fixed(read: Reader) -> Binder:
    return lambda context, parent_type, details: read


def _resolver_binder(schema: strawberry.Schema, field: GraphQLField, definition: Any) -> Binder | None:
    """A plain synchronous resolver method of `self` (and `info`) without arguments, permissions or field
    extensions, called as Strawberry calls it."""
    resolver = definition.base_resolver
    if resolver is None or resolver.is_async or definition.extensions or definition.permission_classes:
        return None
    func = resolver.wrapped_func
    if not inspect.isfunction(func) or inspect.isgeneratorfunction(func):
        return None  # static and class methods, bound methods, generators
    names = [p.name for p in resolver.signature.parameters.values()]
    if names == ["self"]:
        return _fixed(func)
    if names != ["self", "info"] or resolver.signature.parameters["info"].kind is inspect.Parameter.POSITIONAL_ONLY:
        return None
    info_class = schema.config.info_class

    def bind(context: DirectFieldsExecutionContext, parent_type: GraphQLObjectType, details: Any) -> Reader:
        # One Info serves every object of the selection: resolvers read the request from it, not the path.
        nodes = to_nodes(details)
        path = Path(None, nodes[0].name.value, parent_type.name)
        info = info_class(_raw_info=context.build_resolve_info(field, nodes, parent_type, path), _field=definition)
        return lambda source: func(source, info=info)

    return bind


def _reader(schema: strawberry.Schema, graphql_type: GraphQLObjectType, field: GraphQLField) -> Binder | None:
    definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if definition is None or field.args:
        return None
    if getattr(field.resolve, "_is_default", False):  # Strawberry's marker for a field without resolver
        return _fixed(attrgetter(definition.python_name))
    origin_definition = graphql_type.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if (
        definition.python_name == "_id"
        and definition.origin is relay.Node
        and isinstance(origin_definition, StrawberryObjectDefinition)
        and issubclass(origin_definition.origin, relay.Node)
        and definition.base_resolver is not None
        and getattr(definition.base_resolver.wrapped_func, "__func__", None) is _NODE_ID_RESOLVER
        and not definition.extensions
    ):
        read = _node_id_reader(origin_definition.origin, graphql_type.name)
        return None if read is None else _fixed(read)
    return _resolver_binder(schema, field, definition)


def mark_direct_fields(schema: strawberry.Schema) -> int:
    """Mark the fields the short path may take. Returns how many were marked."""
    if schema.config.default_resolver is not getattr:
        return 0  # the short path reads attributes as Strawberry's default resolver does
    marked = 0
    for graphql_type in schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
            continue
        for field in graphql_type.fields.values():
            named = get_named_type(field.type)
            if not (is_leaf_type(named) or isinstance(named, GraphQLObjectType)):
                continue  # interfaces and unions need type resolution
            bind = _reader(schema, graphql_type, field)
            if bind is not None:
                field.extensions[DIRECT] = (bind, _completer(field.type))
                marked += 1
    return marked


def _lean_resolver(schema: strawberry.Schema, definition: StrawberryField) -> Callable[..., Any] | None:
    """The field's resolver called as Strawberry calls it (arguments converted, `self`, `root`, `parent` and
    `info` passed as its signature asks), without Strawberry's wrapping for field extensions, permission
    classes and exception handlers, when the field has none of them."""
    resolver = definition.base_resolver
    converter = schema.schema_converter
    if (
        resolver is None
        or definition.extensions
        or definition.permission_classes
        or type(definition).get_result is not StrawberryField.get_result
        or not inspect.isfunction(resolver.wrapped_func)
        or converter._get_field_exception_handlers(definition)
    ):
        return None
    func = resolver.wrapped_func
    arguments = definition.arguments
    config, registry, info_class = schema.config, converter.scalar_registry, schema.config.info_class
    takes_self = resolver.self_parameter is not None
    source_names = tuple(p.name for p in (resolver.parent_parameter, resolver.root_parameter) if p is not None)
    info_name = resolver.info_parameter.name if resolver.info_parameter is not None else None
    is_async = resolver.is_async

    def resolve(source: Any, info: Any, **raw: Any) -> Any:
        strawberry_info = info_class(_raw_info=info, _field=definition)
        try:
            kwargs = (
                convert_arguments(raw, arguments, scalar_registry=registry, config=config, info=strawberry_info)
                if arguments
                else {}
            )
        except Exception as exc:
            if is_async:  # Strawberry converts inside the coroutine: the error comes when it is awaited
                return _raise_when_awaited(exc)
            raise
        for name in source_names:
            kwargs[name] = source
        if info_name is not None:
            kwargs[info_name] = strawberry_info
        return func(source, **kwargs) if takes_self else func(**kwargs)

    return resolve


async def _raise_when_awaited(exc: Exception) -> Any:
    raise exc


def lean_resolvers(schema: strawberry.Schema) -> int:
    """Give the fields that allow it their lean resolver (above). Returns how many."""
    replaced = 0
    for graphql_type in schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
            continue
        for field in graphql_type.fields.values():
            definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if not isinstance(definition, StrawberryField) or definition.is_subscription:
                continue
            lean = _lean_resolver(schema, definition)
            if lean is not None:
                field.resolve = lean
                replaced += 1
    return replaced


def _helpers_of(context: DirectFieldsExecutionContext) -> GraphQLResolveInfoHelpers:
    """graphql-core's helpers for resolvers, holding the context weakly. Its own are bound methods of the
    context, which every resolve info carries: a reference cycle that left each request's whole object graph
    (its Context, loaders and every record loaded) to the cyclic garbage collector, whose collections under
    load cost more than many steps of a request (README, *Performance*). The context outlives every resolver
    that may call these: the execution's own coroutines hold it."""
    ref = weakref.ref(context)

    def gather(values: Sequence[Awaitable[Any]]) -> Awaitable[list[Any]]:
        return _alive(ref).gather_async_work(values)

    def track(values: Sequence[Any]) -> None:
        _alive(ref).track_async_work(values)

    return GraphQLResolveInfoHelpers(gather=gather, track=track)


def _alive(ref: weakref.ref[DirectFieldsExecutionContext]) -> DirectFieldsExecutionContext:
    context = ref()
    if context is None:
        raise RuntimeError("the execution this resolver belongs to has ended")
    return context


class DirectFieldsExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.async_helpers = _helpers_of(self)
        # Schema extensions that wrap every resolver (tracing, directives) must see every field.
        self._short_path = not (self.middleware_manager and self.middleware_manager.middlewares)
        # id(grouped field set) -> (the set, kept alive so that its id is not reused; its fields if all direct)
        self._direct_sets: dict[int, tuple[Any, DirectFields | None]] = {}
        # id(field details) -> (the details, kept alive likewise, the object type; its fields if all direct)
        self._object_sets: dict[int, tuple[Any, GraphQLObjectType, DirectFields | None]] = {}
        # id(field details) -> (the details, kept alive likewise; the field's reader and completer if direct)
        self._direct_details: dict[int, tuple[Any, tuple[Reader, Completer] | None]] = {}

    def __copy__(self) -> DirectFieldsExecutionContext:
        """graphql-core copies a context for each event of a subscription and for deferred work: a copy's
        helpers hold the copy, which its own coroutines keep alive."""
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone.async_helpers = _helpers_of(clone)
        return clone

    def _object_fields(self, object_type: GraphQLObjectType, details: Any) -> DirectFields | None:
        """The direct fields an object of this type completes with, for this selection; None if any is not."""
        cached = self._object_sets.get(id(details))
        if cached is not None and cached[1] is object_type:
            return cached[2]
        grouped_field_set, new_defer_usages, _ = self.collect_subfields(object_type, details)
        fields = None if new_defer_usages else self._direct_fields(object_type, grouped_field_set)
        self._object_sets[id(details)] = (details, object_type, fields)
        return fields

    def _direct_fields(self, parent_type: GraphQLObjectType, grouped_field_set: Any) -> DirectFields | None:
        cached = self._direct_sets.get(id(grouped_field_set))
        if cached is not None:
            return cached[1]
        fields: DirectFields | None = []
        for response_name, field_details_list in grouped_field_set.items():
            direct = self._direct(parent_type, field_details_list)
            if direct is None:
                fields = None
                break
            fields.append((response_name, field_details_list, *direct))  # type: ignore[union-attr]
        self._direct_sets[id(grouped_field_set)] = (grouped_field_set, fields)
        return fields

    def _direct(self, parent_type: GraphQLObjectType, field_details_list: Any) -> tuple[Reader, Completer] | None:
        """The field's reader and completer when it is direct and carries no directive, else None."""
        cached = self._direct_details.get(id(field_details_list))
        if cached is not None:
            return cached[1]
        direct = None
        if not any(details.node.directives for details in field_details_list):
            field = self.schema.get_field(parent_type, field_details_list[0].node.name.value)
            marked = field.extensions.get(DIRECT) if field else None
            if marked is not None:
                bind, complete = marked
                direct = (bind(self, parent_type, field_details_list), complete)
        self._direct_details[id(field_details_list)] = (field_details_list, direct)
        return direct

    def _complete_object(self, fields: DirectFields, source: Any) -> Any:
        results = {}
        for response_name, field_details_list, read, complete in fields:
            try:
                value = read(source)
            except Exception:
                return _MISSED
            if _AWAITABLE_TYPES.get(type(value), True) and _pending(value):  # the lookup spares most a call
                return _MISSED
            completed = complete(self, field_details_list, value)
            if completed is _MISSED:
                return _MISSED
            results[response_name] = completed
        return results

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: Any,
        position_context: Any,
    ) -> Any:
        if self._short_path and path is not None:  # the root's fields go the general way
            fields = self._direct_fields(parent_type, grouped_field_set)
            if fields is not None:
                completed = self._complete_object(fields, source_value)
                if completed is not _MISSED:
                    COUNTS.objects += 1
                    return completed
                COUNTS.handed_back += 1
        return super().execute_fields(parent_type, source_value, path, grouped_field_set, position_context)

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Path,
        position_context: Any,
    ) -> Any:
        """A direct field of an object that has other fields too."""
        direct = self._direct(parent_type, field_details_list) if self._short_path else None
        if direct is not None:
            read, complete = direct
            try:
                value = read(source)
                completed = _MISSED if _pending(value) else complete(self, field_details_list, value)
            except Exception:
                completed = _MISSED
            if completed is not _MISSED:
                COUNTS.fields += 1
                return completed
            COUNTS.handed_back += 1
        return super().execute_field(parent_type, source, field_details_list, path, position_context)
