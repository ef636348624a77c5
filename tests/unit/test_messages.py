"""The message catalogue (market/core/messages.py), and that every error the code raises comes from it."""

from __future__ import annotations

import ast
from decimal import Decimal
from pathlib import Path

import pytest

from api.media import locale_of
from market.catalog.validation import Checker
from market.core.errors import DomainError, ErrorCode, FieldError, conflict, not_found
from market.core.messages import ENUM_LABELS, MESSAGES, TERMS, Verbatim, placeholders, render

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("market", "search", "schema", "api", "cli", "workers")


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_message_has_both_languages_with_the_same_placeholders(key: str) -> None:
    message = MESSAGES[key]
    assert message.en.strip() and message.vi.strip()
    assert placeholders(message.en) == placeholders(message.vi)
    ErrorCode(message.code)


def test_every_error_code_has_a_message() -> None:
    assert {ErrorCode(m.code) for m in MESSAGES.values()} == set(ErrorCode)


def test_terms_and_labels_have_both_languages() -> None:
    for word, texts in TERMS.items():
        assert set(texts) == {"en", "vi"} and all(texts.values()), word
    for enum, values in ENUM_LABELS.items():
        for value, texts in values.items():
            assert set(texts) == {"en", "vi"} and all(texts.values()), (enum, value)


def test_rendering_fills_the_placeholders_in_each_language() -> None:
    params = {"field": "priceVnd", "min": 1, "max": 10**12, "got": 0}
    assert render("out_of_range", params, "en") == "priceVnd must be between 1 and 1000000000000, got 0"
    assert render("out_of_range", params, "vi") == "priceVnd phải từ 1 đến 1000000000000, nhận được 0"
    assert render("out_of_range", params, "fr") == render("out_of_range", params, "en")


def test_terms_lists_nested_messages_and_articles() -> None:
    assert render("not_found", {"what": "producer"}, "vi") == "chủ thể sản xuất không tồn tại"
    assert render("forbidden_move", {"parties": ["BUYER", "PRODUCER"], "to": "LOST"}, "en") == (
        "only the buyer or producer may move this deal to LOST"
    )
    assert render("forbidden_move", {"parties": ["BUYER", "PRODUCER"], "to": "LOST"}, "vi") == (
        "chỉ bên mua hoặc chủ thể sản xuất mới được chuyển thương vụ này sang LOST"
    )
    params = {"state": "AGREED", "to": "NEGOTIATING", "allowed": ["ORDERED", "LOST"]}
    assert render("invalid_transition", params, "en").startswith("an AGREED deal cannot move to NEGOTIATING; allowed:")
    assert render("invalid_transition", params, "en").endswith("ORDERED, LOST")
    closed = {"action": "messages", "reason": "expired_on", "expiredOn": "2026-01-31"}
    assert render("inquiry_closed", closed, "vi") == (
        "yêu cầu này không nhận thêm tin nhắn: yêu cầu đã hết hạn ngày 2026-01-31"
    )


def test_text_is_quoted_and_numbers_as_written_are_not() -> None:
    assert render("not_a_date", {"field": "d", "got": "mai"}, "en") == "d must be a date as YYYY-MM-DD, got 'mai'"
    assert render("not_a_date", {"field": "d", "got": Verbatim(Decimal("40.000"))}, "en").endswith("got 40.000")


def test_a_missing_parameter_shows_its_placeholder_rather_than_failing() -> None:
    assert render("out_of_range", {"field": "x"}, "en") == "x must be between {min} and {max}, got {got}"


@pytest.mark.parametrize(
    ("header", "locale"),
    [
        ("vi-VN,vi;q=0.9", "vi"),
        ("vi", "vi"),
        ("VI-vn", "vi"),
        ("en-US,en;q=0.9,vi;q=0.8", "en"),
        ("en;q=0.5,vi;q=0.8", "vi"),
        ("vi;q=0", "en"),
        ("video", "en"),
        ("fr", "en"),
        ("", "en"),
        (None, "en"),
        ("vi;q=abc", "en"),
    ],
)
def test_the_locale_is_the_most_preferred_language(header: str | None, locale: str) -> None:
    assert locale_of(header) == locale


def test_checker_errors_carry_a_key_and_their_parameters() -> None:
    check = Checker()
    check.integer("moq", 0, required=True, minimum=1, maximum=100)
    check.text("name", None, required=True, max_len=10)
    check.price("priceVnd", "1,500,000", required=True)
    check.province("province", "Atlantis", required=True)
    check.certifications("certifications", ["NOPE"])
    assert [(e.key, e.params) for e in check.errors[:2]] == [
        ("out_of_range", {"min": 1, "max": 100, "got": 0}),
        ("required", {}),
    ]
    assert check.errors[2].params == {"got": "1,500,000", "reason": "ambiguous_comma"}
    assert check.errors[2].text("vi").startswith("priceVnd phải là số nguyên, nhận được '1,500,000': dấu phẩy")
    assert check.errors[3].text("vi") == "không có tỉnh, thành phố nào là 'Atlantis'"
    assert check.errors[4].params["allowed"][0] == "VIETGAP"
    assert all(e.key is not None for e in check.errors)


def test_the_english_message_is_the_catalogue_english() -> None:
    error = conflict(3, 4).errors[0]
    assert error.message == render(error.key or "", {"field": error.field, **error.params}, "en")
    assert not_found("id", "product").errors[0].text("vi") == "sản phẩm không tồn tại"
    moved = FieldError.of("required", "query").moved("criteria.query")
    assert moved.message == "criteria.query is required"
    assert DomainError([moved]).text("vi") == "criteria.query: criteria.query không được để trống"


# --- every error of the code comes from the catalogue ------------------------------------------------------

# Calls whose argument names a term of TERMS: function name → the index of that argument.
_TERM_ARGUMENTS = {
    "not_found": 1,
    "parse_object_id": 2,
    "ensure_buyer": 1,
    "ensure_party": 3,
    "ensure_open": 1,
    "ensure_can_trade": 1,
    "ensure_manager": 2,
}
_TERM_KEYWORDS = {"what", "label", "action", "party"}
# Calls whose first argument is a message key.
_KEYED = {"DomainError.of", "FieldError.of", "cls.of", "forbidden", "check.add", "self.add"}


def _sources() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_name(node.value)}.{node.attr}"
    return ""


def _literals(node: ast.expr) -> list[str] | None:
    """The strings an argument can be: a literal, or a conditional between literals; None otherwise."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = _literals(node.body), _literals(node.orelse)
        return body + orelse if body is not None and orelse is not None else None
    return None


def problems_in(source: str, where: str) -> list[str]:
    """Errors built without a catalogue key, unknown keys and terms, and parameters a template lacks."""
    found: list[str] = []
    # Where a key is passed on to the catalogue rather than chosen.
    forwarding = where in ("market/core/errors.py", "market/catalog/validation.py")
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = _name(node.func)
        line = f"{where}:{node.lineno}"
        if name == "FieldError" and where != "market/core/errors.py":
            found.append(f"{line}: FieldError(...) without a catalogue key; use FieldError.of")
        if name.endswith(".single"):
            found.append(f"{line}: {name}(...) without a catalogue key; use DomainError.of")
        if name in _KEYED and node.args:
            keys = _literals(node.args[0])
            if keys is None:
                if not forwarding:
                    found.append(f"{line}: {name} with a key that is not a literal")
                continue
            given = {k.arg for k in node.keywords}
            for key in keys:
                if key not in MESSAGES:
                    found.append(f"{line}: unknown message key {key!r}")
                elif None not in given:  # without **params every placeholder must be given
                    missing = placeholders(MESSAGES[key].en) - {k for k in given if k} - {"field"}
                    if missing:
                        found.append(f"{line}: {key!r} needs {sorted(missing)}")
        short = name.rsplit(".", 1)[-1]
        terms: list[ast.expr] = []
        if name in _KEYED or short == "choice":
            terms += [k.value for k in node.keywords if k.arg in _TERM_KEYWORDS]
        if short in _TERM_ARGUMENTS and len(node.args) > _TERM_ARGUMENTS[short]:
            terms.append(node.args[_TERM_ARGUMENTS[short]])
        for term_node in terms:
            for word in _literals(term_node) or []:
                if word not in TERMS:
                    found.append(f"{line}: {word!r} is not a term of the catalogue")
    return found


def test_every_error_the_code_raises_comes_from_the_catalogue() -> None:
    found = [
        problem
        for path in _sources()
        for problem in problems_in(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]
    assert found == []


def test_the_scan_finds_errors_outside_the_catalogue() -> None:
    source = (
        "from market.core.errors import DomainError, ErrorCode, FieldError, not_found\n"
        "a = FieldError(ErrorCode.INVALID, 'x', 'bad')\n"
        "b = DomainError.of('no_such_key', 'x')\n"
        "c = DomainError.of('out_of_range', 'x', min=1)\n"
        "d = not_found('x', 'unicorn')\n"
        "e = DomainError.of(some_key, 'x')\n"
    )
    found = problems_in(source, "market/probe.py")
    assert sorted(problem.split(":")[1] for problem in found) == ["2", "3", "4", "5", "6"], found
