"""A product's English text in an import row: `nameEn`/`descriptionEn` keys, or the Vietnamese headers a
spreadsheet is usually given ("Tên tiếng Anh", "Mô tả tiếng Anh")."""

from __future__ import annotations

import re
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


def column_key(header: str) -> str:
    return re.sub(r"[\s_\-.:()/]+", " ", fold(header)).strip()


def translation_columns(row: dict[str, Any]) -> tuple[list[dict[str, Any]] | None, set[str]]:
    """The row's translations as `clean_product` takes them (None when the row has no such column) and the
    keys they were read from."""
    found: dict[str, dict[str, Any]] = {}
    used: set[str] = set()
    for key, value in row.items():
        target = _COLUMNS.get(column_key(key)) if isinstance(key, str) else None
        if target is None:
            continue
        used.add(key)
        locale, field = target
        found.setdefault(locale, {"locale": locale})[field] = value
    return (list(found.values()) if found else None), used
