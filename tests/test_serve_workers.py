"""`ocop serve --workers 2`: several API processes on one port, each serving queries and subscriptions and
following key revocations by itself, with JSON logs from every one, and a clean stop on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from api.settings import PROJECT_ROOT, Settings
from market.accounts.records import Role
from market.accounts.services import create_account, issue_api_key, revoke_api_key_as_operator
from market.store import Store


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and b"spawn_main" in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
    return found


@pytest.fixture(scope="module")
def served(settings: Settings, scoped_keys: None) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**settings.child_environment(), "OCOP_RATE_LIMIT": "false"}
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", "serve", "--port", str(port), "--workers", "2"],
        cwd=PROJECT_ROOT,
        env=env,
        stderr=subprocess.PIPE,
    )
    base = f"127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://{base}/healthz", timeout=1).status_code == 200 and len(children_of(process.pid)) == 2:
                break
        except httpx.TransportError:
            pass
        assert process.poll() is None and time.monotonic() < deadline, "the API did not start"
        time.sleep(0.1)
    try:
        yield process, base
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


async def test_two_processes_serve_and_each_follows_revocations(
    served: tuple[subprocess.Popen[bytes], str], store: Store
) -> None:
    process, base = served
    assert len(children_of(process.pid)) == 2
    async with httpx.AsyncClient(base_url=f"http://{base}") as http:
        answers = [await http.post("/graphql", json={"query": "{ __typename }"}) for _ in range(10)]
    assert all(a.json() == {"data": {"__typename": "Query"}} for a in answers)
    # A socket on whichever process accepts it is closed when its key is revoked: every process follows.
    account = await create_account(store, name="Workers", role=Role.ADMIN)
    key = await issue_api_key(store, account.id, "workers")
    url = f"ws://{base}/graphql"
    async with connect(url, subprotocols=[Subprotocol("graphql-transport-ws")]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {key}"}}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
        await ws.send(
            json.dumps(
                {"id": "1", "type": "subscribe", "payload": {"query": "subscription { inquiryEvents { kind } }"}}
            )
        )
        await revoke_api_key_as_operator(store, key)
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(ws.recv(), 10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


def test_sigterm_stops_every_process_cleanly(served: tuple[subprocess.Popen[bytes], str]) -> None:
    process, _ = served
    workers = children_of(process.pid)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    assert not [
        pid
        for pid in workers
        if Path(f"/proc/{pid}").exists() and b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]
    assert process.stderr is not None
    lines = [line for line in process.stderr.read().decode().splitlines() if line.strip()]
    assert lines and all(json.loads(line)["level"] for line in lines)  # JSON from every process
