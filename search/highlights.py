"""Highlighted snippets as safe HTML: escaped text in which only our own `<mark>` tags are markup.

Product names and descriptions are written by producers and may contain anything, `<script>` included.
Meilisearch copies them into `_formatted` as they are, with its highlight tags around the matches, so
asking it for `<mark>` tags gave clients a string they could not render as HTML without running the
producer's markup. It is asked for two private-use characters instead, and the text around them is
escaped here. Product text passes no filter that would keep those characters out of the index, so a field
that holds one of them keeps no highlight: its tags could not be told from ours.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import Any

PRE, POST = "\ue000", "\ue001"
MARK, END_MARK = "<mark>", "</mark>"

HIGHLIGHT_PARAMS: dict[str, Any] = {"highlightPreTag": PRE, "highlightPostTag": POST}

_TAGS = re.compile(f"([{PRE}{POST}])")


def render(formatted: str) -> str:
    """Meilisearch's highlighted text as HTML. The marks are always balanced and never nested, whatever
    order the tags come in, so a client inserting the snippet never leaves an element open."""
    out: list[str] = []
    inside = False
    for part in _TAGS.split(formatted):
        if part == PRE:
            if not inside:
                out.append(MARK)
                inside = True
        elif part == POST:
            if inside:
                out.append(END_MARK)
                inside = False
        elif part:
            out.append(html.escape(part))
    if inside:
        out.append(END_MARK)
    return "".join(out)


def has_tags(text: str) -> bool:
    return PRE in text or POST in text


def highlights(hit: dict[str, Any], fields: Iterable[str]) -> dict[str, str]:
    """{field: snippet} for the `fields` of a search hit in which the query matched."""
    formatted = hit.get("_formatted") or {}
    out = {}
    for name in fields:
        value, source = formatted.get(name), hit.get(name)
        if not isinstance(value, str) or PRE not in value:
            continue
        if not isinstance(source, str) or has_tags(source):
            continue
        out[name] = render(value)
    return out
