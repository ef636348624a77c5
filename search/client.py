"""A small async Meilisearch client on httpx, over our keep-alive transport (search/transport.py).

Why not a generic SDK: we need `Accept-Encoding: identity` (gzip costs ~40 ms per search through a
delayed-ACK stall, see the README), typed errors, a handful of endpoints only, and searches that cost the
API as little as possible.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

import httpx
import orjson

from search.transport import KeepAliveTransport


class MeiliError(Exception):
    def __init__(self, message: str, code: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


class MeiliUnavailable(MeiliError):
    """The server could not be reached; the caller should retry later."""


class MeiliTaskFailed(MeiliError):
    pass


class MeiliClient:
    def __init__(self, url: str, api_key: str | None, *, timeout: float = 10.0) -> None:
        headers = {"Accept-Encoding": "identity", "Content-Type": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self.url = url.rstrip("/")
        self._transport = KeepAliveTransport(self.url)
        self._http = httpx.AsyncClient(base_url=self.url, headers=headers, timeout=timeout, transport=self._transport)
        origin = httpx.URL(self.url)
        self._path_prefix = origin.raw_path.rstrip(b"/")
        fixed_headers = {"Host": origin.netloc.decode(), **headers}
        self._search_head = b"".join(f"{name}: {value}\r\n".encode("latin-1") for name, value in fixed_headers.items())
        self._timeouts = httpx.Timeout(timeout).as_dict()

    async def close(self) -> None:
        await self._http.aclose()

    async def _request(self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None) -> Any:
        try:
            response = await self._http.request(
                method, path, params=params, content=None if json is None else orjson.dumps(json)
            )
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from exc
        return self._read(response.status_code, response.content)

    async def _post_search(self, path: str, payload: Any) -> Any:
        """POST for the two search endpoints, the API's hot path: the request is written as bytes and sent
        straight through the transport, without httpx's request and response objects (~0.15 ms a search)."""
        body = orjson.dumps(payload)
        request = b"POST %s HTTP/1.1\r\n%sContent-Length: %d\r\n\r\n%s" % (
            self._path_prefix + path.encode(),
            self._search_head,
            len(body),
            body,
        )
        try:
            status, content = await self._transport.exchange(request, self._timeouts)
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from exc
        return self._read(status, content)

    def _unreachable(self, exc: httpx.TransportError) -> MeiliUnavailable:
        return MeiliUnavailable(f"Meilisearch at {self.url} is unreachable: {exc!r}")

    @staticmethod
    def _read(status: int, content: bytes) -> Any:
        if status >= 400:
            try:
                body = orjson.loads(content)
            except orjson.JSONDecodeError:
                body = {"message": content.decode(errors="replace")}
            if status >= 500:
                raise MeiliUnavailable(body.get("message", "server error"), body.get("code"), status)
            raise MeiliError(body.get("message", "request failed"), body.get("code"), status)
        return orjson.loads(content) if content else None

    # --- health and tasks -------------------------------------------------------------------------

    async def healthy(self) -> bool:
        try:
            body = await self._request("GET", "/health")
        except MeiliError:
            return False
        return bool(body and body.get("status") == "available")

    async def get_task(self, uid: int) -> dict[str, Any]:
        task: dict[str, Any] = await self._request("GET", f"/tasks/{uid}")
        return task

    async def wait_task(
        self, uid: int, *, timeout: float = 60.0, first: float = 0.0, longest: float = 0.02
    ) -> dict[str, Any]:
        """Poll until the task has finished; raise if it failed. A sync counts only once it succeeded.
        `first`: seconds before the first poll, for a caller that knows the task cannot be done sooner;
        polls then back off up to `longest` apart. Each poll is a request Meilisearch answers with the same
        CPU it indexes with."""
        deadline = time.monotonic() + timeout
        delay = first
        while True:
            if delay:
                await asyncio.sleep(delay)
            task = await self.get_task(uid)
            if task["status"] == "succeeded":
                return task
            if task["status"] in ("failed", "canceled"):
                error = task.get("error") or {}
                raise MeiliTaskFailed(error.get("message", f"task {uid} {task['status']}"), error.get("code"))
            if time.monotonic() > deadline:
                raise MeiliUnavailable(f"task {uid} still {task['status']} after {timeout}s")
            delay = min(max(delay * 2, 0.002), longest)

    async def wait_tasks(
        self, uids: Sequence[int], *, timeout: float = 60.0, first: float = 0.0, longest: float = 0.02
    ) -> None:
        """`wait_task` for each in turn; only the first waits `first`: the others were enqueued after it, so
        Meilisearch processes them after it (often in the same batch)."""
        for i, uid in enumerate(uids):
            await self.wait_task(uid, timeout=timeout, first=first if i == 0 else 0.0, longest=longest)

    # --- indexes ----------------------------------------------------------------------------------

    async def get_index(self, uid: str) -> dict[str, Any] | None:
        try:
            index: dict[str, Any] = await self._request("GET", f"/indexes/{uid}")
        except MeiliError as exc:
            if exc.code == "index_not_found":
                return None
            raise
        return index

    async def create_index(self, uid: str, primary_key: str = "id") -> int:
        task = await self._request("POST", "/indexes", json={"uid": uid, "primaryKey": primary_key})
        return int(task["taskUid"])

    async def ensure_index(self, uid: str, primary_key: str = "id") -> None:
        if await self.get_index(uid) is None:
            try:
                await self.wait_task(await self.create_index(uid, primary_key))
            except MeiliTaskFailed as exc:
                if exc.code != "index_already_exists":
                    raise

    async def delete_index(self, uid: str) -> int:
        task = await self._request("DELETE", f"/indexes/{uid}")
        return int(task["taskUid"])

    async def list_indexes(self) -> list[str]:
        body = await self._request("GET", "/indexes", params={"limit": 1000})
        return [row["uid"] for row in body["results"]]

    async def update_settings(self, uid: str, settings: dict[str, Any]) -> int:
        task = await self._request("PATCH", f"/indexes/{uid}/settings", json=settings)
        return int(task["taskUid"])

    async def get_settings(self, uid: str) -> dict[str, Any]:
        body: dict[str, Any] = await self._request("GET", f"/indexes/{uid}/settings")
        return body

    async def swap_indexes(self, pairs: Sequence[tuple[str, str]]) -> int:
        task = await self._request("POST", "/swap-indexes", json=[{"indexes": list(p)} for p in pairs])
        return int(task["taskUid"])

    # --- documents --------------------------------------------------------------------------------

    async def add_documents(self, uid: str, documents: list[dict[str, Any]]) -> int:
        task = await self._request("POST", f"/indexes/{uid}/documents", json=documents, params={"primaryKey": "id"})
        return int(task["taskUid"])

    async def delete_documents(self, uid: str, ids: list[str]) -> int:
        task = await self._request("POST", f"/indexes/{uid}/documents/delete-batch", json=ids)
        return int(task["taskUid"])

    async def get_document(self, uid: str, doc_id: str) -> dict[str, Any] | None:
        try:
            doc: dict[str, Any] = await self._request("GET", f"/indexes/{uid}/documents/{doc_id}")
        except MeiliError as exc:
            if exc.code == "document_not_found":
                return None
            raise
        return doc

    async def fetch_documents(
        self,
        uid: str,
        fields: Sequence[str],
        *,
        filter: str | None = None,
        offset: int = 0,
        limit: int = 1000,
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {"fields": list(fields), "offset": offset, "limit": limit}
        if filter is not None:
            payload["filter"] = filter
        body: dict[str, Any] = await self._request("POST", f"/indexes/{uid}/documents/fetch", json=payload)
        return body

    async def all_documents(self, uid: str, fields: Sequence[str], *, batch: int = 1000) -> list[dict[str, Any]]:
        """Every document of the index, with only `fields`."""
        out: list[dict[str, Any]] = []
        offset = 0
        while True:
            body = await self.fetch_documents(uid, fields, offset=offset, limit=batch)
            out.extend(body["results"])
            offset += len(body["results"])
            if offset >= body["total"] or not body["results"]:
                return out

    async def stats(self, uid: str) -> dict[str, Any]:
        body: dict[str, Any] = await self._request("GET", f"/indexes/{uid}/stats")
        return body

    # --- API keys (master key only) ---------------------------------------------------------------

    async def get_key(self, uid: str) -> dict[str, Any] | None:
        try:
            key: dict[str, Any] = await self._request("GET", f"/keys/{uid}")
        except MeiliError as exc:
            if exc.code == "api_key_not_found":
                return None
            raise
        return key

    async def create_key(self, definition: dict[str, Any]) -> dict[str, Any]:
        key: dict[str, Any] = await self._request("POST", "/keys", json=definition)
        return key

    async def delete_key(self, uid: str) -> None:
        await self._request("DELETE", f"/keys/{uid}")

    # --- search -----------------------------------------------------------------------------------

    async def search(self, uid: str, params: dict[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = await self._post_search(f"/indexes/{uid}/search", params)
        return body

    async def multi_search(
        self, queries: list[dict[str, Any]], federation: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {"queries": queries}
        if federation is not None:
            payload["federation"] = federation
        body: dict[str, Any] = await self._post_search("/multi-search", payload)
        return body
