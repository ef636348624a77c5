"""Integrity of the judged relevance set: every judgment points at a real, published fixture product."""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent

MIN_PER_CATEGORY = {
    "ordinary": 20,
    "accent_free": 12,
    "partial_accents": 6,
    "tones": 14,
    "telex": 8,
    "vni": 5,
    "synonyms": 10,
    "typos": 8,
    "provinces": 10,
    "alphanumeric": 5,
    "joined": 4,
    "unicode": 3,
    "english": 20,
    "attributes": 20,
    "intents": 15,
    "absent": 8,
}
# Queries for products the catalogue lacks: the right answer is no product at all.
ABSENT = "absent"


def load_products() -> list[dict[str, Any]]:
    with (HERE / "products.jsonl").open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_queries() -> list[dict[str, Any]]:
    with (HERE / "queries.json").open(encoding="utf-8") as f:
        data = json.load(f)
    assert isinstance(data, list)
    return data


def test_fixture_names_are_unique_nfc_identifiers() -> None:
    names = [p["name"] for p in load_products()]
    assert len(names) == len(set(names))
    assert all(unicodedata.is_normalized("NFC", n) for n in names)


def test_every_query_is_well_formed() -> None:
    queries = load_queries()
    assert len(queries) >= 100
    for item in queries:
        assert set(item) == {"query", "category", "expect", "note"}, item
        assert isinstance(item["query"], str) and item["query"].strip(), item
        assert item["category"] in MIN_PER_CATEGORY, item
        assert isinstance(item["note"], str) and item["note"].strip(), item
        assert isinstance(item["expect"], list), item
        assert bool(item["expect"]) is (item["category"] != ABSENT), item
        assert len(item["expect"]) == len(set(item["expect"])), item
    duplicates = [q for q, n in Counter(item["query"] for item in queries).items() if n > 1]
    assert not duplicates


def test_categories_meet_their_minimums() -> None:
    counts = Counter(item["category"] for item in load_queries())
    short = {c: (counts[c], n) for c, n in MIN_PER_CATEGORY.items() if counts[c] < n}
    assert not short


def test_expected_products_exist_and_are_published() -> None:
    by_name = {p["name"]: p for p in load_products()}
    for item in load_queries():
        for name in item["expect"]:
            assert name in by_name, (item["query"], name)
            assert by_name[name].get("status", "published") == "published", (item["query"], name)


def test_absent_products_are_not_in_the_fixture() -> None:
    """An absent query names no word of any published product's name."""
    names = " ".join(p["name"].casefold() for p in load_products() if p.get("status", "published") == "published")
    for item in load_queries():
        if item["category"] == ABSENT:
            assert f" {item['query'].casefold()} " not in f" {names} ", item


def test_unicode_category_holds_decomposed_and_upper_case_queries() -> None:
    queries = [item["query"] for item in load_queries() if item["category"] == "unicode"]
    assert any(not unicodedata.is_normalized("NFC", q) for q in queries)
    assert any(q.isupper() for q in queries)
