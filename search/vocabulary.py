"""The words of the catalogue, for correcting typos in short syllables.

Meilisearch tolerates one typo from 5 letters and two from 9; most Vietnamese syllables have 2–4 letters
without accents, so "nuc mam" or "ruou sjm" find nothing, and lowering the thresholds globally floods the
results. Instead a short query word that is not a word of the catalogue is replaced by the most frequent
catalogue word one edit away (an insertion, deletion, substitution or swap).
"""

from __future__ import annotations

import string
from collections import Counter
from collections.abc import Iterable

from market.text import fold
from search.vietnamese import words

MAX_CORRECTED_LENGTH = 4
_LETTERS = string.ascii_lowercase


class Vocabulary:
    def __init__(self, counts: Counter[str]) -> None:
        self.counts = counts

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> Vocabulary:
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(fold(w) for w in words(text))
        return cls(counts)

    def __contains__(self, word: str) -> bool:
        return word in self.counts

    def correct(self, word: str) -> str | None:
        """The catalogue word the buyer probably meant, or None when `word` needs no correction."""
        folded = fold(word)
        if (
            not folded.isalpha()
            or not folded.isascii()
            or len(folded) > MAX_CORRECTED_LENGTH
            or len(folded) < 2
            or folded in self.counts
        ):
            return None
        candidates = [c for c in _edits(folded) if c in self.counts]
        if not candidates:
            return None
        # Prefer the most frequent word; on a tie, the one keeping the first letter and the length.
        return max(candidates, key=lambda c: (self.counts[c], c[0] == folded[0], len(c) == len(folded), c))

    def correct_text(self, text: str) -> str | None:
        changed = False
        out = []
        for word in words(text):
            fixed = self.correct(word)
            changed = changed or fixed is not None
            out.append(fixed or word)
        return " ".join(out) if changed else None


def _edits(word: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    swaps = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaces = {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    inserts = {a + c + b for a, b in splits for c in _LETTERS}
    return (deletes | swaps | replaces | inserts) - {word}
