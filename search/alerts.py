"""Matching alerts through the search indexes: which saved searches a changed product now matches, and which
followed board filters a new RFQ passes.

A saved search is planned exactly as `searchProducts` plans it for the public (the query read for stars and
other chips, the words as Meilisearch reads them, the published products only), with two differences: every
word must match (`matchingStrategy: all`, as RFQ matchmaking does; otherwise Meilisearch, restricted to a
handful of products, drops words until something matches), and what the query was read as is kept strictly
(a "4 sao" search never falls back to its words alone). Each saved search becomes its queries with one more
filter, `id IN [the products changed]`, so Meilisearch only looks at those documents.

Cost: one Meilisearch query per saved search that survives MongoDB's first cut (stars, groups), per batch of
up to 100 changed products, sent 100 at a time in multi-search requests. Measured on a 2-core machine against
the 495-product relevance catalogue: about 1 ms per saved search per batch (5,000 saved searches against 100
changed products: 3.9 s; 1,000: 1.1 s). So ten thousand alerting saved searches take about ten seconds per
hundred product changes, which a catalogue edited by hand keeps up with; a bulk import of thousands of
products is matched minutes later. Far beyond that, the saved searches would have to be indexed themselves and
matched the other way round (a percolator).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from bson import ObjectId

from market.catalog.records import CertificateStatus
from market.core.text import nfc
from market.notifications.alert_records import RfqFollow, SavedSearch
from market.trade.inquiries import BoardProfile
from search.client import MeiliClient, MeiliError, MeiliUnavailable
from search.failures import search_failure
from search.filters import one_of
from search.places import with_place
from search.plans import interpreted
from search.query import SearchFilter, SearchSort
from search.rfqs import board_filter, board_narrowing
from search.service import MAX_QUERY_LENGTH, ProductSearch

log = logging.getLogger("ocop.alerts")
QUERIES_PER_REQUEST = 100
# A refusal is reported against the input field of `saveSearch` a client would look at first.
_ARGUMENTS = {"invalid_search_filter": "filter", "invalid_search_q": "query"}
# Meilisearch knows an index's fields from its documents: before the first product, searching named fields
# is refused with this code, and there is nothing to match.
_EMPTY_INDEX = "invalid_search_attributes_to_search_on"


def search_filter(stored: Mapping[str, Any]) -> SearchFilter:
    """A saved search's filter as the search layer takes it."""
    return SearchFilter(
        provinces=tuple(stored.get("provinces") or ()),
        groups=tuple(stored.get("groups") or ()),
        min_stars=stored.get("min_stars"),
        price_min=stored.get("price_min"),
        price_max=stored.get("price_max"),
        certifications=tuple(stored.get("certifications") or ()),
        producer_id=stored.get("producer_id"),
        max_moq=stored.get("max_moq"),
        certificate_statuses=tuple(CertificateStatus(s) for s in stored.get("certificate_statuses") or ()),
        packaging=tuple(stored.get("packaging") or ()),
    )


def stored_filter(flt: SearchFilter) -> dict[str, Any]:
    """The other way: what a saved search keeps of `searchProducts`' filter."""
    return {
        "provinces": list(flt.provinces),
        "groups": list(flt.groups),
        "min_stars": flt.min_stars,
        "price_min": flt.price_min,
        "price_max": flt.price_max,
        "certifications": list(flt.certifications),
        "producer_id": flt.producer_id,
        "max_moq": flt.max_moq,
        "certificate_statuses": [s.value for s in flt.certificate_statuses],
        "packaging": list(flt.packaging),
    }


async def _multi(meili: MeiliClient, queries: list[dict[str, Any]], *, skip_refused: bool = False) -> list[list[str]]:
    """The ids each query found, in the order of the queries. `skip_refused`: a request Meilisearch refuses (a
    bug of ours, never an outage) is retried query by query and each refused one is logged and found nothing, so
    one saved search cannot hold every other's alerts back."""
    found: list[list[str]] = []
    for start in range(0, len(queries), QUERIES_PER_REQUEST):
        chunk = queries[start : start + QUERIES_PER_REQUEST]
        try:
            body = await meili.multi_search(chunk)
        except MeiliUnavailable:
            raise
        except MeiliError:
            if not skip_refused:
                raise
            found += [await _alone(meili, query) for query in chunk]
            continue
        found += [[hit["id"] for hit in result.get("hits", [])] for result in body["results"]]
    return found


async def _alone(meili: MeiliClient, query: dict[str, Any]) -> list[str]:
    try:
        body = await meili.multi_search([query])
    except MeiliUnavailable:
        raise
    except MeiliError as exc:
        log.error("an alert query was refused and skipped: %s %r", exc.code, str(exc))
        return []
    return [hit["id"] for hit in body["results"][0].get("hits", [])]


class SavedSearchMatcher:
    def __init__(self, search: ProductSearch) -> None:
        self.search = search

    def queries(
        self, query: str, stored: Mapping[str, Any], restrict: list[str] | None, limit: int
    ) -> list[dict[str, Any]]:
        text = nfc(query)[:MAX_QUERY_LENGTH]
        vocabulary = self.search.vocabulary()
        reading = interpreted(text) if text.strip() else None
        if reading is not None and vocabulary is not None:
            reading = with_place(reading, vocabulary.places)
        plan = self.search.plan(
            text, search_filter(stored), SearchSort.RELEVANCE, None, False, vocabulary,
            every_word=True, interpretation=reading, attributes=["id"],
        )  # fmt: skip
        out = []
        for planned in plan.queries:
            body = {k: v for k, v in planned.items() if k not in ("federationOptions", "attributesToHighlight")}
            body["filter"] = [*planned["filter"], *([one_of("id", restrict)] if restrict is not None else [])]
            body.update(attributesToRetrieve=["id"], limit=limit, matchingStrategy="all")
            out.append(body)
        return out

    async def indexed_versions(self, product_ids: Sequence[ObjectId]) -> dict[ObjectId, int]:
        body = await self.search.meili.fetch_documents(
            self.search.index_uid, ["id", "version"], filter=one_of("id", [str(i) for i in product_ids]),
            limit=len(product_ids),
        )  # fmt: skip
        return {ObjectId(doc["id"]): int(doc["version"]) for doc in body["results"]}

    async def matching(
        self, searches: Sequence[SavedSearch], product_ids: Sequence[ObjectId]
    ) -> list[tuple[SavedSearch, ObjectId]]:
        ids = [str(i) for i in product_ids]
        owners: list[SavedSearch] = []
        queries: list[dict[str, Any]] = []
        for saved in searches:
            for body in self.queries(saved.query, saved.filter, ids, len(ids)):
                owners.append(saved)
                queries.append(body)
        pairs: dict[tuple[ObjectId, str], tuple[SavedSearch, ObjectId]] = {}
        results = await _multi(self.search.meili, queries, skip_refused=True)
        for saved, found in zip(owners, results, strict=True):
            for product_id in found:
                pairs.setdefault((saved.id, product_id), (saved, ObjectId(product_id)))
        return list(pairs.values())

    async def current(self, query: str, stored: Mapping[str, Any], limit: int) -> list[ObjectId]:
        """The published products the saved search matches now, at most `limit`. For the API: a failure is the
        typed error a search gives (UNAVAILABLE), and nothing is saved."""
        try:
            found = await _multi(self.search.meili, self.queries(query, stored, None, limit))
        except MeiliError as exc:
            if exc.code == _EMPTY_INDEX and await self._empty():
                return []
            raise search_failure(exc, "search", _ARGUMENTS) from exc
        return list(dict.fromkeys(ObjectId(i) for ids in found for i in ids))[:limit]

    async def _empty(self) -> bool:
        """Asked as a search (the API's key may do nothing else): no document at all."""
        try:
            body = await self.search.meili.search(self.search.index_uid, {"q": "", "limit": 0})
        except MeiliError:
            return False
        return int(body.get("estimatedTotalHits", 1)) == 0


class RfqFollowMatcher:
    def __init__(self, meili: MeiliClient, index_uid: str) -> None:
        self.meili = meili
        self.index_uid = index_uid

    async def indexed(self, inquiry_ids: Sequence[ObjectId]) -> set[ObjectId]:
        body = await self.meili.fetch_documents(
            self.index_uid, ["id"], filter=one_of("id", [str(i) for i in inquiry_ids]), limit=len(inquiry_ids)
        )
        return {ObjectId(doc["id"]) for doc in body["results"]}

    async def matching(
        self, follows: Sequence[tuple[RfqFollow, BoardProfile | None]], inquiry_ids: Sequence[ObjectId]
    ) -> list[tuple[RfqFollow, ObjectId]]:
        ids = [str(i) for i in inquiry_ids]
        queries = []
        for follow, profile in follows:
            # The board as the follower reads it (what its catalogue can meet), narrowed by the follow.
            board = (
                board_filter(profile.groups, profile.province_code, profile.best_stars)
                if profile is not None
                else board_filter([], None, 5)[:1]
            )
            narrowing = board_narrowing(follow.groups, follow.provinces, follow.buyer_kinds)
            queries.append(
                {
                    "indexUid": self.index_uid,
                    "q": "",
                    "filter": [*board, *narrowing, one_of("id", ids)],
                    "attributesToRetrieve": ["id"],
                    "limit": len(ids),
                }
            )
        found = await _multi(self.meili, queries, skip_refused=True)
        return [(follow, ObjectId(i)) for (follow, _), hits in zip(follows, found, strict=True) for i in hits]
