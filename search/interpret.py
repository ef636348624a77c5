"""Reading a buyer's query for what it asks besides words: stars, certifications, pack sizes, occasions and
intents, provinces, and the products it names.

"OCOP 5 sao nước mắm" is fish sauce rated five stars, not fish sauce whose text says "5"; "quà Tết" asks for
gifts, whatever their names say. Those parts leave the text and become filters on attributes the products
carry (search/attributes.py), each reported as a chip (`interpretedAs`) a UI can show and remove. Filler
words ("đồ", "cho") are dropped. The products the query names (glossary concepts, search/glossary.py) are
kept for the honest-empty check: a query for grapes in a catalogue without grapes finds nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache, partial
from importlib import resources

from market.core.provinces import load_provinces, province_key
from market.core.text import fold, nfc
from search.attributes import pack_size
from search.filters import equals, one_of
from search.glossary import Concept, Glossary, load_glossary
from search.vietnamese import has_marks, words


class ChipKind(StrEnum):
    STARS = "stars"
    CERTIFICATION = "certification"
    PROVINCE = "province"
    PACKAGING = "packaging"
    INTENT = "intent"


@dataclass(frozen=True, slots=True)
class Chip:
    kind: ChipKind
    value: str  # what the filter takes: stars "5", a certification code, a province code, a pack size, a tag
    text: str  # the words of the query it came from
    filtered: bool = True  # False: a ranking signal only (provinces), or a filter dropped because nothing passed it


@dataclass(frozen=True, slots=True)
class Named:
    """A product the query names: every concept the words may mean, and whether they were read exactly
    (typed with accents, in English, or a word that has no accents to type)."""

    concepts: tuple[Concept, ...]
    exact: bool
    text: str


@dataclass(slots=True)
class Interpretation:
    text: str
    chips: list[Chip] = field(default_factory=list)
    named: list[Named] = field(default_factory=list)
    concept_tokens: list[str] = field(default_factory=list)  # of the English terms typed
    # The concept token of the product a Vietnamese query is about, typed exactly and followed or preceded by
    # other words: it ranks the products that are it first, and unlike English tokens never filters.
    head_tokens: list[str] = field(default_factory=list)

    @property
    def filters(self) -> list[str]:
        """Meilisearch filter expressions of the chips that filter: one per kind, values of a kind OR-ed."""
        by_kind: dict[ChipKind, list[str]] = {}
        for chip in self.chips:
            if chip.filtered:
                by_kind.setdefault(chip.kind, []).append(chip.value)
        parts = []
        if ChipKind.STARS in by_kind:
            parts.append(one_of("stars", by_kind[ChipKind.STARS]))
        if ChipKind.CERTIFICATION in by_kind:
            parts.append(one_of("certifications", by_kind[ChipKind.CERTIFICATION]))
        if ChipKind.PACKAGING in by_kind:
            sizes = [v for v in by_kind[ChipKind.PACKAGING] if v[0].isdigit()]
            tags = [v for v in by_kind[ChipKind.PACKAGING] if not v[0].isdigit()]
            parts += [one_of("packSizes", sizes)] if sizes else []
            parts += [one_of("tags", tags)] if tags else []
        for tag in by_kind.get(ChipKind.INTENT, ()):
            parts.append(equals("tags", tag))
        return parts

    def without_filters(self) -> list[Chip]:
        return [Chip(c.kind, c.value, c.text, filtered=False) for c in self.chips]


# --- the phrases -------------------------------------------------------------------------------------------

_STARS = re.compile(
    r"(?<!\w)(?:ocop\s*)?([3-5])\s*(?:-\s*)?(?:sao|★|⭐|\*|stars?)(?!\w)|(?<!\w)(?:ocop\s*)?(★{3,5}|⭐{3,5})",
    re.IGNORECASE,
)
_SIZE = re.compile(
    r"(?<![\w.,])(\d+(?:[.,]\d+)?)\s*(ml|lít|lit|litre|liter|l|kg|g|gr|gram)(?!\w)",
    re.IGNORECASE,
)
# Certification words as buyers type them, in either language, with the code the facet uses.
_CERTIFICATIONS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p, re.IGNORECASE), code)
    for p, code in (
        (r"(?<!\w)viet\s*-?\s*gap(?!\w)", "VIETGAP"),
        (r"(?<!\w)global\s*-?\s*g\.?\s*a\.?\s*p\.?(?!\w)", "GLOBALGAP"),
        (r"(?<!\w)haccp(?!\w)", "HACCP"),
        (r"(?<!\w)iso\s*-?\s*22000(?!\w)", "ISO22000"),
        (r"(?<!\w)iso\s*-?\s*9001(?!\w)", "ISO9001"),
        (r"(?<!\w)fssc\s*-?\s*22000(?!\w)", "FSSC22000"),
        (r"(?<!\w)(?:hữu cơ|huu co|organic)(?!\w)", "ORGANIC"),
        (r"(?<!\w)halal(?!\w)", "HALAL"),
        (r"(?<!\w)brc(?:gs)?(?!\w)", "BRC"),
        (r"(?<!\w)fda(?!\w)", "FDA"),
    )
]


@dataclass(frozen=True, slots=True)
class Phrases:
    """The intent vocabulary (search/data/intents.txt): (words, attribute) pairs, longest first; filler
    phrases have the attribute `filler`. `folded` holds each phrase's words without accents, and `by_word`
    the positions of the phrases a word may start, as typed or folded: a query is read in microseconds,
    not by trying every phrase at every word."""

    phrases: tuple[tuple[tuple[str, ...], str], ...]
    folded: tuple[tuple[str, ...], ...] = ()
    by_word: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def starting(self, word: str) -> list[int]:
        """Positions (longest phrase first) of the phrases that may start with `word`."""
        exact = self.by_word.get(word, ())
        if has_marks(word):
            return list(exact)
        return sorted({*exact, *self.by_word.get(FOLDED + word, ())})


FOLDED = "\0"  # key prefix of the folded first words in Phrases.by_word


FILLER = "filler"


def parse_intents(text: str) -> Phrases:
    phrases: list[tuple[tuple[str, ...], str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, _, rest = line.partition("=")
        items = [tuple(w.casefold() for w in words(raw.replace("-", " "))) for raw in rest.split(",")]
        phrases += [(item, name.strip()) for item in items if item]
    phrases.sort(key=lambda p: -len(p[0]))
    folded = tuple(tuple(fold(w) for w in item) for item, _ in phrases)
    by_word: dict[str, list[int]] = {}
    for position, (item, _) in enumerate(phrases):
        by_word.setdefault(item[0], []).append(position)
        by_word.setdefault(FOLDED + folded[position][0], []).append(position)
    return Phrases(tuple(phrases), folded, {k: tuple(v) for k, v in by_word.items()})


@cache
def intents_source() -> str:
    return resources.files("search.data").joinpath("intents.txt").read_text(encoding="utf-8")


@cache
def load_intents() -> Phrases:
    return parse_intents(intents_source())


def _match_at(typed: list[str], marked: list[bool], i: int, phrase: tuple[str, ...], folded: tuple[str, ...]) -> bool:
    """A typed word matches a phrase word tone-exactly, or accent-free when typed without accents."""
    if len(phrase) == 1 and phrase[0] != folded[0]:
        # One accented word typed without its accents is too often another word: "do" is "độ" in "40 do dam",
        # not "đồ".
        return i < len(typed) and typed[i] == phrase[0]
    return len(typed) - i >= len(phrase) and all(
        typed[i + k] == w or (not marked[i + k] and folded[k] == typed[i + k]) for k, w in enumerate(phrase)
    )


# --- reading a query ---------------------------------------------------------------------------------------


def interpret(text: str, glossary: Glossary | None = None, intents: Phrases | None = None) -> Interpretation:
    glossary = glossary or load_glossary()
    intents = intents or load_intents()
    chips: list[Chip] = []
    rest = nfc(text)

    def cut(pattern: re.Pattern[str], chip: Callable[[re.Match[str]], Chip | None]) -> None:
        nonlocal rest

        def replace(m: re.Match[str]) -> str:
            made = chip(m)
            if made is None:
                return m[0]
            if made not in chips:
                chips.append(made)
            return " "

        rest = pattern.sub(replace, rest)

    cut(_STARS, lambda m: Chip(ChipKind.STARS, m[1] or str(len(m[2])), m[0].strip()))
    cut(_SIZE, _size_chip)
    for pattern, code in _CERTIFICATIONS:
        cut(pattern, partial(_certification_chip, code))

    shown = words(rest)
    typed = [w.casefold() for w in shown]
    marked = [has_marks(w) for w in typed]
    terms = glossary.read_vietnamese(typed)
    in_term = {i for start, end, _ in terms for i in range(start, end)}
    kept: list[str] = []
    i = 0
    while i < len(typed):
        hit = next(
            (
                intents.phrases[p]
                for p in intents.starting(typed[i])
                if (intents.phrases[p][1] != FILLER or i not in in_term)
                and _match_at(typed, marked, i, intents.phrases[p][0], intents.folded[p])
            ),
            None,
        )
        if hit is None:
            kept.append(shown[i])
            i += 1
            continue
        phrase, attribute = hit
        if attribute != FILLER and not any(c.value == attribute for c in chips):
            kind = ChipKind.PACKAGING if attribute == "giftbox" else ChipKind.INTENT
            chips.append(Chip(kind, attribute, " ".join(shown[i : i + len(phrase)])))
        i += len(phrase)
    unchanged = not chips and len(kept) == len(typed)
    interpretation = Interpretation(text=text if unchanged else " ".join(kept), chips=chips)
    # The words the intents left are read again, unless they are all of them.
    _read_products(interpretation, [w.casefold() for w in kept], glossary, terms if len(kept) == len(typed) else None)
    _mark_province(interpretation, kept)
    return interpretation


def _certification_chip(code: str, m: re.Match[str]) -> Chip:
    return Chip(ChipKind.CERTIFICATION, code, m[0].strip())


def _size_chip(m: re.Match[str]) -> Chip | None:
    value = pack_size(m[1], m[2])
    return Chip(ChipKind.PACKAGING, value, m[0].strip()) if value else None


def _read_products(
    interpretation: Interpretation,
    typed: list[str],
    glossary: Glossary,
    terms: list[tuple[int, int, list[Concept]]] | None = None,
) -> None:
    english = glossary.read_english(typed)
    taken = {i for start, end, _ in english for i in range(start, end)}
    found: list[tuple[int, Named]] = []
    for start, end, concept in english:
        found.append((start, Named((concept,), True, " ".join(typed[start:end]))))
        if concept.token not in interpretation.concept_tokens:
            interpretation.concept_tokens.append(concept.token)
    for start, end, concepts in glossary.read_vietnamese(typed) if terms is None else terms:
        if taken.intersection(range(start, end)):
            continue
        exact = len(concepts) == 1 and any(typed[start:end] == list(t.words) for t in concepts[0].vietnamese)
        found.append((start, Named(tuple(concepts), exact, " ".join(typed[start:end]))))
    found.sort(key=lambda f: f[0])
    interpretation.named = [named for _, named in found]
    if found and not english and found[0][1].exact and len(found[0][1].text.split()) < len(typed):
        interpretation.head_tokens.append(found[0][1].concepts[0].token)


def _mark_province(interpretation: Interpretation, kept: list[str]) -> None:
    """A province named in the text ranks its products first (search.query.mark_provinces); its chip says so
    without filtering."""
    registry = load_provinces()
    keys = [province_key(w) for w in kept]
    for size in (4, 3, 2, 1):
        for i in range(len(keys) - size + 1):
            span = keys[i : i + size]
            if any(ch.isdigit() for k in span for ch in k) or (size == 1 and len(span[0]) < 3):
                continue
            match = registry.match_key(" ".join(span))
            if match is not None:
                interpretation.chips.append(
                    Chip(ChipKind.PROVINCE, match.province.code, " ".join(kept[i : i + size]), filtered=False)
                )
                return
