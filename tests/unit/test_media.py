"""Choosing the response media type from the Accept header (GraphQL over HTTP)."""

from __future__ import annotations

import pytest
from graphql import GraphQLError

from api.media import GRAPHQL_RESPONSE, JSON, is_request_error, preferred


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, JSON),
        ("", JSON),
        ("*/*", JSON),
        ("application/json", JSON),
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE}, application/json;q=0.9", GRAPHQL_RESPONSE),
        (f"application/json, {GRAPHQL_RESPONSE}", JSON),  # a tie goes to what every client reads
        (f"application/json;q=0.5, {GRAPHQL_RESPONSE};q=0.8", GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE};q=0", JSON),
        (f"{GRAPHQL_RESPONSE};q=abc, application/json", JSON),
        ("text/html", JSON),
    ],
)
def test_the_preferred_media_type(accept: str | None, chosen: str) -> None:
    assert preferred(accept) == chosen


def test_a_request_error_is_one_where_nothing_ran() -> None:
    assert is_request_error(None, [GraphQLError("Syntax Error")])
    assert not is_request_error(None, [GraphQLError("boom", path=["product"])])
    assert not is_request_error({"product": None}, [GraphQLError("boom")])
    assert not is_request_error(None, [])
