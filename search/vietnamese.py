"""Vietnamese text handling for search. Pure functions, no I/O.

Meilisearch folds accents, which is right for buyers who type without them but collapses words that
differ only by tone ("dứa" pineapple and "dừa" coconut both become "dua"). We keep the tones in a second
searchable form, Telex: every syllable is spelled in ASCII with its vowel marks and tone as letters
("dứa" → "duwas", "dừa" → "duwaf"), which Meilisearch does not fold. A query typed with tones is spelled the
same way and matched against that form, so an exact-tone match can outrank a folded one.

The same machinery reads Telex and VNI typed without an input method ("muoois hatj", "nu7o71c ma81m").
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from market.core.text import fold, nfc

# --- letters -------------------------------------------------------------------------------------------

_TONES = {"\u0301": "s", "\u0300": "f", "\u0309": "r", "\u0303": "x", "\u0323": "j"}  # sắc huyền hỏi ngã nặng
_TONE_MARK = {v: k for k, v in _TONES.items()}
_MODIFIED = {"â": "aa", "ă": "aw", "ê": "ee", "ô": "oo", "ơ": "ow", "ư": "uw", "đ": "dd"}
_VOWELS = set("aăâeêioôơuưy")

_WORD = re.compile(r"[0-9a-zA-Z\u00c0-\u024f\u1e00-\u1eff\u0300-\u036f]+")

ONSETS = (
    "ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "qu", "th", "tr",
    "b", "c", "d", "đ", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x", "",
)  # fmt: skip
CODAS = ("ch", "ng", "nh", "c", "m", "n", "p", "t", "")
NUCLEI = frozenset(
    [
        "a",
        "ă",
        "â",
        "e",
        "ê",
        "i",
        "o",
        "ô",
        "ơ",
        "u",
        "ư",
        "y",
        "ai",
        "ao",
        "au",
        "ay",
        "âu",
        "ây",
        "eo",
        "êu",
        "ia",
        "iê",
        "iu",
        "oa",
        "oă",
        "oe",
        "oi",
        "ôi",
        "ơi",
        "ua",
        "uâ",
        "uê",
        "ui",
        "uô",
        "uơ",
        "uy",
        "ưa",
        "ưi",
        "ươ",
        "ưu",
        "yê",
        "iêu",
        "yêu",
        "oai",
        "oao",
        "oay",
        "oeo",
        "uây",
        "uôi",
        "ươi",
        "ươu",
        "uyê",
        "uya",
        "uyu",
    ]
)


def words(text: str) -> list[str]:
    return _WORD.findall(nfc(text))


def _split_tone(word: str) -> tuple[str, str]:
    """("dứa") -> ("dưa", "s"): the word without its tone mark, and the tone as a Telex letter."""
    decomposed = unicodedata.normalize("NFD", word)
    tone = ""
    kept = []
    for ch in decomposed:
        if ch in _TONES:
            tone = _TONES[ch]
        else:
            kept.append(ch)
    return unicodedata.normalize("NFC", "".join(kept)), tone


def has_marks(word: str) -> bool:
    """True when the word carries any Vietnamese tone or vowel mark (or đ)."""
    return fold(word) != word.casefold()


@lru_cache(maxsize=50_000)
def telex(word: str) -> str:
    """The tone-preserving ASCII spelling of one word: "Đường" -> "dduwowngf", "st25" -> "st25"."""
    base, tone = _split_tone(word.casefold())
    spelled = "".join(_MODIFIED.get(ch, ch) for ch in base)
    return fold(spelled) + tone


# Marks a tone token. Two letters put every token at least three edits from any folded word, so Meilisearch's
# typo tolerance (at most two) can never match "tramf" (tràm) with the plain word "tram" of another product.
TONE_TOKEN_PREFIX = "vv"


def tone_token(word: str) -> str:
    return TONE_TOKEN_PREFIX + telex(word)


@lru_cache(maxsize=50_000)
def marked_tone_token(word: str) -> str | None:
    """The tone token of a word that carries marks, None for one that carries none. Remembered: every
    document and query repeats the same few thousand syllables, and deciding afresh folded each one."""
    return tone_token(word) if has_marks(word) else None


def tone_tokens(text: str) -> list[str]:
    """The tone tokens of every accented word of a text, in order."""
    return [token for token in map(marked_tone_token, words(text)) if token is not None]


def tone_spellings(text: str) -> str:
    """The tone tokens of every accented word of a text (the searchable tone form of a document)."""
    return " ".join(tone_tokens(text))


# --- syllables ----------------------------------------------------------------------------------------


def _parts(base: str) -> tuple[str, str, str] | None:
    """Split a toneless syllable into onset, nucleus and coda, or None if it is not Vietnamese."""
    for onset in ONSETS:
        if not base.startswith(onset):
            continue
        rest = base[len(onset) :]
        if onset in ("qu", "gi") and not rest:
            continue
        for coda in CODAS:
            if coda and not rest.endswith(coda):
                continue
            nucleus = rest[: len(rest) - len(coda)]
            if nucleus in NUCLEI:
                return onset, nucleus, coda
    return None


def is_syllable(word: str) -> bool:
    """Whether the word is one well-formed Vietnamese syllable (tone marks allowed)."""
    base, _ = _split_tone(word.casefold())
    return _parts(base) is not None


def _place_tone(base: str, tone: str) -> str:
    """Put the tone mark on the vowel that carries it (traditional placement: hòa, thủy, quả, giá)."""
    if not tone:
        return base
    parts = _parts(base)
    if parts is None:
        return base
    onset, nucleus, coda = parts
    if any(ch in "âăêôơư" for ch in nucleus):
        index = max(i for i, ch in enumerate(nucleus) if ch in "âăêôơư")
    elif len(nucleus) == 1:
        index = 0
    elif len(nucleus) == 3 or coda:
        index = 1
    else:
        index = 0
    chars = list(nucleus)
    chars[index] = unicodedata.normalize("NFC", chars[index] + _TONE_MARK[tone])
    return onset + "".join(chars) + coda


_TELEX_PAIRS = (
    ("dd", "đ"),
    ("aa", "â"),
    ("aw", "ă"),
    ("ee", "ê"),
    ("oo", "ô"),
    ("uow", "ươ"),
    ("ow", "ơ"),
    ("uw", "ư"),
)
_VNI_MARKS = {"6": {"a": "â", "e": "ê", "o": "ô"}, "7": {"o": "ơ", "u": "ư"}, "8": {"a": "ă"}, "9": {"d": "đ"}}
_VNI_TONES = {"1": "s", "2": "f", "3": "r", "4": "x", "5": "j"}


def _from_telex(word: str) -> str | None:
    # The tone key may come anywhere after the first vowel ("hatj", "lowjn"); Vietnamese codas never
    # contain these letters, so there is no ambiguity, but only one tone per syllable.
    first_vowel = next((i for i, ch in enumerate(word) if ch in "aeiouy"), None)
    if first_vowel is None:
        return None
    keys = [i for i, ch in enumerate(word) if ch in "sfrxj" and i > first_vowel]
    if len(keys) > 1:
        return None
    tone = word[keys[0]] if keys else ""
    if keys:
        word = word[: keys[0]] + word[keys[0] + 1 :]
    for pair, letter in _TELEX_PAIRS:
        word = word.replace(pair, letter)
    if "w" in word:
        # "w" typed after the vowels adds the horn or breve to them: "duongw" -> "dương".
        word = word.replace("w", "")
        word = (
            word.replace("uo", "ươ").replace("u", "ư").replace("o", "ơ")
            if "u" in word or "o" in word
            else (word.replace("a", "ă"))
        )
    if _parts(word) is None:
        return None
    return _place_tone(word, tone)


def _from_vni(word: str) -> str | None:
    tone = ""
    out: list[str] = []
    for ch in word:
        if ch in _VNI_TONES:
            if tone:
                return None
            tone = _VNI_TONES[ch]
        elif ch in _VNI_MARKS:
            for i in range(len(out) - 1, -1, -1):
                marked = _VNI_MARKS[ch].get(out[i])
                if marked:
                    out[i] = marked
                    break
            else:
                return None
        else:
            out.append(ch)
    base = "".join(out)
    if not base or any(ch.isdigit() for ch in base) or _parts(base) is None:
        return None
    return _place_tone(base, tone)


@lru_cache(maxsize=50_000)
def from_keystrokes(word: str) -> str | None:
    """The Vietnamese syllable a buyer meant when typing Telex or VNI without an input method, or None.

    Only words that are not already plain syllables and that convert to a well-formed syllable are
    converted, so "banh", "st25", "robusta" and "coffee" are left alone.
    """
    lowered = word.casefold()
    if not lowered.isascii() or not lowered.isalnum():
        return None
    if any(ch.isdigit() for ch in lowered):
        return _from_vni(lowered) if re.fullmatch(r"[a-z]+[0-9][a-z0-9]*", lowered) else None
    if _parts(lowered) is not None:
        return None  # already a plain syllable typed without accents
    converted = _from_telex(lowered)
    return converted if converted and converted != lowered else None


def convert_keystrokes(text: str) -> str | None:
    """The query with every Telex or VNI word converted, or None when nothing converted."""
    changed = False
    out: list[str] = []
    for word in words(text):
        converted = from_keystrokes(word)
        if converted:
            changed = True
        out.append(converted or word)
    return " ".join(out) if changed else None
