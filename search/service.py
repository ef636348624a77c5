"""Product search and suggestions over the Meilisearch index."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import dataclasses
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from market.accounts.policy import Viewer
from market.catalog.policy import draft_scope
from market.catalog.records import Product, ProductStatus
from market.catalog.validation import Checker
from market.core.errors import DomainError
from market.core.paging import PageRequest
from market.core.provinces import load_provinces
from market.core.text import nfc
from market.store import Store
from search.client import MeiliClient, MeiliError
from search.documents import SUMMARY_ATTRIBUTES, product_from_document
from search.failures import search_failure
from search.filters import equals
from search.glossary import load_glossary
from search.highlights import HIGHLIGHT_PARAMS, highlights
from search.interpret import Chip, Interpretation, Named, load_intents
from search.places import with_place
from search.plans import PlanCache, interpreted
from search.query import FACETS, Plan, SearchFilter, SearchSort, filter_expression, plan, read
from search.vietnamese import convert_keystrokes
from search.vocabulary import Vocabulary, VocabularyBuilder

MAX_QUERY_LENGTH = 200
MAX_RESULTS = 5000
VOCABULARY_TTL = 600.0
# A count that failed (MongoDB out of reach) is tried again this soon, not at every search.
VOCABULARY_RETRY = 30.0
# Texts read per cursor batch, and counted between two turns of the event loop (a step of a millisecond or
# two): requests are served between the steps, however large the catalogue.
VOCABULARY_BATCH = 1000
VOCABULARY_STEP = 40
# Producers' communes read into the place index between two turns of the event loop (a millisecond or two).
PLACES_STEP = 50

log = logging.getLogger("ocop.search")

_RETRIEVE = [
    "id", "name", "description", "category", "group", "stars", "priceVnd", "priceTiers", "unit", "moq",
    "certifications", "certificateNo", "certifiedAt", "validUntil", "images", "externalId", "provinceCode",
    "formerProvince", "producerId", "status", "createdAt", "updatedAt", "publishedAt", "version", "nameEn",
    "descriptionEn", "pendingFiveStar", "variants",
]  # fmt: skip
_HIGHLIGHTED = ("name", "description")
_HIGHLIGHTING = {
    "attributesToHighlight": list(_HIGHLIGHTED),
    "attributesToCrop": ["description"],
    "cropLength": 24,
    **HIGHLIGHT_PARAMS,
}
# A refusal is reported against the argument a client would look at first.
_ARGUMENTS = {"invalid_search_filter": "filter", "invalid_search_sort": "sort", "invalid_search_q": "query"}


def _display(highlight: bool, attributes: Sequence[str] | None) -> dict[str, Any]:
    """Highlighting and cropping cost Meilisearch about a millisecond a search, and every attribute retrieved
    is encoded, sent and decoded for every hit (all of them: 18 KB a page of 20, mostly descriptions, for a
    result list that shows names): only what the caller will read."""
    retrieve = _RETRIEVE if attributes is None else sorted({*SUMMARY_ATTRIBUTES, *attributes})
    if highlight and attributes is not None:
        retrieve = sorted({*retrieve, *_HIGHLIGHTED})  # Meilisearch formats only retrieved attributes
    return {"attributesToRetrieve": retrieve, **(_HIGHLIGHTING if highlight else {})}


class SearchHit:
    """One result: its index document, its offset in the result list and its highlighted snippets. The
    document is converted to a Product only when `product` is read; a result page that shows a few
    fields reads them from `document` (see schema/catalog/search.py)."""

    __slots__ = ("_product", "document", "highlights", "offset")

    def __init__(self, document: dict[str, Any], offset: int, highlights: dict[str, str]) -> None:
        self.document = document
        self.offset = offset
        self.highlights = highlights
        self._product: Product | None = None

    @property
    def product(self) -> Product:
        if self._product is None:
            self._product = product_from_document(self.document)
        return self._product


@dataclass(slots=True)
class SearchPage:
    hits: list[SearchHit]
    has_next: bool
    has_previous: bool
    estimated_total: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    price_range: tuple[int, int] | None = None
    # What the query was read as (search/interpret.py), and whether it names a product the catalogue lacks.
    chips: list[Chip] = field(default_factory=list)
    missing: str | None = None
    did_you_mean: str | None = None

    @property
    def no_exact_match(self) -> bool:
        return self.missing is not None


def clean_query(query: str, field: str = "query") -> str:
    text = nfc(query)
    if len(text) > MAX_QUERY_LENGTH:
        raise DomainError.of("query_too_long", field, max=MAX_QUERY_LENGTH, got=len(text))
    return text


# Meilisearch serves at most a few thousand hits per query (maxTotalHits); a longer offset was not handed out.
MAX_OFFSET_DIGITS = 6


def cursor_position(cursor: str, field: str) -> int:
    """The position in the result list an `o:<n>` cursor stands for, or INVALID on `field`."""
    digits = cursor[2:]
    if not cursor.startswith("o:") or not (digits.isascii() and digits.isdigit()) or len(digits) > MAX_OFFSET_DIGITS:
        raise DomainError.of("not_a_search_cursor", field)
    return int(digits)


def decode_offset(after: str | None) -> int:
    """Where a page after `after` starts."""
    return 0 if after is None else cursor_position(after, "after") + 1


def encode_offset(offset: int) -> str:
    return f"o:{offset}"


@dataclass(frozen=True, slots=True)
class OffsetWindow:
    """The hits a page request reads from a result list: `limit` of them from `offset`, one more than the page
    going forward (it tells whether more follow). Backward, the window ends at `before` and the hits ahead
    of it are known to exist from the position alone."""

    offset: int
    limit: int
    size: int
    request: PageRequest
    start: int  # the first position the cursors allow

    def flags(self, fetched: int) -> tuple[bool, bool]:
        """(has_previous, has_next) of the page, given how many hits the window returned."""
        if self.request.backward:
            return self.offset > self.start, self.request.before is not None
        return self.request.after is not None, fetched > self.size


def needs_total(request: PageRequest) -> bool:
    """A backward page without `before` ends where the list does, which only a count tells."""
    return request.backward and request.before is None


def cursor_bounds(request: PageRequest) -> tuple[int, int | None]:
    """The first position after `after` and the position of `before` (None without it), or INVALID on the
    argument that holds something else: read before anything is searched."""
    start = decode_offset(request.after)
    return start, None if request.before is None else cursor_position(request.before, "before")


def offset_window(request: PageRequest, total: int | None = None) -> OffsetWindow:
    """`before: o:n` with `last: k` reads from max(0, n - k) (or from just after `after`, when that is later)
    up to n; without `before`, up to `total`, the length of the list."""
    request = request.validated()
    start, end = cursor_bounds(request)
    size = request.size
    if request.backward:
        if end is None:
            assert total is not None, "a backward page without before needs the list's length"
            end = total
        end = max(end, start)
        offset = max(start, end - size)
        return OffsetWindow(offset, end - offset, size, request, start)
    limit = size + 1 if end is None else min(size + 1, max(0, end - start))
    return OffsetWindow(start, limit, size, request, start)


def visibility_filter(viewer: Viewer, include_drafts: bool) -> str:
    published = equals("status", ProductStatus.PUBLISHED.value)
    scope = draft_scope(viewer) if include_drafts else None
    if scope is None:
        return published
    draft = equals("status", ProductStatus.DRAFT.value)
    if scope.everything:
        return f"({published} OR {draft})"
    if scope.producer_id is not None:
        return f"({published} OR ({draft} AND {equals('producerId', str(scope.producer_id))}))"
    return f"({published} OR ({draft} AND {equals('provinceCode', str(scope.province_code))}))"


@dataclass(slots=True)
class _Ran:
    result: SearchPage
    request: PageRequest
    start: int

    @property
    def hits(self) -> list[SearchHit]:
        return self.result.hits


def _missing(interpretation: Interpretation | None, vocabulary: Vocabulary | None) -> Named | None:
    """The product the query names that the catalogue does not carry, if any: the first one named (the head
    of a Vietnamese noun phrase), or any named exactly (with accents, or in English). A word typed without
    accents that is not the head may be another word ("mat ong chai nho": "nhỏ", small), so it is not
    judged. Unknown until the catalogue's vocabulary is first counted."""
    if interpretation is None or vocabulary is None or not interpretation.named:
        return None
    for position, named in enumerate(interpretation.named):
        if (position == 0 or named.exact) and not any(c.label in vocabulary.concepts for c in named.concepts):
            return named
    return None


FIELDS_NOT_YET_KNOWN = "invalid_search_attributes_to_search_on"


class ProductSearch:
    def __init__(
        self,
        meili: MeiliClient,
        index_uid: str,
        store: Store | None = None,
        *,
        vocabulary_refresh: float = VOCABULARY_TTL,
    ) -> None:
        self.meili = meili
        self.index_uid = index_uid
        self.store = store
        self.vocabulary_refresh = vocabulary_refresh
        self._vocabulary: Vocabulary | None = None
        self._counted_at = 0.0  # monotonic time of the last count done
        self._failed_at: float | None = None  # and of the last one that failed since
        self._counting: asyncio.Task[None] | None = None
        self._plans = PlanCache()

    @staticmethod
    def load_reference_data() -> None:
        """The glossary, intents and provinces searches read, read now rather than by the first
        search, which would hold up every request in the process meanwhile (they are read once per process)."""
        load_glossary()
        load_intents()
        load_provinces()

    def vocabulary(self) -> Vocabulary | None:
        """The catalogue's words as last counted from MongoDB, returned at once, never waited for.

        The API process starts the first count as it starts up (`start_counting`), and a search starts one
        whenever one is due: a recount after `vocabulary_refresh` seconds, while the old vocabulary keeps
        serving (a new one replaces it whole when done), or a first count in a process that did not start one.
        Until the first count is done (seconds at a hundred thousand products), searches are not corrected
        against the catalogue: a misspelt short syllable ("nuc mam", "ruou sjm") is searched as typed and finds
        only what Meilisearch's own typo tolerance finds, often nothing below five letters. Everything else a
        query goes through (accents, tones, Telex and VNI, synonyms, filters, sorting) does not depend on it.
        Recounting on demand rather than on a timer leaves an idle process without a read of the whole
        catalogue every few minutes."""
        self.start_counting()
        return self._vocabulary

    def start_counting(self) -> None:
        """Count the catalogue's words in the background, unless a count is under way or not due."""
        if self.store is not None and self._counting is None and self._count_due(time.monotonic()):
            # In a context of its own: a task copies the request's, whose MongoDB deadline (OCOP_DB_TIMEOUT)
            # would cut short the count of a large catalogue, every time, leaving searches uncorrected.
            count = self._count_words(self.store)
            self._counting = asyncio.create_task(count, name="vocabulary", context=contextvars.Context())

    def _count_due(self, now: float) -> bool:
        if self._failed_at is not None and now < self._failed_at + min(VOCABULARY_RETRY, self.vocabulary_refresh):
            return False
        return self._vocabulary is None or now >= self._counted_at + self.vocabulary_refresh

    async def vocabulary_ready(self) -> Vocabulary | None:
        """The vocabulary once a count under way (or started now) is done: for callers that need corrections
        applied from the first search (tests, benchmarks), never for a request."""
        self.vocabulary()
        if self._counting is not None:
            await asyncio.shield(self._counting)
        return self._vocabulary

    async def close(self) -> None:
        """Stop a count under way, before the MongoDB client it reads with is closed."""
        task, self._counting = self._counting, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _count_words(self, store: Store) -> None:
        glossary = load_glossary()
        builder = VocabularyBuilder(lambda texts: (c.label for c in glossary.concepts_in(texts)))
        began, texts = time.monotonic(), 0
        try:
            async with contextlib.aclosing(store.products.published_texts(VOCABULARY_BATCH)) as batches:
                async for batch in batches:
                    texts += len(batch)
                    for start in range(0, len(batch), VOCABULARY_STEP):
                        builder.add(batch[start : start + VOCABULARY_STEP])
                        await asyncio.sleep(0)
            places = await store.producers.places()
            for start in range(0, len(places), PLACES_STEP):
                builder.add_places(places[start : start + PLACES_STEP])
                await asyncio.sleep(0)
            self._vocabulary = builder.build()
            self._counted_at, self._failed_at = time.monotonic(), None
            log.info("catalogue vocabulary counted: %d texts in %.2f s", texts, self._counted_at - began)
        except Exception as exc:
            # Searches go on with the vocabulary they have (or none); the next one after the pause tries again.
            log.warning("catalogue vocabulary not counted, retrying later: %s", type(exc).__name__)
            self._failed_at = time.monotonic()
        finally:
            self._counting = None

    async def _carried_since(self, named: Named, viewer: Viewer, include_drafts: bool) -> bool:
        """Whether the index carries the product after all: the vocabulary is counted now and then, and a
        product published since it was may be the first of its kind. One count, only when a query looks
        like one for an absent product."""
        queries = [
            # A quoted phrase matches the token exactly: no typo or prefix reaches another concept's token.
            {"indexUid": self.index_uid, "q": f'"{c.token}"', "attributesToSearchOn": ["conceptTokens"],
             "filter": visibility_filter(viewer, include_drafts), "attributesToRetrieve": ["id"]}
            for c in named.concepts
        ]  # fmt: skip
        try:
            body = await self.meili.multi_search(queries, {"offset": 0, "limit": 1})
        except MeiliError:
            return False  # the verdict stands; the search itself will say whether the index answers
        return bool(body.get("hits"))

    def plan(
        self,
        query: str,
        flt: SearchFilter,
        sort: SearchSort,
        viewer: Viewer,
        include_drafts: bool,
        vocabulary: Vocabulary | None,
        *,
        highlight: bool = False,
        every_word: bool = False,
        interpretation: Interpretation | None = None,
        attributes: Sequence[str] | None = None,
    ) -> Plan:
        """With an `interpretation`, its remaining text is searched, with its filters and concept tokens.
        `attributes`: the document attributes to retrieve (every one by default)."""
        filters = filter_expression(flt, visibility_filter(viewer, include_drafts))
        text = clean_query(query)
        tokens: list[str] = []
        ranking: list[str] = []
        if interpretation is not None:
            text, tokens, ranking = interpretation.text, interpretation.concept_tokens, interpretation.head_tokens
            filters += interpretation.filters
        glossary = load_glossary()
        return plan(
            read(text, vocabulary, keep=glossary.kept_words, tokens=tokens, ranking=ranking),
            filters,
            sort,
            index_uid=self.index_uid,
            display=_display(highlight, attributes),
            every_word=every_word,
        )

    async def search(
        self,
        query: str,
        page: PageRequest,
        viewer: Viewer,
        *,
        flt: SearchFilter | None = None,
        sort: SearchSort = SearchSort.RELEVANCE,
        include_drafts: bool = False,
        facets: Sequence[str] = (),
        highlight: bool = False,
        every_word: bool = False,
        interpret_query: bool = True,
        attributes: Sequence[str] | None = None,
    ) -> SearchPage:
        """`facets` lists the attributes to count (see search.query.FACETS; "prices" gives the price range).
        `attributes`: the document attributes the caller reads from the hits, besides those of
        `search.documents.SUMMARY_ATTRIBUTES`; None for all (needed to read `SearchHit.product`).
        `interpret_query`: read stars, certifications, pack sizes and intents in the text as filters, and
        answer a query for a product the catalogue lacks with nothing (see search/interpret.py)."""
        page = page.validated()
        start, end = cursor_bounds(page)
        if end is not None and end > MAX_RESULTS:
            raise DomainError.of("results_window", "before", max=MAX_RESULTS)
        if not page.backward and start + page.size > MAX_RESULTS:
            raise DomainError.of("results_window", "after", max=MAX_RESULTS)
        unknown = set(facets) - set(FACETS)
        if unknown:
            raise ValueError(f"not facet attributes: {sorted(unknown)}")
        if flt is not None:
            check = Checker()
            check.product_filter(
                min_stars=flt.min_stars,
                price_min=flt.price_min,
                price_max=flt.price_max,
                max_moq=flt.max_moq,
                provinces=flt.provinces,
            )
            check.raise_if_any()
        vocabulary = self.vocabulary()
        interpretation = interpreted(clean_query(query)) if interpret_query and query.strip() else None
        if interpretation is not None and vocabulary is not None:
            interpretation = with_place(interpretation, vocabulary.places)
        missing = _missing(interpretation, vocabulary)
        if missing is not None and await self._carried_since(missing, viewer, include_drafts):
            missing = None
        if interpretation is not None and missing is not None:
            return SearchPage(
                hits=[], has_next=False, has_previous=False, estimated_total=0,
                chips=interpretation.chips, missing=missing.text,
            )  # fmt: skip

        def planned(reading: Interpretation | None) -> Plan:
            flt_ = flt or SearchFilter()
            shown = None if attributes is None else tuple(sorted(attributes))
            scope = visibility_filter(viewer, include_drafts)
            key = (query, flt_, sort, scope, highlight, every_word, shown, reading is None)
            return self._plans.get(vocabulary, key, lambda: self.plan(
                query, flt_, sort, viewer, include_drafts, vocabulary,
                highlight=highlight, every_word=every_word, interpretation=reading, attributes=attributes,
            ))  # fmt: skip

        plan_ = planned(interpretation)
        ran = await self._run(plan_, page, facets, highlight)
        chips = interpretation.chips if interpretation else []
        if not ran.hits and interpretation is not None and interpretation.filters and ran.start == 0:
            # Nothing passes what the query was read as: the words as typed, the chips shown as not applied.
            plan_ = planned(None)
            ran = await self._run(plan_, page, facets, highlight)
            chips = interpretation.without_filters()
        result = ran.result
        result.chips = chips
        result.did_you_mean = plan_.reading.corrected if result.hits else None
        return result

    async def _run(self, plan_: Plan, page: PageRequest, facets: Sequence[str], highlight: bool) -> _Ran:
        try:
            return await self._run_once(plan_, page, facets, highlight)
        except MeiliError as exc:
            if exc.code != FIELDS_NOT_YET_KNOWN or not any("attributesToSearchOn" in q for q in plan_.queries):
                raise search_failure(exc, "search", _ARGUMENTS) from exc
        # An index that has never held a document knows none of its fields yet, and Meilisearch refuses to
        # search on named ones; with nothing to find, searching every field answers the same.
        unlimited = dataclasses.replace(
            plan_, queries=[{k: v for k, v in q.items() if k != "attributesToSearchOn"} for q in plan_.queries]
        )
        try:
            return await self._run_once(unlimited, page, facets, highlight)
        except MeiliError as exc:
            raise search_failure(exc, "search", _ARGUMENTS) from exc

    async def _run_once(self, plan_: Plan, page: PageRequest, facets: Sequence[str], highlight: bool) -> _Ran:
        total = min(await self._count(plan_), MAX_RESULTS) if needs_total(page) else None
        window = offset_window(page, total)
        if plan_.federated:
            federation: dict[str, Any] = {"offset": window.offset, "limit": window.limit}
            if facets:
                federation["facetsByIndex"] = {self.index_uid: list(facets)}
            body = await self.meili.multi_search(plan_.queries, federation)
            facet_body = (body.get("facetsByIndex") or {}).get(self.index_uid) or {}
            distribution, stats = facet_body.get("distribution") or {}, facet_body.get("stats") or {}
        else:
            params = self._params(plan_)
            params.update(offset=window.offset, limit=window.limit)
            if facets:
                params["facets"] = list(facets)
            body = await self.meili.search(self.index_uid, params)
            distribution, stats = body.get("facetDistribution") or {}, body.get("facetStats") or {}
        rows = body.get("hits", [])
        hits = [
            SearchHit(row, window.offset + i, highlights(row, _HIGHLIGHTED) if highlight else {})
            for i, row in enumerate(rows[: window.size])
        ]
        has_previous, has_next = window.flags(len(rows))
        price = stats.get("prices")
        result = SearchPage(
            hits=hits,
            has_next=has_next,
            has_previous=has_previous,
            estimated_total=int(body.get("estimatedTotalHits", len(hits))),
            facets={k: v for k, v in distribution.items() if k != "prices"},
            price_range=(int(price["min"]), int(price["max"])) if price else None,
        )
        return _Ran(result, page, window.offset)

    @staticmethod
    def _params(plan_: Plan) -> dict[str, Any]:
        return {k: v for k, v in plan_.queries[0].items() if k != "indexUid"}

    async def _count(self, plan_: Plan) -> int:
        """How many hits the plan has: the only way to know where a list ends that is read from its end, at the
        cost of one more request. A single search counts exhaustively (no hits asked for); a federated one
        takes Meilisearch's estimate, the only count federation gives."""
        if plan_.federated:
            body = await self.meili.multi_search(plan_.queries, {"offset": 0, "limit": 0})
            return int(body.get("estimatedTotalHits", 0))
        body = await self.meili.search(self.index_uid, {**self._params(plan_), "hitsPerPage": 0})
        return int(body.get("totalHits", 0))

    async def suggest(self, prefix: str, first: int) -> list[tuple[str, str]]:
        """(product id, name) pairs for a search box, accent-insensitive, published products only."""
        if not 1 <= first <= 20:
            raise DomainError.of("between", "first", min=1, max=20)
        text = clean_query(prefix, "prefix")
        if not text:
            return []
        params = {
            "q": convert_keystrokes(text) or text,
            "filter": equals("status", ProductStatus.PUBLISHED.value),
            "attributesToSearchOn": ["name"],
            "attributesToRetrieve": ["id", "name"],
            "limit": first,
        }
        try:
            body = await self.meili.search(self.index_uid, params)
        except MeiliError as exc:
            raise search_failure(exc, "search", {"invalid_search_q": "prefix"}) from exc
        return [(row["id"], row["name"]) for row in body.get("hits", [])]
