"""What operators see: /metrics (per-operation counts and latency, errors by code, every index's sync,
the services, the process), the JSON request log with its request ids, and OpenTelemetry spans."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import socket
import sys
import time
from asyncio.subprocess import PIPE
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from bson import ObjectId
from prometheus_client.parser import text_string_to_metric_families

from api import metrics as api_metrics
from api.app import create_app
from api.logs import JsonFormatter
from api.settings import PROJECT_ROOT, Settings
from api.tracing import enabled
from market.store import Store
from schema.execution import COUNTS
from search.client import MeiliClient
from search.rfqs import RFQS
from tests.conftest import Api, World
from tests.test_sync import new_product
from workers.indexer import RfqIndexer
from workers.sync import SearchSync

SEARCH = '{ searchProducts(query: "keo dua", first: 3) { estimatedTotalCount edges { node { name stars } } } }'


async def scrape(api: Api) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await api.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(figures: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return figures.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """Every log line of the process, formatted as the API formats them, while the test runs."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def lines(out: io.StringIO) -> list[dict[str, Any]]:
    """The lines the API wrote; httpx's are the test client's, written after each answer arrived."""
    logged = [json.loads(line) for line in out.getvalue().splitlines()]  # fails on any line that is not JSON
    return [entry for entry in logged if entry["logger"] != "httpx"]


async def test_an_operation_gets_its_count_and_latency_histogram(api: Api, sync: Any) -> None:
    await sync()
    before = await scrape(api)
    await api.data(SEARCH)
    await api.data('query FindCandy { searchProducts(query: "keo") { estimatedTotalCount } }')
    after = await scrape(api)

    unnamed = {"operation": "searchProducts", "type": "query"}
    duration = "ocop_graphql_request_duration_seconds"
    assert value(after, f"{duration}_count", **unnamed) == value(before, f"{duration}_count", **unnamed) + 1
    assert value(after, f"{duration}_sum", **unnamed) > value(before, f"{duration}_sum", **unnamed)
    buckets = {dict(labels)["le"]: n for (name, labels), n in after.items() if name == f"{duration}_bucket"
               and dict(labels)["operation"] == "searchProducts"}  # fmt: skip
    assert buckets["+Inf"] == value(after, f"{duration}_count", **unnamed)
    assert {"0.001", "0.01", "0.1", "1.0", "10.0"} <= set(buckets)
    assert list(buckets.values()) == sorted(buckets.values())  # cumulative
    requests = "ocop_graphql_requests_total"
    assert value(after, requests, status="200", **unnamed) == value(before, requests, status="200", **unnamed) + 1
    named = {"operation": "FindCandy", "type": "query"}
    assert value(after, f"{duration}_count", **named) == value(before, f"{duration}_count", **named) + 1


async def test_errors_are_counted_by_code(api: Api) -> None:
    before = await scrape(api)
    await api.gql("{ products(first: 500) { totalCount } }")  # OUT_OF_RANGE
    await api.gql("{ noSuchField }")  # GRAPHQL_VALIDATION_FAILED
    await api.gql("{ products(first: 500) { totalCount } }")
    refused = await api.client.post("/graphql", json={"query": "{ me { name } }"}, headers={"Authorization": "Bearer ocop_not-a-key"})  # fmt: skip
    assert refused.status_code == 401
    after = await scrape(api)

    errors = "ocop_graphql_errors_total"
    assert value(after, errors, code="OUT_OF_RANGE") == value(before, errors, code="OUT_OF_RANGE") + 2
    validation = value(after, errors, code="GRAPHQL_VALIDATION_FAILED") - value(before, errors, code="GRAPHQL_VALIDATION_FAILED")  # fmt: skip
    assert validation == 1
    assert value(after, errors, code="UNAUTHENTICATED") == value(before, errors, code="UNAUTHENTICATED") + 1
    # Refused before its document was read: the operation is unknown, the status is counted.
    unknown = {"operation": "unknown", "type": "unknown", "status": "401"}
    requests = "ocop_graphql_requests_total"
    assert value(after, requests, **unknown) == value(before, requests, **unknown) + 1


async def test_operation_names_are_bounded(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    taken = {f"Operation{i}" for i in range(api_metrics.MAX_OPERATIONS)}
    monkeypatch.setattr(api_metrics, "_operations", taken)
    before = await scrape(api)
    await api.data("query NeverSeenBefore { __typename }")
    await api.data("query Operation7 { __typename }")
    after = await scrape(api)
    count = "ocop_graphql_request_duration_seconds_count"
    assert value(after, count, operation="other", type="query") == value(before, count, operation="other", type="query") + 1  # fmt: skip
    assert value(after, count, operation="Operation7", type="query") == value(before, count, operation="Operation7", type="query") + 1  # fmt: skip
    assert not any(dict(labels).get("operation") == "NeverSeenBefore" for _, labels in after)


async def test_every_index_has_its_sync_figures(
    api: Api, settings: Settings, store: Store, meili: MeiliClient, sync: Any
) -> None:
    await sync()
    board = SearchSync(store, meili, settings.index_uid(RFQS), indexer=RfqIndexer(store, meili), max_await_ms=50)
    await board.run(once=True, timeout=60)
    started = time.time()
    figures = await scrape(api)

    for index in ("products", "rfqs"):
        assert ("ocop_index_sync_lag_seconds", (("index", index),)) in figures, index
        assert started - 120 < value(figures, "ocop_index_sync_last_success_timestamp_seconds", index=index) <= started
        assert value(figures, "ocop_index_sync_heartbeat_age_seconds", index=index) >= 0
        assert ("ocop_index_sync_applied_events_total", (("index", index),)) in figures
        assert value(figures, "ocop_index_sync_failing", index=index) == 0
        # The worker released its lease when `once` finished: nobody is syncing now.
        assert value(figures, "ocop_index_sync_worker_up", index=index) == 0
    # The first names, for the products index, still answer.
    assert ("ocop_search_sync_lag_seconds", ()) in figures
    assert ("ocop_search_sync_heartbeat_age_seconds", ()) in figures
    assert ("ocop_search_sync_applied_events_total", ()) in figures


async def test_services_process_and_short_path_figures(api: Api) -> None:
    await api.data("{ __typename }")
    figures = await scrape(api)
    assert value(figures, "ocop_mongodb_up") == 1
    assert value(figures, "ocop_meilisearch_up") == 1
    assert ("ocop_graphql_subscriptions_open", ()) in figures
    assert value(figures, "ocop_graphql_subscriptions_max") == 60
    assert ("ocop_http_requests_in_flight", ()) in figures
    assert value(figures, "process_resident_memory_bytes") > 10_000_000
    assert value(figures, "process_cpu_seconds_total") > 0
    assert value(figures, "process_open_fds") > 0
    assert 0 < time.time() - value(figures, "process_start_time_seconds") < 24 * 3600
    assert ("ocop_graphql_short_path_total", (("outcome", "object"),)) in figures


async def test_unreachable_services_read_as_down(settings: Settings) -> None:
    broken = Settings(MONGODB_URL=settings.resolved_mongodb_url, MEILI_URL="http://127.0.0.1:9", OCOP_DB_NAME=settings.db_name)  # fmt: skip
    app = create_app(broken)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        response = await client.get("/metrics")
    await app.state.services.close()
    samples = {
        s.name: s.value for f in text_string_to_metric_families(response.text) for s in f.samples if not s.labels
    }
    assert samples["ocop_meilisearch_up"] == 0 and samples["ocop_mongodb_up"] == 1


async def test_request_ids_round_trip(api: Api) -> None:
    sent = "checkout-7f3a.retry_2"
    response = await api.client.post("/graphql", json={"query": "{ __typename }"}, headers={"X-Request-Id": sent})
    assert response.headers["x-request-id"] == sent
    for insane in ("x" * 65, "a b", "tab\there", "ünï".encode(), "../etc;rm", ""):
        response = await api.client.post("/graphql", json={"query": "{ __typename }"}, headers={"X-Request-Id": insane})
        assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"]), insane
    first = (await api.client.get("/healthz")).headers["x-request-id"]
    second = (await api.client.get("/healthz")).headers["x-request-id"]
    assert first != second
    refused = await api.client.post("/graphql", content=b"{", headers={"X-Request-Id": sent, "Content-Type": "application/json"})  # fmt: skip
    assert refused.status_code == 400 and refused.headers["x-request-id"] == sent


async def test_a_server_fault_is_one_json_line_with_its_traceback(
    api: Api, json_log: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(prefix: str, first: int) -> list[tuple[str, str]]:
        logging.getLogger("ocop.search").warning("about to fail on %r", prefix)
        raise RuntimeError("the suggester broke")

    monkeypatch.setattr(api.app.state.services.search, "suggest", broken)
    response = await api.client.post(
        "/graphql", json={"query": '{ suggestProducts(prefix: "nuoc") { name } }'}, headers={"X-Request-Id": "fault-1"}
    )
    assert response.json()["errors"][0]["path"] == ["suggestProducts"]
    logged = lines(json_log)
    assert logged and all(entry["request_id"] == "fault-1" for entry in logged), logged
    assert [e["logger"] for e in logged] == ["ocop.search", "ocop.request"]  # no separate line for the traceback
    request = logged[-1]
    assert request["level"] == "ERROR"
    assert "RuntimeError: the suggester broke" in request["traceback"]
    assert request["operation"] == "suggestProducts" and request["operation_type"] == "query"
    assert request["status"] == 200 and request["role"] == "anonymous"
    assert request["error_codes"] == ["INTERNAL_SERVER_ERROR"]
    assert isinstance(request["duration_ms"], float)


async def test_a_cached_document_is_named_in_the_request_line(api: Api, json_log: io.StringIO) -> None:
    """The second sight of a document runs on the prepared path (schema/prepared.py), which names it too."""
    for _ in range(2):
        await api.gql("query NamedTwice { __typename }")
    logged = [entry for entry in lines(json_log) if entry["logger"] == "ocop.request"]
    assert [(e["operation"], e["operation_type"]) for e in logged] == [("NamedTwice", "query")] * 2


async def test_client_mistakes_are_info(api: Api, json_log: io.StringIO) -> None:
    await api.gql("query Big { products(first: 500) { totalCount } }")
    unknown = await api.client.post("/graphql", json={"query": "{ me { name } }"}, headers={"Authorization": "Bearer ocop_nope"})  # fmt: skip
    logged = [entry for entry in lines(json_log) if entry["logger"] == "ocop.request"]
    assert logged[-2]["level"] == "INFO" and logged[-2]["error_codes"] == ["OUT_OF_RANGE"]
    assert logged[-2]["operation"] == "Big" and "traceback" not in logged[-2]
    assert logged[-1]["level"] == "INFO" and logged[-1]["status"] == 401 and logged[-1]["role"] is None
    assert logged[-1]["request_id"] == unknown.headers["x-request-id"]
    assert all(entry.get("request_id") for entry in lines(json_log))


async def test_spans_per_request_and_operation_keep_the_short_path(
    settings: Settings, store: Store, world: World, sync: Any
) -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import SpanKind

    await sync()
    await new_product(store, ObjectId(world.producer_id), "Kẹo dừa sáp")
    await sync()
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app = create_app(settings, store=store, tracer_provider=provider)
    caller_trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    before = (COUNTS.objects, COUNTS.fields)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        response = await client.post(
            "/graphql", json={"query": SEARCH}, headers={"traceparent": f"00-{caller_trace}-00f067aa0ba902b7-01"}
        )
    await app.state.services.meili.close()
    assert response.status_code == 200 and "errors" not in response.json()
    assert response.json()["data"]["searchProducts"]["edges"]
    # Tracing must not turn the short execution path off (a per-resolver extension would).
    assert COUNTS.objects > before[0] or COUNTS.fields > before[1]

    spans = {span.name: span for span in exporter.get_finished_spans()}
    server, operation = spans["POST /graphql"], spans["query searchProducts"]
    assert server.kind is SpanKind.SERVER
    assert format(server.context.trace_id, "032x") == caller_trace
    assert server.attributes["http.response.status_code"] == 200
    assert server.attributes["ocop.request_id"] == response.headers["x-request-id"]
    assert operation.parent is not None and operation.parent.span_id == server.context.span_id
    assert operation.attributes["graphql.operation.type"] == "query"
    provider.shutdown()


def test_tracing_follows_the_standard_variables() -> None:
    assert not enabled({})
    assert enabled({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})
    assert enabled({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"})
    assert enabled({"OTEL_TRACES_EXPORTER": "console"})
    assert not enabled({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})
    assert not enabled({"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"})


async def test_ocop_serve_logs_only_json(settings: Settings, api: Api) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**settings.child_environment(), "OCOP_API_PORT": str(port)}
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cli", "serve", cwd=PROJECT_ROOT, env=env, stderr=PIPE, stdout=PIPE
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            for _ in range(150):
                try:
                    response = await client.post("/graphql", json={"query": "{ __typename }"}, headers={"X-Request-Id": "serve-1"})  # fmt: skip
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            assert response.status_code == 200
    finally:
        server.terminate()
        out, err = await asyncio.wait_for(server.communicate(), timeout=15)
    assert not out
    logged = [json.loads(line) for line in err.decode().splitlines()]  # every line, uvicorn's included
    assert any(e["logger"].startswith("uvicorn") and "running on" in e["message"].lower() for e in logged), logged
    request = next(e for e in logged if e["logger"] == "ocop.request")
    assert request["request_id"] == "serve-1" and request["operation"] == "__typename"


async def test_a_batch_counts_each_of_its_operations(api: Api, json_log: io.StringIO) -> None:
    before = await scrape(api)
    batch = [{"query": "query Ping { __typename }"}, {"query": "{ provinces { code } }"}]
    response = await api.client.post("/graphql", json=batch)
    assert response.status_code == 200 and len(response.json()) == 2
    after = await scrape(api)
    count = "ocop_graphql_request_duration_seconds_count"
    for operation in ("Ping", "provinces"):
        labels = {"operation": operation, "type": "query"}
        assert value(after, count, **labels) == value(before, count, **labels) + 1, operation
    request = next(e for e in lines(json_log) if e["logger"] == "ocop.request")
    assert sorted(request["operation"].split(",")) == ["Ping", "provinces"] and request["batch"] == 2
