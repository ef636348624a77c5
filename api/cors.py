"""Cross-origin requests from browser apps: Starlette's CORS middleware, with preflights answered 204 No
Content as the Fetch standard's clients expect of an empty answer."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

# What a browser client may send across origins: the key, JSON, and the headers Apollo Client adds.
ALLOWED_HEADERS = [
    "Authorization",
    "Content-Type",
    "Accept",
    "Accept-Language",
    "X-API-Key",
    "X-Request-Id",
    "Apollo-Require-Preflight",
    "apollographql-client-name",
    "apollographql-client-version",
]


class Cors(CORSMiddleware):
    def preflight_response(self, request_headers: Headers) -> Response:
        answer = super().preflight_response(request_headers)
        if answer.status_code != 200:
            return answer  # a refused origin, method or header: Starlette's 400 says which
        headers = {k: v for k, v in answer.headers.items() if k.lower() not in ("content-length", "content-type")}
        return Response(status_code=204, headers=headers)
