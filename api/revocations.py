"""Revocation reaches every API process within a couple of seconds: each process follows changes to API keys
and accounts with a change stream, drops the cached identity of what changed, and closes the open
WebSockets of a revoked key with 4403. While the stream is down the key cache is not trusted, so a
revocation made then still takes effect on the next request."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict

from bson import ObjectId
from starlette.websockets import WebSocket, WebSocketState

from api.auth import Authenticator
from market.store import Store

log = logging.getLogger("ocop.revocations")

REVOKED_CLOSE_CODE = 4403
RETRY_SECONDS = 1.0


class OpenSockets:
    """The subscription WebSockets of this process, by the API key that opened them."""

    def __init__(self) -> None:
        self._by_key: defaultdict[ObjectId, set[WebSocket]] = defaultdict(set)

    def add(self, key_id: ObjectId, socket: WebSocket) -> None:
        self._by_key[key_id].add(socket)

    def remove(self, key_id: ObjectId, socket: WebSocket) -> None:
        sockets = self._by_key.get(key_id)
        if sockets is not None:
            sockets.discard(socket)
            if not sockets:
                del self._by_key[key_id]

    def count(self, key_id: ObjectId) -> int:
        return len(self._by_key.get(key_id, ()))

    async def close_key(self, key_id: ObjectId, reason: str) -> int:
        sockets = self._by_key.pop(key_id, set())
        for socket in sockets:
            if socket.application_state is WebSocketState.CONNECTED:
                with contextlib.suppress(RuntimeError, OSError):
                    await socket.close(REVOKED_CLOSE_CODE, reason)
        return len(sockets)


class RevocationFeed:
    """Follows changes to API keys and accounts for one API process."""

    def __init__(self, store: Store, auth: Authenticator, sockets: OpenSockets) -> None:
        self.store = store
        self.auth = auth
        self.sockets = sockets
        self._task: asyncio.Task[None] | None = None
        self.following = asyncio.Event()

    def start(self) -> None:
        self.auth.distrust()
        self._task = asyncio.create_task(self._run(), name="ocop-revocations")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                async with await self.store.accounts.watch_keys() as stream:
                    self.auth.trust()
                    self.following.set()
                    async for change in stream:
                        await self._apply(change)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the feed must outlive any outage; requests check keys meanwhile
                log.warning("key changes not followed, retrying: %s", type(exc).__name__)
            self.following.clear()
            self.auth.distrust()
            await asyncio.sleep(RETRY_SECONDS)

    async def _apply(self, change: dict[str, object]) -> None:
        changed = self.store.accounts.changed_record(change)
        if changed is None:
            return
        kind, record_id = changed
        if kind == "account":
            self.auth.forget(account_id=record_id)
            return
        self.auth.forget(key_id=record_id)
        if not self.sockets.count(record_id):
            return
        if kind == "session":
            if await self.store.accounts.session_ended(record_id):
                await self.sockets.close_key(record_id, "session ended")
            return
        keys = await self.store.accounts.find_keys(key_id=record_id)
        if not keys or keys[0].revoked:
            await self.sockets.close_key(record_id, "API key revoked")
