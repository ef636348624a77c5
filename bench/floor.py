"""What the stack beneath the API costs. Two requests, `product(id)` with its producer and the light search
(a page of 20 names), each served three ways with the same GraphQL body and the same work behind it: the one
`$lookup` aggregation the API sends for the product, the very Meilisearch request the API sends for the
search (recorded from its own search service, as the throughput benchmark does). The three servers, each one
uvicorn process with `ocop serve`'s defaults (uvloop, httptools, no access log), all running at once:

- the API itself (`ocop serve`);
- graphql-core on Starlette: each document parsed and validated once, then executed with one async resolver
  per request that does the work and returns plain dicts;
- a Starlette route that reads the body, does the work and writes the answer, with no GraphQL at all.

A fourth side is the raw request, sent by the load generator itself. Each side is measured under the
throughput benchmark's load (CPU per request, req/s, p50), in turns of a quarter of the time so that all
meet the machine's drift alike, then one request at a time, the sides taking turns call by call (p50). What
the API spends above the two floors is what its own layers cost (Strawberry, middleware, records, loaders,
visibility, query reading); the floors are what a GraphQL API on uvicorn, Starlette, graphql-core, the
MongoDB driver and an HTTP client for Meilisearch pays before it does anything of its own.

`create_app` is the floor servers' ASGI factory (`uvicorn bench.floor:create_app --factory`):
`OCOP_BENCH_FLOOR` picks the kind and `OCOP_BENCH_FLOOR_SEARCH` holds the recorded Meilisearch request.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from bson import ObjectId
from graphql import ExecutionResult, GraphQLSchema, build_schema, execute, parse, validate
from graphql.pyutils import is_awaitable
from pymongo import AsyncMongoClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.settings import Settings
from bench import throughput
from bench.common import (
    Bench,
    Child,
    Latencies,
    SummaryRow,
    api_client,
    bench_clients,
    child_process,
    free_port,
    frozen_heap,
    graphql,
    load_catalogue,
    ms,
    note,
    product_gid,
    ratio,
    sample_sides,
    text_table,
    wait_healthy,
)
from bench.memory_bound import api_process
from search.client import MeiliClient

FLOOR_ENV = "OCOP_BENCH_FLOOR"
SEARCH_ENV = "OCOP_BENCH_FLOOR_SEARCH"
STARLETTE = "starlette"
GRAPHQL_CORE = "graphql-core"
ROWS = 20_000
REQUESTS = 1000
WARMUP = 100
ROUNDS = 4
PAGE = 20

_SDL = """
type Producer { name: String! }
type Product { id: ID! name: String! priceVnd: Int! stars: Int! producer: Producer }
type Hit { name: String! }
type Edge { node: Hit! }
type Hits { edges: [Edge!]! }
type Query {
  product(id: ID!): Product
  searchProducts(query: String!, first: Int): Hits!
}
"""

# The recorded Meilisearch request: (path, body).
MeiliRequest = tuple[str, dict[str, Any]]


# --- the floor servers ---------------------------------------------------------------------------------


async def _product_with_maker(db: Any, global_id: str) -> dict[str, Any] | None:
    """The API's read for `product(id)`: the product and its producer in one round trip."""
    product_id = ObjectId(base64.b64decode(global_id).decode().partition(":")[2])
    pipeline = [
        {"$match": {"_id": {"$in": [product_id]}}},
        {"$lookup": {"from": "producers", "localField": "producerId", "foreignField": "_id", "as": "_maker"}},
    ]
    docs = await (await db["products"].aggregate(pipeline)).to_list(None)
    if not docs:
        return None
    doc = docs[0]
    makers = doc.pop("_maker")
    return {
        "id": global_id,
        "name": doc["name"],
        "priceVnd": doc["priceVnd"],
        "stars": doc["stars"],
        "producer": {"name": makers[0]["name"]} if makers else None,
    }


async def _names(meili: MeiliClient, recorded: MeiliRequest) -> dict[str, Any]:
    """The API's Meilisearch request for the light search, answered with the page's names."""
    path, body = recorded
    if path == "/multi-search":
        found = await meili.multi_search(body["queries"], body.get("federation"))
    else:
        found = await meili.search(path.split("/")[2], body)
    return {"edges": [{"node": {"name": hit["name"]}} for hit in found["hits"][:PAGE]]}


def _graphql_endpoint(schema: GraphQLSchema) -> Callable[[Request], Awaitable[Response]]:
    documents: dict[str, Any] = {}

    async def endpoint(request: Request) -> Response:
        body = orjson.loads(await request.body())
        document = documents.get(body["query"])
        if document is None:
            document = parse(body["query"])
            if errors := validate(schema, document):
                return Response(orjson.dumps({"errors": [e.formatted for e in errors]}), 400)
            documents[body["query"]] = document
        executed = execute(schema, document, variable_values=body.get("variables"))
        result = await executed if is_awaitable(executed) else executed
        assert isinstance(result, ExecutionResult)
        answer: dict[str, Any] = {"data": result.data}
        if result.errors:
            answer["errors"] = [e.formatted for e in result.errors]
        return Response(orjson.dumps(answer), media_type="application/json")

    return endpoint


def create_app(
    settings: Settings | None = None, kind: str | None = None, search: MeiliRequest | None = None
) -> Starlette:
    """A floor server: `kind` (else `OCOP_BENCH_FLOOR`) is `starlette` or `graphql-core`; `search` (else
    `OCOP_BENCH_FLOOR_SEARCH`, as JSON) is the Meilisearch request a search sends."""
    kind = kind or os.environ[FLOOR_ENV]
    settings = settings or Settings()
    if search is None:
        path, body = json.loads(os.environ[SEARCH_ENV])
        search = (path, body)
    recorded = search
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.resolved_mongodb_url)
    db = client[settings.db_name]
    meili = MeiliClient(settings.resolved_meili_url, settings.search_key)

    async def route(request: Request) -> Response:
        # No GraphQL: the request's variables tell the two operations apart.
        body = orjson.loads(await request.body())
        variables = body.get("variables") or {}
        if "id" in variables:
            data = {"product": await _product_with_maker(db, variables["id"])}
        else:
            data = {"searchProducts": await _names(meili, recorded)}
        return Response(orjson.dumps({"data": data}), media_type="application/json")

    async def healthz(request: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    if kind == GRAPHQL_CORE:
        schema = build_schema(_SDL)

        async def product(_root: object, _info: object, id: str) -> dict[str, Any] | None:
            return await _product_with_maker(db, id)

        async def search_products(_root: object, _info: object, **_arguments: object) -> dict[str, Any]:
            return await _names(meili, recorded)

        assert schema.query_type is not None
        schema.query_type.fields["product"].resolve = product
        schema.query_type.fields["searchProducts"].resolve = search_products
        endpoint = _graphql_endpoint(schema)
    elif kind == STARLETTE:
        endpoint = route
    else:
        raise ValueError(f"{FLOOR_ENV} must be {STARLETTE} or {GRAPHQL_CORE}, not {kind!r}")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await meili.close()
        await client.close()

    return Starlette(
        routes=[Route("/graphql", endpoint, methods=["POST"]), Route("/healthz", healthz)], lifespan=lifespan
    )


@contextlib.asynccontextmanager
async def floor_process(settings: Settings, kind: str, search: MeiliRequest) -> AsyncIterator[tuple[Child, str]]:
    """A floor server in one uvicorn process, with uvicorn's defaults as `ocop serve` has them."""
    port = free_port()
    args = ("bench.floor:create_app", "--factory", "--port", str(port), "--no-access-log", "--log-level", "warning")
    env = {FLOOR_ENV: kind, SEARCH_ENV: json.dumps(search)}
    async with child_process(f"the {kind} floor", settings, *args, module="uvicorn", env=env) as child:
        url = f"http://127.0.0.1:{port}"
        await wait_healthy(child, url, 30.0)
        yield child, url


# --- the measurement -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Served:
    loaded: throughput.Load  # under the throughput benchmark's load
    alone: Latencies  # one request at a time, taking turns with the other sides


@dataclass(frozen=True, slots=True)
class Figures:
    """Per workload, each side by its label: the three servers and the raw request (RAW)."""

    product: dict[str, Served]
    search: dict[str, Served]


API = "the API (`ocop serve`)"
FLOORS = ((GRAPHQL_CORE, "graphql-core on Starlette"), (STARLETTE, "a Starlette route, no GraphQL"))
RAW = "raw"


class _Raw:
    """The raw service requests, sent from the load generator itself."""

    def __init__(
        self, bench: Bench, ids: list[tuple[Any, Any]], search: MeiliRequest, meili: list[httpx.AsyncClient]
    ) -> None:
        self.db = bench.store.db
        self.ids, self.search, self.meili = ids, search, meili

    async def product(self, slot: int, n: int) -> None:
        product_id, producer_id = self.ids[n % len(self.ids)]
        if await self.db["products"].find_one({"_id": product_id}) is None:
            raise RuntimeError(f"raw read missed {product_id}")
        if await self.db["producers"].find_one({"_id": producer_id}) is None:
            raise RuntimeError(f"raw read missed {producer_id}")

    async def names(self, slot: int, n: int) -> None:
        response = await self.meili[slot].post(self.search[0], json=self.search[1])
        response.raise_for_status()
        if not response.json()["hits"]:
            raise RuntimeError("Meilisearch came back empty")


def _one_at_a_time(call: throughput.Call) -> Callable[[], Awaitable[None]]:
    """A load call as `sample_sides` takes it: on the first connection, the next request each time."""
    numbers = itertools.count()

    async def once() -> None:
        await call(0, next(numbers))

    return once


def _combined(loads: list[throughput.Load]) -> throughput.Load:
    api_cpu = [load.api_cpu for load in loads]
    return throughput.Load(
        requests=sum(load.requests for load in loads),
        errors=sum(load.errors for load in loads),
        seconds=sum(load.seconds for load in loads),
        latencies=tuple(latency for load in loads for latency in load.latencies),
        client_cpu=sum(load.client_cpu for load in loads),
        api_cpu=None if None in api_cpu else sum(cpu or 0.0 for cpu in api_cpu),
    )


@dataclass(slots=True)
class _Side:
    """One way of answering a workload: a server's, or the raw request sent by the load generator."""

    label: str
    call: throughput.Call
    pid: int | None
    loads: list[throughput.Load] = field(default_factory=list)


async def _measure_sides(
    sides: list[_Side], connections: int, seconds: float
) -> list[tuple[throughput.Load, Latencies]]:
    """Each side under load for `seconds` in all, taken in turns of `seconds / ROUNDS` so that every side
    meets the machine's drift alike; then one request at a time, the sides taking turns call by call."""
    for _ in range(ROUNDS):
        for side in sides:
            side.loads.append(await throughput.measure_load(side.call, connections, seconds / ROUNDS, side.pid))
    alone = await sample_sides([[_one_at_a_time(side.call)] for side in sides], REQUESTS, WARMUP)
    return [(_combined(side.loads), latencies) for side, latencies in zip(sides, alone, strict=True)]


async def _server_calls(
    stack: contextlib.AsyncExitStack, name: str, url: str, gids: list[str], connections: int
) -> tuple[throughput.Call, throughput.Call]:
    clients = await throughput.clients(stack, url, {}, connections)

    async def product(slot: int, n: int) -> None:
        data = await graphql(clients[slot], throughput.PRODUCT, {"id": gids[n % len(gids)]})
        if data["product"] is None or data["product"]["producer"] is None:
            raise RuntimeError(f"{name} answered {data}")

    async def names(slot: int, n: int) -> None:
        data = await graphql(clients[slot], throughput.SEARCH)
        if not data["searchProducts"]["edges"]:
            raise RuntimeError(f"{name} found nothing")

    return product, names


async def measure(connections: int, seconds: float) -> Figures:
    async with bench_clients() as bench, contextlib.AsyncExitStack() as stack:
        note(f"floor: importing and indexing {ROWS} products")
        await load_catalogue(bench, ROWS)
        ids, search = await throughput.product_ids(bench), await throughput.raw_search_request(bench)
        gids = [product_gid(p) for p, _ in ids]
        meili_headers = {"Authorization": f"Bearer {bench.settings.resolved_meili_key}"}
        meili = await throughput.clients(stack, bench.settings.resolved_meili_url, meili_headers, connections)
        raw = _Raw(bench, ids, search, meili)
        note("floor: starting the API and the two floor servers")
        child, url = await stack.enter_async_context(api_process(bench.settings))
        async with api_client(url) as http:
            await graphql(http, throughput.SEARCH)
        await throughput.wait_for_vocabulary(child.log)
        servers = [(API, child, url)]
        for kind, label in FLOORS:
            floor_child, floor_url = await stack.enter_async_context(floor_process(bench.settings, kind, search))
            servers.append((label, floor_child, floor_url))
        product_sides: list[_Side] = []
        search_sides: list[_Side] = []
        for label, server, server_url in servers:
            product, names = await _server_calls(stack, server.name, server_url, gids, connections)
            product_sides.append(_Side(label, product, server.process.pid))
            search_sides.append(_Side(label, names, server.process.pid))
        product_sides.append(_Side(RAW, raw.product, None))
        search_sides.append(_Side(RAW, raw.names, None))
        figures = []
        with frozen_heap():
            for workload, sides in (("product(id)", product_sides), ("light search", search_sides)):
                note(f"floor: {workload}, {connections} connections × {seconds:g} s per side in {ROUNDS} turns, then "
                     f"{REQUESTS} requests one at a time per side")  # fmt: skip
                figures.append(await _measure_sides(sides, connections, seconds))
    (product_figures, search_figures) = figures
    return Figures(
        product={
            side.label: Served(load, alone) for side, (load, alone) in zip(product_sides, product_figures, strict=True)
        },
        search={
            side.label: Served(load, alone) for side, (load, alone) in zip(search_sides, search_figures, strict=True)
        },
    )


def _cpu(served: Served) -> float:
    return served.loaded.api_cpu_per_request or 0.0


def _table(title: str, served: dict[str, Served], raw_name: str) -> str:
    raw = served[RAW]
    rows = [
        (f"raw: {raw_name}" if label == RAW else label, f"{s.loaded.rate:,.0f}", ratio(s.loaded.rate, raw.loaded.rate),
         ms(s.loaded.p50), "—" if label == RAW else ms(_cpu(s)), ms(s.alone.p50), ratio(s.alone.p50, raw.alone.p50))
        for label, s in served.items()
    ]  # fmt: skip
    return text_table(
        title, ("side", "req/s", "vs raw", "p50 loaded", "server CPU/req", "p50 alone", "alone vs raw"), rows
    )


def report(figures: Figures, connections: int, seconds: float) -> tuple[str, list[SummaryRow]]:
    where = (
        f"{ROWS} products, one process per server; {connections} connections for {seconds:g} s per side in "
        f"{ROUNDS} turns, then {REQUESTS} requests one at a time per side, the sides taking turns"
    )
    tables = "\n\n".join(
        (
            _table(f"product(id) + producer: the stack beneath it ({where})", figures.product, "2 × find_one"),
            _table(f"light searchProducts: the stack beneath it ({where})", figures.search, "Meilisearch /search"),
        )
    )
    floors = [label for _, label in FLOORS]
    summary = []
    for name, served in (("`product(id)`", figures.product), ("light `searchProducts`", figures.search)):
        api, core, bare, raw = served[API], served[floors[0]], served[floors[1]], served[RAW]
        summary.append(
            SummaryRow(
                f"floor: {name} server CPU per request, {connections} connections; graphql-core on Starlette / a "
                "Starlette route doing the API's own database or Meilisearch request",
                ms(_cpu(api)),
                f"{ms(_cpu(core))} / {ms(_cpu(bare))}",
                f"{ratio(_cpu(api), _cpu(core))} / {ratio(_cpu(api), _cpu(bare))}",
            )
        )
        summary.append(
            SummaryRow(
                f"floor: {name} p50 one at a time and req/s at {connections} connections, each vs the raw request: "
                "the API / graphql-core on Starlette / a Starlette route",
                " / ".join(ratio(s.alone.p50, raw.alone.p50) for s in (api, core, bare)) + " (p50)",
                f"{ms(raw.alone.p50)}, {raw.loaded.rate:,.0f} req/s",
                " / ".join(ratio(s.loaded.rate, raw.loaded.rate) for s in (api, core, bare)) + " (req/s)",
            )
        )
    return tables, summary


async def run(
    connections: int = throughput.CONNECTIONS, seconds: float = throughput.SECONDS
) -> tuple[str, list[SummaryRow]]:
    return report(await measure(connections, seconds), connections, seconds)
