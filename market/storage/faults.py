"""Which database failures are the server being out of reach, as opposed to a bug in a query."""

from __future__ import annotations

from pymongo.errors import ConnectionFailure, PyMongoError


def is_unavailable(exc: BaseException) -> bool:
    """MongoDB could not be reached, lost its primary or ran out of time: retrying later may succeed."""
    return isinstance(exc, ConnectionFailure) or (isinstance(exc, PyMongoError) and exc.timeout)
