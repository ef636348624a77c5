"""Communes and districts named in a query, mapped to their province.

Buyers name where a product comes from by its commune or district as often as by its province ("kẹo dừa Hòa
Tân", "chè Tân Cương"). There is no national list of communes here; the producers' addresses are one, for
every place that matters to the catalogue. The index is built with the catalogue's vocabulary
(search/vocabulary.py) and refreshed with it.

A place named in a query becomes a PROVINCE chip that ranks and does not filter, as a province named in the
text does: the place's own words still match the products' `places`. A name typed with accents must match
tone for tone; one typed without them matches when it folds to places of one province only. A name shared by
places of two provinces ("Châu Thành", a district in several) gives no chip, and so does a one-syllable name.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable

from market.core.text import fold, nfc
from search.interpret import Chip, ChipKind, Interpretation
from search.vietnamese import has_marks, telex, words

MAX_WORDS = 4
MIN_WORDS = 2
MEMO_SIZE = 10_000
# What an address puts before a place's own name, folded: "Xã Hòa Tân, huyện Cầu Kè".
_ADMIN = re.compile(r"^(?:xa|phuong|thi tran|thi xa|huyen|quan|thanh pho|tp)\b\.?\s*")


def place_names(commune: str, fold_word: Callable[[str], str] = fold) -> list[str]:
    """The commune and district names an address line gives, without their "xã", "huyện"… prefixes."""
    names = []
    for part in nfc(commune).split(","):
        shown = words(part)
        key = " ".join(fold_word(w) for w in shown)
        prefix = _ADMIN.match(key)
        skip = len(prefix[0].split()) if prefix else 0
        name = shown[skip:]
        if len(name) >= MIN_WORDS:
            names.append(" ".join(name))
    return names


class PlaceIndex:
    def __init__(self, addresses: Iterable[tuple[str, str]] = ()) -> None:
        # folded name -> its spellings with tones (Telex, which writes "hòa" and "hoà" alike) -> the provinces of
        # places so named
        self._names: dict[str, dict[str, set[str]]] = {}
        self._memo: dict[str, tuple[str, str] | None] = {}
        # Addresses repeat a few thousand syllables: each is folded once.
        self._folded: dict[str, str] = {}
        self.include(addresses)

    def include(self, addresses: Iterable[tuple[str, str]]) -> None:
        """(commune as written, province code) pairs; a few at a time, between other work, for a long list."""
        for commune, province in addresses:
            for name in place_names(commune, self._fold):
                shown = words(name)
                key = " ".join(self._fold(w) for w in shown)
                spelled = " ".join(telex(w) for w in shown)
                self._names.setdefault(key, {}).setdefault(spelled, set()).add(province)
        self._memo.clear()

    def _fold(self, word: str) -> str:
        folded = self._folded.get(word)
        if folded is None:
            folded = self._folded[word] = fold(word)
        return folded

    def __len__(self) -> int:
        return len(self._names)

    def find(self, text: str) -> tuple[str, str] | None:
        """(province code, the words as typed) of the first place the text names unambiguously."""
        if not self._names:
            return None
        try:
            return self._memo[text]
        except KeyError:
            pass
        if len(self._memo) >= MEMO_SIZE:
            self._memo.clear()
        found = self._memo[text] = self._find(words(text))
        return found

    def _find(self, shown: list[str]) -> tuple[str, str] | None:
        typed = [w.casefold() for w in shown]
        folded = [fold(w) for w in typed]
        for size in range(MAX_WORDS, MIN_WORDS - 1, -1):
            for i in range(len(typed) - size + 1):
                spellings = self._names.get(" ".join(folded[i : i + size]))
                if spellings is None:
                    continue
                span = typed[i : i + size]
                if any(has_marks(w) for w in span):
                    provinces = spellings.get(" ".join(telex(w) for w in span), set())
                else:
                    provinces = set().union(*spellings.values())
                if len(provinces) == 1:
                    return next(iter(provinces)), " ".join(shown[i : i + size])
        return None


def with_place(interpretation: Interpretation, places: PlaceIndex | None) -> Interpretation:
    """The interpretation with a PROVINCE chip for the place its text names, unless it names a province
    already. A copy: readings are shared between searches (search/plans.py)."""
    if places is None or any(c.kind is ChipKind.PROVINCE for c in interpretation.chips):
        return interpretation
    found = places.find(interpretation.text)
    if found is None:
        return interpretation
    code, text = found
    chip = Chip(ChipKind.PROVINCE, code, text, filtered=False)
    return dataclasses.replace(interpretation, chips=[*interpretation.chips, chip])
