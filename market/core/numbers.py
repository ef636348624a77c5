"""Whole numbers as people write them in import files: đồng amounts and quantities.

Vietnamese groups thousands with a dot (1.500.000) or a space (1 500 000) and marks decimals with a comma
(165,5); English does the opposite. Only spellings with a single whole-number reading are accepted, so a
number is never taken at a magnitude its writer did not mean: `165.000` is 165000, never 165, and
`1,500` is refused rather than guessed.

Accepted, when grouping is allowed:
    165000, -5                      plain ASCII digits, optionally negative (range checks come later)
    165.000, 1.500.000              dots between groups of exactly three digits
    165 000, 1 500 000              the same with a space, no-break space or narrow no-break space
Refused: commas (165,5 and 1,500,000 alike), groups of other sizes (165.5, 1.50.000, 42.00), mixed
separators, a leading 0 before a separator (0.500), any other character (165.000đ, abc), and more than
`MAX_DIGITS` digits. Without grouping only plain digits are accepted.

JSON numbers keep their JSON value, but one written with exactly three decimals (165.000, 1.500) is
refused: JSON reads it as 165 or 1.5, the person who typed it almost certainly meant thousands.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any

from market.core.messages import render

MAX_DIGITS = 30

_SPACES = "\u0020\u00a0\u202f"
_PLAIN = re.compile(r"-?[0-9]+")
_DOTTED = re.compile(r"-?[1-9][0-9]{0,2}(?:\.[0-9]{3})+")
_SPACED = re.compile(rf"-?[1-9][0-9]{{0,2}}(?:[{_SPACES}][0-9]{{3}})+")
_SEPARATED = re.compile(rf"-?[0-9.{_SPACES}]*[0-9][0-9.{_SPACES}]*")
_COMMA_GROUPED = re.compile(r"-?[0-9]{1,3}(?:,[0-9]{3})+")
_THREE_DECIMALS = re.compile(r"-?[0-9]+\.[0-9]{3}")
_NOT_DIGIT = re.compile(r"[^0-9]")


class NotAWholeNumber(ValueError):
    """The value has no single whole-number reading. `reason` is the key of a message of
    market/core/messages.py that says why (to follow the field name), with `params`; str() is its English."""

    def __init__(self, reason: str, **params: Any) -> None:
        super().__init__(render(reason, params))
        self.reason = reason
        self.params = params


def parse_whole_number(value: object, *, grouped: bool = True) -> int:
    """The whole number `value` means, or NotAWholeNumber.

    `value` is what a file or an API gave: an int, a float, a Decimal (JSON numbers read with
    `parse_float=Decimal`, which keeps how they were written) or text. `grouped` allows thousands
    separators in text; leave it off for small numbers such as stars, where `4.000` is a mistake.
    """
    if isinstance(value, bool):
        raise NotAWholeNumber("nan")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise NotAWholeNumber("not_finite")
        if not value.is_integer():
            raise NotAWholeNumber("fraction")
        return int(value)
    if isinstance(value, Decimal):
        return _from_json_number(value)
    if isinstance(value, str):
        return parse_vnd_text(value) if grouped else _plain(value.strip())
    raise NotAWholeNumber("nan")


def parse_vnd_text(text: str) -> int:
    """A whole number written as text, with or without Vietnamese thousands separators."""
    text = text.strip()
    if _PLAIN.fullmatch(text):
        return _plain(text)
    if _DOTTED.fullmatch(text) or _SPACED.fullmatch(text):
        sign = "-" if text.startswith("-") else ""
        return _plain(sign + _NOT_DIGIT.sub("", text))
    raise NotAWholeNumber(_why_not(text))


def _plain(text: str) -> int:
    if not text:
        raise NotAWholeNumber("empty")
    if not _PLAIN.fullmatch(text):
        raise NotAWholeNumber("plain_digits_only")
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise NotAWholeNumber("too_many_digits", digits=MAX_DIGITS)
    return int(text)


def _why_not(text: str) -> str:
    """The key of the message that says why."""
    if not text:
        return "empty"
    if "," in text:
        if _COMMA_GROUPED.fullmatch(text):
            return "ambiguous_comma"
        return "decimal_comma"
    if _SEPARATED.fullmatch(text):
        if "." in text and any(space in text for space in _SPACES):
            return "mixed_separators"
        if text.lstrip("-").startswith("0"):
            return "leading_zero"
        return "groups_of_three"
    return "digits_and_separators"


def _from_json_number(value: Decimal) -> int:
    if not value.is_finite():
        raise NotAWholeNumber("not_finite")
    written = str(value)
    if _THREE_DECIMALS.fullmatch(written):
        raise NotAWholeNumber(
            "json_thousands",
            written=written,
            decimal=f"{value.normalize():f}",
            grouped=int(written.replace(".", "")),
        )
    if value.adjusted() >= MAX_DIGITS:
        raise NotAWholeNumber("too_many_digits", digits=MAX_DIGITS)
    if value != value.to_integral_value():
        raise NotAWholeNumber("fraction")
    return int(value)


_CURRENCY = re.compile(r"^\s*(?:₫|VNĐ|VND)?\s*(.*?)\s*(?:₫|đồng|đ|VNĐ|VND)?\s*$", re.IGNORECASE)


def without_currency(text: str) -> str:
    """An amount in đồng as a spreadsheet displays it (`45.000 ₫`, `45,000 đ`, `VND 45000`), as the number
    `parse_vnd_text` reads: the marker removed, and thousands grouped with commas regrouped with dots. A
    marker makes the comma unambiguous: the đồng has no minor unit, so `45,000 đ` cannot mean 45 đồng. Without
    a marker the text comes back as it was, and `1,500` stays refused."""
    match = _CURRENCY.fullmatch(text)
    if match is None:
        return text
    number = match.group(1)
    if number == text.strip():  # no marker
        return text
    if _COMMA_GROUPED.fullmatch(number):
        return number.replace(",", ".")
    return number
