"""/metrics, in Prometheus' text format (OpenMetrics when the scraper asks for it).

Written with prometheus-client rather than by hand: histograms with cumulative buckets, label escaping,
content negotiation and the process figures (resident memory, CPU seconds, open file descriptors, start
time, read from /proc) come with it, in the form Prometheus' own maintainers keep current. Recording a
request costs a few microseconds (a labelled child looked up under a lock, a bucket found by bisection).

Counted as requests are answered (api/observe.py), for the whole process:
- per GraphQL operation and operation type: requests by HTTP status, and a histogram of the whole HTTP
  request's duration (authentication included). An operation is named by its name, else by its root
  fields (`products+searchProducts`); past MAX_OPERATIONS distinct names the rest are `other`. A batch
  counts once for each of its operations, with the batch's duration. A request whose operation was never
  parsed (refused before, or a syntax error) is `unknown`;
- errors by `extensions.code`, over HTTP and WebSocket alike (schema/observability.py), transport
  refusals (`RATE_LIMITED`, `REQUEST_TOO_LARGE`...) included;
- requests in flight.
Read at each scrape, for this app's services: whether MongoDB and Meilisearch answer, each search index's
sync figures, the open subscriptions, and the short execution path's hits.

The figures of the products index under their first names (`ocop_search_sync_*`, without labels) are kept
for dashboards that use them; `ocop_index_sync_*{index=...}` has them for every index.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector, disable_created_metrics
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from pymongo.errors import PyMongoError
from starlette.requests import Request
from starlette.responses import Response

from api.services import Services
from market.storage.sync_state import SyncStatus
from schema.execution import COUNTS
from schema.observability import ERRORS, RequestRecord
from search.rfqs import RFQS
from search.settings import PRODUCTS

MAX_OPERATIONS = 200
MAX_LABEL_LENGTH = 100
OTHER = "other"
UNKNOWN = "unknown"
INDEXES = (PRODUCTS, RFQS)
# A scrape must answer even when a service hangs: Prometheus' own default scrape timeout is 10 s.
PROBE_TIMEOUT = 2.0
# Requests take from about a millisecond (`{ __typename }`) to seconds (a national ocopStats on a slow day).
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# `_created` series double the output and no dashboard here reads them.
disable_created_metrics()

REQUESTS = Counter(
    "ocop_graphql_requests",
    "GraphQL requests over HTTP, by operation, operation type and HTTP status.",
    ("operation", "type", "status"),
    registry=None,
)
DURATION = Histogram(
    "ocop_graphql_request_duration_seconds",
    "Time to answer a GraphQL request over HTTP, from its first byte to its last, by operation and type.",
    ("operation", "type"),
    buckets=BUCKETS,
    registry=None,
)
IN_FLIGHT = Gauge(
    "ocop_http_requests_in_flight", "HTTP requests being answered (probes and scrapes left out).", registry=None
)

_operations: set[str] = set()
# The labelled children, kept: `labels()` takes a lock and builds its key on every call.
_requests: dict[tuple[str, str, int], Any] = {}
_durations: dict[tuple[str, str], Any] = {}


def operation_label(label: str) -> str:
    """`label`, or `other` once MAX_OPERATIONS names are taken: operation names come from clients, and
    each name is a series of every bucket."""
    if label in _operations:
        return label
    if not label or len(label) > MAX_LABEL_LENGTH or len(_operations) >= MAX_OPERATIONS:
        return OTHER
    _operations.add(label)
    return label


def observe_request(record: RequestRecord, status: int, seconds: float) -> None:
    for label, kind in [(operation_label(o.label), o.type) for o in record.operations] or [(UNKNOWN, UNKNOWN)]:
        if (requests := _requests.get((label, kind, status))) is None:
            requests = _requests[label, kind, status] = REQUESTS.labels(label, kind, str(status))
        requests.inc()
        if (duration := _durations.get((label, kind))) is None:
            duration = _durations[label, kind] = DURATION.labels(label, kind)
        duration.observe(seconds)


@dataclass(slots=True)
class _Probe:
    """What the services said at one scrape."""

    mongodb: bool
    meilisearch: bool
    indexes: dict[str, SyncStatus | None]
    at: datetime


class Exposition:
    """The /metrics endpoint of one app: the process's request figures, and this app's services."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.registry = CollectorRegistry()
        for collector in (REQUESTS, DURATION, IN_FLIGHT):
            self.registry.register(collector)
        ProcessCollector(registry=self.registry)
        self.registry.register(self)
        self._probe: _Probe | None = None

    async def endpoint(self, request: Request) -> Response:
        self._probe = await self._read()
        encode, content_type = choose_encoder(request.headers.get("accept", ""))
        return Response(encode(self.registry), media_type=content_type)

    async def _read(self) -> _Probe:
        services = self.services

        async def mongodb() -> bool:
            try:
                return await asyncio.wait_for(services.store.ping(), PROBE_TIMEOUT)
            except (PyMongoError, TimeoutError):
                return False

        async def meilisearch() -> bool:
            try:
                return await asyncio.wait_for(services.meili.healthy(), PROBE_TIMEOUT)
            except TimeoutError:
                return False

        async def status(index: str) -> SyncStatus | None:
            state = services.store.sync_state(f"search:{services.settings.index_uid(index)}")
            try:
                return await asyncio.wait_for(state.read(), PROBE_TIMEOUT)
            except (PyMongoError, TimeoutError):
                return None

        (mongo_ok, meili_ok), statuses = await asyncio.gather(
            asyncio.gather(mongodb(), meilisearch()), asyncio.gather(*map(status, INDEXES))
        )
        return _Probe(mongo_ok, meili_ok, dict(zip(INDEXES, statuses, strict=True)), datetime.now(UTC))

    def collect(self) -> Iterator[Metric]:
        probe = self._probe
        if probe is None:
            return
        yield GaugeMetricFamily("ocop_mongodb_up", "1 when MongoDB answered a ping at this scrape.", int(probe.mongodb))
        yield GaugeMetricFamily(
            "ocop_meilisearch_up", "1 when Meilisearch said it was available at this scrape.", int(probe.meilisearch)
        )
        yield from self._sync_figures(probe)
        streams = self.services.store.trade.streams
        yield GaugeMetricFamily(
            "ocop_graphql_subscriptions_open", "Subscriptions this process is following (change streams).", streams.open
        )
        yield GaugeMetricFamily(
            "ocop_graphql_subscriptions_max", "Subscriptions this process follows at most.", streams.per_process
        )
        errors = CounterMetricFamily(
            "ocop_graphql_errors", "GraphQL errors by extensions.code (unmasked bugs count as INTERNAL_SERVER_ERROR).",
            labels=("code",),
        )  # fmt: skip
        for code, count in sorted(ERRORS.items()):
            errors.add_metric((code,), count)
        yield errors
        short_path = CounterMetricFamily(
            "ocop_graphql_short_path",
            "Objects and fields completed by the short execution path, and walks it handed back to graphql-core.",
            labels=("outcome",),
        )
        short_path.add_metric(("object",), COUNTS.objects)
        short_path.add_metric(("field",), COUNTS.fields)
        short_path.add_metric(("handed_back",), COUNTS.handed_back)
        yield short_path

    def _sync_figures(self, probe: _Probe) -> Iterator[Metric]:
        labels = ("index",)
        lag = GaugeMetricFamily(
            "ocop_index_sync_lag_seconds",
            "Delay between a MongoDB write and its arrival in the index, at the worker's last commit.",
            labels=labels,
        )
        success = GaugeMetricFamily(
            "ocop_index_sync_last_success_timestamp_seconds",
            "When the sync worker last committed a batch, or an idle beat, to the index (Unix time).",
            labels=labels,
        )
        heartbeat = GaugeMetricFamily(
            "ocop_index_sync_heartbeat_age_seconds", "Seconds since the index's sync worker reported.", labels=labels
        )
        applied = CounterMetricFamily(
            "ocop_index_sync_applied_events", "Change events applied to the index.", labels=labels
        )
        running = GaugeMetricFamily(
            "ocop_index_sync_worker_up",
            "1 when a sync worker holds the index's lease and reported within OCOP_SYNC_STALE_AFTER seconds.",
            labels=labels,
        )
        failing = GaugeMetricFamily(
            "ocop_index_sync_failing", "1 when the index's last sync attempt failed (lastError is set).", labels=labels
        )
        for index, status in probe.indexes.items():
            if status is None:
                continue  # MongoDB did not answer: no figure rather than a stale or made-up one
            age = status.heartbeat_age(probe.at)
            if status.lag_seconds is not None:
                lag.add_metric((index,), status.lag_seconds)
            if status.last_success_at is not None:
                success.add_metric((index,), status.last_success_at.timestamp())
            if age is not None:
                heartbeat.add_metric((index,), age)
            applied.add_metric((index,), status.applied_events)
            running.add_metric((index,), int(status.worker_alive(probe.at, self.services.settings.sync_stale_after)))
            failing.add_metric((index,), int(status.last_error is not None))
        yield from (lag, success, heartbeat, applied, running, failing)

        products = probe.indexes.get(PRODUCTS)
        age = products.heartbeat_age(probe.at) if products else None
        yield GaugeMetricFamily(
            "ocop_search_sync_lag_seconds",
            "The products index's ocop_index_sync_lag_seconds (0 when unknown).",
            (products.lag_seconds if products else None) or 0,
        )
        yield GaugeMetricFamily(
            "ocop_search_sync_heartbeat_age_seconds",
            "The products index's ocop_index_sync_heartbeat_age_seconds (NaN when unknown).",
            round(age, 3) if age is not None else math.nan,
        )
        yield CounterMetricFamily(
            "ocop_search_sync_applied_events",
            "The products index's ocop_index_sync_applied_events_total.",
            products.applied_events if products else 0,
        )
