"""`GET /documents/<id>`: a document's file, for whoever market.catalog.policy lets read it.

The key comes in the `Authorization` header as for GraphQL (never in the URL, where it would be logged and
shared). A document that does not exist and one the caller may not read get the same 404. The file goes out with
the type its content was checked to be, never rendered as anything else (`nosniff`, a sandboxing policy)."""

from __future__ import annotations

from urllib.parse import quote

import pymongo
from pymongo.errors import PyMongoError
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from api.auth import AuthUnavailable, InvalidApiKey, key_from_headers
from api.graphql import error_response
from api.services import Services
from market.catalog.documents import open_document
from market.core.errors import DomainError
from market.core.ids import object_id_of
from market.storage.faults import is_unavailable


def content_disposition(file_name: str) -> str:
    """`inline`, with an ASCII name for old clients and the real one (RFC 6266, RFC 5987) for the others."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in file_name)
    return f"inline; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"


async def download(request: Request) -> Response:
    services: Services = request.app.state.services
    try:
        viewer = await services.auth.principal(key_from_headers(request.headers))
    except InvalidApiKey as exc:
        refused = error_response(str(exc), "UNAUTHENTICATED", 401)
        refused.headers["WWW-Authenticate"] = 'Bearer realm="ocop-market"'
        return refused
    except AuthUnavailable as exc:
        return error_response(str(exc), "UNAVAILABLE", 503, retry_after=1)
    if viewer is None:
        refused = error_response("documents need an API key", "UNAUTHENTICATED", 401)
        refused.headers["WWW-Authenticate"] = 'Bearer realm="ocop-market"'
        return refused
    document_id = object_id_of(request.path_params["id"], ("Document",))
    if document_id is None:
        return error_response("no such document", "NOT_FOUND", 404)
    try:
        with pymongo.timeout(services.settings.db_timeout):
            found = await open_document(services.store, viewer, str(document_id))
    except DomainError:
        return error_response("no such document", "NOT_FOUND", 404)
    except PyMongoError as exc:
        if is_unavailable(exc):
            return error_response("documents are temporarily unavailable", "UNAVAILABLE", 503, retry_after=1)
        raise
    document = found.document
    return StreamingResponse(
        found.chunks,
        media_type=document.kind.value,
        headers={
            "Content-Length": str(document.size),
            "Content-Disposition": content_disposition(document.file_name),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, no-store",
        },
    )


def routes() -> list[Route]:
    return [Route("/documents/{id}", download, methods=["GET"])]
