"""The Meilisearch client's keep-alive transport: against the real Meilisearch for what it does every day,
and against small local TCP servers for the failures Meilisearch cannot be asked to produce (a connection
closed under a request, no answer, a malformed answer)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from api.settings import Settings
from search.client import MeiliClient, MeiliError, MeiliUnavailable
from search.transport import IDLE_EXPIRY, KeepAliveTransport

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
OK = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{"answer": 42}\n'


@contextlib.asynccontextmanager
async def tcp_server(handler: Handler) -> AsyncIterator[tuple[str, list[int]]]:
    """A local server running `handler` per connection; yields its URL and a one-item list counting
    the connections it accepted."""
    accepted = [0]

    async def counted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted[0] += 1
        try:
            await handler(reader, writer)
        finally:
            writer.close()

    server = await asyncio.start_server(counted, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", accepted
    finally:
        server.close()
        await server.wait_closed()


async def read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        (int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")), 0
    )
    return head + await reader.readexactly(length)


# --- against Meilisearch ---------------------------------------------------------------------------


async def test_chunked_answers_are_whole_and_framed_once(settings: Settings) -> None:
    transport = KeepAliveTransport(settings.resolved_meili_url)
    async with httpx.AsyncClient(base_url=settings.resolved_meili_url, transport=transport) as http:
        response = await http.get("/health", headers={"Accept-Encoding": "identity"})
    assert response.json() == {"status": "available"}
    assert "transfer-encoding" not in response.headers
    assert response.headers["content-length"] == str(len(response.content))


async def test_sequential_requests_share_one_connection(settings: Settings) -> None:
    client = MeiliClient(settings.resolved_meili_url, settings.resolved_meili_key)
    try:
        for _ in range(20):
            assert await client.healthy()
            await client.list_indexes()
        assert client._transport.opened == 1
    finally:
        await client.close()


async def test_search_errors_are_typed(settings: Settings) -> None:
    client = MeiliClient(settings.resolved_meili_url, settings.resolved_meili_key)
    try:
        with pytest.raises(MeiliError) as missing:
            await client.search("no_such_index_for_transport_test", {"q": "x"})
        assert missing.value.code == "index_not_found"
        assert missing.value.status == 404
        assert not isinstance(missing.value, MeiliUnavailable)
    finally:
        await client.close()


async def test_concurrent_requests_open_separate_connections(settings: Settings) -> None:
    client = MeiliClient(settings.resolved_meili_url, settings.resolved_meili_key)
    try:
        results = await asyncio.gather(*(client.healthy() for _ in range(12)))
        assert all(results)
        assert 1 < client._transport.opened <= 12
        assert await client.healthy()  # a pooled connection is reused
        assert client._transport.opened <= 12
    finally:
        await client.close()


async def test_wrong_key_is_refused_with_its_code(settings: Settings) -> None:
    client = MeiliClient(settings.resolved_meili_url, "not-the-key")
    try:
        with pytest.raises(MeiliError) as refused:
            await client.list_indexes()
        assert refused.value.code == "invalid_api_key"
    finally:
        await client.close()


# --- against local servers -------------------------------------------------------------------------


async def test_connection_closed_under_a_request_is_retried_once_on_a_new_one() -> None:
    async def answer_once_then_drop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(OK)
        await writer.drain()
        await read_request(reader)  # the next request on this connection gets no answer: the server leaves

    async with tcp_server(answer_once_then_drop) as (url, accepted):
        client = MeiliClient(url, None)
        try:
            assert await client.search("products", {"q": "a"}) == {"answer": 42}
            assert await client.search("products", {"q": "b"}) == {"answer": 42}
            assert accepted[0] == 2
        finally:
            await client.close()


async def test_connection_lost_after_part_of_the_answer_is_not_retried() -> None:
    async def half_an_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(OK[:40])
        await writer.drain()

    async with tcp_server(half_an_answer) as (url, accepted):
        client = MeiliClient(url, None)
        try:
            with pytest.raises(MeiliUnavailable, match="unreachable"):
                await client.search("products", {"q": "a"})
            assert accepted[0] == 1
        finally:
            await client.close()


async def test_no_answer_is_a_read_timeout() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await asyncio.sleep(5)

    async with tcp_server(silent) as (url, _):
        client = MeiliClient(url, None, timeout=0.2)
        try:
            with pytest.raises(MeiliUnavailable, match="ReadTimeout"):
                await client.search("products", {"q": "a"})
            with pytest.raises(MeiliUnavailable, match="ReadTimeout"):
                await client.list_indexes()
        finally:
            await client.close()


async def test_a_request_the_server_does_not_take_in_times_out_within_the_read_timeout() -> None:
    """There is no separate write timeout (see the transport's docstring): the read timer bounds the write."""

    async def not_reading(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(5)

    async with tcp_server(not_reading) as (url, _):
        transport = KeepAliveTransport(url)
        async with httpx.AsyncClient(base_url=url, transport=transport, timeout=0.3) as http:
            started = asyncio.get_running_loop().time()
            with pytest.raises(httpx.ReadTimeout):
                # Far more than the kernel's socket buffers hold, so the write itself stalls.
                await http.post("/indexes/products/documents", content=b"x" * (64 * 1024 * 1024))
            assert asyncio.get_running_loop().time() - started < 3


async def test_malformed_answer_is_a_protocol_error() -> None:
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 abc\r\n\r\n")
        await writer.drain()
        await asyncio.sleep(1)

    async with tcp_server(garbage) as (url, _):
        client = MeiliClient(url, None)
        try:
            with pytest.raises(MeiliUnavailable, match="RemoteProtocolError"):
                await client.search("products", {"q": "a"})
        finally:
            await client.close()


async def test_nothing_listening_is_a_connect_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connections are refused
        client = MeiliClient(f"http://127.0.0.1:{port}", None)
        try:
            with pytest.raises(MeiliUnavailable, match="ConnectError"):
                await client.search("products", {"q": "a"})
            assert not await client.healthy()
        finally:
            await client.close()


async def test_idle_connections_expire_before_the_server_drops_them() -> None:
    async def keep_answering(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                await read_request(reader)
                writer.write(OK)
                await writer.drain()

    async with tcp_server(keep_answering) as (url, accepted):
        transport = KeepAliveTransport(url)
        async with httpx.AsyncClient(base_url=url, transport=transport) as http:
            assert (await http.get("/health")).json() == {"answer": 42}
            assert (await http.get("/health")).json() == {"answer": 42}
            assert accepted[0] == 1
            for connection in transport._idle:
                connection.idle_since -= IDLE_EXPIRY + 1
            assert (await http.get("/health")).json() == {"answer": 42}
            assert accepted[0] == 2


async def test_other_origins_and_head_requests_are_refused() -> None:
    transport = KeepAliveTransport("http://127.0.0.1:7700")
    async with httpx.AsyncClient(transport=transport) as http:
        with pytest.raises(httpx.UnsupportedProtocol):
            await http.get("http://example.invalid/health")
        with pytest.raises(httpx.UnsupportedProtocol):
            await http.head("http://127.0.0.1:7700/health")
    with pytest.raises(ValueError, match="not an http"):
        KeepAliveTransport("ftp://127.0.0.1:21")


async def test_a_full_pool_makes_callers_wait_then_time_out() -> None:
    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await asyncio.sleep(0.5)
        writer.write(OK)
        await writer.drain()

    async with tcp_server(slow) as (url, _):
        transport = KeepAliveTransport(url, max_connections=1)
        timeout = httpx.Timeout(5.0, pool=0.1)
        async with httpx.AsyncClient(base_url=url, transport=transport, timeout=timeout) as http:
            first = asyncio.create_task(http.get("/slow"))
            await asyncio.sleep(0.05)
            with pytest.raises(httpx.PoolTimeout):
                await http.get("/slow")
            assert (await first).json() == {"answer": 42}


async def test_a_cancelled_request_does_not_leave_its_answer_for_the_next() -> None:
    async def answers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                request = await read_request(reader)
                await asyncio.sleep(0.3 if b"/slow" in request else 0)
                body = b'{"path": "%s"}' % request.split(b" ")[1]
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
                await writer.drain()

    async with (
        tcp_server(answers) as (url, accepted),
        httpx.AsyncClient(base_url=url, transport=KeepAliveTransport(url)) as http,
    ):
        slow = asyncio.create_task(http.get("/slow"))
        await asyncio.sleep(0.05)
        slow.cancel()
        with pytest.raises(asyncio.CancelledError):
            await slow
        assert (await http.get("/fast")).json() == {"path": "/fast"}
        assert accepted[0] == 2  # the interrupted connection was not reused
