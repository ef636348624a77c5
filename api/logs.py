"""Logs as JSON, one object a line, for `ocop serve`, `ocop worker` and `ocop run` alike (uvicorn's own
loggers included), so that a log collector needs no parsing rules.

Each line holds `time` (UTC, ISO 8601, to the millisecond), `level`, `logger` and `message`; `request_id`
when it was written while an HTTP request was under way (any logger, e.g. a warning from the search
client); the fields passed with `extra=`; and `traceback` for an exception.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import orjson

# Set by api/observe.py for the time of each HTTP request. Kept here rather than read off the request
# record so that the worker's logs do not import the GraphQL schema.
REQUEST_ID: ContextVar[str | None] = ContextVar("ocop_request_id", default=None)

# Attributes every LogRecord has; anything else on a record came from `extra=`. uvicorn adds a coloured
# copy of its message, which is noise here.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "color_message"}


class JsonFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__()
        # Formatting a date costs more than the rest of a line; lines come many to a second.
        self._second = -1
        self._stamp = ""

    def format(self, record: logging.LogRecord) -> str:
        second = int(record.created)
        if second != self._second:
            self._second, self._stamp = second, datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        entry: dict[str, Any] = {
            "time": f"{self._stamp}.{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if (request_id := REQUEST_ID.get()) is not None:
            entry["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD:
                entry[key] = value
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["traceback"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        try:
            return orjson.dumps(entry, default=str, option=orjson.OPT_NON_STR_KEYS).decode()
        except (TypeError, orjson.JSONEncodeError):  # e.g. an integer beyond 64 bits
            return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(level: int = logging.INFO) -> None:
    """JSON lines on stderr from every logger of this process."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # uvicorn's loggers carry their own plain-text handlers unless uvicorn is started with log_config=None;
    # either way their lines go through the root's handler.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    # Fields a JSON line leaves out, which every LogRecord would otherwise look up.
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    # httpx logs every request at INFO (the CLI's and the worker's Meilisearch calls).
    logging.getLogger("httpx").setLevel(logging.WARNING)


def log_config(level: str = "INFO") -> dict[str, object]:
    """configure_logging's setup as a logging.config dictionary: uvicorn applies it in every worker process
    it starts (`ocop serve --workers N`), where configure_logging, run in the parent, would not reach."""
    quiet = {"handlers": [], "propagate": True}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr", "formatter": "json"}},
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            **{name: quiet for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")},
            "httpx": {"level": "WARNING"},
        },
    }
