"""How long a revoked API key keeps working in a running API process (`python -m cli serve`), which follows
changes to keys with a change stream. The target is 2 s for both measures.

Each round creates an account and a key in MongoDB, makes one HTTP request with the key (so that the API
process caches it), opens a graphql-transport-ws subscription with it, then revokes it as `ocop
revoke-api-key` does. From the start of the revocation it measures:

- the time until HTTP with the key answers 401, polled every 20 ms (exact to one poll and one round trip);
- the time until the subscription's WebSocket is closed with 4403.

A first, untimed round makes sure the process follows key changes before anything is measured: until it
does, the key cache is bypassed, and a revoked key would be refused at once for a reason other than the one
measured here.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from bench.common import (
    Latencies,
    SummaryRow,
    api_client,
    api_server,
    bench_clients,
    local_services,
    ms,
    note,
    text_table,
)
from market.accounts.records import Role
from market.accounts.services import create_account, issue_api_key, revoke_api_key_as_operator
from market.store import Store

ROUNDS = 20
POLL_SECONDS = 0.02
TARGET_SECONDS = 2.0
PATIENCE = 10.0
REVOKED_CLOSE_CODE = 4403
ME = "{ me { name } }"
SUBSCRIPTION = "subscription { inquiryEvents { kind } }"


@dataclass(frozen=True, slots=True)
class RevocationFigures:
    http: Latencies
    socket: Latencies


async def new_key(store: Store, n: int) -> str:
    account = await create_account(store, name=f"Revocation bench {n}", role=Role.ADMIN)
    return await issue_api_key(store, account.id, "revocable")


async def status_of(http: httpx.AsyncClient, key: str) -> int:
    response = await http.post("/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {key}"})
    if response.status_code not in (200, 401):
        raise RuntimeError(f"GraphQL answered {response.status_code}: {response.text[:500]}")
    return response.status_code


@contextlib.asynccontextmanager
async def subscription(url: str, key: str) -> AsyncIterator[ClientConnection]:
    """A graphql-transport-ws connection with one open subscription, authenticated with `key`."""
    async with connect(url, subprotocols=[Subprotocol("graphql-transport-ws")]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {key}"}}))
        ack = json.loads(await asyncio.wait_for(ws.recv(), PATIENCE))
        if ack.get("type") != "connection_ack":
            raise RuntimeError(f"connection_init answered {ack}")
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}}))
        yield ws


async def closed_at(ws: ClientConnection) -> float:
    """When the server closed the socket with 4403."""
    try:
        while True:
            await ws.recv()
    except ConnectionClosed as exc:
        at = time.perf_counter()
        code = exc.rcvd.code if exc.rcvd is not None else None
        if code != REVOKED_CLOSE_CODE:
            raise RuntimeError(f"the subscription was closed with {code}, not {REVOKED_CLOSE_CODE}") from exc
        return at


async def refused_at(http: httpx.AsyncClient, key: str) -> float:
    """When HTTP with the key first answered 401."""
    while True:
        if await status_of(http, key) == 401:
            return time.perf_counter()
        await asyncio.sleep(POLL_SECONDS)


async def one_round(store: Store, http: httpx.AsyncClient, ws_url: str, n: int) -> tuple[float, float]:
    key = await new_key(store, n)
    if await status_of(http, key) != 200:
        raise RuntimeError("a fresh key was refused")
    async with subscription(ws_url, key) as ws:
        closing = asyncio.create_task(closed_at(ws))
        started = time.perf_counter()
        await revoke_api_key_as_operator(store, key)
        try:
            refused, closed = await asyncio.wait_for(asyncio.gather(refused_at(http, key), closing), PATIENCE)
        except TimeoutError:
            raise RuntimeError(f"the revocation had not taken effect within {PATIENCE:g} s") from None
        finally:
            closing.cancel()  # left running if the HTTP side failed first
    return refused - started, closed - started


async def measure() -> RevocationFigures:
    async with bench_clients() as bench:
        note("revocation: starting the API subprocess")
        async with api_server(bench.settings) as url, api_client(url) as http:
            ws_url = url.replace("http://", "ws://", 1) + "/graphql"
            await one_round(bench.store, http, ws_url, 0)
            note(f"revocation: {ROUNDS} keys revoked one after another")
            http_seconds: list[float] = []
            socket_seconds: list[float] = []
            for n in range(1, ROUNDS + 1):
                refused, closed = await one_round(bench.store, http, ws_url, n)
                http_seconds.append(refused)
                socket_seconds.append(closed)
    return RevocationFigures(Latencies(tuple(http_seconds)), Latencies(tuple(socket_seconds)))


def verdict(sample: Latencies) -> str:
    return "within" if sample.max <= TARGET_SECONDS else "OVER"


def report(f: RevocationFigures) -> tuple[str, list[SummaryRow]]:
    measures = (("HTTP answers 401", f.http), (f"WebSocket closed with {REVOKED_CLOSE_CODE}", f.socket))
    target = f"≤ {TARGET_SECONDS:g} s"
    rows = [(name, ms(s.p50), ms(s.p95), ms(s.max), f"{target} ({verdict(s)})") for name, s in measures]
    table = text_table(
        f"Revocation in a running API process ({ROUNDS} keys, from the start of the revocation)",
        ("measure", "p50", "p95", "max", "target"),
        rows,
    )
    summary = [
        SummaryRow(
            f"revocation: {name} (p50 / p95 / max, target {target})",
            f"{ms(s.p50)} / {ms(s.p95)} / {ms(s.max)}",
        )
        for name, s in measures
    ]
    return table, summary


async def run() -> tuple[str, list[SummaryRow]]:
    return report(await measure())


def main() -> None:
    with local_services():
        table, _ = asyncio.run(run())
        print(table, flush=True)


if __name__ == "__main__":
    main()
