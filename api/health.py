"""Liveness and readiness (metrics: api/metrics.py)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from pymongo.errors import PyMongoError
from starlette.requests import Request
from starlette.responses import JSONResponse

from api.services import Services


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def _sync_figures(services: Services) -> dict[str, object]:
    status = await services.store.sync_state(f"search:{services.products_index}").read()
    now = datetime.now(UTC)
    heartbeat_age = status.heartbeat_age(now)
    alive = status.worker_alive(now, services.settings.sync_stale_after)
    return {
        "worker": "running" if alive else "not running",
        "lagSeconds": status.lag_seconds,
        "heartbeatAgeSeconds": round(heartbeat_age, 3) if heartbeat_age is not None else None,
        "appliedEvents": status.applied_events,
        "lastError": status.last_error,
    }


async def readyz(request: Request) -> JSONResponse:
    """Ready when MongoDB and Meilisearch answer. Search sync health is reported, not required: the API
    serves reads and writes while the worker is down, and the worker catches up when it returns."""
    services: Services = request.app.state.services

    async def mongo() -> bool:
        try:
            return await asyncio.wait_for(services.store.ping(), timeout=2)
        except (PyMongoError, TimeoutError):
            return False

    mongo_ok, meili_ok = await asyncio.gather(mongo(), services.meili.healthy())
    body: dict[str, object] = {
        "status": "ready" if mongo_ok and meili_ok else "unavailable",
        "mongodb": "ok" if mongo_ok else "unreachable",
        "meilisearch": "ok" if meili_ok else "unreachable",
    }
    if mongo_ok:
        try:
            body["searchSync"] = await asyncio.wait_for(_sync_figures(services), timeout=2)
        except (PyMongoError, TimeoutError):
            body["searchSync"] = "unknown"  # MongoDB answered the ping, then stopped
    return JSONResponse(body, status_code=200 if mongo_ok and meili_ok else 503)
