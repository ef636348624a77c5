"""The ASGI application factory."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.routing import Route, WebSocketRoute

from api.graphql import GraphQLEndpoint
from api.health import healthz, metrics, readyz
from api.services import Services
from api.settings import Settings
from market.store import Store
from schema import build_schema


def create_app(settings: Settings | None = None, *, store: Store | None = None) -> Starlette:
    """Build the app. Pass `store` to share a MongoDB client (tests count its commands)."""
    settings = settings or Settings()
    services = Services.create(settings, store)
    schema = build_schema(production=settings.env == "production", short_path=settings.short_path)
    graphql = GraphQLEndpoint(schema, services, graphiql=settings.graphiql)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await services.store.ensure_indexes()
        # Everything loaded at start-up (schema, modules, reference data) lives as long as the process:
        # moving it out of the collector's generations keeps full collections short under load.
        gc.freeze()
        yield
        await services.close()

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
        ],
        lifespan=lifespan,
    )
    app.state.services = services
    return app
