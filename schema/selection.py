"""What a client selected below a field, read from the query: resolvers use it to fetch only what will be
shown (search attributes and facets, records loaded ahead for a page, cursors)."""

from typing import Any

from strawberry.types import Info
from strawberry.types.nodes import SelectedField


def selected(selections: list[Any]) -> dict[str, list[Any]]:
    """Selected field names -> their sub-selections (fragments flattened, repeated fields merged)."""
    out: dict[str, list[Any]] = {}
    for selection in selections:
        if isinstance(selection, SelectedField):
            out.setdefault(selection.name, []).extend(selection.selections)
        else:  # inline fragment or fragment spread
            for name, sub in selected(selection.selections).items():
                out.setdefault(name, []).extend(sub)
    return out


def top_fields(info: Info[Any, Any]) -> dict[str, list[Any]]:
    """The fields selected on the resolver's own result."""
    return selected(info.selected_fields[0].selections)


def node_fields(info: Info[Any, Any]) -> dict[str, list[Any]]:
    """The fields selected on each `edges { node }` of a connection the resolver returns."""
    return selected(selected(top_fields(info).get("edges", [])).get("node", []))


def cursors_selected(info: Info[Any, Any]) -> bool:
    """Whether a connection's cursors are shown: `edges { cursor }` or `pageInfo { startCursor endCursor }`."""
    top = top_fields(info)
    page_info = selected(top.get("pageInfo", []))
    return "cursor" in selected(top.get("edges", [])) or "startCursor" in page_info or "endCursor" in page_info
