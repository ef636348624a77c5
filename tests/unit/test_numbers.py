"""Whole numbers as written in import files (market/core/numbers.py): every spelling with one whole-number
reading is accepted at that magnitude, every other one is refused with a reason."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from market.core.numbers import MAX_DIGITS, NotAWholeNumber, parse_vnd_text, parse_whole_number

NBSP = "\u00a0"
NNBSP = "\u202f"

GROUPS_OF_THREE = "groups of three"
COMMA = "a comma is ambiguous"
DECIMAL_COMMA = "decimal comma"
LEADING_ZERO = "leading 0"
MIXED = "mixes dots and spaces"
NOT_DIGITS = "only digits and thousands separators"
PLAIN_ONLY = "only plain digits"
JSON_THOUSANDS = "with Vietnamese thousands separators"
FRACTION = "it has a fraction"
NOT_A_NUMBER = "it is not a number"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("165000", 165000, id="plain"),
        pytest.param("165.000", 165000, id="dot-grouped"),
        pytest.param("1.500.000", 1500000, id="dot-grouped-millions"),
        pytest.param("1.000.000.000", 1000000000, id="dot-grouped-billions"),
        pytest.param("165 000", 165000, id="space-grouped"),
        pytest.param("1 500 000", 1500000, id="space-grouped-millions"),
        pytest.param(f"1{NBSP}500{NBSP}000", 1500000, id="no-break-space-grouped"),
        pytest.param(f"1{NNBSP}500{NNBSP}000", 1500000, id="narrow-no-break-space-grouped"),
        pytest.param(f"1 500{NBSP}000", 1500000, id="spaces-of-two-kinds"),
        pytest.param("  165.000 ", 165000, id="surrounding-spaces"),
        pytest.param("1.000", 1000, id="one-thousand"),
        pytest.param("999", 999, id="below-a-thousand"),
        pytest.param("0", 0, id="zero"),
        pytest.param("007", 7, id="leading-zeros-without-separators"),
        pytest.param("-5", -5, id="negative-left-to-the-range-check"),
        pytest.param("-1.500", -1500, id="negative-grouped"),
        pytest.param("9" * MAX_DIGITS, int("9" * MAX_DIGITS), id="longest"),
    ],
)
def test_accepted_spellings(text: str, expected: int) -> None:
    assert parse_vnd_text(text) == expected
    assert parse_whole_number(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        pytest.param("165,5", DECIMAL_COMMA, id="decimal-comma"),
        pytest.param("1.500,5", DECIMAL_COMMA, id="grouped-with-decimal-comma"),
        pytest.param("1,500,000", COMMA, id="comma-grouped"),
        pytest.param("165,000", COMMA, id="comma-grouped-thousands"),
        pytest.param("165.5", GROUPS_OF_THREE, id="decimal-dot"),
        pytest.param("42.00", GROUPS_OF_THREE, id="two-decimals"),
        pytest.param("165000.0", GROUPS_OF_THREE, id="trailing-point-zero"),
        pytest.param("1.50.000", GROUPS_OF_THREE, id="group-of-two"),
        pytest.param("1.5000", GROUPS_OF_THREE, id="group-of-four"),
        pytest.param("1500.000", GROUPS_OF_THREE, id="first-group-of-four"),
        pytest.param("1..500", GROUPS_OF_THREE, id="two-dots"),
        pytest.param("1.", GROUPS_OF_THREE, id="trailing-dot"),
        pytest.param(".500", GROUPS_OF_THREE, id="leading-dot"),
        pytest.param("1  500", GROUPS_OF_THREE, id="two-spaces"),
        pytest.param("0.500", LEADING_ZERO, id="zero-point"),
        pytest.param("05.000", LEADING_ZERO, id="zero-first-group"),
        pytest.param("1.500 000", MIXED, id="dots-and-spaces"),
        pytest.param("abc", NOT_DIGITS, id="words"),
        pytest.param("165.000đ", NOT_DIGITS, id="currency-sign"),
        pytest.param("165000 VND", NOT_DIGITS, id="currency-code"),
        pytest.param("+5", NOT_DIGITS, id="plus-sign"),
        pytest.param("\u22125", NOT_DIGITS, id="minus-sign-character"),
        pytest.param("1_000", NOT_DIGITS, id="underscore"),
        pytest.param("１６５０００", NOT_DIGITS, id="full-width-digits"),
        pytest.param("1e5", NOT_DIGITS, id="exponent"),
        pytest.param("-", NOT_DIGITS, id="sign-alone"),
        pytest.param("", "it is empty", id="empty"),
        pytest.param(" \t", "it is empty", id="blank"),
        pytest.param("1" * (MAX_DIGITS + 1), f"more than {MAX_DIGITS} digits", id="too-many-digits"),
    ],
)
def test_refused_spellings(text: str, reason: str) -> None:
    with pytest.raises(NotAWholeNumber) as excinfo:
        parse_vnd_text(text)
    assert reason in str(excinfo.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("4", 4, id="digit"),
        pytest.param(" 4 ", 4, id="surrounding-spaces"),
        pytest.param("-1", -1, id="negative"),
        pytest.param("4.0", None, id="decimal"),
        pytest.param("4.000", None, id="dot-grouped"),
        pytest.param("4 000", None, id="space-grouped"),
        pytest.param("4,5", None, id="decimal-comma"),
        pytest.param("bốn", None, id="words"),
    ],
)
def test_without_grouping_only_plain_digits(text: str, expected: int | None) -> None:
    if expected is not None:
        assert parse_whole_number(text, grouped=False) == expected
        return
    with pytest.raises(NotAWholeNumber) as excinfo:
        parse_whole_number(text, grouped=False)
    assert PLAIN_ONLY in str(excinfo.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(165000, 165000, id="int"),
        pytest.param(165000.0, 165000, id="whole-float"),
        pytest.param(Decimal("165000"), 165000, id="json-integer-as-decimal"),
        pytest.param(Decimal("165.0"), 165, id="json-point-zero"),
        pytest.param(Decimal("165000.00"), 165000, id="json-two-zero-decimals"),
        pytest.param(Decimal("1.65E+5"), 165000, id="json-exponent"),
    ],
)
def test_numbers_keep_their_value(value: Any, expected: int) -> None:
    assert parse_whole_number(value) == expected
    assert parse_whole_number(value, grouped=False) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        pytest.param(165.5, FRACTION, id="float-fraction"),
        pytest.param(float("inf"), "finite", id="float-infinity"),
        pytest.param(float("nan"), "finite", id="float-nan"),
        pytest.param(Decimal("165.5"), FRACTION, id="json-fraction"),
        pytest.param(Decimal("165.000"), JSON_THOUSANDS, id="json-three-zero-decimals"),
        pytest.param(Decimal("1.500"), JSON_THOUSANDS, id="json-three-decimals"),
        pytest.param(Decimal("1E+400"), f"more than {MAX_DIGITS} digits", id="json-huge-exponent"),
        pytest.param(Decimal("NaN"), "finite", id="decimal-nan"),
        pytest.param(True, NOT_A_NUMBER, id="boolean"),
        pytest.param(None, NOT_A_NUMBER, id="none"),
        pytest.param([165000], NOT_A_NUMBER, id="list"),
    ],
)
def test_numbers_refused(value: Any, reason: str) -> None:
    with pytest.raises(NotAWholeNumber) as excinfo:
        parse_whole_number(value)
    assert reason in str(excinfo.value)


def test_a_json_thousands_literal_names_both_readings() -> None:
    with pytest.raises(NotAWholeNumber) as excinfo:
        parse_whole_number(Decimal("165.000"))
    assert str(excinfo.value) == (
        "the JSON number 165.000 reads as 165, but as 165000 with Vietnamese thousands separators; "
        "write the digits without a dot"
    )
