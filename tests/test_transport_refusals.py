"""Malformed requests on both transports get typed answers: GraphQL JSON with a code over HTTP, the protocol's
close codes or an `error` message over graphql-transport-ws; never a 500, a plain-text body or a dropped
connection."""

from __future__ import annotations

import asyncio
import hashlib
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Origin, Subprotocol

from api.app import create_app
from api.settings import Settings
from market.store import Store
from tests.conftest import Api, World

PROTOCOL = Subprotocol("graphql-transport-ws")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'"hello"', "application/json"),
        (b"null", "application/json"),
        (b"5", "application/json"),
        (b"true", "application/json"),
        (b"{not json", "application/json"),
        (b"\xff\xfe", "application/json"),
        (b'{"query": 5}', "application/json"),
        (b'{"query": "{ __typename }", "variables": []}', "application/json"),
        (b"{}", "application/json"),
        (b'["{ __typename }"]', "application/json"),
        (b"query=%7B__typename%7D", "application/x-www-form-urlencoded"),
        (b"{ __typename }", "text/plain"),
        (b"[]", "application/json"),
        (b"--x\r\n", "multipart/form-data"),  # no boundary
    ],
)
async def test_malformed_bodies_get_json_with_a_code(api: Api, body: bytes, content_type: str) -> None:
    response = await api.client.post("/graphql", content=body, headers={"Content-Type": content_type})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_REQUEST" and error["message"]


async def test_other_refusals_are_json_too(api: Api) -> None:
    mutation_over_get = await api.client.get("/graphql", params={"query": "mutation { __typename }"})
    assert mutation_over_get.status_code == 400
    assert mutation_over_get.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    for method in ("PUT", "DELETE", "PATCH"):
        refused = await api.client.request(method, "/graphql", json={"query": "{ __typename }"})
        assert refused.status_code == 405 and {m.strip() for m in refused.headers["allow"].split(",")} >= {
            "GET",
            "POST",
        }
        assert refused.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"
    unknown_operation = await api.client.post(
        "/graphql", json={"query": "query A { __typename }", "operationName": "B"}
    )
    assert unknown_operation.status_code == 400
    assert unknown_operation.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_several_operations_need_a_name_and_none_runs_without_one(api: Api, world: World, store: Store) -> None:
    create = (
        'mutation Make { createProducer(input: {name: "Không được chạy", type: COOPERATIVE, province: "86"}) '
        "{ producer { id } } }"
    )
    before = await store.db["producers"].count_documents({})
    body = await api.gql(f"{create} query Look {{ __typename }}", as_="admin")
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert await store.db["producers"].count_documents({}) == before
    named = await api.client.post(
        "/graphql", json={"query": f"{create} query Look {{ __typename }}", "operationName": "Look"}
    )
    assert named.json() == {"data": {"__typename": "Query"}}


@pytest.fixture(scope="module")
async def ws_url(settings: Settings) -> AsyncIterator[str]:
    app = create_app(settings)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    served = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(served.serve())
    while not served.started:
        assert not task.done(), "the server did not start"
        await asyncio.sleep(0.02)
    yield f"ws://127.0.0.1:{port}/graphql"
    served.should_exit = True
    await task
    await app.state.services.close()


async def start(ws: ClientConnection, key: str, payload: Any = None) -> None:
    init: dict[str, Any] = {"type": "connection_init", "payload": payload if payload is not None else None}
    await ws.send(json.dumps(init))
    assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"


async def test_a_null_connection_init_payload_is_accepted(ws_url: str, api: Api) -> None:
    headers = {"Authorization": f"Bearer {api.keys['buyer']}"}
    async with connect(ws_url, subprotocols=[PROTOCOL], additional_headers=headers) as ws:
        await start(ws, api.keys["buyer"])


async def test_a_subscribe_without_an_object_payload_closes_with_4400(ws_url: str, api: Api) -> None:
    headers = {"Authorization": f"Bearer {api.keys['buyer']}"}
    for payload in ("subscription { inquiryEvents { kind } }", None, 5, {"query": 5}):
        async with connect(ws_url, subprotocols=[PROTOCOL], additional_headers=headers) as ws:
            await start(ws, api.keys["buyer"])
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 10)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400


async def test_a_subscription_with_a_syntax_error_says_so(ws_url: str, api: Api) -> None:
    """graphql-transport-ws answers a document that does not parse with close code 4400 and the reason."""
    headers = {"Authorization": f"Bearer {api.keys['buyer']}"}
    async with connect(ws_url, subprotocols=[PROTOCOL], additional_headers=headers) as ws:
        await start(ws, api.keys["buyer"])
        subscribe = {"id": "1", "type": "subscribe", "payload": {"query": "subscription { inquiryEvents { kind"}}
        await ws.send(json.dumps(subscribe))
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
        received = closed.value.rcvd
        assert received is not None and received.code == 4400 and received.reason.startswith("Syntax Error")


async def test_top_level_messages_without_a_field_are_plain(api: Api) -> None:
    body = await api.gql('{ nodes(ids: ["a"]) { id } }')
    assert "data" in body
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api.app), base_url="http://t") as client:
        response = await client.post("/graphql", json={"query": "{ products(first: 500) { totalCount } }"})
    message = response.json()["errors"][0]["message"]
    assert not message.startswith("-"), message


async def test_websocket_upgrades_from_allowed_origins_only(ws_url: str, api: Api) -> None:
    headers = {"Authorization": f"Bearer {api.keys['buyer']}"}
    allowed, foreign = Origin("http://localhost:3000"), Origin("https://evil.example")
    async with connect(ws_url, subprotocols=[PROTOCOL], additional_headers=headers, origin=allowed) as ws:
        await start(ws, api.keys["buyer"])
    with pytest.raises((InvalidStatus, ConnectionClosed)):
        async with connect(ws_url, subprotocols=[PROTOCOL], additional_headers=headers, origin=foreign) as ws:
            await start(ws, api.keys["buyer"])


async def test_subscriptions_name_persisted_documents_too(ws_url: str, api: Api, store: Store) -> None:
    text = "subscription FollowByHash { inquiryEvents { kind } }"
    digest = hashlib.sha256(text.encode()).hexdigest()
    persisted = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    headers = {"Authorization": f"Bearer {api.keys['buyer']}"}
    async with connect(ws_url, subprotocols=[PROTOCOL], additional_headers=headers) as ws:
        await start(ws, api.keys["buyer"])
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": "", "extensions": persisted}}))
        missing = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert missing["type"] == "error" and missing["id"] == "1"
        assert missing["payload"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        await store.persisted_queries.put(digest, text)
        await ws.send(json.dumps({"id": "2", "type": "subscribe", "payload": {"query": "", "extensions": persisted}}))
        await ws.send(json.dumps({"id": "2", "type": "complete"}))
        await ws.send(json.dumps({"type": "ping"}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "pong"  # the subscription ran, no error
