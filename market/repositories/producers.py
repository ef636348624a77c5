"""The `producers` collection."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from market.errors import DomainError, ErrorCode
from market.models import Producer, ProducerType
from market.paging import Page, PageRequest, fetch_page
from market.repositories.base import province_query, utcnow, versioned_update
from market.text import fold


@dataclass(frozen=True, slots=True)
class ProducerFilter:
    province: str | None = None  # current code, or any old or new province name
    types: tuple[ProducerType, ...] = ()
    verified: bool | None = None
    name_prefix: str | None = None


class ProducerRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.collection = db["producers"]

    async def ensure_indexes(self) -> None:
        await self.collection.create_indexes(
            [
                # The importer matches a producer by name within its province; two producers of one
                # province with the same name would be ambiguous for buyers as well.
                IndexModel(
                    [("address.provinceCode", ASCENDING), ("nameKey", ASCENDING)],
                    unique=True,
                    name="province_name_unique",
                ),
                IndexModel([("nameKey", ASCENDING), ("_id", ASCENDING)], name="name_order"),
                IndexModel([("address.formerProvince", ASCENDING)], name="former_province"),
                IndexModel([("type", ASCENDING)], name="type"),
            ]
        )

    async def get_many(self, ids: list[ObjectId]) -> list[Producer]:
        docs = await self.collection.find({"_id": {"$in": ids}}).to_list(None)
        return [Producer.from_doc(d) for d in docs]

    async def get(self, _id: ObjectId) -> Producer | None:
        doc = await self.collection.find_one({"_id": _id})
        return Producer.from_doc(doc) if doc else None

    async def insert(self, doc: dict[str, Any], session: AsyncClientSession | None = None) -> Producer:
        now = utcnow()
        doc = {**doc, "nameKey": fold(doc["name"]), "createdAt": now, "updatedAt": now, "version": 1}
        try:
            result = await self.collection.insert_one(doc, session=session)
        except DuplicateKeyError as exc:
            raise _duplicate_name() from exc
        return Producer.from_doc({**doc, "_id": result.inserted_id})

    async def update(
        self, _id: ObjectId, expected_version: int | None, set_fields: dict[str, Any], unset_fields: list[str]
    ) -> Producer:
        if "name" in set_fields:
            set_fields = {**set_fields, "nameKey": fold(set_fields["name"])}
        try:
            doc = await versioned_update(
                self.collection,
                _id,
                expected_version=expected_version,
                set_fields=set_fields,
                unset_fields=unset_fields,
                what="producer",
            )
        except DuplicateKeyError as exc:
            raise _duplicate_name() from exc
        return Producer.from_doc(doc)

    def query(self, flt: ProducerFilter) -> dict[str, Any]:
        query: dict[str, Any] = {}
        if flt.province:
            query.update(
                province_query(
                    flt.province,
                    "filter.province",
                    code_path="address.provinceCode",
                    former_path="address.formerProvince",
                )
            )
        if flt.types:
            query["type"] = {"$in": [t.value for t in flt.types]}
        if flt.verified is not None:
            query["verified"] = flt.verified
        if flt.name_prefix:
            key = fold(flt.name_prefix)
            query["nameKey"] = {"$gte": key, "$lt": key + "\uffff"}
        return query

    async def page(self, flt: ProducerFilter, request: PageRequest) -> Page[Producer]:
        return await fetch_page(self.collection, self.query(flt), [("nameKey", 1)], request, Producer.from_doc)

    async def count(self, flt: ProducerFilter) -> int:
        return await self.collection.count_documents(self.query(flt))


def _duplicate_name() -> DomainError:
    return DomainError.single(ErrorCode.DUPLICATE, "name", "a producer with this name already exists in this province")
