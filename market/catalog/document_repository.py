"""The `documents` GridFS bucket: every read and write of documents, and their indexes.

A document's description lives in its GridFS files entry (`metadata`), which GridFS writes after the last
chunk: the entry is the commit point, so a document is either whole, described and listed, or not there at all.
A crash mid-upload leaves chunks without an entry, which no read can reach.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from bson import ObjectId
from gridfs import AsyncGridFSBucket
from gridfs.errors import NoFile
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from market.catalog.documents import Document

BUCKET = "documents"
CHUNK_BYTES = 255 * 1024


class DocumentRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._bucket = AsyncGridFSBucket(db, bucket_name=BUCKET, chunk_size_bytes=CHUNK_BYTES)
        self._files = db[f"{BUCKET}.files"]
        self._chunks = db[f"{BUCKET}.chunks"]

    async def ensure_indexes(self) -> None:
        # GridFS creates its own indexes on the first upload; created here too, so that reads before any
        # upload, and a database restored without them, are served by an index.
        await self._chunks.create_indexes(
            [IndexModel([("files_id", ASCENDING), ("n", ASCENDING)], unique=True, name="files_id_1_n_1")]
        )
        await self._files.create_indexes(
            [
                IndexModel([("filename", ASCENDING), ("uploadDate", ASCENDING)], name="filename_1_uploadDate_1"),
                IndexModel(
                    [("metadata.producerId", ASCENDING), ("metadata.productId", ASCENDING), ("uploadDate", DESCENDING)],
                    name="owner",
                ),
                IndexModel([("metadata.productId", ASCENDING), ("uploadDate", DESCENDING)], name="product"),
            ]
        )

    async def insert(self, file_name: str, content: bytes, metadata: dict[str, Any]) -> Document:
        file_id = ObjectId()
        await self._bucket.upload_from_stream_with_id(file_id, file_name, content, metadata=metadata)
        document = await self.get(file_id)
        assert document is not None
        return document

    async def get(self, _id: ObjectId) -> Document | None:
        doc = await self._files.find_one({"_id": _id, "metadata.type": {"$exists": True}})
        return Document.from_file(doc) if doc else None

    async def get_many(self, ids: list[ObjectId]) -> list[Document]:
        docs = await self._files.find({"_id": {"$in": ids}, "metadata.type": {"$exists": True}}).to_list(None)
        return [Document.from_file(d) for d in docs]

    async def of_products(self, product_ids: list[ObjectId]) -> list[Document]:
        """The documents of these products, newest first."""
        cursor = self._files.find({"metadata.productId": {"$in": product_ids}}, sort=[("uploadDate", -1)])
        return [Document.from_file(d) for d in await cursor.to_list(None)]

    async def of_producers(self, producer_ids: list[ObjectId]) -> list[Document]:
        """The producers' own documents (not their products'), newest first."""
        cursor = self._files.find(
            {"metadata.producerId": {"$in": producer_ids}, "metadata.productId": None}, sort=[("uploadDate", -1)]
        )
        return [Document.from_file(d) for d in await cursor.to_list(None)]

    async def delete(self, _id: ObjectId) -> None:
        """GridFS removes the files entry first, so the document stops being readable before its chunks go."""
        with contextlib.suppress(NoFile):  # deleted meanwhile
            await self._bucket.delete(_id)

    async def open(self, _id: ObjectId) -> AsyncIterator[bytes] | None:
        """The file's bytes, a chunk at a time; None when it was deleted meanwhile. Opened here, so that a
        missing file is known before a response starts."""
        try:
            stream = await self._bucket.open_download_stream(_id)
        except NoFile:
            return None

        async def read() -> AsyncIterator[bytes]:
            try:
                while chunk := await stream.readchunk():
                    yield chunk
            finally:
                await stream.close()

        return read()
