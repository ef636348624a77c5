"""Catalog input validation (market/catalog/validation.py): the Checker collects every problem of one input
and raises them together; each scalar check as a table of input → value or error."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from market.catalog.records import Certification, PriceTier, ProducerType, ProductGroup
from market.catalog.validation import (
    HORIZON_YEARS,
    MAX_PRICE_VND,
    MAX_TIERS,
    Checker,
    add_months,
    check_certificate_dates,
    horizon,
    infer_producer_type,
    latest_done_day,
    parse_certification,
    parse_group,
    parse_producer_type,
)
from market.core.errors import DomainError, ErrorCode, FieldError
from tests.pinned_clock import pinned_clock

Found = list[tuple[ErrorCode, str | None]]


def errors(check: Checker) -> Found:
    return [(e.code, e.field) for e in check.errors]


# --- the Checker collects, then raises once -------------------------------------------------------------


def test_the_checker_reports_every_problem_at_once() -> None:
    check = Checker()
    assert check.text("name", "   ", required=True, max_len=200) is None
    assert check.text("unit", "hộp" * 10, required=True, max_len=20) is None
    assert check.stars("stars", 2, required=True) is None
    assert check.price("priceVnd", -1, required=True) is None
    assert check.integer("moq", "many", required=True, minimum=1, maximum=1000) is None
    assert check.province("provinceCode", "Atlantis", required=True) is None
    assert check.text("category", "bánh kẹo", required=False, max_len=100) == "bánh kẹo"
    with pytest.raises(DomainError) as excinfo:
        check.raise_if_any()
    error = excinfo.value
    assert [(e.code, e.field) for e in error.errors] == [
        (ErrorCode.REQUIRED, "name"),
        (ErrorCode.TOO_LONG, "unit"),
        (ErrorCode.OUT_OF_RANGE, "stars"),
        (ErrorCode.OUT_OF_RANGE, "priceVnd"),
        (ErrorCode.INVALID, "moq"),
        (ErrorCode.UNKNOWN_PROVINCE, "provinceCode"),
    ]
    assert str(error).split("; ") == [
        "name: name is required",
        "unit: unit is longer than 20 characters",
        "stars: stars must be between 3 and 5, got 2",
        "priceVnd: priceVnd must be a positive amount in VND, got -1",
        "moq: moq must be a whole number, got 'many': only plain digits are allowed, without separators or decimals",
        "provinceCode: unknown province 'Atlantis'",
    ]
    assert error.extensions["code"] == "REQUIRED"
    assert error.extensions["field"] == "name"
    assert len(error.extensions["errors"]) == 6  # type: ignore[arg-type]


def test_a_clean_input_raises_nothing() -> None:
    check = Checker()
    assert check.text("name", "Kẹo dừa", required=True, max_len=200) == "Kẹo dừa"
    assert check.stars("stars", 4, required=True) == 4
    assert check.raise_if_any() is None
    assert check.errors == []


def test_add_records_a_field_error() -> None:
    check = Checker()
    check.add("order_terms_required", "order")
    assert check.errors == [
        FieldError(
            ErrorCode.REQUIRED,
            "order",
            "placing the order needs its quantity, value and delivery date",
            "order_terms_required",
        )
    ]


# --- text ---------------------------------------------------------------------------------------------------

DECOMPOSED = unicodedata.normalize("NFD", "Bến Tre")


@pytest.mark.parametrize(
    ("value", "required", "max_len", "expected", "found"),
    [
        pytest.param("Kẹo dừa", True, 200, "Kẹo dừa", [], id="plain"),
        pytest.param(None, True, 200, None, [(ErrorCode.REQUIRED, "f")], id="missing-required"),
        pytest.param("", True, 200, None, [(ErrorCode.REQUIRED, "f")], id="empty-required"),
        pytest.param(" \t\n ", True, 200, None, [(ErrorCode.REQUIRED, "f")], id="blank-required"),
        pytest.param("\u200b", True, 200, None, [(ErrorCode.REQUIRED, "f")], id="zero-width-only-required"),
        pytest.param(None, False, 200, None, [], id="missing-optional"),
        pytest.param("  ", False, 200, None, [], id="blank-optional"),
        pytest.param(42, True, 200, None, [(ErrorCode.INVALID, "f")], id="not-text"),
        pytest.param("abcdef", True, 5, None, [(ErrorCode.TOO_LONG, "f")], id="too-long"),
        pytest.param("abcde", True, 5, "abcde", [], id="exactly-max"),
        pytest.param(DECOMPOSED, True, 200, "Bến Tre", [], id="nfc"),
        pytest.param(DECOMPOSED, True, 7, "Bến Tre", [], id="length-counted-after-nfc"),
        pytest.param("  Kẹo \t\n  dừa\u200b ", True, 200, "Kẹo dừa", [], id="spaces-collapsed"),
        pytest.param("  a     b  ", True, 3, "a b", [], id="length-counted-after-collapsing"),
    ],
)
def test_text(value: Any, required: bool, max_len: int, expected: str | None, found: Found) -> None:
    check = Checker()
    assert check.text("f", value, required=required, max_len=max_len) == expected
    assert errors(check) == found


def test_text_results_are_composed() -> None:
    cleaned = Checker().text("f", DECOMPOSED, required=True, max_len=200)
    assert cleaned is not None
    assert len(DECOMPOSED) == 9 and len(cleaned) == 7
    assert unicodedata.is_normalized("NFC", cleaned)


def test_too_long_names_the_limit() -> None:
    check = Checker()
    check.text("name", "x" * 201, required=True, max_len=200)
    assert [e.message for e in check.errors] == ["name is longer than 200 characters"]


# --- integers -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "required", "expected", "found"),
    [
        pytest.param(10, True, 10, [], id="minimum"),
        pytest.param(100, True, 100, [], id="maximum"),
        pytest.param(9, True, None, [(ErrorCode.OUT_OF_RANGE, "n")], id="below-minimum"),
        pytest.param(101, True, None, [(ErrorCode.OUT_OF_RANGE, "n")], id="above-maximum"),
        pytest.param(-50, True, None, [(ErrorCode.OUT_OF_RANGE, "n")], id="negative"),
        pytest.param("42", True, 42, [], id="digits-as-text"),
        pytest.param(" 42 ", True, 42, [], id="digits-with-spaces"),
        pytest.param("1_00", True, None, [(ErrorCode.INVALID, "n")], id="underscores"),
        pytest.param(42.0, True, 42, [], id="whole-float"),
        pytest.param(Decimal("42.0"), True, 42, [], id="whole-json-number"),
        pytest.param("42.00", True, None, [(ErrorCode.INVALID, "n")], id="whole-decimal-text"),
        pytest.param("42.000", True, None, [(ErrorCode.INVALID, "n")], id="grouped-text-not-allowed"),
        pytest.param(42.5, True, None, [(ErrorCode.INVALID, "n")], id="fraction"),
        pytest.param("42.5", True, None, [(ErrorCode.INVALID, "n")], id="fraction-text"),
        pytest.param("forty", True, None, [(ErrorCode.INVALID, "n")], id="words"),
        pytest.param(True, True, None, [(ErrorCode.INVALID, "n")], id="boolean"),
        pytest.param([42], True, None, [(ErrorCode.INVALID, "n")], id="list"),
        pytest.param(None, True, None, [(ErrorCode.REQUIRED, "n")], id="missing-required"),
        pytest.param("", True, None, [(ErrorCode.REQUIRED, "n")], id="empty-required"),
        pytest.param(None, False, None, [], id="missing-optional"),
        pytest.param("", False, None, [], id="empty-optional"),
        pytest.param("  ", True, None, [(ErrorCode.REQUIRED, "n")], id="blank-required"),
        pytest.param(" \u00a0", False, None, [], id="blank-optional"),
    ],
)
def test_integer(value: Any, required: bool, expected: int | None, found: Found) -> None:
    check = Checker()
    assert check.integer("n", value, required=required, minimum=10, maximum=100) == expected
    assert errors(check) == found


@pytest.mark.parametrize(
    ("value", "expected", "found"),
    [
        pytest.param("1.000", 1000, [], id="dot-grouped"),
        pytest.param("1 000", 1000, [], id="space-grouped"),
        pytest.param("1000", 1000, [], id="plain"),
        pytest.param("1.000.000", None, [(ErrorCode.OUT_OF_RANGE, "n")], id="grouped-above-maximum"),
        pytest.param("1,000", None, [(ErrorCode.INVALID, "n")], id="comma-grouped"),
        pytest.param("10.5", None, [(ErrorCode.INVALID, "n")], id="decimal"),
        pytest.param("  ", None, [], id="blank"),
    ],
)
def test_grouped_integer(value: Any, expected: int | None, found: Found) -> None:
    check = Checker()
    assert check.integer("n", value, required=False, minimum=1, maximum=10_000, grouped=True) == expected
    assert errors(check) == found


def test_a_malformed_number_says_why() -> None:
    check = Checker()
    check.integer("moq", "1.50.000", required=False, minimum=1, maximum=10**9, grouped=True)
    check.price("priceVnd", "1,500,000", required=True)
    check.price("priceTiers[1].unitPriceVnd", Decimal("40.000"), required=True)
    assert [e.message for e in check.errors] == [
        "moq must be a whole number, got '1.50.000': separators must split the digits into groups of three, "
        "as in 1.500.000; decimals are not allowed",
        "priceVnd must be a whole number, got '1,500,000': a comma is ambiguous (a thousands separator in "
        "English, the decimal mark in Vietnamese); write 1.500.000 or 1500000",
        "priceTiers[1].unitPriceVnd must be a whole number, got 40.000: the JSON number 40.000 reads as 40, "
        "but as 40000 with Vietnamese thousands separators; write the digits without a dot",
    ]


def test_out_of_range_names_the_bounds() -> None:
    check = Checker()
    check.integer("quantity", 0, required=True, minimum=1, maximum=1000)
    assert [e.message for e in check.errors] == ["quantity must be between 1 and 1000, got 0"]


# --- stars and prices ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected", "found"),
    [
        pytest.param(2, None, [(ErrorCode.OUT_OF_RANGE, "stars")], id="2"),
        pytest.param(3, 3, [], id="3"),
        pytest.param(4, 4, [], id="4"),
        pytest.param(5, 5, [], id="5"),
        pytest.param(6, None, [(ErrorCode.OUT_OF_RANGE, "stars")], id="6"),
        pytest.param(0, None, [(ErrorCode.OUT_OF_RANGE, "stars")], id="0"),
        pytest.param("5", 5, [], id="text-5"),
        pytest.param(4.5, None, [(ErrorCode.INVALID, "stars")], id="half-star"),
        pytest.param("4.0", None, [(ErrorCode.INVALID, "stars")], id="text-point-zero"),
        pytest.param("4.000", None, [(ErrorCode.INVALID, "stars")], id="text-dot-grouped"),
        pytest.param(" 4 ", 4, [], id="text-with-spaces"),
        pytest.param(None, None, [(ErrorCode.REQUIRED, "stars")], id="missing"),
    ],
)
def test_stars(value: Any, expected: int | None, found: Found) -> None:
    check = Checker()
    assert check.stars("stars", value, required=True) == expected
    assert errors(check) == found


@pytest.mark.parametrize(
    ("value", "required", "expected", "found"),
    [
        pytest.param(45000, True, 45000, [], id="price"),
        pytest.param("45000", True, 45000, [], id="price-as-text"),
        pytest.param(1, True, 1, [], id="one-dong"),
        pytest.param(MAX_PRICE_VND, True, MAX_PRICE_VND, [], id="maximum"),
        pytest.param(MAX_PRICE_VND + 1, True, None, [(ErrorCode.OUT_OF_RANGE, "p")], id="above-maximum"),
        pytest.param(0, True, None, [(ErrorCode.OUT_OF_RANGE, "p")], id="zero"),
        pytest.param(-45000, True, None, [(ErrorCode.OUT_OF_RANGE, "p")], id="negative"),
        pytest.param("-45000", True, None, [(ErrorCode.OUT_OF_RANGE, "p")], id="negative-text"),
        pytest.param(-45000, False, None, [(ErrorCode.OUT_OF_RANGE, "p")], id="negative-optional"),
        pytest.param(45000.5, True, None, [(ErrorCode.INVALID, "p")], id="fraction"),
        pytest.param("45.000,5", True, None, [(ErrorCode.INVALID, "p")], id="formatted-text"),
        pytest.param("165.000", True, 165000, [], id="dot-grouped"),
        pytest.param("1.500.000", True, 1500000, [], id="dot-grouped-millions"),
        pytest.param("1 500 000", True, 1500000, [], id="space-grouped"),
        pytest.param("165,5", True, None, [(ErrorCode.INVALID, "p")], id="decimal-comma"),
        pytest.param("165.5", True, None, [(ErrorCode.INVALID, "p")], id="decimal-dot"),
        pytest.param("1.50.000", True, None, [(ErrorCode.INVALID, "p")], id="group-of-two"),
        pytest.param("1,500,000", True, None, [(ErrorCode.INVALID, "p")], id="comma-grouped"),
        pytest.param("abc", True, None, [(ErrorCode.INVALID, "p")], id="words"),
        pytest.param("-5", True, None, [(ErrorCode.OUT_OF_RANGE, "p")], id="negative-small"),
        pytest.param("-1.500", True, None, [(ErrorCode.OUT_OF_RANGE, "p")], id="negative-grouped"),
        pytest.param("0.000", True, None, [(ErrorCode.INVALID, "p")], id="zero-grouped"),
        pytest.param(Decimal("165000"), True, 165000, [], id="json-number"),
        pytest.param(Decimal("165.000"), True, None, [(ErrorCode.INVALID, "p")], id="json-thousands-literal"),
        pytest.param(Decimal("165.5"), True, None, [(ErrorCode.INVALID, "p")], id="json-fraction"),
        pytest.param(None, True, None, [(ErrorCode.REQUIRED, "p")], id="missing-required"),
        pytest.param("", True, None, [(ErrorCode.REQUIRED, "p")], id="empty-required"),
        pytest.param(" ", True, None, [(ErrorCode.REQUIRED, "p")], id="blank-required"),
        pytest.param(None, False, None, [], id="missing-optional"),
        pytest.param(" ", False, None, [], id="blank-optional"),
    ],
)
def test_price(value: Any, required: bool, expected: int | None, found: Found) -> None:
    check = Checker()
    assert check.price("p", value, required=required) == expected
    assert errors(check) == found


def test_a_negative_price_is_reported_once_as_not_positive() -> None:
    check = Checker()
    check.price("priceVnd", -1, required=True)
    assert [e.message for e in check.errors] == ["priceVnd must be a positive amount in VND, got -1"]


# --- provinces ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "code", "former"),
    [
        pytest.param("Vĩnh Long", "86", None, id="current-name"),
        pytest.param("Bến Tre", "86", "Bến Tre", id="old-name"),
        pytest.param("ben tre", "86", "Bến Tre", id="old-name-unaccented"),
        pytest.param(DECOMPOSED, "86", "Bến Tre", id="old-name-decomposed"),
        pytest.param("Quảng Nam", "48", "Quảng Nam", id="old-province-merged-into-a-city"),
        pytest.param("Đà Nẵng", "48", None, id="current-city"),
        pytest.param("Hà Nội", "01", None, id="capital"),
    ],
)
def test_province_resolves_old_and_new_names(value: str, code: str, former: str | None) -> None:
    check = Checker()
    match = check.province("provinceCode", value, required=True)
    assert match is not None
    assert (match.province.code, match.former_name) == (code, former)
    assert check.errors == []


@pytest.mark.parametrize(
    ("value", "required", "found"),
    [
        pytest.param("Atlantis", True, [(ErrorCode.UNKNOWN_PROVINCE, "provinceCode")], id="unknown"),
        pytest.param("Hà Tây", True, [(ErrorCode.UNKNOWN_PROVINCE, "provinceCode")], id="dissolved-in-2008"),
        pytest.param("Atlantis", False, [(ErrorCode.UNKNOWN_PROVINCE, "provinceCode")], id="unknown-optional"),
        pytest.param("x" * 101, True, [(ErrorCode.TOO_LONG, "provinceCode")], id="too-long"),
        pytest.param(None, True, [(ErrorCode.REQUIRED, "provinceCode")], id="missing-required"),
        pytest.param(None, False, [], id="missing-optional"),
    ],
)
def test_province_refuses(value: Any, required: bool, found: Found) -> None:
    check = Checker()
    assert check.province("provinceCode", value, required=required) is None
    assert errors(check) == found


# --- price tiers --------------------------------------------------------------------------------------------


def test_price_tiers_are_parsed_and_sorted() -> None:
    check = Checker()
    tiers = check.price_tiers(
        "priceTiers",
        [{"minQuantity": 500, "unitPriceVnd": 38000}, {"minQuantity": "100", "unitPriceVnd": "41000"}],
    )
    assert tiers == [PriceTier(100, 41000), PriceTier(500, 38000)]
    assert check.errors == []


def test_price_tiers_accept_grouped_amounts_and_quantities() -> None:
    check = Checker()
    tiers = check.price_tiers(
        "priceTiers",
        [{"minQuantity": "1.000", "unitPriceVnd": "1.450.000"}, {"minQuantity": "100", "unitPriceVnd": "150 000"}],
    )
    assert tiers == [PriceTier(100, 150000), PriceTier(1000, 1450000)]
    assert check.errors == []


def test_no_tiers() -> None:
    check = Checker()
    assert check.price_tiers("priceTiers", None) is None
    assert check.price_tiers("priceTiers", []) == []
    assert check.errors == []


@pytest.mark.parametrize(
    ("value", "found"),
    [
        pytest.param("100:41000", [(ErrorCode.INVALID, "priceTiers")], id="not-a-list"),
        pytest.param(
            [{"minQuantity": i + 1, "unitPriceVnd": 1000} for i in range(MAX_TIERS + 1)],
            [(ErrorCode.INVALID, "priceTiers")],
            id="too-many",
        ),
        pytest.param(
            [{"minQuantity": 100, "unitPriceVnd": 41000}, {"minQuantity": 100, "unitPriceVnd": 40000}],
            [(ErrorCode.INVALID, "priceTiers")],
            id="same-min-quantity",
        ),
        pytest.param(
            [{"minQuantity": 100, "unitPriceVnd": 41000}, {"minQuantity": 0, "unitPriceVnd": -1}],
            [
                (ErrorCode.OUT_OF_RANGE, "priceTiers[1].minQuantity"),
                (ErrorCode.OUT_OF_RANGE, "priceTiers[1].unitPriceVnd"),
            ],
            id="bad-tier-fields",
        ),
        pytest.param(
            [{"minQuantity": 10.5, "unitPriceVnd": "cheap"}],
            [(ErrorCode.INVALID, "priceTiers[0].minQuantity"), (ErrorCode.INVALID, "priceTiers[0].unitPriceVnd")],
            id="not-numbers",
        ),
        pytest.param(
            [{"minQuantity": "100", "unitPriceVnd": "41.000"}, {"minQuantity": "1,000", "unitPriceVnd": "40,5"}],
            [(ErrorCode.INVALID, "priceTiers[1].minQuantity"), (ErrorCode.INVALID, "priceTiers[1].unitPriceVnd")],
            id="ambiguous-text",
        ),
        pytest.param(
            [{"minQuantity": "  ", "unitPriceVnd": ""}],
            [(ErrorCode.REQUIRED, "priceTiers[0].minQuantity"), (ErrorCode.REQUIRED, "priceTiers[0].unitPriceVnd")],
            id="blank-tier-fields",
        ),
        pytest.param(
            ["100:41000"],
            [(ErrorCode.REQUIRED, "priceTiers[0].minQuantity"), (ErrorCode.REQUIRED, "priceTiers[0].unitPriceVnd")],
            id="tier-not-an-object",
        ),
    ],
)
def test_price_tiers_refuse(value: Any, found: Found) -> None:
    check = Checker()
    assert check.price_tiers("priceTiers", value) is None
    assert errors(check) == found


# --- other scalars ------------------------------------------------------------------------------------------

Scalar = Callable[[Checker], Any]
# 64 characters of local part, @, and a domain making 254 in all.
LONG_EMAIL = "l" * 64 + "@" + ".".join(["d" * 63, "d" * 63, "d" * 58]) + ".vn"


@pytest.mark.parametrize(
    ("run", "expected", "found"),
    [
        pytest.param(lambda c: c.day("d", "2025-07-01"), date(2025, 7, 1), [], id="day"),
        pytest.param(lambda c: c.day("d", " 2025-07-01 "), date(2025, 7, 1), [], id="day-with-spaces"),
        pytest.param(lambda c: c.day("d", date(2024, 2, 29)), date(2024, 2, 29), [], id="day-as-date"),
        pytest.param(lambda c: c.day("d", ""), None, [], id="day-empty"),
        pytest.param(lambda c: c.day("d", "2025-13-01"), None, [(ErrorCode.INVALID, "d")], id="day-invalid"),
        pytest.param(lambda c: c.day("d", "01/07/2025"), None, [(ErrorCode.INVALID, "d")], id="day-vietnamese-order"),
        pytest.param(lambda c: c.email("e", "lan@keodua.vn"), "lan@keodua.vn", [], id="email"),
        pytest.param(lambda c: c.email("e", "lan at keodua"), None, [(ErrorCode.INVALID, "e")], id="email-invalid"),
        pytest.param(lambda c: c.email("e", None), None, [], id="email-missing"),
        pytest.param(lambda c: c.email("e", LONG_EMAIL), LONG_EMAIL, [], id="email-254-characters"),
        pytest.param(
            lambda c: c.email("e", "x" + LONG_EMAIL), None, [(ErrorCode.TOO_LONG, "e")], id="email-255-characters"
        ),
        pytest.param(lambda c: c.phone("p", "+84 275 3822 123"), "+84 275 3822 123", [], id="phone"),
        pytest.param(lambda c: c.phone("p", "(0275) 382.21-23"), "(0275) 382.21-23", [], id="phone-punctuated"),
        pytest.param(lambda c: c.phone("p", "028 3822"), "028 3822", [], id="phone-short-local"),
        pytest.param(lambda c: c.phone("p", "gọi Lan"), None, [(ErrorCode.INVALID, "p")], id="phone-invalid"),
        pytest.param(lambda c: c.phone("p", "12345"), None, [(ErrorCode.INVALID, "p")], id="phone-too-short"),
        pytest.param(lambda c: c.phone("p", "......"), None, [(ErrorCode.INVALID, "p")], id="phone-no-digits"),
        pytest.param(lambda c: c.phone("p", "+( ) - . ( )"), None, [(ErrorCode.INVALID, "p")], id="phone-punctuation"),
        pytest.param(lambda c: c.phone("p", "12 34 5"), None, [(ErrorCode.INVALID, "p")], id="phone-five-digits"),
        pytest.param(
            lambda c: c.choice("group", "Đồ uống", parse_group, required=True, label="group"),
            ProductGroup.BEVERAGE,
            [],
            id="choice",
        ),
        pytest.param(
            lambda c: c.choice("group", "đồ chơi", parse_group, required=True, label="group"),
            None,
            [(ErrorCode.INVALID, "group")],
            id="choice-unknown",
        ),
        pytest.param(
            lambda c: c.choice("group", "", parse_group, required=True, label="group"),
            None,
            [(ErrorCode.REQUIRED, "group")],
            id="choice-missing",
        ),
        pytest.param(
            lambda c: c.certifications("c", "VietGAP; hữu cơ, vietgap"),
            [Certification.VIETGAP, Certification.ORGANIC],
            [],
            id="certifications-deduplicated",
        ),
        pytest.param(
            lambda c: c.certifications("c", ["HACCP", "nonsense"]),
            [Certification.HACCP],
            [(ErrorCode.INVALID, "c")],
            id="certifications-unknown",
        ),
        pytest.param(
            lambda c: c.certifications("c", 42), None, [(ErrorCode.INVALID, "c")], id="certifications-not-a-list"
        ),
        pytest.param(
            lambda c: c.urls("u", "https://a.vn/1.jpg; http://a.vn/2.jpg"),
            ["https://a.vn/1.jpg", "http://a.vn/2.jpg"],
            [],
            id="urls",
        ),
        pytest.param(
            lambda c: c.urls("u", ["ftp://a.vn/1.jpg"]),
            ["ftp://a.vn/1.jpg"],
            [(ErrorCode.INVALID, "u")],
            id="urls-not-http",
        ),
        pytest.param(
            lambda c: c.urls("u", [f"https://a.vn/{i}.jpg" for i in range(21)]),
            None,
            [(ErrorCode.INVALID, "u")],
            id="urls-too-many",
        ),
    ],
)
def test_other_scalars(run: Scalar, expected: Any, found: Found) -> None:
    check = Checker()
    assert run(check) == expected
    assert errors(check) == found


@pytest.mark.parametrize(
    ("certified_at", "valid_until", "expected", "found"),
    [
        pytest.param(date(2023, 5, 12), None, date(2026, 5, 12), [], id="defaults-to-36-months"),
        pytest.param(date(2023, 5, 12), date(2025, 1, 1), date(2025, 1, 1), [], id="given"),
        pytest.param(
            date(2023, 5, 12), date(2023, 5, 12), date(2023, 5, 12), [(ErrorCode.INVALID, "validUntil")], id="same-day"
        ),
        pytest.param(
            date(2023, 5, 12), date(2022, 1, 1), date(2022, 1, 1), [(ErrorCode.INVALID, "validUntil")], id="before"
        ),
        pytest.param(None, date(2025, 1, 1), date(2025, 1, 1), [], id="no-certification-date"),
        pytest.param(None, None, None, [], id="neither"),
    ],
)
def test_certificate_dates(
    certified_at: date | None, valid_until: date | None, expected: date | None, found: Found
) -> None:
    check = Checker()
    assert check_certificate_dates(check, certified_at, valid_until) == expected
    assert errors(check) == found


TODAY = date.today()


@pytest.mark.parametrize(
    ("run", "expected", "found"),
    [
        pytest.param(lambda c: c.day("d", "2018-01-01"), date(2018, 1, 1), [], id="the-programme-start"),
        pytest.param(lambda c: c.day("d", "2017-12-31"), None, [(ErrorCode.OUT_OF_RANGE, "d")], id="before-ocop"),
        pytest.param(lambda c: c.day("d", "0001-01-01"), None, [(ErrorCode.OUT_OF_RANGE, "d")], id="year-one"),
        pytest.param(lambda c: c.day("d", "9999-12-31"), None, [(ErrorCode.OUT_OF_RANGE, "d")], id="year-9999"),
        pytest.param(lambda c: c.day("d", date.max), None, [(ErrorCode.OUT_OF_RANGE, "d")], id="date-max"),
        pytest.param(lambda c: c.day("d", horizon()), horizon(), [], id="the-horizon"),
        pytest.param(
            lambda c: c.day("d", horizon() + timedelta(days=1)), None, [(ErrorCode.OUT_OF_RANGE, "d")], id="past-it"
        ),
        pytest.param(lambda c: c.day("d", datetime(2025, 7, 1, 9)), date(2025, 7, 1), [], id="datetime-as-its-day"),
        pytest.param(
            lambda c: c.day("d", TODAY + timedelta(days=1), latest=latest_done_day()),
            TODAY + timedelta(days=1),
            [],
            id="done-tomorrow-in-vietnam",
        ),
        pytest.param(
            lambda c: c.day("d", TODAY + timedelta(days=2), latest=latest_done_day()),
            None,
            [(ErrorCode.OUT_OF_RANGE, "d")],
            id="done-in-the-future",
        ),
    ],
)
def test_days_are_bounded(run: Scalar, expected: Any, found: Found) -> None:
    check = Checker()
    assert run(check) == expected
    assert errors(check) == found


def test_not_in_the_future_is_reckoned_in_utc_whatever_the_servers_zone() -> None:
    """At 06:30 on 11 March in Vietnam, still the 10th in UTC, on a server keeping Vietnam's time: something done
    (a certification, a signature) may carry the 11th, the client's today, but not the 12th; the farthest day an
    input may name is counted from the UTC day."""
    with pinned_clock():
        check = Checker()
        assert check.day("certifiedAt", "2025-03-11", latest=latest_done_day()) == date(2025, 3, 11)
        assert check.day("certifiedAt", "2025-03-12", latest=latest_done_day()) is None
        assert errors(check) == [(ErrorCode.OUT_OF_RANGE, "certifiedAt")]
        assert horizon() == add_months(date(2025, 3, 10), HORIZON_YEARS * 12)


def test_an_out_of_range_day_names_the_bounds() -> None:
    check = Checker()
    check.day("certifiedAt", "9999-12-31", latest=date(2026, 11, 30))
    assert check.errors[0].message == "certifiedAt must be between 2018-01-01 and 2026-11-30, got 9999-12-31"


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        pytest.param(date(2024, 2, 29), 36, date(2027, 2, 28), id="clamped-to-month-end"),
        pytest.param(date(2024, 1, 31), 1, date(2024, 2, 29), id="into-a-leap-february"),
        pytest.param(date(2023, 11, 15), 2, date(2024, 1, 15), id="over-a-new-year"),
        pytest.param(date(9996, 12, 31), 36, date(9999, 12, 31), id="the-last-day"),
    ],
)
def test_add_months(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def test_add_months_past_year_9999_overflows() -> None:
    with pytest.raises(OverflowError):
        add_months(date(9999, 12, 31), 36)


@pytest.mark.parametrize(
    ("certified_at", "valid_until", "found"),
    [
        pytest.param(date(9999, 12, 31), None, [(ErrorCode.OUT_OF_RANGE, "certifiedAt")], id="default-overflows"),
        pytest.param(date(9995, 1, 1), None, [(ErrorCode.OUT_OF_RANGE, "certifiedAt")], id="longest-overflows"),
        pytest.param(date(2024, 5, 1), date(2034, 5, 1), [], id="ten-years"),
        pytest.param(date(2024, 5, 1), date(2034, 5, 2), [(ErrorCode.OUT_OF_RANGE, "validUntil")], id="longer"),
    ],
)
def test_certificate_dates_are_bounded(certified_at: date, valid_until: date | None, found: Found) -> None:
    check = Checker()
    check_certificate_dates(check, certified_at, valid_until)
    assert errors(check) == found


# --- enumeration parsers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parse", "value", "expected"),
    [
        pytest.param(parse_group, "food", ProductGroup.FOOD, id="group-code"),
        pytest.param(parse_group, "Thực phẩm", ProductGroup.FOOD, id="group-vietnamese"),
        pytest.param(parse_group, "tourism-service", ProductGroup.TOURISM_SERVICE, id="group-dashes"),
        pytest.param(parse_group, "Dược liệu", ProductGroup.HERBAL, id="group-alias"),
        pytest.param(parse_group, "Hoa, cây cảnh", ProductGroup.ORNAMENTAL, id="group-punctuation"),
        pytest.param(parse_group, "đồ chơi", None, id="group-unknown"),
        pytest.param(parse_producer_type, "HTX", ProducerType.COOPERATIVE, id="type-abbreviation"),
        pytest.param(parse_producer_type, "Công ty", ProducerType.ENTERPRISE, id="type-vietnamese"),
        pytest.param(parse_producer_type, "cooperative_group", ProducerType.COOPERATIVE_GROUP, id="type-code"),
        pytest.param(parse_producer_type, "trang trại", None, id="type-unknown"),
        pytest.param(parse_certification, "VietGAP", Certification.VIETGAP, id="cert-code"),
        pytest.param(parse_certification, "ISO 9001", Certification.ISO9001, id="cert-spaced"),
        pytest.param(parse_certification, "fssc-22000", Certification.FSSC22000, id="cert-dashed"),
        pytest.param(parse_certification, "Hữu cơ", Certification.ORGANIC, id="cert-vietnamese"),
        pytest.param(parse_certification, "Michelin", None, id="cert-unknown"),
    ],
)
def test_parsers(parse: Callable[[Any], Any], value: str, expected: Any) -> None:
    assert parse(value) is expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("HTX Kẹo dừa Thanh Long", ProducerType.COOPERATIVE, id="htx"),
        pytest.param("Hợp tác xã Nông nghiệp Tân Phú", ProducerType.COOPERATIVE, id="hop-tac-xa"),
        pytest.param("Công ty TNHH Vĩnh Tiến", ProducerType.ENTERPRISE, id="cong-ty"),
        pytest.param("Tổ hợp tác Mây tre đan", ProducerType.COOPERATIVE_GROUP, id="to-hop-tac"),
        pytest.param("Cơ sở Ba Tư", ProducerType.HOUSEHOLD, id="co-so"),
        pytest.param("Nguyễn Văn An", ProducerType.HOUSEHOLD, id="no-prefix"),
        pytest.param("HTXanh", ProducerType.HOUSEHOLD, id="prefix-inside-a-word"),
    ],
)
def test_infer_producer_type(name: str, expected: ProducerType) -> None:
    assert infer_producer_type(name) is expected
