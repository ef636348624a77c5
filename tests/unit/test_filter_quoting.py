"""Values in Meilisearch filters: each one a string literal standing for exactly that value, in every builder."""

from __future__ import annotations

import pytest

from market.accounts.records import Role
from search.filters import equals, one_of, quoted
from search.query import SearchFilter, filter_expression, province_filter
from search.rfqs import board_filter, board_narrowing
from search.service import visibility_filter
from tests.unit.principals import principal

# Strings a client could send to break out of a literal or add a condition.
HOSTILE = [
    "",
    "plain",
    "\\",
    '"',
    '\\"',
    '\\\\"',
    "86\\",
    "\\\\",
    '""',
    "' OR 1=1",
    '" OR 1=1 OR v = "',
    '"] OR status = "draft" OR x IN ["',
    "a\nb",
    "\\n",
    "\\u0041",
    "tab\tx",
    "\x00",
    "[ ] , ( )",
    "Bến Tre",
]


def literal(text: str, start: int = 0) -> tuple[str, int]:
    """Meilisearch's reading of the double-quoted literal at `start`: a backslash takes the next character
    as it is, an unescaped quote closes. (value, index after the closing quote)."""
    assert text[start] == '"'
    out, i = [], start + 1
    while True:
        ch = text[i]
        if ch == "\\":
            out.append(text[i + 1])
            i += 2
        elif ch == '"':
            return "".join(out), i + 1
        else:
            out.append(ch)
            i += 1


@pytest.mark.parametrize("value", HOSTILE)
def test_a_quoted_value_reads_back_whole(value: str) -> None:
    text = quoted(value)
    assert literal(text) == (value, len(text))


@pytest.mark.parametrize("value", HOSTILE)
def test_equals_and_one_of_keep_the_value_inside_its_literal(value: str) -> None:
    expression = equals("provinces", value)
    assert expression.startswith("provinces = ")
    assert literal(expression, len("provinces = ")) == (value, len(expression))
    listed = one_of("groups", [value, "x"])
    first, end = literal(listed, len("groups IN ["))
    assert first == value
    assert listed[end : end + 2] == ", "
    assert literal(listed, end + 2) == ("x", len(listed) - 1)
    assert listed.endswith("]")


def test_the_escapes_are_the_two_meilisearch_reads() -> None:
    assert quoted("86\\") == '"86\\\\"'
    assert quoted('say "hi"') == '"say \\"hi\\""'
    assert quoted("a\nb") == '"a\nb"'  # only a backslash and a quote are special inside a literal


def _literals(expression: str) -> list[str]:
    """Every literal of an expression, read the way Meilisearch reads them."""
    out, i = [], 0
    while (i := expression.find('"', i)) != -1:
        value, i = literal(expression, i)
        out.append(value)
    return out


def _outside_literals(expression: str) -> str:
    out, i = [], 0
    while (j := expression.find('"', i)) != -1:
        out.append(expression[i:j])
        i = literal(expression, j)[1]
    return "".join(out) + expression[i:]


@pytest.mark.parametrize("value", HOSTILE)
def test_the_rfq_board_filters_quote_every_value(value: str) -> None:
    narrowing = board_narrowing([value], [value, "86"], [value])
    assert [_literals(c) for c in narrowing] == [[value], [value, "86"], [value]]
    assert [_outside_literals(c) for c in narrowing] == ["groups IN []", "provinces IN [, ]", "buyerKind IN []"]
    clauses = board_filter([value, "FOOD"], "p" + value, 4)
    assert _literals(" AND ".join(clauses)) == [value, "FOOD", "p" + value]
    assert _outside_literals(clauses[2]) == "(groups IS EMPTY OR groups IN [, ])"
    assert _outside_literals(clauses[3]) == "(provinces IS EMPTY OR provinces = )"


def test_the_rfq_board_without_a_profile_condition() -> None:
    clauses = board_filter([], None, 5)
    assert clauses[2:] == ["groups IS EMPTY", "provinces IS EMPTY"]


@pytest.mark.parametrize("value", HOSTILE)
def test_product_search_filters_quote_every_value(value: str) -> None:
    flt = SearchFilter(groups=(value,), certifications=(value, "HACCP"), producer_id="p" + value)
    parts = filter_expression(flt, 'status = "published"')
    assert [_literals(p) for p in parts] == [["published"], [value], [value, "HACCP"], ["p" + value]]
    assert _outside_literals(parts[-1]) == "producerId = "


def test_province_codes_are_resolved_before_they_reach_a_filter() -> None:
    assert set(_literals(province_filter(["86", '86"', "86\\", "86\n"]))) == {"86"}
    assert _literals(province_filter(['" OR 1=1', "\\"])) == ["none"]


def test_visibility_filters_quote_the_viewer_scope() -> None:
    producer = principal(Role.PRODUCER, org_id=None)
    assert visibility_filter(producer, True) == 'status = "published"'
    coordinator = principal(Role.COORDINATOR, province_code='86" OR status = "draft')
    clause = visibility_filter(coordinator, True)
    assert _literals(clause) == ["published", "draft", '86" OR status = "draft']
    assert _outside_literals(clause) == "(status =  OR (status =  AND provinceCode = ))"
