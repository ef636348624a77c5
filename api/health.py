"""Liveness, readiness and metrics."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from pymongo.errors import PyMongoError
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse

from api.services import Services
from schema.execution import COUNTS


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def _sync_figures(services: Services) -> dict[str, object]:
    status = await services.store.sync_state(f"search:{services.products_index}").read()
    heartbeat_age = (datetime.now(UTC) - status.heartbeat_at).total_seconds() if status.heartbeat_at else None
    alive = (
        status.owner is not None and heartbeat_age is not None and heartbeat_age <= services.settings.sync_stale_after
    )
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
        body["searchSync"] = await _sync_figures(services)
    return JSONResponse(body, status_code=200 if mongo_ok and meili_ok else 503)


async def metrics(request: Request) -> PlainTextResponse:
    """Prometheus text format."""
    services: Services = request.app.state.services
    lines = []
    try:
        figures = await _sync_figures(services)
    except PyMongoError:
        figures = {}
    lines += [
        "# HELP ocop_search_sync_lag_seconds Delay between a MongoDB write and its arrival in the search index.",
        "# TYPE ocop_search_sync_lag_seconds gauge",
        f"ocop_search_sync_lag_seconds {figures.get('lagSeconds') or 0}",
        "# HELP ocop_search_sync_heartbeat_age_seconds Seconds since the sync worker last reported.",
        "# TYPE ocop_search_sync_heartbeat_age_seconds gauge",
        f"ocop_search_sync_heartbeat_age_seconds {figures.get('heartbeatAgeSeconds') or 'NaN'}",
        "# HELP ocop_search_sync_applied_events_total Change events applied to the index.",
        "# TYPE ocop_search_sync_applied_events_total counter",
        f"ocop_search_sync_applied_events_total {figures.get('appliedEvents') or 0}",
        "# HELP ocop_graphql_short_path_total Objects and fields completed by the short execution path, and walks "
        "it handed back to graphql-core.",
        "# TYPE ocop_graphql_short_path_total counter",
        f'ocop_graphql_short_path_total{{outcome="object"}} {COUNTS.objects}',
        f'ocop_graphql_short_path_total{{outcome="field"}} {COUNTS.fields}',
        f'ocop_graphql_short_path_total{{outcome="handed_back"}} {COUNTS.handed_back}',
    ]
    return PlainTextResponse("\n".join(lines) + "\n")
