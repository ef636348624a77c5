"""Turning a buyer's query into Meilisearch requests.

A search is one Meilisearch query, or a federated multi-search of a few weighted queries over the same
index when the text has more than one reading:

- `base`: the text as typed (or as converted from Telex/VNI), followed by the tone-preserving spelling of
  its accented words (see `with_tones`), so an exact-tone match outranks a folded one;
- `typo`: short words corrected against the catalogue's vocabulary ("nuc" -> "nuoc"), weighted below base;
- `typed`: after a Telex/VNI conversion, the raw text too, weighted low, in case it was not Telex.

Most queries need `base` alone, a single search. Meilisearch returns each document once, with the best
weighted score of the queries that matched it. A province named in the text becomes one word that matches
the documents' current and former province (`mark_provinces`), so it ranks those products first without
filtering the others out, and is dropped whole when no product comes from there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from market.catalog.records import CertificateStatus
from market.core.clock import today
from market.core.provinces import load_provinces, province_key
from market.core.text import nfc
from search.filters import equals, one_of
from search.settings import ENGLISH_FIELDS, PRODUCT_SETTINGS
from search.vietnamese import convert_keystrokes, has_marks, is_syllable, tone_tokens, words
from search.vocabulary import Vocabulary

VIETNAMESE_FIELDS = [f for f in PRODUCT_SETTINGS["searchableAttributes"] if f not in ENGLISH_FIELDS]
WEIGHT_TYPO = 0.9
WEIGHT_TYPED = 0.6

# "prices" gives the price range (its stats), of the products' and their variants' prices.
FACETS = ["provinceCode", "formerProvinceCode", "stars", "group", "certifications", "packaging", "prices"]


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
    certificate_statuses: tuple[CertificateStatus, ...] = ()
    packaging: tuple[str, ...] = ()  # the variants' packaging, as the facet counts it


def certificate_filter(statuses: tuple[CertificateStatus, ...]) -> str:
    """Certificates in any of `statuses` on the day of the search; a document without an end date has not
    expired (NOT keeps it)."""
    day = today()
    expired = f"validUntilDay < {day.year * 10_000 + day.month * 100 + day.day}"
    by_status = {
        CertificateStatus.EXPIRED: expired,
        CertificateStatus.PENDING_5_STAR: f"(pendingFiveStar = true AND NOT {expired})",
        CertificateStatus.VALID: f"(pendingFiveStar != true AND NOT {expired})",
    }
    return "(" + " OR ".join(by_status[s] for s in dict.fromkeys(statuses)) + ")"


@dataclass(slots=True)
class Reading:
    """What we made of the text."""

    text: str
    converted: str | None = None
    corrected: str | None = None
    # Glossary concept tokens of the English terms typed (search/glossary.py), appended to the main query.
    tokens: list[str] = field(default_factory=list)
    # Concept tokens that only rank (search.interpret.Interpretation.head_tokens): appended last, never
    # required, not even when every word must match.
    ranking: list[str] = field(default_factory=list)

    @property
    def best(self) -> str:
        return self.converted or self.text

    @property
    def toned(self) -> bool:
        return any(has_marks(w) for w in words(self.best))

    @property
    def vietnamese(self) -> bool:
        """Every word (as converted or corrected) is a Vietnamese syllable or a code, and no English term was
        read: then English fields are not searched, where a last syllable would match English words by
        prefix ("ca fe" finding "fermented" fish before "cà phê")."""
        return not self.tokens and all(
            is_syllable(w) or any(ch.isdigit() for ch in w) for w in words(self.corrected or self.best)
        )


@dataclass(slots=True)
class Plan:
    queries: list[dict[str, Any]]
    federated: bool
    reading: Reading
    notes: list[str] = field(default_factory=list)


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
        clauses.append(one_of("provinceCode", current))
    if former:
        clauses.append(one_of("formerProvinceCode", former))
    return "(" + " OR ".join(clauses) + ")" if clauses else equals("provinceCode", "none")


def filter_expression(flt: SearchFilter, visibility: str) -> list[str]:
    parts = [visibility]
    if flt.provinces:
        parts.append(province_filter(list(flt.provinces)))
    if flt.groups:
        parts.append(one_of("group", list(flt.groups)))
    if flt.min_stars is not None:
        parts.append(f"stars >= {int(flt.min_stars)}")
    # A product passes when its price or one of its variants' is in the range (one value within both bounds).
    if flt.price_min is not None and flt.price_max is not None:
        parts.append(f"prices {int(flt.price_min)} TO {int(flt.price_max)}")
    elif flt.price_min is not None:
        parts.append(f"prices >= {int(flt.price_min)}")
    elif flt.price_max is not None:
        parts.append(f"prices <= {int(flt.price_max)}")
    if flt.certifications:
        parts.append(one_of("certifications", list(flt.certifications)))
    if flt.producer_id:
        parts.append(equals("producerId", flt.producer_id))
    if flt.max_moq is not None:
        parts.append(f"moq <= {int(flt.max_moq)}")
    if flt.certificate_statuses:
        parts.append(certificate_filter(flt.certificate_statuses))
    if flt.packaging:
        parts.append(one_of("packaging", [nfc(p).casefold() for p in flt.packaging]))
    return parts


_SPLIT_CODE = re.compile(r"\b([a-z]{1,3})[\s\-_.]+(\d{1,4})\b", re.IGNORECASE)


def join_codes(text: str) -> str:
    """Variety codes are written joined in product names: "st 25" and "st-25" mean ST25. Letters that form a
    Vietnamese word are left alone: "rượu sim 29 độ" is a 29° liquor."""
    return _SPLIT_CODE.sub(lambda m: m[0] if is_syllable(m[1]) else m[1] + m[2], text)


def read(
    text: str,
    vocabulary: Vocabulary | None,
    *,
    keep: frozenset[str] = frozenset(),
    tokens: list[str] | None = None,
    ranking: list[str] | None = None,
) -> Reading:
    """`keep`: folded words never corrected; `tokens`, `ranking`: concept tokens to append (see Reading)."""
    text = join_codes(text)
    reading = Reading(text=text, tokens=list(tokens or ()), ranking=list(ranking or ()))
    if not text:
        return reading
    reading.converted = convert_keystrokes(text)
    if vocabulary is not None:
        reading.corrected = vocabulary.correct_text(reading.best, keep)
    return reading


PROVINCE_TOKEN_PREFIX = "pv"


def province_token(name: str) -> str:
    """One searchable word for a province ("Bến Tre" -> "pvbentre"), kept in each document's
    `provinceTokens` for its current and former province."""
    return PROVINCE_TOKEN_PREFIX + province_key(name).replace(" ", "")


def mark_provinces(text: str) -> str:
    """The text with each province it names (in two to four words, accents optional) written as its token.

    Meilisearch drops query words one at a time from the end when too few documents match them all. A
    province as two words loses its last one first, and the other ("tay" of "tây ninh", "long" of "vĩnh
    long") then matches unrelated words anywhere in a product: "muối tôm tây ninh" ranked dried shrimp
    whose description said "tay" above the salt. As one token it is kept or dropped whole.
    """
    found = words(text)
    if len(found) < 2:
        return text
    registry = load_provinces()
    keys = [province_key(word) for word in found]  # folded once; spans are looked up by their joined keys
    out: list[str] = []
    i = 0
    while i < len(found):
        for size in (4, 3, 2):
            span = keys[i : i + size]
            if len(span) < size or any(ch.isdigit() for key in span for ch in key):
                continue
            match = registry.match_key(" ".join(span))
            if match is not None:
                out.append(province_token(match.former_name or match.province.name))
                i += size
                break
        else:
            out.append(found[i])
            i += 1
    return " ".join(out) if len(out) < len(found) else text


def with_tones(text: str) -> str:
    """The text followed by the Telex spelling of its accented words.

    Meilisearch keeps the words of a query from the left and drops them from the right when too few
    documents match all of them, and ranks documents by how many words they keep. Appended at the end, the
    tone spellings are the first to go: a product matching them (the exact tones) ranks above one matching
    only the folded words, and nothing else is lost. "dứa" becomes "dứa duwas": pineapples first, then
    coconuts. (Tone tokens carry a prefix, see `search.vietnamese.tone_token`.)
    """
    spelled = tone_tokens(text)
    return " ".join([text, *spelled]) if spelled else text


def plan(
    reading: Reading,
    filters: list[str],
    sort: SearchSort,
    *,
    index_uid: str,
    display: dict[str, Any],
    every_word: bool = False,
) -> Plan:
    """`every_word`: a document must match every word of the query (tones included), as matchmaking needs;
    by default Meilisearch may drop words from the end when too few documents match them all."""
    vietnamese_only = bool(reading.text) and reading.vietnamese

    def query(q: str, weight: float | None = None, *, toned: bool = False, ranked: bool = True) -> dict[str, Any]:
        q = mark_provinces(q)
        if toned:
            # Last, so that Meilisearch drops them first: they rank, they never exclude.
            extra = [*reading.tokens, *(reading.ranking if ranked and not every_word else ())]
            q = " ".join([with_tones(q), *extra]) if extra and q else with_tones(q)
        body: dict[str, Any] = {"indexUid": index_uid, "q": q, "filter": filters, **display}
        if vietnamese_only:
            body["attributesToSearchOn"] = VIETNAMESE_FIELDS
        if every_word:
            body["matchingStrategy"] = "all"
        if weight is not None:
            body["federationOptions"] = {"weight": weight}
        return body

    if sort is not SearchSort.RELEVANCE:
        # Sorted results are not ranked by relevance, so each must match every word of the query as read
        # (Telex and VNI converted, accents folded). Not its tone spellings or chips, which only rank: required,
        # they left a query typed with one wrong tone ("keos duaf", "kẹo dửa") with nothing, where the same
        # query by relevance finds the products.
        single = query(reading.corrected or reading.best)
        single["sort"] = _SORT_PARAMS[sort]
        single["matchingStrategy"] = "all"
        return Plan(queries=[single], federated=False, reading=reading, notes=["sorted"])

    alternatives: list[tuple[str, float, str]] = []
    if reading.corrected:
        alternatives.append((reading.corrected, WEIGHT_TYPO, "typo"))
    if reading.converted:
        alternatives.append((reading.text, WEIGHT_TYPED, "typed"))
    if not alternatives:
        return Plan(queries=[query(reading.best, toned=True)], federated=False, reading=reading, notes=["base"])
    queries = [query(reading.best, 1.0, toned=True), *(query(q, weight) for q, weight, _ in alternatives)]
    return Plan(queries=queries, federated=True, reading=reading, notes=["base", *(n for _, _, n in alternatives)])
