"""What the stack beneath the API costs, for `product(id)` with its producer: the same request (the same
GraphQL body, answered by the same one `$lookup` aggregation the API sends) served three ways, each by one
uvicorn process under the throughput benchmark's load, one after the other:

- the API itself (`ocop serve`);
- graphql-core on Starlette: the document parsed and validated once, then executed with one async resolver
  that runs the aggregation and returns the documents as they come;
- a Starlette route that reads the body, runs the aggregation and writes the answer, with no GraphQL.

The API's CPU per request over the other two is what our layers cost (Strawberry, middleware, records,
loaders, visibility); the two floors are what any GraphQL API on uvicorn, Starlette, graphql-core and the
MongoDB driver pays before it does anything of its own.

`create_app` is the floor servers' ASGI factory (`uvicorn bench.floor:create_app --factory`); the
`OCOP_BENCH_FLOOR` variable picks which.
"""

from __future__ import annotations

import base64
import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

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
from bench import api_bench, throughput
from bench.common import (
    Bench,
    Child,
    Latencies,
    SummaryRow,
    bench_clients,
    catalogue_file,
    child_process,
    free_port,
    graphql,
    ms,
    note,
    product_gid,
    ratio,
    sample_pair,
    text_table,
    wait_healthy,
)
from bench.memory_bound import api_process
from market.catalog.importer import import_products

FLOOR_ENV = "OCOP_BENCH_FLOOR"
STARLETTE = "starlette"
GRAPHQL_CORE = "graphql-core"
ROWS = 20_000
REQUESTS = 1000
WARMUP = 100

_SDL = """
type Producer { name: String! }
type Product { id: ID! name: String! priceVnd: Int! stars: Int! producer: Producer }
type Query { product(id: ID!): Product }
"""


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


def _graphql_endpoint(schema: GraphQLSchema) -> Any:
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


def create_app(settings: Settings | None = None, kind: str | None = None) -> Starlette:
    """A floor server: `kind` (else `OCOP_BENCH_FLOOR`) is `starlette` or `graphql-core`."""
    kind = kind or os.environ[FLOOR_ENV]
    settings = settings or Settings()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.resolved_mongodb_url)
    db = client[settings.db_name]

    async def route(request: Request) -> Response:
        body = orjson.loads(await request.body())
        product = await _product_with_maker(db, body["variables"]["id"])
        return Response(orjson.dumps({"data": {"product": product}}), media_type="application/json")

    async def healthz(request: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    if kind == GRAPHQL_CORE:
        schema = build_schema(_SDL)

        async def resolve_product(_root: object, _info: object, id: str) -> dict[str, Any] | None:
            return await _product_with_maker(db, id)

        schema.query_type.fields["product"].resolve = resolve_product  # type: ignore[union-attr]
        graphql = _graphql_endpoint(schema)
    elif kind == STARLETTE:
        graphql = route
    else:
        raise ValueError(f"{FLOOR_ENV} must be {STARLETTE} or {GRAPHQL_CORE}, not {kind!r}")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await client.close()

    return Starlette(
        routes=[Route("/graphql", graphql, methods=["POST"]), Route("/healthz", healthz)], lifespan=lifespan
    )


@contextlib.asynccontextmanager
async def floor_process(settings: Settings, kind: str) -> AsyncIterator[tuple[Child, str]]:
    """A floor server in one uvicorn process, with uvicorn's defaults as `ocop serve` has them (uvloop,
    httptools, no access log)."""
    port = free_port()
    args = ("bench.floor:create_app", "--factory", "--port", str(port), "--no-access-log", "--log-level", "warning")
    async with child_process(f"the {kind} floor", settings, *args, module="uvicorn", env={FLOOR_ENV: kind}) as child:
        url = f"http://127.0.0.1:{port}"
        await wait_healthy(child, url, 30.0)
        yield child, url


# --- the measurement -----------------------------------------------------------------------------------


async def _load(bench: Bench) -> list[tuple[Any, Any]]:
    await bench.store.ensure_indexes()
    with catalogue_file(ROWS) as path:
        report = await import_products(bench.store, path)
    if report.failed:
        raise RuntimeError(f"import failed: {report.errors[:3]}")
    return await throughput.product_ids(bench)


@dataclass(frozen=True, slots=True)
class Served:
    loaded: throughput.Load  # under the throughput benchmark's load
    alone: Latencies  # one request at a time...
    raw: Latencies  # ...alternated call by call with the raw reads (2 × `find_one`)


async def _serve(
    bench: Bench, child: Child, url: str, ids: list[tuple[Any, Any]], connections: int, seconds: float
) -> Served:
    gids = [product_gid(p) for p, _ in ids]
    async with contextlib.AsyncExitStack() as stack:
        clients = await throughput.clients(stack, url, {}, connections)

        async def call(slot: int, n: int) -> None:
            data = await graphql(clients[slot], throughput.PRODUCT, {"id": gids[n % len(gids)]})
            if data["product"] is None or data["product"]["producer"] is None:
                raise RuntimeError(f"{child.name} answered {data}")

        loaded = await throughput.measure_load(call, connections, seconds, child.process.pid)
        alone, raw = await sample_pair(
            [api_bench.graphql_product_call(clients[0], ids)],
            [api_bench.raw_product_call(bench.store.db, ids)],
            REQUESTS,
            WARMUP,
        )
    return Served(loaded, alone, raw)


API = "the API (`ocop serve`)"
FLOORS = ((GRAPHQL_CORE, "graphql-core on Starlette"), (STARLETTE, "a Starlette route, no GraphQL"))


async def measure(connections: int, seconds: float) -> dict[str, Served]:
    async with bench_clients() as bench:
        note(f"floor: importing {ROWS} products")
        ids = await _load(bench)
        served = {}
        note(f"floor: product(id) through the API, {connections} connections × {seconds:g} s, then one at a time")
        async with api_process(bench.settings) as (child, url):
            served[API] = await _serve(bench, child, url, ids, connections, seconds)
        for kind, label in FLOORS:
            note(f"floor: product(id) through {label}")
            async with floor_process(bench.settings, kind) as (child, url):
                served[label] = await _serve(bench, child, url, ids, connections, seconds)
    return served


def report(served: dict[str, Served], connections: int, seconds: float) -> tuple[str, list[SummaryRow]]:
    rows = [
        (label, f"{s.loaded.rate:,.0f}", ms(s.loaded.p50), ms(s.loaded.api_cpu_per_request or 0.0), ms(s.alone.p50),
         ms(s.raw.p50), ratio(s.alone.p50, s.raw.p50))
        for label, s in served.items()
    ]  # fmt: skip
    table = text_table(
        f"the stack beneath product(id) on {ROWS} products: each server in one process gets the same request and "
        f"sends the same one aggregation; {connections} connections for {seconds:g} s, then {REQUESTS} requests one "
        "at a time, alternated with the raw reads",
        ("server", "req/s", "p50 loaded", "server CPU/req", "p50 alone", "raw p50", "p50 / raw"),
        rows,
    )
    api, core, bare = served[API], served[FLOORS[0][1]], served[FLOORS[1][1]]
    api_cpu, core_cpu, bare_cpu = (s.loaded.api_cpu_per_request or 0.0 for s in (api, core, bare))
    summary = [
        SummaryRow(
            f"`product(id)` server CPU per request, {connections} connections: the API vs graphql-core on Starlette "
            "/ a Starlette route, each sending the API's one aggregation",
            ms(api_cpu),
            f"{ms(core_cpu)} / {ms(bare_cpu)}",
            f"{ratio(api_cpu, core_cpu)} / {ratio(api_cpu, bare_cpu)}",
        ),
        SummaryRow(
            "`product(id)` p50 one at a time vs 2 × `find_one` alternated with it: the API / graphql-core on "
            "Starlette / a Starlette route",
            f"{ms(api.alone.p50)} / {ms(core.alone.p50)} / {ms(bare.alone.p50)}",
            f"{ms(api.raw.p50)} / {ms(core.raw.p50)} / {ms(bare.raw.p50)}",
            " / ".join(ratio(s.alone.p50, s.raw.p50) for s in (api, core, bare)),
        ),
    ]
    return table, summary


async def run(
    connections: int = throughput.CONNECTIONS, seconds: float = throughput.SECONDS
) -> tuple[str, list[SummaryRow]]:
    return report(await measure(connections, seconds), connections, seconds)
