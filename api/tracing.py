"""OpenTelemetry tracing: off unless the standard OTEL_* variables ask for it.

Tracing is on when `OTEL_TRACES_EXPORTER` names an exporter (`otlp`, `console`; `none` keeps it off) or
an OTLP endpoint is set (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`), and
`OTEL_SDK_DISABLED` is not `true`. OTLP is sent over HTTP/protobuf (the `tracing` extra installs that
exporter, not the gRPC one). The SDK and the exporter read the rest themselves: `OTEL_SERVICE_NAME`
(default here `ocop-api`), `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER[_ARG]`, `OTEL_EXPORTER_OTLP_*`
headers, timeouts and compression, `OTEL_BSP_*` batching. `OTEL_PROPAGATORS` chooses how an incoming
trace context is read (W3C `traceparent` by default).

Spans: one per HTTP request (api/observe.py), a child of the caller's trace when it sends one, and one per
GraphQL operation inside it (schema/observability.py). None per resolver: see ObserveOperation for why.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

log = logging.getLogger("ocop.tracing")

INSTRUMENTATION = "ocop-market"
_configured: dict[str, Any] = {}  # the process's provider, made once from the environment


def enabled(environ: Mapping[str, str] = os.environ) -> bool:
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporters = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporters:
        return exporters != "none"
    return bool(environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))


def tracer_from_env(environ: Mapping[str, str] = os.environ) -> Any:
    """The process's tracer when the environment turns tracing on, else None (and nothing is imported)."""
    if not enabled(environ):
        return None
    if "provider" not in _configured:
        try:
            _configured["provider"] = _provider(environ)
        except ImportError:
            log.warning("OTEL_* variables ask for tracing, but the `tracing` extra is not installed: no traces")
            _configured["provider"] = None
    provider = _configured["provider"]
    return provider.get_tracer(INSTRUMENTATION) if provider is not None else None


def tracer_of(provider: Any) -> Any:
    """The tracer of a given provider (tests pass one with an in-memory exporter)."""
    return provider.get_tracer(INSTRUMENTATION)


def _provider(environ: Mapping[str, str]) -> Any:
    from opentelemetry import trace
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

    named = environ.get("OTEL_SERVICE_NAME") or "service.name=" in environ.get("OTEL_RESOURCE_ATTRIBUTES", "")
    provider = TracerProvider(resource=Resource.create({} if named else {"service.name": "ocop-api"}))
    names = [n.strip().lower() for n in environ.get("OTEL_TRACES_EXPORTER", "otlp").split(",") if n.strip()]
    for name in names:
        exporter: SpanExporter
        if name == "otlp":
            protocol = environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
            if protocol and protocol != "http/protobuf":
                log.warning("OTLP over %s is not installed; sending over http/protobuf", protocol)
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporter = OTLPSpanExporter()
        elif name == "console":
            exporter = ConsoleSpanExporter()
        else:
            log.warning("unknown OTEL_TRACES_EXPORTER %r left out", name)
            continue
        provider.add_span_processor(BatchSpanProcessor(exporter))
    # Global as well, so that any library instrumented with OpenTelemetry reports into the same traces.
    trace.set_tracer_provider(provider)
    return provider
