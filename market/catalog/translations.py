"""A product's English text in an import row: `nameEn`/`descriptionEn` keys, or the Vietnamese headers a
spreadsheet is usually given ("Tên tiếng Anh", "Mô tả tiếng Anh")."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from market.core.text import fold

# Folded, punctuation-free header -> (locale, field).
_COLUMNS: dict[str, tuple[str, str]] = {
    "nameen": ("en", "name"),
    "name en": ("en", "name"),
    "english name": ("en", "name"),
    "ten tieng anh": ("en", "name"),
    "ten san pham tieng anh": ("en", "name"),
    "descriptionen": ("en", "description"),
    "description en": ("en", "description"),
    "english description": ("en", "description"),
    "mo ta tieng anh": ("en", "description"),
}


_SEPARATORS = re.compile(r"[\s_\-.:()/]+")


def column_key(header: str) -> str:
    return _SEPARATORS.sub(" ", fold(header)).strip()


@lru_cache(maxsize=256)
def _targets(keys: tuple[Any, ...]) -> tuple[tuple[str, str, str], ...]:
    """(key, locale, field) of the translation columns among `keys`. Every row of a file has the same keys,
    so each set of them is read once, not on every row."""
    return tuple((key, *target) for key in keys if isinstance(key, str) and (target := _COLUMNS.get(column_key(key))))


def translation_columns(row: dict[str, Any]) -> tuple[list[dict[str, Any]] | None, set[str]]:
    """The row's translations as `clean_product` takes them (None when the row has no such column) and the
    keys they were read from."""
    found: dict[str, dict[str, Any]] = {}
    used: set[str] = set()
    for key, locale, field in _targets(tuple(row)):
        used.add(key)
        found.setdefault(locale, {"locale": locale})[field] = row[key]
    return (list(found.values()) if found else None), used
