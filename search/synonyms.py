"""Synonyms that keep tones, applied to index documents (see search/data/synonyms.txt).

Meilisearch's own synonyms are matched after accent folding, so "khóm ↔ dứa" would also pull in every
"dừa" (coconut) product. Here a product gets the other members of a group only when a member occurs in its
name or category with the same tones; buyers' queries then find it through those added terms.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from market.text import nfc


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
        if not line or line.startswith("#"):
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


@cache
def _source() -> str:
    return resources.files("search.data").joinpath("synonyms.txt").read_text(encoding="utf-8")


@cache
def load_synonyms() -> list[SynonymGroup]:
    return parse(_source())


def synonyms_fingerprint() -> str:
    return hashlib.sha256(_source().encode()).hexdigest()[:16]


def _occurs(term: Term, fields: list[list[str]]) -> bool:
    n = len(term.words)
    for words in fields:
        starts = [0] if term.leading_only else range(len(words) - n + 1)
        if any(tuple(words[i : i + n]) == term.words for i in starts):
            return True
    return False


def expand(name: str, category: str, groups: list[SynonymGroup] | None = None) -> list[str]:
    """The synonym terms a product gains from its name and category (tone-exact)."""
    fields = [_lower_words(name), _lower_words(category)]
    added: list[str] = []
    for group in groups if groups is not None else load_synonyms():
        matched = [t for t in group.terms if _occurs(t, fields)]
        if not matched:
            continue
        for term in group.terms:
            label = " ".join(term.words)
            if term not in matched and label not in added:
                added.append(label)
    return added
