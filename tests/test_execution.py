"""The short execution path for direct fields (schema/execution.py) gives the same data and the same errors
as Strawberry's own execution: on a small schema built to hit every edge (nulls, failed coercions,
custom node ids, fragments, directives, aliases), and on the real schema over the judged catalogue."""

from __future__ import annotations

import enum
import gc
import weakref
from types import SimpleNamespace

import pytest
import strawberry
from strawberry import relay
from strawberry.permission import BasePermission
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types import Info

from schema import build_schema
from schema.context import Context
from schema.execution import COUNTS, DIRECT, DirectFieldsExecutionContext, lean_resolvers, mark_direct_fields
from schema.loaders import Loaders
from search.service import ProductSearch
from tests.conftest import Catalogue


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    GREEN = "green"


class Never(BasePermission):
    message = "never"

    def has_permission(self, source: object, info: Info, **kwargs: object) -> bool:
        return False


@strawberry.input
class Picky:
    n: int

    def __post_init__(self) -> None:
        if self.n < 0:  # an input whose conversion fails: Strawberry raises it inside the async resolver
            raise ValueError("n must not be negative")


class Loud(str):
    """A str subclass: graphql-core gives it back as it is, and so must the short path."""


@strawberry.type
class Leaf:
    label: str
    size: int | None
    colour: Colour


@strawberry.type
class Thing(relay.Node):
    id: relay.NodeID[str]
    name: str
    count: int
    maybe: str | None
    must: str  # set to None on purpose in one object
    colour: Colour
    tags: list[str]
    leaf: Leaf
    leaves: list[Leaf]

    @strawberry.field
    def shout(self) -> str:
        return self.name.upper()

    @strawberry.field
    def greet(self, info: Info) -> str:
        return f"{info.field_name} {self.name}"

    @strawberry.field
    def repeat(self, times: int) -> str:
        return self.name * times

    @strawberry.field
    async def picky(self, p: Picky) -> int:
        return p.n

    @strawberry.field
    def picky_now(self, p: Picky) -> int:
        return p.n

    @strawberry.field(permission_classes=[Never])
    def secret(self) -> str:
        return "hidden"

    @strawberry.field
    def echo(root: Thing, info: Info, times: int = 1) -> str:
        return f"{info.field_name}:{root.name * times}"

    @strawberry.field
    async def pick(self, colour: Colour = Colour.GREEN, among: list[Colour] | None = None) -> str:
        return f"{colour.value} of {[c.value for c in among or []]}"

    @strawberry.field
    async def later(self) -> str:
        return self.name

    @strawberry.field
    def when_ready(self) -> str:
        """A value at once for the first thing, an awaitable for the other, as `schema.loaders.ready` gives."""
        if self.id == "1":
            return self.name
        return self.later()  # type: ignore[return-value]


@strawberry.type
class Custom(relay.Node):
    code: relay.NodeID[str]

    @classmethod
    def resolve_id(cls, root: Custom, *, info: Info) -> str:
        return f"custom-{root.code}"


def _things() -> list[Thing]:
    leaf = Leaf(label="a", size=None, colour=Colour.GREEN)
    odd_leaves = [
        Leaf(label=Loud("loud"), size=True, colour=Colour.RED),
        Leaf(label="big", size=2**31, colour=Colour.RED),
    ]  # type: ignore[arg-type]
    good = Thing(id="1", name="one", count=1, maybe=None, must="m", colour=Colour.RED, tags=["x", Loud("y")], leaf=leaf,
                 leaves=[leaf, Leaf(label="b", size=2, colour=Colour.RED), *odd_leaves])  # fmt: skip
    broken = Thing(id="2", name="two", count="not a number", maybe="y", must=None, colour="purple", tags=[],  # type: ignore[arg-type]
                   leaf=Leaf(label=None, size=3, colour=Colour.RED), leaves=[])  # type: ignore[arg-type]  # fmt: skip
    return [good, broken]


@strawberry.type
class Holder:
    things: list[Thing]
    first: Thing | None


@strawberry.type
class Query:
    @strawberry.field
    def things(self) -> list[Thing]:
        return _things()

    @strawberry.field
    def maybe_things(self) -> list[Thing | None]:
        return [*_things(), None]

    @strawberry.field
    def customs(self) -> list[Custom]:
        return [Custom(code="7")]

    nodes: list[relay.Node] = strawberry.field(default_factory=lambda: [*_things(), Custom(code="8")])
    holder: Holder = strawberry.field(default_factory=lambda: Holder(things=_things()[:1], first=None))
    # Not a Thing, though it has a `name`: graphql-core refuses it, so must the short path.
    odd_holder: Holder = strawberry.field(
        default_factory=lambda: Holder(things=[], first=SimpleNamespace(name="impostor"))  # type: ignore[arg-type]
    )
    # Of the impostor's class, but cast to a Thing: accepted, though the class's instances are not.
    cast_holder: Holder = strawberry.field(
        default_factory=lambda: Holder(things=[], first=strawberry.cast(Thing, SimpleNamespace(name="cast")))
    )


def _schema(execution_context: type) -> strawberry.Schema:
    """Ours (the short path and lean resolvers) with DirectFieldsExecutionContext, else Strawberry's own."""
    schema = strawberry.Schema(query=Query, types=[Custom], execution_context_class=execution_context)
    if execution_context is DirectFieldsExecutionContext:
        mark_direct_fields(schema)
        lean_resolvers(schema)
    return schema


QUERIES = [
    "{ things { id name count maybe must colour tags leaf { label size colour } leaves { label size colour } } }",
    "{ maybeThings { id name count colour } }",
    "{ maybeThings { id shout leaf { label } } }",
    "{ things { n: name again: name id id2: id __typename } }",
    "{ things { ...T leaf { ... on Leaf { label } } } } fragment T on Thing { name count }",
    "{ things { name @skip(if: true) count @include(if: false) id } }",
    "{ things { leaf { colour } } }",
    "{ customs { id code } }",
    "{ nodes { id ... on Thing { name leaf { label } } ... on Custom { code } } }",
    "{ holder { things { id name leaves { label size } } first { id } } }",
    "{ holder { things { name } ... on Holder { first { name } } } }",
    "{ oddHolder { first { name } } }",
    "{ things { shout greet whenReady leaf { label } } }",
    "{ holder { things { id greet later repeat(times: 2) whenReady } } }",
    "{ castHolder { first { name } } oddHolder { first { name } } }",  # a cast instance first: not a class's say
    "{ things { name secret } }",
    "{ things { a: picky(p: {n: -1}) name b: picky(p: {n: 2}) c: pickyNow(p: {n: -1}) } }",
    "{ holder { things { picky(p: {n: -1}) } first { id } } things { id } }",
    "{ things { echo e2: echo(times: 2) pick p2: pick(colour: RED, among: [GREEN, RED]) } }",
    "query($t: Int!, $c: Colour) { things { echo(times: $t) pick(colour: $c) } }",
]


@pytest.mark.parametrize("query", QUERIES)
async def test_same_result_as_strawberry(query: str) -> None:
    variables = {"t": 3, "c": "RED"}
    ours = await _schema(DirectFieldsExecutionContext).execute(query, variable_values=variables, root_value=Query())
    theirs = await _schema(StrawberryGraphQLCoreExecutionContext).execute(
        query, variable_values=variables, root_value=Query()
    )
    assert ours.data == theirs.data
    assert [(e.message, e.path) for e in ours.errors or []] == [(e.message, e.path) for e in theirs.errors or []]
    assert not any("root" in e.message or "NoneType" in e.message for e in ours.errors or [])


async def test_broken_values_still_raise_located_errors() -> None:
    result = await _schema(DirectFieldsExecutionContext).execute(
        "{ maybeThings { name count colour must } }", root_value=Query()
    )
    assert result.errors
    paths = sorted(tuple(e.path or ()) for e in result.errors)
    assert paths[0][:2] == ("maybeThings", 1)  # the broken object, located
    assert result.data == {"maybeThings": [{"name": "one", "count": 1, "colour": "RED", "must": "m"}, None, None]}


def test_marks_only_fields_read_straight_off_the_object() -> None:
    schema = _schema(DirectFieldsExecutionContext)
    types = schema._schema.type_map
    direct = {(t, f) for t in ("Thing", "Leaf", "Custom") for f, d in types[t].fields.items() if DIRECT in d.extensions}  # type: ignore[attr-defined]
    assert {("Thing", "name"), ("Thing", "colour"), ("Thing", "id"), ("Thing", "tags"), ("Thing", "leaves")} <= direct
    assert {("Thing", "shout"), ("Thing", "greet"), ("Thing", "whenReady")} <= direct  # plain resolvers
    assert ("Thing", "repeat") not in direct  # an argument
    assert ("Thing", "later") not in direct  # async
    assert ("Custom", "id") not in direct  # a node with its own resolve_id
    assert ("Query", "nodes") not in {
        (t, f)
        for t, d in types.items()
        for f in getattr(d, "fields", {})
        if DIRECT in getattr(d, "fields", {})[f].extensions
    }  # an interface


def test_lean_resolvers_replace_only_resolvers_without_wrapping() -> None:
    fields = _schema(DirectFieldsExecutionContext)._schema.type_map["Thing"].fields  # type: ignore[attr-defined]

    def lean(name: str) -> bool:
        return getattr(fields[name].resolve, "__qualname__", "").startswith("_lean_resolver.")

    assert lean("repeat") and lean("echo") and lean("pick") and lean("later") and lean("shout")
    assert not lean("secret")  # a permission class
    assert not lean("name")  # no resolver: Strawberry's attribute read
    assert not lean("id")  # Node's resolver is a class method


SEARCH = """
query($q: String!) {
  searchProducts(query: $q, filter: {minStars: 3}, sort: PRICE_ASC, first: 10) {
    estimatedTotalCount
    edges { cursor node { id name description stars priceVnd unit moq status group certifications images
                          createdAt version producer { id name verified } province { code name formerName } } }
    pageInfo { hasNextPage endCursor }
    facets { provinces { code name count formerProvinces { code name count } } stars { value count }
             groups { value count } certifications { value count } }
    priceRange { min max }
  }
  products(first: 5) { edges { node { id name producer { id name } } } }
}"""


@pytest.mark.parametrize("q", ["keo dua", "nước mắm", ""])
async def test_real_schema_gives_the_same_result_both_ways(catalogue: Catalogue, q: str) -> None:
    fixture = catalogue.fixture
    search = ProductSearch(fixture.meili, fixture.index_uid, fixture.store)

    def context() -> Context:
        return Context(store=fixture.store, search=search, viewer=None, loaders=Loaders.create(fixture.store))

    ours = build_schema()
    theirs = build_schema(short_path=False)  # Strawberry's execution context and resolvers
    assert ours.execution_context_class is DirectFieldsExecutionContext
    assert theirs.execution_context_class is StrawberryGraphQLCoreExecutionContext
    a = await ours.execute(SEARCH, variable_values={"q": q}, context_value=context())
    b = await theirs.execute(SEARCH, variable_values={"q": q}, context_value=context())
    assert not a.errors and not b.errors
    assert a.data == b.data
    assert a.data and a.data["searchProducts"]["edges"]


async def test_the_short_path_is_taken_on_the_real_schema(catalogue: Catalogue) -> None:
    """Fails when an upgrade of Strawberry or graphql-core silently stops the short path being taken."""
    fixture = catalogue.fixture
    search = ProductSearch(fixture.meili, fixture.index_uid, fixture.store)
    context = Context(store=fixture.store, search=search, viewer=None, loaders=Loaders.create(fixture.store))
    before = (COUNTS.objects, COUNTS.fields)
    result = await build_schema().execute(SEARCH, variable_values={"q": "keo dua"}, context_value=context)
    assert not result.errors and result.data
    hits = len(result.data["searchProducts"]["edges"])
    assert hits > 0
    # Each hit's producer (loaded, then walked) and the facet rows are whole direct objects; the scalars and
    # the province of a product (which also has an async field, producer) are single direct fields.
    assert COUNTS.objects - before[0] >= hits
    assert COUNTS.fields - before[1] >= 10 * hits


async def test_the_short_path_can_be_turned_off(catalogue: Catalogue) -> None:
    fixture = catalogue.fixture
    search = ProductSearch(fixture.meili, fixture.index_uid, fixture.store)
    context = Context(store=fixture.store, search=search, viewer=None, loaders=Loaders.create(fixture.store))
    schema = build_schema(short_path=False)
    assert schema.execution_context_class is StrawberryGraphQLCoreExecutionContext
    before = (COUNTS.objects, COUNTS.fields)
    result = await schema.execute(SEARCH, variable_values={"q": "keo dua"}, context_value=context)
    assert not result.errors and result.data and result.data["searchProducts"]["edges"]
    assert (COUNTS.objects, COUNTS.fields) == before


async def test_an_operation_leaves_no_reference_cycles(catalogue: Catalogue) -> None:
    """Freed as soon as it ends, without the cyclic collector: graphql-core's resolver helpers are bound
    methods of the execution context, which its resolve infos carry, and that cycle held every request's
    context, loaders and records until the next collection."""
    fixture = catalogue.fixture
    search = ProductSearch(fixture.meili, fixture.index_uid, fixture.store)
    schema = build_schema()
    await schema.execute(
        SEARCH,
        variable_values={"q": "keo dua"},
        context_value=Context(store=fixture.store, search=search, viewer=None, loaders=Loaders.create(fixture.store)),
    )  # first sight of the document: the execution below takes the usual path of a known one
    gc.collect()
    gc.disable()
    try:
        context = Context(store=fixture.store, search=search, viewer=None, loaders=Loaders.create(fixture.store))
        freed = weakref.ref(context)
        result = await schema.execute(SEARCH, variable_values={"q": "nước mắm"}, context_value=context)
        assert not result.errors and result.data and result.data["searchProducts"]["edges"]
        del context, result
        assert freed() is None
    finally:
        gc.enable()
