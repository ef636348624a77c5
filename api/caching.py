"""HTTP caching of public reads: a GET without an API key can only have read what anyone may read, so its
answer may be kept by browsers, CDNs and proxies (`Cache-Control: public`, a strong ETag, 304 when the
client already holds it). Anything sent with a key is `private, no-store`: it may hold what only that
account sees."""

from __future__ import annotations

import hashlib

from starlette.requests import Request
from starlette.responses import Response

CREDENTIAL_HEADERS = ("authorization", "x-api-key")


def apply_caching(request: Request, response: Response, max_age: int) -> Response:
    if any(name in request.headers for name in CREDENTIAL_HEADERS):
        response.headers["Cache-Control"] = "private, no-store"
        return response
    body = getattr(response, "body", None)
    public = (
        request.method == "GET"
        and response.status_code == 200
        and isinstance(body, bytes)
        and response.media_type != "text/html"  # GraphiQL's page carries its own policy
        and b'"errors"' not in body
    )
    if not public:
        response.headers["Cache-Control"] = "no-store"
        return response
    assert isinstance(body, bytes)
    # The same body in another media type or language is another representation: its own tag.
    variant = f"{response.headers.get('content-type', '')}|{response.headers.get('content-language', '')}|"
    etag = '"' + hashlib.sha256(variant.encode() + body).hexdigest()[:32] + '"'
    headers = {
        "Cache-Control": f"public, max-age={max_age}",
        "ETag": etag,
        # A cache must not hand this anonymous answer to a request that carries a key.
        "Vary": "Accept, Accept-Language, Authorization, X-API-Key",
    }
    if etag in _tags(request.headers.get("if-none-match")):
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return response


def _tags(header: str | None) -> set[str]:
    if not header:
        return set()
    return {tag.strip().removeprefix("W/") for tag in header.split(",")}
