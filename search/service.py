"""Product search over the Meilisearch index: the query in, ordered hits out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from market.errors import DomainError, ErrorCode
from market.paging import MAX_PAGE, PageRequest
from market.permissions import Viewer
from market.text import nfc
from search.client import MeiliClient, MeiliUnavailable

MAX_QUERY_LENGTH = 200


@dataclass(slots=True)
class SearchHit:
    id: str
    document: dict[str, Any]
    offset: int


@dataclass(slots=True)
class SearchPage:
    hits: list[SearchHit]
    has_next: bool
    estimated_total: int


def clean_query(query: str) -> str:
    text = nfc(query)
    if len(text) > MAX_QUERY_LENGTH:
        raise DomainError.single(
            ErrorCode.TOO_LONG, "query", f"query is longer than {MAX_QUERY_LENGTH} characters ({len(text)})"
        )
    return text


def decode_offset(after: str | None) -> int:
    if after is None:
        return 0
    if not after.startswith("o:") or not after[2:].isdigit():
        raise DomainError.single(ErrorCode.INVALID, "after", "after is not a cursor from this search")
    return int(after[2:]) + 1


def encode_offset(offset: int) -> str:
    return f"o:{offset}"


class ProductSearch:
    def __init__(self, meili: MeiliClient, index_uid: str) -> None:
        self.meili = meili
        self.index_uid = index_uid

    async def search(self, query: str, page: PageRequest, viewer: Viewer) -> SearchPage:
        page = page.validated()
        text = clean_query(query)
        offset = decode_offset(page.after)
        if offset + page.first > 5000:
            raise DomainError.single(
                ErrorCode.OUT_OF_RANGE, "after", "search results stop at 5000 hits; refine the query"
            )
        params: dict[str, Any] = {
            "q": text,
            "filter": 'status = "published"',
            "offset": offset,
            "limit": page.first + 1,
            "attributesToRetrieve": ["id"],
        }
        try:
            body = await self.meili.search(self.index_uid, params)
        except MeiliUnavailable as exc:
            raise DomainError.single(ErrorCode.UNAVAILABLE, None, "search is temporarily unavailable") from exc
        rows = body.get("hits", [])
        hits = [SearchHit(id=row["id"], document=row, offset=offset + i) for i, row in enumerate(rows[: page.first])]
        return SearchPage(
            hits=hits,
            has_next=len(rows) > page.first,
            estimated_total=int(body.get("estimatedTotalHits", len(hits))),
        )


__all__ = ["MAX_PAGE", "ProductSearch", "SearchPage", "clean_query"]
