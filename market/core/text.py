"""Text normalisation shared by storage, lookups and search.

Everything we store is NFC: the same Vietnamese word typed on two keyboards can arrive as composed or
decomposed code points, and MongoDB compares bytes.
"""

from __future__ import annotations

import re
import unicodedata

_CONTROL = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\ufeff]")
_SPACES = re.compile(r"\s+")


def nfc(value: str) -> str:
    """NFC-normalise, drop control and zero-width characters, collapse runs of white space."""
    value = unicodedata.normalize("NFC", value)
    value = _CONTROL.sub("", value)
    return _SPACES.sub(" ", value).strip()


def fold(value: str) -> str:
    """Accent- and case-insensitive key: "Bến Tre" -> "ben tre", "Đường" -> "duong"."""
    decomposed = unicodedata.normalize("NFD", nfc(value).replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return stripped.casefold()
