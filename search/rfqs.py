"""The RFQ board index: open RFQs, searchable by producers (accents optional, like products), filtered by
what a producer's catalogue can meet."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from bson import ObjectId

from market.accounts.policy import Viewer
from market.accounts.records import BuyerOrg
from market.core.clock import utcnow
from market.core.paging import Listing, Page, PageRequest
from market.core.provinces import load_provinces
from market.core.text import nfc
from market.trade import policy
from market.trade.inquiries import board_profile
from market.trade.records import Inquiry, InquiryKind, InquiryStatus
from search.client import MeiliClient, MeiliError
from search.failures import search_failure
from search.filters import equals, one_of
from search.service import clean_query, cursor_bounds, encode_offset, needs_total, offset_window
from search.vietnamese import tone_spellings

if TYPE_CHECKING:
    from market.store import Store

RFQS = "rfqs"
RFQ_DOCUMENT_VERSION = 1

RFQ_SETTINGS: dict[str, Any] = {
    "searchableAttributes": ["query", "toneQuery", "message", "provinceNames", "buyerName"],
    "filterableAttributes": ["id", "groups", "provinces", "minStars", "certifications", "expiresAt", "buyerKind"],
    "sortableAttributes": ["createdAt", "expiresAt", "quantity"],
    "typoTolerance": {"disableOnAttributes": ["toneQuery"]},
    "pagination": {"maxTotalHits": 5000},
}


def rfq_fingerprint() -> str:
    return hashlib.sha256(f"rfq:{RFQ_DOCUMENT_VERSION}".encode()).hexdigest()[:16]


def is_on_board(inquiry: Inquiry) -> bool:
    """Open RFQs; an expired one drops out through the `expiresAt` filter until the sweeper closes it."""
    return inquiry.kind is InquiryKind.OPEN and inquiry.status is InquiryStatus.OPEN and inquiry.criteria is not None


def rfq_document(inquiry: Inquiry, buyer: BuyerOrg | None) -> dict[str, Any]:
    criteria = inquiry.criteria
    assert criteria is not None
    registry = load_provinces()
    names = [p.name for p in (registry.get(code) for code in criteria.provinces) if p is not None]
    return {
        "id": str(inquiry.id),
        "query": criteria.query,
        "toneQuery": tone_spellings(criteria.query),
        "message": inquiry.message,
        "groups": criteria.groups,
        "provinces": criteria.provinces,
        "provinceNames": names,
        "minStars": criteria.min_stars,
        "certifications": criteria.certifications,
        "quantity": inquiry.quantity,
        "unit": inquiry.unit,
        "buyerName": buyer.name if buyer else "",
        "buyerKind": buyer.kind.value if buyer else None,
        "createdAt": int(inquiry.created_at.timestamp()),
        "expiresAt": int(inquiry.expires_at.timestamp()),
        "version": inquiry.version,
    }


def board_filter(groups: list[str], province: str | None, best_stars: int) -> list[str]:
    """RFQs a producer could meet: unexpired (by the domain clock, as `Inquiry.effective_status` reads it), and
    each criterion either unset or satisfied."""
    now = int(utcnow().timestamp())
    clauses = [f"expiresAt > {now}", f"(minStars IS NULL OR minStars <= {int(best_stars)})"]
    clauses.append(f"(groups IS EMPTY OR {one_of('groups', groups)})" if groups else "groups IS EMPTY")
    clauses.append(f"(provinces IS EMPTY OR {equals('provinces', province)})" if province else "provinces IS EMPTY")
    return clauses


def board_narrowing(groups: list[str], provinces: list[str], buyer_kinds: list[str]) -> list[str]:
    """Conditions a producer adds to narrow the board (`RfqBoardFilter`)."""
    clauses = []
    if groups:
        clauses.append(one_of("groups", groups))
    if provinces:
        clauses.append(one_of("provinces", provinces))
    if buyer_kinds:
        clauses.append(one_of("buyerKind", buyer_kinds))
    return clauses


# A refusal is reported against the argument of `openRequests` a client would look at first.
_ARGUMENTS = {"invalid_search_filter": "filter", "invalid_search_q": "query"}


class RfqBoard:
    """Search over the RFQ board index."""

    def __init__(self, meili: MeiliClient, index_uid: str) -> None:
        self.meili = meili
        self.index_uid = index_uid

    async def open_requests(
        self, store: Store, viewer: Viewer, query: str, narrowing: list[str], request: PageRequest
    ) -> Listing[Inquiry]:
        """The board as the viewer may read it: open RFQs its catalogue could meet (every open RFQ for an
        admin; the policy refuses anyone else), newest first or matching `query`."""
        profile = await board_profile(store, viewer)
        if profile is None:
            filters = board_filter([], None, 5)[:1]
        else:
            filters = board_filter(profile.groups, profile.province_code, profile.best_stars)
        text, filters = clean_query(query), filters + narrowing
        cursor_bounds(request.validated())  # a bad cursor is refused before the board is counted or searched
        length = await self.count(text, filters) if needs_total(request) else None
        window = offset_window(request, length)
        ids, total = await self.search(text, filters, window.offset, window.limit)
        records = {str(i.id): i for i in await store.trade.inquiries_by_id([ObjectId(i) for i in ids])}
        # The index may lag a closing by a moment: what MongoDB says is closed is left out, as is anything
        # the policy would not show this viewer through `inquiry(id)`.
        items = [
            (records[i], encode_offset(window.offset + n))
            for n, i in enumerate(ids[: window.size])
            if i in records
            and records[i].effective_status is InquiryStatus.OPEN
            and policy.can_see_inquiry(viewer, records[i])
        ]
        has_previous, has_next = window.flags(len(ids))
        page = Page(items=items, has_next=has_next, has_previous=has_previous)

        async def count() -> int:
            return total

        return Listing(page, count)

    async def search(self, text: str, filters: list[str], offset: int, limit: int) -> tuple[list[str], int]:
        """(RFQ ids in order, estimated total). Newest first when there is no text."""
        body = await self._search({**self._params(text, filters), "offset": offset, "limit": limit})
        return [h["id"] for h in body["hits"]], int(body.get("estimatedTotalHits", 0))

    async def count(self, text: str, filters: list[str]) -> int:
        """How many RFQs match, counted exhaustively: where a board read from its end starts."""
        body = await self._search({**self._params(text, filters), "hitsPerPage": 0})
        return int(body.get("totalHits", 0))

    @staticmethod
    def _params(text: str, filters: list[str]) -> dict[str, Any]:
        params: dict[str, Any] = {"q": nfc(text), "filter": filters, "attributesToRetrieve": ["id"]}
        if not params["q"]:
            params["sort"] = ["createdAt:desc"]
        return params

    async def _search(self, params: dict[str, Any]) -> dict[str, Any]:
        try:
            return await self.meili.search(self.index_uid, params)
        except MeiliError as exc:
            raise search_failure(exc, "the RFQ board", _ARGUMENTS) from exc
