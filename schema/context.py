"""The per-request GraphQL context."""

from dataclasses import dataclass, field
from typing import Any

from market.accounts.policy import Principal
from market.store import Store
from schema.errors import Unauthenticated
from schema.loaders import Loaders
from search.rfqs import RfqBoard
from search.service import ProductSearch


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

    def require_viewer(self) -> Principal:
        if self.viewer is None:
            raise Unauthenticated()
        return self.viewer
