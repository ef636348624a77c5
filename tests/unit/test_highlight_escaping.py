"""Highlighted snippets are escaped HTML whose only markup is our <mark>, and Meilisearch's refusals reach
clients as typed errors without its message."""

from __future__ import annotations

import html
import logging
import re

import pytest

from market.core.errors import ErrorCode
from search.client import MeiliError, MeiliUnavailable
from search.failures import search_failure
from search.highlights import HIGHLIGHT_PARAMS, POST, PRE, highlights, render

HOSTILE = "Probe <img src=x onerror=alert(1)> & <script>alert(2)</script> \"q\" 's'"


def plain(snippet: str) -> str:
    return html.unescape(snippet.replace("<mark>", "").replace("</mark>", ""))


def only_marks(snippet: str) -> bool:
    return re.sub(r"</?mark>", "", snippet).find("<") == -1


def test_the_sentinels_are_what_meilisearch_is_asked_for() -> None:
    assert HIGHLIGHT_PARAMS == {"highlightPreTag": PRE, "highlightPostTag": POST}


def test_markup_in_the_text_is_escaped_and_the_match_marked() -> None:
    formatted = f"Probe {PRE}zyxqv{POST} <img src=x onerror=alert(1)> & co"
    snippet = render(formatted)
    assert snippet == "Probe <mark>zyxqv</mark> &lt;img src=x onerror=alert(1)&gt; &amp; co"
    assert plain(snippet) == "Probe zyxqv <img src=x onerror=alert(1)> & co"


@pytest.mark.parametrize(
    ("formatted", "expected"),
    [
        (f"{PRE}a{POST}", "<mark>a</mark>"),
        (f"{PRE}a", "<mark>a</mark>"),  # never left open
        (f"a{POST}b", "ab"),  # a close without an open is dropped
        (f"{PRE}{PRE}a{POST}{POST}", "<mark>a</mark>"),  # never nested
        (f"{PRE}<b>{POST} & {PRE}&amp;{POST}", "<mark>&lt;b&gt;</mark> &amp; <mark>&amp;amp;</mark>"),
        ("", ""),
    ],
)
def test_marks_are_balanced_whatever_the_tags(formatted: str, expected: str) -> None:
    assert render(formatted) == expected


def test_hits_give_escaped_snippets_of_the_matched_fields() -> None:
    hit = {
        "name": HOSTILE,
        "description": "no match here <b>",
        "_formatted": {
            "name": HOSTILE.replace("Probe", f"{PRE}Probe{POST}"),
            "description": "no match here <b>",
        },
    }
    found = highlights(hit, ("name", "description"))
    assert list(found) == ["name"]
    assert only_marks(found["name"]) and found["name"].startswith("<mark>Probe</mark> &lt;img")
    assert plain(found["name"]) == HOSTILE


def test_a_field_holding_a_sentinel_character_keeps_no_highlight() -> None:
    # Its own characters could not be told from Meilisearch's tags, so no highlight rather than a wrong one.
    name = f"Pua {PRE}x{POST} zyxqv"
    hit = {"name": name, "description": "zyxqv", "_formatted": {
        "name": name.replace("zyxqv", f"{PRE}zyxqv{POST}"),
        "description": f"{PRE}zyxqv{POST}",
    }}  # fmt: skip
    assert highlights(hit, ("name", "description")) == {"description": "<mark>zyxqv</mark>"}


def test_a_field_not_retrieved_keeps_no_highlight() -> None:
    hit = {"_formatted": {"name": f"{PRE}a{POST}"}}
    assert highlights(hit, ("name",)) == {}


def test_a_refused_search_is_a_typed_error_without_meilisearch_words(caplog: pytest.LogCaptureFixture) -> None:
    message = 'Invalid filter: `provinces IN ["86\\"]`: expected closing quote'
    refused = MeiliError(message, "invalid_search_filter", 400)
    with caplog.at_level(logging.WARNING, logger="ocop.search"):
        error = search_failure(refused, "the RFQ board", {"invalid_search_filter": "filter"})
    [only] = error.errors
    assert (only.code, only.field) == (ErrorCode.INVALID, "filter")
    assert "86" not in str(error) and "quote" not in str(error) and "provinces" not in str(error)
    [record] = [r for r in caplog.records if r.name == "ocop.search"]
    assert record.levelno == logging.WARNING and "invalid_search_filter" in record.getMessage()
    assert "\n" not in record.getMessage()


def test_other_refusals_and_outages_are_unavailable(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="ocop.search"):
        missing = search_failure(MeiliError("Index `x` not found.", "index_not_found", 404), "search")
        down = search_failure(MeiliUnavailable("Meilisearch at http://10.0.0.1 is unreachable"), "search")
    assert [(e.code, e.field) for e in missing.errors + down.errors] == [(ErrorCode.UNAVAILABLE, None)] * 2
    assert "not found" not in str(missing) and "10.0.0.1" not in str(down)
    assert len([r for r in caplog.records if r.name == "ocop.search"]) == 1  # an outage is not our bug
