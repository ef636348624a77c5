"""Every element of the schema carries a description. Frontend teams read them in GraphiQL and in generated
clients, so a type, field, argument, input field or enum value added without one fails here, named by its
coordinate (`Product.priceVnd`, `Query.products(first:)`, `ProductGroup.FOOD`)."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
)

from schema import build_schema

# GraphQL's own scalars are described by the specification, not by us.
BUILT_IN_SCALARS = frozenset({"String", "Int", "Float", "Boolean", "ID"})

# Elements Strawberry generates that our code cannot describe, each with the reason. Empty: Strawberry's Relay
# types come with descriptions, and PageInfo and the edges are our own subclasses (schema/pagination.py).
UNDESCRIBABLE: dict[str, str] = {}


def elements(schema: GraphQLSchema) -> Iterator[tuple[str, str | None]]:
    """(coordinate, description) of every type, field, argument, input field and enum value of our own."""
    for name, graphql_type in sorted(schema.type_map.items()):
        if name.startswith("__") or name in BUILT_IN_SCALARS:
            continue
        yield name, graphql_type.description
        if isinstance(graphql_type, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in graphql_type.fields.items():
                yield f"{name}.{field_name}", field.description
                for argument_name, argument in field.args.items():
                    yield f"{name}.{field_name}({argument_name}:)", argument.description
        elif isinstance(graphql_type, GraphQLInputObjectType):
            for field_name, input_field in graphql_type.fields.items():
                yield f"{name}.{field_name}", input_field.description
        elif isinstance(graphql_type, GraphQLEnumType):
            for value_name, value in graphql_type.values.items():
                yield f"{name}.{value_name}", value.description


def _described(description: str | None) -> bool:
    return bool(description and description.strip())


def test_every_schema_element_is_described() -> None:
    found = dict(elements(build_schema()._schema))
    missing = [c for c, description in found.items() if not _described(description) and c not in UNDESCRIBABLE]
    assert not missing, f"{len(missing)} of {len(found)} schema elements have no description:\n" + "\n".join(missing)


def test_the_walk_reaches_every_kind_of_element() -> None:
    found = dict(elements(build_schema()._schema))
    for coordinate in (
        "Product",  # object type
        "Node",  # interface Strawberry generates
        "PageInfo",  # Relay type
        "ProductEdge.cursor",  # generated edge
        "Vnd",  # custom scalar
        "ProductGroup.FOOD",  # enum value
        "Product.priceVnd",  # field
        "Query.products(first:)",  # argument
        "CreateProductInput.priceVnd",  # input field
        "Mutation.advanceDeal(expectedVersion:)",
        "Subscription.dealEvents(dealId:)",
    ):
        assert coordinate in found, coordinate
    assert not any(c.startswith("__") or c in BUILT_IN_SCALARS for c in found)


def test_the_allow_list_names_only_undescribed_elements() -> None:
    found = dict(elements(build_schema()._schema))
    stale = [c for c in UNDESCRIBABLE if c not in found or _described(found[c])]
    assert not stale, f"remove from UNDESCRIBABLE: {stale}"
