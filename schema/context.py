"""The per-request GraphQL context."""

import contextlib
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pymongo.errors import PyMongoError

from market.accounts.policy import Principal
from market.storage.changes import Feed, OpenStream
from market.store import Store
from schema.errors import Unauthenticated
from schema.loaders import Loaders
from search.rfqs import RfqBoard
from search.service import ProductSearch

F = TypeVar("F", bound=Feed[Any])


@dataclass
class Context:
    store: Store
    search: ProductSearch
    viewer: Principal | None
    loaders: Loaders
    board: RfqBoard | None = None
    rfq_invites: int = 10
    connection_params: dict[str, Any] | None = None  # a WebSocket's `connection_init` payload
    request: Any = None
    response: Any = None
    extra: dict[str, Any] = field(default_factory=dict)
    client_address: str = "unknown"  # as the rate limits count it: what sign-in failures are counted by
    locale: str = "en"  # of the messages: "vi" or "en", from the request's Accept-Language
    public_url: str | None = None  # OCOP_PUBLIC_URL: the base of absolute links (schema/links.py)
    # The change streams a WebSocket connection's subscriptions opened, closed with the connection
    # (api/graphql.py). Held strongly: a subscription stopped before its first read leaves nothing else that
    # would close its stream, and the feed it returned (a `map` of the one it opened) may already be dropped.
    # Made by the first subscription: an HTTP request's context never needs one.
    streams: "list[OpenStream] | None" = None

    def following(self, feed: F) -> F:
        """`feed`, its stream closed with the connection if its subscription has not closed it by then."""
        if self.streams is None:
            self.streams = []
        # Streams their subscriptions closed are let go here, so a long connection holds only the open ones.
        self.streams = [stream for stream in self.streams if not stream.closed]
        self.streams.append(feed.stream)
        return feed

    async def close_feeds(self) -> None:
        for stream in self.streams or ():
            # The connection is over either way: a cursor MongoDB cannot be told to close now ends at its idle
            # timeout.
            with contextlib.suppress(PyMongoError):
                await stream.close()

    def require_viewer(self) -> Principal:
        if self.viewer is None:
            raise Unauthenticated()
        return self.viewer
