"""GraphQL over HTTP's media types: which one a client accepts, and what a request error looks like in it.

`application/graphql-response+json` lets a client tell a request the server refused (a document that does
not parse or validate, variables that do not coerce: HTTP 400, no `data`) from an operation that ran and
failed (HTTP 200). `application/json` answers 200 either way, as older clients expect.
"""

from __future__ import annotations

from graphql import GraphQLError

from market.core.messages import Locale

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"


def weighted(header: str | None) -> list[tuple[str, float]]:
    """An Accept-style header's values, lowercased, each with its quality (1 when unsaid, 0 when unreadable)."""
    values = []
    for part in (header or "").split(","):
        value, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, raw = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(raw)
                except ValueError:
                    quality = 0.0
        if value:
            values.append((value.lower(), quality))
    return values


def preferred(accept: str | None) -> str:
    """The media type to answer in: the accepted one of the two with the highest quality; a tie, or no
    Accept header, is answered as application/json, which every client reads."""
    best, best_q = JSON, -1.0
    for media, quality in weighted(accept):
        if media == GRAPHQL_RESPONSE and quality > 0 and quality > best_q:
            best, best_q = GRAPHQL_RESPONSE, quality
        elif media in (JSON, "application/*", "*/*") and quality > 0 and quality > best_q:
            best, best_q = JSON, quality
    return best


def locale_of(accept_language: str | None) -> Locale:
    """Vietnamese when the most preferred language of an Accept-Language header is Vietnamese, else English."""
    best, best_q = "", -1.0
    for tag, quality in weighted(accept_language):
        if quality > best_q:
            best, best_q = tag, quality
    return "vi" if best_q > 0 and (best == "vi" or best.startswith("vi-")) else "en"


def is_request_error(data: object, errors: list[GraphQLError] | None) -> bool:
    """Nothing was executed: no data, and every error came before execution (none has a path)."""
    return data is None and bool(errors) and all(e.path is None for e in errors or ())
