"""What a client selected below a field, read from the query: resolvers use it to fetch only what will be
shown (search attributes and facets, records loaded ahead for a page).

Read straight from the document's syntax tree, by name only. Strawberry's `info.selected_fields` converts
the whole subtree, every argument and directive evaluated against the variables, on every request, for the
handful of names these checks read. Fields under `@skip` or `@include` count as selected: a record loaded
ahead for nothing costs less than a second trip for one."""

from collections.abc import Iterable, Mapping
from typing import Any

from graphql import FieldNode, FragmentDefinitionNode, FragmentSpreadNode, InlineFragmentNode, SelectionNode
from strawberry.types import Info

# Field name -> what is selected below it, fragments flattened and repeated fields merged.
Selected = dict[str, "Selected"]


def top_fields(info: Info[Any, Any]) -> Selected:
    """The fields selected on the resolver's own result."""
    raw = info._raw_info
    out: Selected = {}
    spread: dict[int, set[str]] = {}
    for node in raw.field_nodes:
        if node.selection_set is not None:
            _merge(node.selection_set.selections, raw.fragments, out, spread)
    return out


def node_fields(info: Info[Any, Any]) -> Selected:
    """The fields selected on each `edges { node }` of a connection the resolver returns."""
    return top_fields(info).get("edges", {}).get("node", {})


def _merge(
    selections: Iterable[SelectionNode],
    fragments: Mapping[str, FragmentDefinitionNode],
    into: Selected,
    spread: dict[int, set[str]],
) -> None:
    for selection in selections:
        if isinstance(selection, FieldNode):
            below = into.setdefault(selection.name.value, {})
            if selection.selection_set is not None:
                _merge(selection.selection_set.selections, fragments, below, spread)
        elif isinstance(selection, FragmentSpreadNode):
            # A fragment spread twice into one place adds nothing the second time; skipping it keeps nested
            # repeated spreads from multiplying the walk, as graphql-core's own field collection does.
            name = selection.name.value
            done = spread.setdefault(id(into), set())
            if name not in done and (fragment := fragments.get(name)) is not None:
                done.add(name)
                _merge(fragment.selection_set.selections, fragments, into, spread)
        elif isinstance(selection, InlineFragmentNode):
            _merge(selection.selection_set.selections, fragments, into, spread)
