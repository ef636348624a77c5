"""The words of the catalogue, for correcting typos in short syllables.

Meilisearch tolerates one typo from 5 letters and two from 9; most Vietnamese syllables have 2–4 letters
without accents, so "nuc mam" or "ruou sjm" find nothing, and lowering the thresholds globally floods the
results. Instead a short query word that is not a word of the catalogue is replaced by the most frequent
catalogue word one edit away (an insertion, deletion, substitution or swap).
"""

from __future__ import annotations

import string
from collections import Counter
from collections.abc import Callable, Iterable

from market.core.text import fold
from search.places import PlaceIndex
from search.vietnamese import words

MAX_CORRECTED_LENGTH = 4
MIN_CORRECTED_LENGTH = 3
MEMO_SIZE = 50_000
# A known word this many times rarer than a neighbour is probably a slip for it ("mui" for "muoi").
RARER_BY = 8
SLIP_BONUS = 4
_LETTERS = string.ascii_lowercase
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_POSITION = {ch: (r, c) for r, row in enumerate(_ROWS) for c, ch in enumerate(row)}
# Spellings of Vietnamese sounds borrowed from other languages: "ca fe" is "cà phê".
_PHONETIC = (("f", "ph"), ("dz", "d"), ("z", "d"))


def _adjacent(a: str, b: str) -> bool:
    (ra, ca), (rb, cb) = _POSITION.get(a, (9, 9)), _POSITION.get(b, (-9, -9))
    return abs(ra - rb) <= 1 and abs(ca - cb) <= 1


class Vocabulary:
    def __init__(
        self, counts: Counter[str], concepts: frozenset[str] = frozenset(), places: PlaceIndex | None = None
    ) -> None:
        self.counts = counts
        # The communes and districts of the producers' addresses, by province (search/places.py).
        self.places = places or PlaceIndex()
        # The glossary concepts the catalogue carries (their labels), read tone-exactly from names and
        # categories: what tells "no grapes here" from a misspelling.
        self.concepts = concepts
        # Corrections already worked out, per word (a vocabulary never changes; it is replaced). Bounded:
        # only short ASCII words need work, and the memo is dropped when full.
        self._corrections: dict[str, str | None] = {}

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> Vocabulary:
        builder = VocabularyBuilder()
        builder.add(texts)
        return builder.build()

    def __contains__(self, word: str) -> bool:
        return word in self.counts

    def correct(self, word: str) -> str | None:
        """The catalogue word the buyer probably meant, or None when `word` needs no correction."""
        try:
            return self._corrections[word]
        except KeyError:
            pass
        if len(self._corrections) >= MEMO_SIZE:
            self._corrections.clear()
        corrected = self._corrections[word] = self._correct(word)
        return corrected

    def _correct(self, word: str) -> str | None:
        folded = fold(word)
        if folded != word.casefold():
            return None  # typed with accents: the buyer chose this word
        if not folded.isalpha() or not folded.isascii() or len(folded) > MAX_CORRECTED_LENGTH:
            return None
        known = self.counts.get(folded, 0)
        for wrong, right in _PHONETIC:
            respelled = folded.replace(wrong, right)
            if respelled != folded and self.counts.get(respelled, 0) > known:
                return respelled
        if len(folded) < MIN_CORRECTED_LENGTH:
            return None
        candidates = [c for c in _edits(folded) if self.counts.get(c, 0) > known * RARER_BY]
        if not candidates:
            return None
        # The most frequent word, counting a slip to a neighbouring key or a swap as more likely.
        return max(
            candidates, key=lambda c: (self.counts[c] * (SLIP_BONUS if _slip(folded, c) else 1), c[0] == folded[0], c)
        )

    def correct_text(self, text: str, keep: frozenset[str] = frozenset()) -> str | None:
        """`keep`: words never corrected, folded (product words of the glossary: "nho" is a grape, and no
        slip for a word the catalogue happens to hold)."""
        changed = False
        out = []
        tokens = words(text)
        for i, word in enumerate(tokens):
            beside_number = any(t.isdigit() for t in tokens[max(0, i - 1) : i + 2])
            kept = beside_number or fold(word) in keep  # "st 25" is a rice variety
            fixed = None if kept else self.correct(word)
            changed = changed or fixed is not None
            out.append(fixed or word)
        return " ".join(out) if changed else None


class VocabularyBuilder:
    """Counts the words of texts handed over a few at a time, so that a catalogue can be read in batches and
    counted in short steps between other work; only the counts are kept, never the texts."""

    def __init__(self, concepts_in: Callable[[list[str]], Iterable[str]] | None = None) -> None:
        self._counts: Counter[str] = Counter()
        self._concepts_in = concepts_in
        self._concepts: set[str] = set()
        self._places = PlaceIndex()
        # A catalogue repeats a few thousand distinct words: each is folded once, not at every occurrence.
        self._folded: dict[str, str] = {}

    def add(self, texts: Iterable[str]) -> None:
        # One match over the joined texts rather than one per text; the space keeps words apart and keeps a
        # combining mark from composing with the previous text's last letter.
        texts = list(texts)
        if self._concepts_in is not None:
            self._concepts.update(self._concepts_in(texts))
        written = Counter(words(" ".join(texts)))
        folded = self._folded
        counts = self._counts
        for word, n in written.items():
            key = folded.get(word)
            if key is None:
                key = folded[word] = fold(word)
            counts[key] += n

    def add_places(self, addresses: Iterable[tuple[str, str]]) -> None:
        """(commune as written, province code) of the producers' addresses, a few at a time."""
        self._places.include(addresses)

    def build(self) -> Vocabulary:
        """The vocabulary of everything added; the builder is spent (a vocabulary never changes)."""
        vocabulary = Vocabulary(self._counts, frozenset(self._concepts), self._places)
        self._places = PlaceIndex()
        self._counts = Counter()
        self._concepts = set()
        self._folded = {}
        return vocabulary


def _slip(typed: str, meant: str) -> bool:
    """Whether `typed` is `meant` with one key replaced by a neighbouring key, or two letters swapped."""
    if len(typed) != len(meant):
        return False
    diff = [i for i, (a, b) in enumerate(zip(typed, meant, strict=True)) if a != b]
    if len(diff) == 1:
        return _adjacent(typed[diff[0]], meant[diff[0]])
    return len(diff) == 2 and diff[1] == diff[0] + 1 and typed[diff[0]] == meant[diff[1]]


def _edits(word: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    swaps = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaces = {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    inserts = {a + c + b for a, b in splits for c in _LETTERS}
    return (deletes | swaps | replaces | inserts) - {word}
