"""The bilingual glossary of OCOP product terms (search/data/glossary.txt): English for Vietnamese products,
and the concepts a buyer's query names.

At index time a product gains the English terms of every concept its name, category or selling unit names,
tone-exactly and longest term first, plus one concept token per concept ("honey" -> `ggmatong`). At query
time an English term (multi-word ones first) is read as its concept: the token is appended to the query, so
a product that *is* honey (matching "honey" and the token) ranks above one that merely has the English word
in its name ("Cà phê Robusta Honey").

A concept whose name starts with another concept's term is a kind of it: wild honey ("mật ong rừng") is
honey ("mật ong"), so a product of the narrower concept carries the broader one's token and English too.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

from market.core.text import fold, fold_recurring, nfc
from search.synonyms import load_stop_phrases, splits, stop_spans

# Concept tokens start with two letters no word starts with, so typo tolerance never reaches them from a
# plain word (they live in a field without typo tolerance anyway).
CONCEPT_TOKEN_PREFIX = "gg"
MAX_TERM_WORDS = 4
_WORD = re.compile(r"[0-9a-zA-Z\u00c0-\u024f\u1e00-\u1eff'\-]+")


def term_words(text: str) -> tuple[str, ...]:
    return tuple(w.strip("'-") for w in _WORD.findall(nfc(text).casefold()) if w.strip("'-"))


@dataclass(frozen=True, slots=True)
class VietTerm:
    words: tuple[str, ...]
    leading_only: bool


@dataclass(frozen=True, slots=True)
class Concept:
    """One glossary line: Vietnamese terms (the first is the concept's name) and English terms. `standalone`:
    not a kind of the concept its name starts with (rice paper, "bánh tráng", is no cake, "bánh")."""

    vietnamese: tuple[VietTerm, ...]
    english: tuple[tuple[str, ...], ...]
    standalone: bool = False

    @property
    def label(self) -> str:
        return " ".join(self.vietnamese[0].words)

    @property
    def token(self) -> str:
        return CONCEPT_TOKEN_PREFIX + fold(self.label).replace(" ", "")

    @property
    def english_label(self) -> str:
        return " ".join(self.english[0]) if self.english else self.label


def parse(text: str) -> list[Concept]:
    concepts = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "!")) or "=" not in line:
            continue
        left, right = line.split("=", 1)
        standalone = left.lstrip().startswith("~")
        viet = []
        for raw in left.lstrip().lstrip("~").split(","):
            raw = raw.strip()
            words = term_words(raw.lstrip("^"))
            if words:
                viet.append(VietTerm(words, raw.startswith("^")))
        english = tuple(w for w in (term_words(raw) for raw in right.split(",")) if w)
        if viet:
            concepts.append(Concept(tuple(viet), english, standalone))
    return concepts


@cache
def _source() -> str:
    return resources.files("search.data").joinpath("glossary.txt").read_text(encoding="utf-8")


def glossary_fingerprint() -> str:
    return hashlib.sha256(_source().encode()).hexdigest()[:16]


class Glossary:
    def __init__(self, concepts: list[Concept], stops: frozenset[tuple[str, ...]] = frozenset()) -> None:
        self.concepts = concepts
        self.stops = stops
        self._viet: dict[str, list[tuple[VietTerm, Concept]]] = {}
        self._folded: dict[str, list[tuple[tuple[str, ...], Concept]]] = {}
        self._english: dict[str, list[tuple[tuple[str, ...], Concept]]] = {}
        for concept in concepts:
            for term in concept.vietnamese:
                self._viet.setdefault(term.words[0], []).append((term, concept))
                folded = tuple(fold(w) for w in term.words)
                self._folded.setdefault(folded[0], []).append((folded, concept))
            for words in concept.english:
                self._english.setdefault(words[0], []).append((words, concept))
        for table in (self._viet, self._folded, self._english):
            for entries in table.values():
                entries.sort(key=lambda e: -len(e[0].words if isinstance(e[0], VietTerm) else e[0]))
        by_words = {term.words: concept for concept in concepts for term in concept.vietnamese}
        self._broader: dict[Concept, tuple[Concept, ...]] = {}
        for concept in (c for c in concepts if not c.standalone):
            label = concept.vietnamese[0].words
            prefixes = (by_words.get(label[:size]) for size in range(len(label) - 1, 0, -1))
            broader = tuple(dict.fromkeys(c for c in prefixes if c is not None and c is not concept))
            if broader:
                self._broader[concept] = broader
        self._folded_stops = frozenset(tuple(fold(w) for w in phrase) for phrase in stops)
        self.english_words = frozenset(w for c in concepts for words in c.english for w in words)
        self.product_words = frozenset(fold(w) for c in concepts for t in c.vietnamese for w in t.words)
        # Never "corrected" into another catalogue word: a product word is meant as typed.
        self.kept_words = self.product_words | self.english_words

    # --- index time -------------------------------------------------------------------------------------

    def concepts_in(self, texts: Iterable[str]) -> list[Concept]:
        """The concepts named in each text, tone-exact, longest term first, outside stop phrases, each followed
        by the broader concepts it is a kind of."""
        # Keyed by identity: a glossary's concepts are distinct objects, and comparing frozen dataclasses field
        # by field made each check grow with everything found before it (the vocabulary count passes texts in
        # batches).
        found: dict[int, Concept] = {}
        for text in texts:
            words = list(term_words(text))
            spans = stop_spans(words, self.stops)
            i = 0
            while i < len(words):
                match = None
                for term, concept in self._viet.get(words[i], ()):
                    size = len(term.words)
                    fits = (i == 0 or not term.leading_only) and tuple(words[i : i + size]) == term.words
                    if fits and not splits(i, i + size, spans):
                        match = (size, concept)
                        break
                if match is None:
                    i += 1
                    continue
                size, concept = match
                for kind in (concept, *self._broader.get(concept, ())):
                    found.setdefault(id(kind), kind)
                i += size
        return list(found.values())

    # --- query time -------------------------------------------------------------------------------------

    def read_english(self, words: list[str]) -> list[tuple[int, int, Concept]]:
        """(start, end, concept) of the English terms in a query's words (lower case), longest first."""
        out = []
        i = 0
        while i < len(words):
            for term, concept in self._english.get(words[i], ()):
                if tuple(words[i : i + len(term)]) == term:
                    out.append((i, i + len(term), concept))
                    i += len(term)
                    break
            else:
                i += 1
        return out

    def read_vietnamese(self, words: list[str]) -> list[tuple[int, int, list[Concept]]]:
        """(start, end, concepts) of the Vietnamese terms in a query's words: tone-exact where a word carries
        marks, and every reading of a word typed without them ("dua": dứa and dừa)."""
        out = []
        unaccented = [fold_recurring(w) for w in words]
        spans = stop_spans(words, self.stops) + stop_spans(unaccented, self._folded_stops)
        i = 0
        while i < len(words):
            best: tuple[int, list[Concept]] | None = None
            for term, concept in self._viet.get(words[i], ()):
                size = len(term.words)
                if tuple(words[i : i + size]) == term.words and not splits(i, i + size, spans):
                    best = (size, [concept])
                    break
            if best is None and unaccented[i] == words[i]:
                for folded, concept in self._folded.get(words[i], ()):
                    size = len(folded)
                    if tuple(words[i : i + size]) == folded and not splits(i, i + size, spans):
                        if best is None:
                            best = (len(folded), [concept])
                        elif len(folded) == best[0] and concept not in best[1]:
                            best[1].append(concept)
            if best is None:
                i += 1
                continue
            out.append((i, i + best[0], best[1]))
            i += best[0]
        return out


@cache
def load_glossary() -> Glossary:
    return Glossary(parse(_source()), load_stop_phrases())
