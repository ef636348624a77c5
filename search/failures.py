"""What a client is told when Meilisearch does not answer a search.

An unreachable server is a passing outage. A 4xx answer means we sent a request it refused, which is our
bug whatever the client typed: it is logged for us, and the client gets a typed error that names the
argument involved but never Meilisearch's message, which quotes the filter (other clients' scope, our
attribute names) back.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from market.core.errors import DomainError
from search.client import MeiliError, MeiliUnavailable

log = logging.getLogger("ocop.search")


def search_failure(exc: MeiliError, what: str, fields: Mapping[str, str] | None = None) -> DomainError:
    """The DomainError for a failed search of `what` ("search", "the RFQ board"). `fields` maps Meilisearch
    error codes (`invalid_search_filter`) to the argument they concern; any other refusal is UNAVAILABLE."""
    if isinstance(exc, MeiliUnavailable):
        return DomainError.of("temporarily_unavailable", None, what=what)
    # repr keeps a client's line breaks inside the filter from forging log lines.
    log.warning("Meilisearch refused a request for %s: %s %s %r", what, exc.status, exc.code, str(exc))
    field = (fields or {}).get(exc.code or "")
    if field is not None:
        return DomainError.of("search_refused", field, what=what)
    return DomainError.of("temporarily_unavailable", None, what=what)
