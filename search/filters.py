"""Meilisearch filter expressions with values from outside the code.

Every value goes into a filter as a double-quoted string literal. Inside one, Meilisearch reads a backslash
as escaping the next character: a value ending in a backslash swallowed its closing quote, and a quote
ended the literal early, so a client's value could break the expression or add conditions to it. Filters
are built from the helpers here only, and a value is never pasted in any other way.
"""

from __future__ import annotations

from collections.abc import Iterable


def quoted(value: str) -> str:
    """`value` as a Meilisearch filter string literal that stands for exactly `value`."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def equals(attribute: str, value: str) -> str:
    return f"{attribute} = {quoted(value)}"


def one_of(attribute: str, values: Iterable[str]) -> str:
    """`attribute IN [...]`; an empty list matches nothing."""
    return f"{attribute} IN [{', '.join(quoted(v) for v in values)}]"
