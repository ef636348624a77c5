"""GraphQL over HTTP's media types: which one a client accepts, and what a request error looks like in it.

`application/graphql-response+json` lets a client tell a request the server refused (a document that does
not parse or validate, variables that do not coerce: HTTP 400, no `data`) from an operation that ran and
failed (HTTP 200). `application/json` answers 200 either way, as older clients expect.
"""

from __future__ import annotations

from graphql import GraphQLError

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"


def preferred(accept: str | None) -> str:
    """The media type to answer in: the accepted one of the two with the highest quality; a tie, or no
    Accept header, is answered as application/json, which every client reads."""
    if not accept:
        return JSON
    best, best_q = JSON, -1.0
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        media = media.lower()
        if media == GRAPHQL_RESPONSE and quality > 0 and quality > best_q:
            best, best_q = GRAPHQL_RESPONSE, quality
        elif media in (JSON, "application/*", "*/*") and quality > 0 and quality > best_q:
            best, best_q = JSON, quality
    return best


def is_request_error(data: object, errors: list[GraphQLError] | None) -> bool:
    """Nothing was executed: no data, and every error came before execution (none has a path)."""
    return data is None and bool(errors) and all(e.path is None for e in errors or ())
