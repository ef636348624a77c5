"""Turning a buyer's query into Meilisearch requests.

One search becomes a federated multi-search of a few weighted queries over the same index, each a
different reading of what was typed:

- `base`: the text as typed (or as converted from Telex/VNI), accents folded, over the ordinary fields;
- `tone`: when the buyer typed tone marks, the same words in their tone-preserving spelling over the tone
  fields, weighted above `base`, so "dứa" puts pineapples above coconuts;
- `province`: when the text names a province (old or new name), the other words filtered to that province,
  weighted above `base`: a strong ranking signal, not a filter;
- `typo`: short words corrected against the catalogue's vocabulary ("nuc" -> "nuoc");
- `typed`: after a Telex/VNI conversion, the raw text too, weighted low, in case it was not Telex.

Meilisearch returns each document once, with the best weighted score of the queries that matched it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from market.provinces import ProvinceMatch, load_provinces, province_key
from market.text import fold
from search.settings import FOLDED_FIELDS, TONE_FIELDS
from search.vietnamese import convert_keystrokes, has_marks, is_syllable, telex, words
from search.vocabulary import Vocabulary

WEIGHT_TONE = 1.3
WEIGHT_PROVINCE = 1.2
WEIGHT_TYPO = 0.9
WEIGHT_TYPED = 0.6

FACETS = ["provinceCode", "formerProvinceCode", "stars", "group", "certifications", "priceVnd"]


class SearchSort(StrEnum):
    RELEVANCE = "relevance"
    PRICE_ASC = "price_asc"
    PRICE_DESC = "price_desc"
    STARS_DESC = "stars_desc"
    NEWEST = "newest"


_SORT_PARAMS: dict[SearchSort, list[str]] = {
    SearchSort.PRICE_ASC: ["priceVnd:asc"],
    SearchSort.PRICE_DESC: ["priceVnd:desc"],
    SearchSort.STARS_DESC: ["stars:desc"],
    SearchSort.NEWEST: ["createdAt:desc"],
}


@dataclass(frozen=True, slots=True)
class SearchFilter:
    provinces: tuple[str, ...] = ()  # codes: current ones match their old provinces too
    groups: tuple[str, ...] = ()
    min_stars: int | None = None
    price_min: int | None = None
    price_max: int | None = None
    certifications: tuple[str, ...] = ()
    producer_id: str | None = None
    max_moq: int | None = None


@dataclass(slots=True)
class Reading:
    """What we made of the text."""

    text: str
    converted: str | None = None
    corrected: str | None = None
    province: ProvinceMatch | None = None
    without_province: str = ""

    @property
    def best(self) -> str:
        return self.converted or self.text

    @property
    def toned(self) -> bool:
        return any(has_marks(w) for w in words(self.best))


@dataclass(slots=True)
class Plan:
    queries: list[dict[str, Any]]
    federated: bool
    reading: Reading
    notes: list[str] = field(default_factory=list)


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _in(attribute: str, values: list[str]) -> str:
    return f"{attribute} IN [{', '.join(_quote(v) for v in values)}]"


def province_filter(codes: list[str]) -> str:
    """A current code matches everything registered under it; an old code only that old province."""
    registry = load_provinces()
    current, former = [], []
    for code in codes:
        match = registry.resolve(code)
        if match is None:
            continue
        if match.former_name:
            former.append(registry.former_code(match.former_name) or code)
        else:
            current.append(match.province.code)
    clauses = []
    if current:
        clauses.append(_in("provinceCode", current))
    if former:
        clauses.append(_in("formerProvinceCode", former))
    return "(" + " OR ".join(clauses) + ")" if clauses else 'provinceCode = "none"'


def filter_expression(flt: SearchFilter, visibility: str) -> list[str]:
    parts = [visibility]
    if flt.provinces:
        parts.append(province_filter(list(flt.provinces)))
    if flt.groups:
        parts.append(_in("group", list(flt.groups)))
    if flt.min_stars is not None:
        parts.append(f"stars >= {int(flt.min_stars)}")
    if flt.price_min is not None:
        parts.append(f"priceVnd >= {int(flt.price_min)}")
    if flt.price_max is not None:
        parts.append(f"priceVnd <= {int(flt.price_max)}")
    if flt.certifications:
        parts.append(_in("certifications", list(flt.certifications)))
    if flt.producer_id:
        parts.append(f"producerId = {_quote(flt.producer_id)}")
    if flt.max_moq is not None:
        parts.append(f"moq <= {int(flt.max_moq)}")
    return parts


def find_province(text: str) -> tuple[ProvinceMatch | None, str]:
    """The province the text names, if any (the longest run of words that is a province name), and the
    text without it. Single-word names count only beside other words ("huế" alone is a search for Huế
    products anyway)."""
    tokens = words(text)
    registry = load_provinces()
    for size in (4, 3, 2, 1):
        for start in range(len(tokens) - size + 1):
            phrase = " ".join(tokens[start : start + size])
            if size == 1 and (len(tokens) == 1 or len(province_key(phrase)) < 3):
                continue
            match = registry.resolve(phrase)
            if match is not None and not province_key(phrase).isdigit():
                rest = tokens[:start] + tokens[start + size :]
                return match, " ".join(rest)
    return None, text


_SPLIT_CODE = re.compile(r"\b([a-z]{1,3})[\s\-_.]+(\d{1,4})\b", re.IGNORECASE)


def join_codes(text: str) -> str:
    """Variety codes are written joined in product names: "st 25" and "st-25" mean ST25. Letters that form a
    Vietnamese word are left alone: "rượu sim 29 độ" is a 29° liquor."""
    return _SPLIT_CODE.sub(lambda m: m[0] if is_syllable(m[1]) else m[1] + m[2], text)


def read(text: str, vocabulary: Vocabulary | None) -> Reading:
    text = join_codes(text)
    reading = Reading(text=text)
    if not text:
        return reading
    reading.converted = convert_keystrokes(text)
    if vocabulary is not None:
        reading.corrected = vocabulary.correct_text(reading.best)
    reading.province, reading.without_province = find_province(reading.best)
    return reading


def tone_query(text: str) -> str:
    """Accented words in their Telex spelling, the others folded: matches the tone fields."""
    return " ".join(telex(w) if has_marks(w) else fold(w) for w in words(text))


def plan(
    reading: Reading,
    filters: list[str],
    sort: SearchSort,
    *,
    index_uid: str,
    display: dict[str, Any],
) -> Plan:
    def query(q: str, weight: float, extra_filter: str | None = None, on: list[str] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "indexUid": index_uid,
            "q": q,
            "filter": [*filters, extra_filter] if extra_filter else filters,
            "attributesToSearchOn": on or FOLDED_FIELDS,
            "federationOptions": {"weight": weight},
            **display,
        }
        return body

    if not reading.text or sort is not SearchSort.RELEVANCE:
        single: dict[str, Any] = {"indexUid": index_uid, "q": reading.corrected or reading.best, "filter": filters}
        if sort is not SearchSort.RELEVANCE:
            single["sort"] = _SORT_PARAMS[sort]
            # Sorted results are not ranked by relevance, so each must match every word.
            single["matchingStrategy"] = "all"
        return Plan(queries=[{**single, **display}], federated=False, reading=reading)

    queries = [query(reading.best, 1.0)]
    notes = ["base"]
    if reading.toned:
        queries.append(query(tone_query(reading.best), WEIGHT_TONE, on=TONE_FIELDS))
        notes.append("tone")
    if reading.province is not None and reading.without_province:
        match = reading.province
        code = load_provinces().former_code(match.former_name) if match.former_name else None
        in_province = f'formerProvinceCode = "{code}"' if code else f'provinceCode = "{match.province.code}"'
        words_left = find_province(reading.corrected)[1] if reading.corrected else reading.without_province
        queries.append(query(words_left, WEIGHT_PROVINCE, in_province))
        notes.append("province")
        if reading.toned:
            queries.append(
                query(tone_query(reading.without_province), WEIGHT_PROVINCE * WEIGHT_TONE, in_province, TONE_FIELDS)
            )
            notes.append("tone+province")
    if reading.corrected:
        queries.append(query(reading.corrected, WEIGHT_TYPO))
        notes.append("typo")
    if reading.converted:
        queries.append(query(reading.text, WEIGHT_TYPED))
        notes.append("typed")
    return Plan(queries=queries, federated=True, reading=reading, notes=notes)
