"""Persisted documents: Apollo's automatic persisted queries, and a trusted-documents mode for production.

Automatic persisted queries (APQ), as Apollo Client's persisted-query link speaks them: a request may carry
`extensions.persistedQuery = {version: 1, sha256Hash}` instead of its text. An unknown hash is answered
`PersistedQueryNotFound`; the client then sends text and hash together, the hash is checked, and the text is
stored in MongoDB (shared by every API process) for next time. Over POST and GET alike.

Trusted documents (`OCOP_TRUSTED_DOCUMENTS`): only documents in a manifest run, the JSON object of hash or id
to text that graphql-codegen's client preset (`persisted-documents.json`) or Relay's compiler writes.
Clients send the hash as APQ does, or the id as `documentId` (or Relay's `doc_id`); a text is accepted
only when the manifest holds it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pymongo.errors import PyMongoError
from strawberry.http import GraphQLRequestData

from market.storage.faults import is_unavailable
from market.store import Store
from schema.errors import UNAVAILABLE_MESSAGE

MAX_PERSISTED_QUERY = 16 * 1024  # characters; a longer text is run but not stored
MAX_STORED = 50_000  # documents in MongoDB; past it new texts are run but not stored
LOCAL_ENTRIES = 2000  # hashes each process keeps in memory in front of MongoDB
TOUCH_SECONDS = 86_400.0  # how often a hash served from memory is marked used in MongoDB, so it does not expire
COUNT_SECONDS = 60.0  # how long a count of the stored documents is trusted
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_REQUEST_FIELDS = [f.name for f in dataclasses.fields(GraphQLRequestData)]


class PersistedQueryError(Exception):
    """Answered as a GraphQL error with `code` (HTTP 200, or 503 for an outage); the message is what Apollo's
    link looks for."""

    def __init__(self, message: str, code: str, status: int = 200) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


@dataclass
class Registration(GraphQLRequestData):
    """A request that sent a document's text with its hash: the text is stored once it has run without a
    request error, so that only documents the schema accepts are kept."""

    digest: str = ""


@contextmanager
def _database_errors() -> Iterator[None]:
    try:
        yield
    except PyMongoError as exc:
        if not is_unavailable(exc):
            raise
        raise PersistedQueryError(UNAVAILABLE_MESSAGE, "UNAVAILABLE", 503) from exc


def sha256_of(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


def load_manifest(path: Path) -> dict[str, str]:
    """A manifest of trusted documents: a JSON object of hash or id to document text."""
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(manifest, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in manifest.items()
    ):
        raise ValueError(f"{path}: a trusted-documents manifest is a JSON object of id to document text")
    return manifest


class PersistedDocuments:
    def __init__(self, store: Store, *, automatic: bool, trusted: dict[str, str] | None = None) -> None:
        self.store = store
        self.automatic = automatic
        self.trusted = trusted
        self.trusted_texts = {sha256_of(text) for text in (trusted or {}).values()}
        self._local: OrderedDict[str, tuple[str, float]] = OrderedDict()  # hash -> (text, last marked used)
        self._count: tuple[int, float] = (0, -COUNT_SECONDS)

    async def resolve(self, request: GraphQLRequestData) -> GraphQLRequestData:
        """The request with its document's text, or PersistedQueryError."""
        extensions = request.extensions or {}
        persisted, document_id = extensions.get("persistedQuery"), extensions.get("documentId")
        if request.query == "" and (persisted is not None or document_id is not None):
            # graphql-ws clients must send a query string: an empty one beside an id means "by id"
            request = replace(request, query=None)
        if self.trusted is not None:
            return self._trusted(request, persisted, document_id)
        if persisted is None and isinstance(document_id, str):
            persisted = {"version": 1, "sha256Hash": document_id.removeprefix("sha256:")}
        if persisted is None:
            return request
        if not self.automatic:
            raise PersistedQueryError("PersistedQueryNotSupported", "PERSISTED_QUERY_NOT_SUPPORTED")
        digest = _hash_of(persisted)
        if request.query is not None:
            if sha256_of(request.query) != digest:
                raise PersistedQueryError("provided sha does not match query", "PERSISTED_QUERY_HASH_MISMATCH")
            if len(request.query) > MAX_PERSISTED_QUERY or digest in self._local:
                return request
            return Registration(**{f: getattr(request, f) for f in _REQUEST_FIELDS}, digest=digest)
        now = time.monotonic()
        held = self._local.get(digest)
        if held is not None and now - held[1] < TOUCH_SECONDS:
            self._local.move_to_end(digest)
            return replace(request, query=held[0])
        with _database_errors():
            query = await self.store.persisted_queries.get(digest)  # also marks it used
        if query is None:
            raise PersistedQueryError("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
        self._remember(digest, query, now)
        return replace(request, query=query)

    async def register(self, request: GraphQLRequestData, refused: bool) -> None:
        """After a request ran: store the text a Registration sent, unless the request was refused."""
        if not isinstance(request, Registration) or refused or request.query is None:
            return
        now = time.monotonic()
        with _database_errors():
            if now - self._count[1] > COUNT_SECONDS:
                self._count = (await self.store.persisted_queries.count(), now)
            if self._count[0] < MAX_STORED:
                await self.store.persisted_queries.put(request.digest, request.query)
                self._count = (self._count[0] + 1, self._count[1])
        self._remember(request.digest, request.query, now)

    def _trusted(self, request: GraphQLRequestData, persisted: object, document_id: object) -> GraphQLRequestData:
        assert self.trusted is not None
        if persisted is not None or isinstance(document_id, str):
            key = document_id if isinstance(document_id, str) else _hash_of(persisted)
            query = (
                self.trusted.get(key)
                or self.trusted.get(f"sha256:{key}")
                or self.trusted.get(key.removeprefix("sha256:"))
            )
            if query is None:
                raise PersistedQueryError("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
            if request.query is not None and request.query != query:
                raise PersistedQueryError("provided sha does not match query", "PERSISTED_QUERY_HASH_MISMATCH")
            return replace(request, query=query)
        if request.query is not None and sha256_of(request.query) not in self.trusted_texts:
            raise PersistedQueryError(
                "only registered documents run on this server: send the document's id", "OPERATION_NOT_TRUSTED"
            )
        return request

    def _remember(self, digest: str, query: str, now: float) -> None:
        self._local[digest] = (query, now)
        if len(self._local) > LOCAL_ENTRIES:
            self._local.popitem(last=False)


def _hash_of(persisted: object) -> str:
    if not isinstance(persisted, dict) or persisted.get("version") != 1:
        raise PersistedQueryError("Unsupported persisted query version", "PERSISTED_QUERY_NOT_SUPPORTED")
    digest = persisted.get("sha256Hash")
    if not isinstance(digest, str) or not _SHA256.match(digest):
        # A malformed request, answered with 400 as every other BAD_REQUEST is.
        raise PersistedQueryError("persistedQuery.sha256Hash must be 64 hexadecimal digits", "BAD_REQUEST", 400)
    return digest


def document_id_as_extension(data: dict[str, Any]) -> dict[str, Any]:
    """A request naming its document by id (`documentId`, Relay's `doc_id`) carries it in `extensions`, the
    one member Strawberry passes on: `resolve` reads it there."""
    document_id = data.get("documentId", data.get("doc_id"))
    if not isinstance(document_id, str):
        return data
    extensions = data.get("extensions")
    return {**data, "extensions": {**(extensions if isinstance(extensions, dict) else {}), "documentId": document_id}}
