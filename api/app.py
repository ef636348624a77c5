"""The ASGI application factory."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route, WebSocketRoute

from api import documents, graphiql, mail_links, trace, unsubscribe
from api.body_limit import BodyLimit
from api.collector import collect_less_often
from api.cors import ALLOWED_HEADERS, Cors
from api.graphql import GraphQLEndpoint
from api.health import healthz, readyz
from api.metrics import Exposition
from api.observe import Observe
from api.rate_limit import RateLimit, TokenBuckets
from api.services import Services
from api.settings import Settings
from api.tracing import tracer_from_env, tracer_of
from market.store import Store
from schema import build_schema

log = logging.getLogger("ocop.api")


def create_app(
    settings: Settings | None = None, *, store: Store | None = None, tracer_provider: object = None
) -> Starlette:
    """Build the app. Pass `store` to share a MongoDB client (tests count its commands), and
    `tracer_provider` to trace into it rather than as the OTEL_* variables say (api/tracing.py)."""
    settings = settings or Settings()
    services = Services.create(settings, store)
    services.search.vocabulary_refresh = settings.vocabulary_refresh_seconds
    tracer = tracer_of(tracer_provider) if tracer_provider is not None else tracer_from_env()
    schema = build_schema(
        production=settings.env == "production",
        short_path=settings.short_path,
        max_batch=settings.max_batch,
        tracer=tracer,
    )
    graphql = GraphQLEndpoint(
        schema,
        services,
        graphiql=settings.graphiql,
        allowed_origins=settings.allowed_origins,
        single_path=settings.short_path,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if settings.env == "production" and not settings.public_url:
            log.warning(
                "OCOP_PUBLIC_URL is not set: trace pages, QR codes and document links take their address from "
                "each request's Host header, and emails link to %s",
                settings.mail_link_base,
            )
        await services.store.ensure_indexes()
        services.revocations.start()
        services.search.load_reference_data()
        # Everything loaded at start-up (schema, modules, reference data) lives as long as the process:
        # moving it out of the collector's generations keeps full collections short under load.
        gc.freeze()
        collect_less_often()
        # Counted now rather than by the first search, which would otherwise go uncorrected.
        services.search.start_counting()
        yield
        await services.search.close()
        await services.close()

    middleware = [
        Middleware(
            Cors,
            allow_origins=settings.allowed_origins,
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=ALLOWED_HEADERS,
            expose_headers=["Retry-After", "X-Request-Id"],
            max_age=600,
        ),
        Middleware(BodyLimit, max_bytes=settings.max_body_bytes, max_upload_bytes=settings.max_upload_bytes),
    ]
    if settings.rate_limit:
        limits = {
            "per_key": TokenBuckets(settings.rate_per_key, settings.rate_burst_per_key),
            "per_address": TokenBuckets(settings.rate_per_address, settings.rate_burst_per_address),
        }
        middleware.insert(1, Middleware(RateLimit, **limits))
    # Outermost, so that refusals by the layers below are logged and counted too.
    middleware.insert(0, Middleware(Observe, tracer=tracer))
    app = Starlette(
        middleware=middleware,
        routes=[
            # Every method reaches the endpoint, which refuses all but GET and POST in GraphQL's JSON.
            Route("/graphql", graphql),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", Exposition(services).endpoint),
            *graphiql.routes(settings),
            *documents.routes(),
            *trace.routes(),
            *unsubscribe.routes(),
            *mail_links.routes(),
        ],
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.schema = schema
    return app
