"""What a resolver sees as selected below its field (schema/selection.py), read from the syntax tree."""

from types import SimpleNamespace
from typing import Any

from graphql import FieldNode, FragmentDefinitionNode, OperationDefinitionNode, parse

from schema.selection import node_fields, top_fields


def _info(query: str) -> Any:
    """An Info-like object for the operation's first root field, every node of it when it is repeated."""
    document = parse(query)
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    roots = [s for s in operation.selection_set.selections if isinstance(s, FieldNode)]
    nodes = [s for s in roots if s.name.value == roots[0].name.value]
    return SimpleNamespace(_raw_info=SimpleNamespace(field_nodes=nodes, fragments=fragments))


def test_names_below_the_field_with_fragments_flattened_and_repeats_merged() -> None:
    info = _info("""
      { inquiries(first: 5) {
          edges { node { id ...Shown product { name } } }
          edges { node { ... on Inquiry { quotations { current { unitPriceVnd } } } product { producer { name } } } }
      } }
      fragment Shown on Inquiry { status invitations { producer { name } } }""")
    assert top_fields(info) == {
        "edges": {
            "node": {
                "id": {},
                "status": {},
                "invitations": {"producer": {"name": {}}},
                "product": {"name": {}, "producer": {"name": {}}},
                "quotations": {"current": {"unitPriceVnd": {}}},
            }
        }
    }
    assert set(node_fields(info)) == {"id", "status", "invitations", "product", "quotations"}


def test_a_root_field_given_twice_is_read_whole() -> None:
    info = _info("{ product(id: 1) { name } product(id: 1) { producer { name } } }")
    assert top_fields(info) == {"name": {}, "producer": {"name": {}}}


def test_aliases_and_skipped_fields_still_name_the_field() -> None:
    info = _info("query($no: Boolean!) { product(id: 1) { title: name producer @skip(if: $no) { name } } }")
    assert top_fields(info) == {"name": {}, "producer": {"name": {}}}


def test_nested_repeated_spreads_are_walked_once_per_place() -> None:
    # Each level spreads the next one many times: walked naively that is 20^4 visits of the innermost.
    levels = ["fragment F0 on Product { name }"]
    for n in range(1, 5):
        levels.append(f"fragment F{n} on Product {{ {' '.join(f'...F{n - 1}' for _ in range(20))} }}")
    info = _info("{ product(id: 1) { ...F4 } } " + " ".join(levels))
    looked_up: list[str] = []

    class Counted(dict[str, Any]):
        def get(self, name: str, default: Any = None) -> Any:
            looked_up.append(name)
            return super().get(name, default)

    info._raw_info.fragments = Counted(info._raw_info.fragments)
    assert top_fields(info) == {"name": {}}
    assert sorted(looked_up) == ["F0", "F1", "F2", "F3", "F4"]


def test_a_connection_without_edges_selects_no_node_fields() -> None:
    assert node_fields(_info("{ products { pageInfo { hasNextPage } } }")) == {}
