"""The text keys everything is stored and matched by: `nfc`, `blank` and `fold` against their definitions."""

from __future__ import annotations

import re
import unicodedata

import pytest

from market.core.text import blank, fold, nfc

_CONTROL = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\ufeff]")
# Latin with Vietnamese tones, combining marks, general punctuation and spaces, CJK, and beyond the BMP.
_CODE_POINTS = [
    *range(0x0000, 0x0590),
    *range(0x1E00, 0x2070),
    *range(0x3000, 0x3040),
    *range(0xFE00, 0xFF10),
    0x1D165,
    0x1F600,
    0xE0100,
]


def _nfc_by_definition(value: str) -> str:
    value = _CONTROL.sub("", unicodedata.normalize("NFC", value))
    return re.sub(r"\s+", " ", value).strip()


def _fold_by_definition(value: str) -> str:
    decomposed = unicodedata.normalize("NFD", _nfc_by_definition(value).replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn").casefold()


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Bến Tre", "ben tre"),
        ("ĐƯỜNG  Phèn\t", "duong phen"),
        ("Cà phê\u200b Buôn Ma Thuột", "ca phe buon ma thuot"),
        ("Mật ong hoa nhãn – hũ 500g", "mat ong hoa nhan – hu 500g"),
        ("Tra\u0300 sen", "tra sen"),  # a tone typed as a combining mark
        ("HTX", "htx"),
        ("", ""),
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_nfc_composes_drops_controls_and_collapses_space() -> None:
    assert nfc(" Tra\u0300\u00a0\u00a0sen\x00\ufeff \n") == "Trà sen"


def test_every_character_is_read_as_defined() -> None:
    for code in _CODE_POINTS:
        char = chr(code)
        for text in (char, f" {char}a", f"a{char}\u0301 ", f"\u200b{char}\t{char}"):
            assert nfc(text) == _nfc_by_definition(text), hex(code)
            assert fold(text) == _fold_by_definition(text), hex(code)
            assert blank(text) == (not _nfc_by_definition(text)), hex(code)
