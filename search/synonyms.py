"""Synonyms that keep tones, applied to index documents (see search/data/synonyms.txt).

Meilisearch's own synonyms are matched after accent folding, so "khóm ↔ dứa" would also pull in every
"dừa" (coconut) product. Here a product gets the other members of a group only when a member occurs in its
name or category with the same tones; buyers' queries then find it through those added terms.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from market.core.text import nfc


@dataclass(frozen=True, slots=True)
class Term:
    words: tuple[str, ...]
    leading_only: bool


@dataclass(frozen=True, slots=True)
class SynonymGroup:
    terms: tuple[Term, ...]

    def labels(self) -> list[str]:
        return [" ".join(t.words) for t in self.terms]


def _lower_words(text: str) -> list[str]:
    return [w for w in nfc(text).casefold().replace(",", " ").replace("(", " ").replace(")", " ").split() if w]


def parse(text: str) -> list[SynonymGroup]:
    groups = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "!")):
            continue
        terms = []
        for raw in line.split(","):
            raw = raw.strip()
            leading = raw.startswith("^")
            words = tuple(_lower_words(raw.lstrip("^")))
            if words:
                terms.append(Term(words, leading))
        if len(terms) > 1:
            groups.append(SynonymGroup(tuple(terms)))
    return groups


def parse_stop_phrases(text: str) -> frozenset[tuple[str, ...]]:
    """The phrases of the `!` lines: their words belong to no shorter term ("lá dứa" is not "dứa")."""
    phrases: set[tuple[str, ...]] = set()
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("!"):
            phrases.update(tuple(_lower_words(raw)) for raw in line[1:].split(",") if _lower_words(raw))
    return frozenset(phrases)


@lru_cache(maxsize=8)
def _by_first_word(stops: frozenset[tuple[str, ...]]) -> dict[str, list[tuple[str, ...]]]:
    index: dict[str, list[tuple[str, ...]]] = {}
    for phrase in stops:
        index.setdefault(phrase[0], []).append(phrase)
    return index


def stop_spans(words: list[str], stops: frozenset[tuple[str, ...]]) -> list[tuple[int, int]]:
    """(start, end) of each stop phrase in `words`. The phrases are looked up by their first word: every
    document's name and category is checked against them all."""
    spans = []
    by_first = _by_first_word(stops)
    for i, word in enumerate(words):
        for phrase in by_first.get(word, ()):
            if tuple(words[i : i + len(phrase)]) == phrase:
                spans.append((i, i + len(phrase)))
    return spans


def covered(words: list[str], stops: frozenset[tuple[str, ...]]) -> set[int]:
    """Positions of `words` inside a stop phrase."""
    return {i for start, end in stop_spans(words, stops) for i in range(start, end)}


def splits(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    """Whether a term at [start, end) takes part of a stop phrase without the whole of it: "dứa" of "lá
    dứa" does, the glossary's own "lá dứa" (pandan) does not."""
    return any(a < end and start < b and not (start <= a and b <= end) for a, b in spans)


@cache
def load_stop_phrases() -> frozenset[tuple[str, ...]]:
    return parse_stop_phrases(_source())


@cache
def _source() -> str:
    return resources.files("search.data").joinpath("synonyms.txt").read_text(encoding="utf-8")


@cache
def load_synonyms() -> list[SynonymGroup]:
    return parse(_source())


def synonyms_fingerprint() -> str:
    return hashlib.sha256(_source().encode()).hexdigest()[:16]


TermIndex = dict[str, list[tuple[Term, SynonymGroup]]]


def index_terms(groups: list[SynonymGroup]) -> TermIndex:
    """Terms by their first word, so a product is matched in one pass over its words."""
    index: TermIndex = {}
    for group in groups:
        for term in group.terms:
            index.setdefault(term.words[0], []).append((term, group))
    return index


@cache
def _default_index() -> TermIndex:
    return index_terms(load_synonyms())


def expand(
    name: str,
    category: str,
    groups: list[SynonymGroup] | None = None,
    stops: frozenset[tuple[str, ...]] | None = None,
) -> list[str]:
    """The synonym terms a product gains from its name and category (tone-exact), leaving out words inside a
    stop phrase."""
    index = index_terms(groups) if groups is not None else _default_index()
    stops = load_stop_phrases() if stops is None else stops
    matched: dict[SynonymGroup, set[Term]] = {}
    for words in (_lower_words(name), _lower_words(category)):
        hidden = covered(words, stops)
        for i, word in enumerate(words):
            if i in hidden:
                continue
            for term, group in index.get(word, ()):
                if (i == 0 or not term.leading_only) and tuple(words[i : i + len(term.words)]) == term.words:
                    matched.setdefault(group, set()).add(term)
    added: list[str] = []
    for group, found in matched.items():
        for term in group.terms:
            label = " ".join(term.words)
            if term not in found and label not in added:
                added.append(label)
    return added
