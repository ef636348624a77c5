"""Matchmaking for open RFQs: the producers whose published products best fit the RFQ, found through
the search index (so Vietnamese handling, synonyms and province aliases apply), best match first."""

from __future__ import annotations

from market.core.errors import DomainError
from market.core.paging import PageRequest
from market.trade.inquiries import Match, Matcher
from market.trade.records import Criteria
from search.query import SearchFilter
from search.service import ProductSearch

CANDIDATES = 100
# The search's arguments, as the RFQ's input names them.
_CRITERIA = {"query": "criteria.query", "filter": "criteria"}


def matcher_for(search: ProductSearch) -> Matcher:
    async def match(criteria: Criteria, limit: int) -> list[Match]:
        flt = SearchFilter(
            provinces=tuple(criteria.provinces),
            groups=tuple(criteria.groups),
            min_stars=criteria.min_stars,
            certifications=tuple(criteria.certifications),
        )
        # Every word of the RFQ must match (a typo-corrected reading still counts): "kẹo dừa" invites coconut
        # candy makers, not every maker of some candy.
        try:
            page = await search.search(
                criteria.query, PageRequest(CANDIDATES), None, flt=flt, every_word=True, interpret_query=False
            )
        except DomainError as exc:
            raise DomainError([e.moved(_CRITERIA.get(e.field or "", e.field)) for e in exc.errors]) from exc
        by_producer: dict[object, Match] = {}
        for hit in page.hits:
            product = hit.product
            found = by_producer.get(product.producer_id)
            if found is None:
                if len(by_producer) >= limit:
                    continue
                found = by_producer[product.producer_id] = Match(product.producer_id, [], "")
            if len(found.product_ids) < 5:
                found.product_ids.append(product.id)
        names = {hit.product.id: hit.product.name for hit in page.hits}
        return [
            Match(m.producer_id, m.product_ids, "matched: " + "; ".join(names[p] for p in m.product_ids))
            for m in by_producer.values()
        ]

    return match
