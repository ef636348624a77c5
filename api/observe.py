"""What each HTTP request leaves behind: an `X-Request-Id`, one JSON log line, its metrics and, with
tracing on, a span.

The request id is the client's `X-Request-Id` when it is a sane token (at most 64 of `A-Za-z0-9._-`),
else a new one; it is sent back in the response and is on every log line written while the request runs
(api/logs.py). The request's line (logger `ocop.request`) says what the
request was and how it went: operation, type, duration, HTTP status, the viewer's role and the error
codes. Client mistakes are INFO, outages (`UNAVAILABLE`) WARNING, and server faults ERROR with their
tracebacks, which are then not logged apart.

Probes and scrapes (/healthz, /readyz, /metrics) get a request id but neither a line, metrics nor a span:
they come every few seconds and would drown the rest.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
import traceback
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.logs import REQUEST_ID
from api.metrics import IN_FLIGHT, observe_request
from schema.observability import CURRENT, RequestRecord

log = logging.getLogger("ocop.request")

QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
ROUTES = frozenset({"/graphql"}) | QUIET_PATHS
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# What nginx logs for a client that went away before the answer; no answer was sent.
CLIENT_CLOSED = 499
MAX_TRACEBACKS = 5


def request_id_of(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            if _SANE_ID.fullmatch(candidate):
                return candidate
            break
    return secrets.token_hex(16)


class _Answer:
    __slots__ = ("status",)

    def __init__(self) -> None:
        self.status: int | None = None  # once the response has started


class Observe:
    def __init__(self, app: ASGIApp, tracer: Any = None) -> None:
        self.app = app
        self.tracer = tracer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        record = RequestRecord(request_id_of(scope))
        header = (b"x-request-id", record.request_id.encode())
        answer = _Answer()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer.status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        token = CURRENT.set(record)
        id_token = REQUEST_ID.set(record.request_id)
        try:
            if scope["path"] in QUIET_PATHS:
                await self.app(scope, receive, send_with_id)
            elif self.tracer is None:
                await self._observed(scope, receive, send_with_id, record, answer)
            else:
                with self._span(scope, record) as span:
                    await self._observed(scope, receive, send_with_id, record, answer)
                    span.set_attribute("http.response.status_code", answer.status or CLIENT_CLOSED)
                    if (answer.status or 0) >= 500:
                        from opentelemetry.trace import Status, StatusCode

                        span.set_status(Status(StatusCode.ERROR))
        finally:
            REQUEST_ID.reset(id_token)
            CURRENT.reset(token)

    async def _observed(
        self, scope: Scope, receive: Receive, send: Send, record: RequestRecord, answer: _Answer
    ) -> None:
        fault: BaseException | None = None
        IN_FLIGHT.inc()
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        except Exception as exc:
            fault = exc
            raise
        finally:
            seconds = time.perf_counter() - started
            IN_FLIGHT.dec()
            # No answer and no fault: the client went away (a cancellation, or a body cut short).
            status = answer.status or (500 if fault is not None else CLIENT_CLOSED)
            observe_request(record, status, seconds)
            self._log(scope, record, status, seconds, fault)

    def _span(self, scope: Scope, record: RequestRecord) -> Any:
        from opentelemetry import propagate
        from opentelemetry.trace import SpanKind

        carrier = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
        method, path = scope["method"], scope["path"]
        attributes = {"http.request.method": method, "url.path": path, "ocop.request_id": record.request_id}
        if path in ROUTES:
            attributes["http.route"] = path
        return self.tracer.start_as_current_span(
            f"{method} {path}" if path in ROUTES else method,
            context=propagate.extract(carrier),
            kind=SpanKind.SERVER,
            attributes=attributes,
        )

    def _log(
        self, scope: Scope, record: RequestRecord, status: int, seconds: float, fault: BaseException | None
    ) -> None:
        faults: list[BaseException] = [e.original_error or e for e in record.faults]
        if fault is not None:
            faults.append(fault)
        if faults or (status >= 500 and "UNAVAILABLE" not in record.error_codes):
            level = logging.ERROR
        elif "UNAVAILABLE" in record.error_codes:
            level = logging.WARNING
        else:
            level = logging.INFO
        if not log.isEnabledFor(level):
            return
        operations = record.operations
        viewer = scope.get("state", {}).get("viewer", ...)  # absent: the request never got as far as its key
        fields: dict[str, Any] = {
            "method": scope["method"],
            "path": scope["path"],
            "operation": ",".join(o.label for o in operations) or None,
            "operation_type": ",".join(dict.fromkeys(o.type for o in operations)) or None,
            "duration_ms": round(seconds * 1000, 2),
            "status": status,
            "role": None if viewer is ... else "anonymous" if viewer is None else viewer.role.value,
            "error_codes": record.error_codes,
        }
        if len(operations) > 1:
            fields["batch"] = len(operations)
        if faults:
            fields["traceback"] = "\n".join(
                "".join(traceback.format_exception(f)).rstrip() for f in faults[:MAX_TRACEBACKS]
            )
        message = "%s %s %d %.1f ms"
        args = (scope["method"], fields["operation"] or scope["path"], status, seconds * 1000)
        # Made directly rather than through `log.log`, which walks the stack for a caller's file and line that
        # would always be this one: that walk was a third of the line's cost.
        log.handle(log.makeRecord(log.name, level, __file__, 0, message, args, None, extra=fields))
