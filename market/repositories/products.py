"""The `products` collection."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from market.errors import DomainError, ErrorCode
from market.models import Product, ProductGroup, ProductStatus
from market.paging import Page, PageRequest, SortSpec, fetch_page
from market.repositories.base import province_query, utcnow, versioned_update
from market.text import fold


class ProductSort(StrEnum):
    NEWEST = "newest"
    NAME = "name"
    PRICE_ASC = "price_asc"
    PRICE_DESC = "price_desc"
    STARS_DESC = "stars_desc"


_SORTS: dict[ProductSort, SortSpec] = {
    ProductSort.NEWEST: [("createdAt", DESCENDING)],
    ProductSort.NAME: [("nameKey", ASCENDING)],
    ProductSort.PRICE_ASC: [("priceVnd", ASCENDING)],
    ProductSort.PRICE_DESC: [("priceVnd", DESCENDING)],
    ProductSort.STARS_DESC: [("stars", DESCENDING), ("createdAt", DESCENDING)],
}


@dataclass(frozen=True, slots=True)
class ProductFilter:
    province: str | None = None  # current code, or any old or new province name
    groups: tuple[ProductGroup, ...] = ()
    min_stars: int | None = None
    producer_id: ObjectId | None = None
    statuses: tuple[ProductStatus, ...] = ()


class ProductRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.collection = db["products"]

    async def ensure_indexes(self) -> None:
        await self.collection.create_indexes(
            [
                IndexModel(
                    [("producerId", ASCENDING), ("externalId", ASCENDING)],
                    unique=True,
                    partialFilterExpression={"externalId": {"$type": "string"}},
                    name="producer_external_id_unique",
                ),
                IndexModel([("producerId", ASCENDING), ("status", ASCENDING)], name="producer_status"),
                IndexModel([("status", ASCENDING), ("createdAt", DESCENDING), ("_id", DESCENDING)], name="newest"),
                IndexModel([("status", ASCENDING), ("nameKey", ASCENDING), ("_id", ASCENDING)], name="by_name"),
                IndexModel([("status", ASCENDING), ("priceVnd", ASCENDING), ("_id", ASCENDING)], name="by_price"),
                IndexModel([("status", ASCENDING), ("stars", DESCENDING), ("createdAt", DESCENDING)], name="by_stars"),
                IndexModel(
                    [("provinceCode", ASCENDING), ("status", ASCENDING), ("createdAt", DESCENDING)],
                    name="province",
                ),
                IndexModel([("formerProvince", ASCENDING), ("status", ASCENDING)], name="former_province"),
                IndexModel([("group", ASCENDING), ("status", ASCENDING)], name="group"),
            ]
        )

    async def get(self, _id: ObjectId) -> Product | None:
        doc = await self.collection.find_one({"_id": _id})
        return Product.from_doc(doc) if doc else None

    async def get_many(self, ids: list[ObjectId]) -> list[Product]:
        docs = await self.collection.find({"_id": {"$in": ids}}).to_list(None)
        return [Product.from_doc(d) for d in docs]

    async def insert(self, doc: dict[str, Any], session: AsyncClientSession | None = None) -> Product:
        now = utcnow()
        doc = {**doc, "nameKey": fold(doc["name"]), "createdAt": now, "updatedAt": now, "version": 1}
        if doc["status"] == ProductStatus.PUBLISHED.value:
            doc["publishedAt"] = now
        try:
            result = await self.collection.insert_one(doc, session=session)
        except DuplicateKeyError as exc:
            raise duplicate_external_id() from exc
        return Product.from_doc({**doc, "_id": result.inserted_id})

    async def update(
        self,
        _id: ObjectId,
        expected_version: int | None,
        set_fields: dict[str, Any],
        unset_fields: list[str] | None = None,
    ) -> Product:
        if "name" in set_fields:
            set_fields = {**set_fields, "nameKey": fold(set_fields["name"])}
        try:
            doc = await versioned_update(
                self.collection,
                _id,
                expected_version=expected_version,
                set_fields=set_fields,
                unset_fields=unset_fields,
                what="product",
            )
        except DuplicateKeyError as exc:
            raise duplicate_external_id() from exc
        return Product.from_doc(doc)

    def query(self, flt: ProductFilter) -> dict[str, Any]:
        query: dict[str, Any] = {}
        if flt.province:
            query.update(
                province_query(flt.province, "filter.province", code_path="provinceCode", former_path="formerProvince")
            )
        if flt.groups:
            query["group"] = {"$in": [g.value for g in flt.groups]}
        if flt.min_stars is not None:
            query["stars"] = {"$gte": flt.min_stars}
        if flt.producer_id is not None:
            query["producerId"] = flt.producer_id
        if flt.statuses:
            query["status"] = {"$in": [s.value for s in flt.statuses]}
        return query

    async def page(
        self, flt: ProductFilter, visibility: dict[str, Any], sort: ProductSort, request: PageRequest
    ) -> Page[Product]:
        return await fetch_page(
            self.collection, _and(self.query(flt), visibility), _SORTS[sort], request, Product.from_doc
        )

    async def count(self, flt: ProductFilter, visibility: dict[str, Any]) -> int:
        return await self.collection.count_documents(_and(self.query(flt), visibility))

    # --- bulk import ------------------------------------------------------------------------------

    async def existing_by_external_id(
        self, keys: list[tuple[ObjectId, str]]
    ) -> dict[tuple[ObjectId, str], dict[str, Any]]:
        if not keys:
            return {}
        by_producer: dict[ObjectId, list[str]] = {}
        for producer_id, external_id in keys:
            by_producer.setdefault(producer_id, []).append(external_id)
        # "$type" matches the unique index's partial filter, so MongoDB can use it.
        query = {
            "$or": [{"producerId": p, "externalId": {"$in": ids, "$type": "string"}} for p, ids in by_producer.items()]
        }
        docs = await self.collection.find(query).to_list(None)
        return {(d["producerId"], d["externalId"]): d for d in docs}


def _and(*parts: dict[str, Any]) -> dict[str, Any]:
    present = [p for p in parts if p]
    if not present:
        return {}
    return present[0] if len(present) == 1 else {"$and": present}


def duplicate_external_id() -> DomainError:
    return DomainError.single(
        ErrorCode.DUPLICATE, "externalId", "this producer already has a product with this externalId"
    )
