"""Revoking an API key: by an admin through GraphQL, by the key's own account, or by the operator with
`ocop revoke-api-key`. A second API process (uvicorn, its own MongoDB client, following key changes) stops
accepting the key over HTTP and closes the key's open subscriptions with 4403."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import subprocess
import time
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from api.app import create_app
from api.settings import Settings
from market.accounts.records import Role
from market.accounts.services import create_account, issue_api_key
from market.store import Store
from tests.conftest import Api, World

REVOKE = (
    """mutation($id: ID!) { revokeApiKey(id: $id) { apiKey { id hint revoked revokedAt } errors { field code } } }"""
)
MY_KEYS = "{ me { apiKeys { id name hint revoked current } } }"
# How long the test waits for a revocation to take effect; the README reports the measured time.
PATIENCE = 10.0


@pytest.fixture(scope="module")
async def other_process(settings: Settings) -> AsyncIterator[str]:
    """The API on a free port with its lifespan, as `ocop serve` runs it: it follows key changes."""
    app = create_app(settings)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    served = uvicorn.Server(config)
    task = asyncio.create_task(served.serve())
    while not served.started:
        assert not task.done(), "the server did not start"
        await asyncio.sleep(0.02)
    await asyncio.wait_for(app.state.services.revocations.following.wait(), PATIENCE)
    yield f"127.0.0.1:{port}"
    served.should_exit = True
    await task


async def new_key(store: Store, world: World, role: Role = Role.PRODUCER) -> str:
    org = world.producer_id if role is Role.PRODUCER else None
    account = await create_account(store, name=f"Revocable {role.value}", role=role, org_id=org)
    return await issue_api_key(store, account.id, "revocable")


async def status_of(http: httpx.AsyncClient, key: str) -> int:
    response = await http.post(
        "/graphql", json={"query": "{ me { name } }"}, headers={"Authorization": f"Bearer {key}"}
    )
    return response.status_code


async def key_id_of(api: Api, handle: str) -> str:
    keys = (await api.data(MY_KEYS, as_=handle))["me"]["apiKeys"]
    return next(k["id"] for k in keys if k["current"])


async def test_an_admin_revokes_a_key_and_another_process_refuses_it(
    api: Api, store: Store, world: World, other_process: str
) -> None:
    key = await new_key(store, world)
    api.keys["revocable"] = key
    async with httpx.AsyncClient(base_url=f"http://{other_process}") as http:
        assert await status_of(http, key) == 200  # now cached by the other process
        key_id = await key_id_of(api, "revocable")
        revoked = (await api.data(REVOKE, {"id": key_id}, as_="admin"))["revokeApiKey"]
        assert revoked["errors"] == [] and revoked["apiKey"]["revoked"] is True
        started = time.monotonic()
        while await status_of(http, key) == 200:
            assert time.monotonic() - started < PATIENCE, "the other process still accepts a revoked key"
            await asyncio.sleep(0.05)
        assert await status_of(http, key) == 401
    # Revoking twice keeps the first time.
    again = (await api.data(REVOKE, {"id": key_id}, as_="admin"))["revokeApiKey"]
    assert again["apiKey"]["revokedAt"] == revoked["apiKey"]["revokedAt"]


async def test_accounts_revoke_their_own_keys_and_no_one_else_s(api: Api, store: Store, world: World) -> None:
    api.keys["own-1"] = await new_key(store, world)
    api.keys["stranger"] = await new_key(store, world, Role.ADMIN)
    mine = await key_id_of(api, "own-1")
    buyer_key = await key_id_of(api, "buyer")

    # Another account's key looks like no key at all.
    refused = (await api.data(REVOKE, {"id": buyer_key}, as_="own-1"))["revokeApiKey"]
    assert refused == {"apiKey": None, "errors": [{"field": "id", "code": "NOT_FOUND"}]}
    malformed = (await api.data(REVOKE, {"id": "not an id"}, as_="own-1"))["revokeApiKey"]
    assert malformed["errors"][0]["field"] == "id" and malformed["apiKey"] is None
    assert (await api.gql(REVOKE, {"id": mine}))["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    done = (await api.data(REVOKE, {"id": mine}, as_="own-1"))["revokeApiKey"]
    assert done["errors"] == [] and done["apiKey"]["id"] == mine
    assert (await api.data("{ me { name } }", as_="buyer"))["me"] is not None  # untouched


async def test_the_key_s_open_subscriptions_are_closed(
    api: Api, store: Store, world: World, other_process: str
) -> None:
    key = await new_key(store, world)
    api.keys["subscriber"] = key
    key_id = await key_id_of(api, "subscriber")
    url = f"ws://{other_process}/graphql"
    async with connect(url, subprotocols=[Subprotocol("graphql-transport-ws")]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {key}"}}))
        assert json.loads(await asyncio.wait_for(ws.recv(), PATIENCE))["type"] == "connection_ack"
        subscribe = {"id": "1", "type": "subscribe", "payload": {"query": "subscription { inquiryEvents { kind } }"}}
        await ws.send(json.dumps(subscribe))
        revoked = (await api.data(REVOKE, {"id": key_id}, as_="admin"))["revokeApiKey"]
        assert revoked["errors"] == []
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(ws.recv(), PATIENCE)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


def ocop(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [".venv/bin/ocop", *args], env=settings.child_environment(), capture_output=True, text=True, timeout=120
    )


async def test_the_operator_revokes_by_key_hint_or_id(
    api: Api, store: Store, world: World, settings: Settings, other_process: str
) -> None:
    keys = [await new_key(store, world) for _ in range(3)]
    for n, key in enumerate(keys):
        api.keys[f"cli-{n}"] = key
    ids = [await key_id_of(api, f"cli-{n}") for n in range(3)]
    raw_id = base64.b64decode(ids[2]).decode().split(":", 1)[1]
    async with httpx.AsyncClient(base_url=f"http://{other_process}") as http:
        assert [await status_of(http, key) for key in keys] == [200, 200, 200]  # cached there
        for reference in (keys[0], keys[1][:9], raw_id):
            done = await asyncio.to_thread(ocop, settings, "revoke-api-key", reference)
            assert done.returncode == 0, done.stderr
            assert "revoked" in done.stdout
        started = time.monotonic()
        while [await status_of(http, key) for key in keys] != [401, 401, 401]:
            assert time.monotonic() - started < PATIENCE, "the other process still accepts a revoked key"
            await asyncio.sleep(0.05)

    unknown = await asyncio.to_thread(ocop, settings, "revoke-api-key", "ocop_zzzz")
    assert unknown.returncode == 2 and "does not exist" in unknown.stderr
    nonsense = await asyncio.to_thread(ocop, settings, "revoke-api-key", "hello")
    assert nonsense.returncode == 2 and "key:" in nonsense.stderr


async def test_the_cli_takes_the_global_ids_the_api_hands_out(world: World, settings: Settings) -> None:
    made = await asyncio.to_thread(
        ocop,
        settings,
        "create-account",
        "--name",
        "Global id member",
        "--role",
        "producer",
        "--org",
        world.producer_gid,
    )
    assert made.returncode == 0, made.stderr
    raw = await asyncio.to_thread(
        ocop, settings, "create-account", "--name", "Raw id member", "--role", "producer", "--org", world.producer_id
    )
    assert raw.returncode == 0, raw.stderr
    wrong_type = base64.b64encode(f"Product:{world.producer_id}".encode()).decode()
    refused = await asyncio.to_thread(
        ocop, settings, "create-account", "--name", "Wrong", "--role", "producer", "--org", wrong_type
    )
    assert refused.returncode == 2 and "org" in refused.stderr


async def test_the_cli_makes_no_account_of_a_malformed_email_or_an_overlong_name(
    store: Store, settings: Settings
) -> None:
    """An operator's typo is refused naming the option, as sign-up refuses it, never stored as the address a
    person would have to sign in with."""
    for bad in ("quantri.ocop-demo.vn", "quantri@ocop-demo", "a b@ocop-demo.vn"):
        refused = await asyncio.to_thread(
            ocop, settings, "create-account", "--name", "Operator typo", "--role", "admin", "--email", bad
        )
        assert refused.returncode == 2 and "email" in refused.stderr, (bad, refused.stdout, refused.stderr)
        assert await store.db["accounts"].count_documents({"email": bad.lower()}) == 0
    long = await asyncio.to_thread(ocop, settings, "create-account", "--name", "N" * 121, "--role", "admin")
    assert long.returncode == 2 and "name" in long.stderr, (long.stdout, long.stderr)
    made = await asyncio.to_thread(
        ocop, settings, "create-account", "--name", "Operator", "--role", "admin", "--email", " QuanTri2@OCOP-demo.vn "
    )
    assert made.returncode == 0, made.stderr
    assert await store.db["accounts"].count_documents({"email": "quantri2@ocop-demo.vn"}) == 1
