"""A bound on request bodies: larger ones get 413 with a GraphQL error (`REQUEST_TOO_LARGE`), and at most
the limit is ever read into memory.

The body is read here, up to the limit, and handed to the app as one message; a declared Content-Length
above the limit is refused before anything is read. File uploads (`multipart/form-data`, the GraphQL multipart
request spec) have their own, larger bound (`OCOP_MAX_UPLOAD_BYTES`): a spreadsheet is bigger than any
query, and no other request may use that room.

A request's objects (Strawberry's execution context, its extensions, the request) refer to each other, so
they, and the body and query text they hold, are freed by Python's cycle collector rather than when the
request ends. The collector runs after a count of new objects, not of bytes: a client sending large bodies
could pile up hundreds of megabytes of them between two collections. So after every COLLECT_AFTER bytes of
large bodies the collector runs.
"""

from __future__ import annotations

import gc

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.graphql import error_response

LARGE_BODY = 64 * 1024
COLLECT_AFTER = 16 * 1024 * 1024


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int, max_upload_bytes: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_upload_bytes = max_bytes if max_upload_bytes is None else max_upload_bytes
        self.large_bytes = 0  # of large bodies since the last collection
        self.collections = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_upload_bytes if _is_upload(scope) else self.max_bytes
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(scope, receive, send, limit)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._refuse(scope, receive, send, limit)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
        if size >= LARGE_BODY:
            self.large_bytes += size
            if self.large_bytes >= COLLECT_AFTER:
                self.large_bytes = 0
                self.collections += 1
                gc.collect()

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        message = f"the request body is larger than {limit} bytes"
        headers = {"Connection": "close"}
        response = error_response(message, "REQUEST_TOO_LARGE", 413)
        response.headers.update(headers)
        await response(scope, receive, send)


def _is_upload(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-type":
            return value.split(b";", 1)[0].strip().lower() == b"multipart/form-data"
    return False


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
