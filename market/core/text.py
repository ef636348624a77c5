"""Text normalisation shared by storage, lookups and search.

Everything we store is NFC: the same Vietnamese word typed on two keyboards can arrive as composed or
decomposed code points, and MongoDB compares bytes.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_CONTROLS = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\ufeff"
_CONTROL = re.compile(f"[{_CONTROLS}]")
# NFC never turns a visible character into white space or a control one, so this finds one in the raw text
# exactly when `nfc` would keep something.
_VISIBLE = re.compile(rf"[^\s{_CONTROLS}]")
# The code points below this whose fate `fold` has looked up are remembered: Latin with Vietnamese tones and
# the combining marks, in a table that stays small whatever text comes in.
_REMEMBERED = 0x3000


class _Unmarked(dict[int, int | None]):
    """`str.translate` table dropping combining marks (category Mn) and keeping every other character."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.category(chr(code)) == "Mn" else code
        if code < _REMEMBERED:
            self[code] = kept
        return kept


_UNMARKED = _Unmarked()


def nfc(value: str) -> str:
    """NFC-normalise, drop control and zero-width characters, collapse runs of white space."""
    value = unicodedata.normalize("NFC", value)
    if _CONTROL.search(value) is not None:
        value = _CONTROL.sub("", value)
    # str.split() and the regex `\s` agree on what white space is.
    return " ".join(value.split())


def blank(value: str) -> bool:
    """Whether `nfc(value)` is empty, without normalising a long text to find out."""
    return _VISIBLE.search(value) is None


def fold(value: str) -> str:
    """Accent- and case-insensitive key: "Bến Tre" -> "ben tre", "Đường" -> "duong"."""
    text = nfc(value)
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    # One pass in C per string: fold runs on every name, key and query.
    return decomposed.translate(_UNMARKED).casefold()


# For words and names that recur (a query's words from search to search, the few producers an import names on
# row after row): folding one costs microseconds, looking it up less. Bounded in entries, so meant for short
# strings, not descriptions.
fold_recurring = lru_cache(maxsize=8192)(fold)
