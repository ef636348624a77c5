"""The catalog collections, `producers` and `products`: every read and write of them, and their indexes."""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel, InsertOne, ReturnDocument, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from market.accounts.records import OrgStatus
from market.catalog.change_repository import ProductChangeLog
from market.catalog.changes import TRACKED, after_update, change_row
from market.catalog.records import CertificateStatus, Producer, ProducerType, Product, ProductGroup, ProductStatus
from market.core.clock import midnight, today, utcnow
from market.core.errors import DomainError, conflict, not_found
from market.core.paging import Page, PageRequest, SortSpec
from market.core.provinces import load_provinces
from market.core.text import fold
from market.storage.batches import id_batches
from market.storage.keyset import fetch_page
from market.storage.transactions import in_transaction
from market.storage.versioned import versioned_update

T = TypeVar("T")


def province_query(text: str, field: str, *, code_path: str, former_path: str) -> dict[str, Any]:
    """A current province matches everything registered under it, including under its old provinces;
    an old province name matches only what was registered under that old name."""
    match = load_provinces().resolve(text)
    if match is None:
        raise DomainError.of("unknown_province", field, got=text)
    query: dict[str, Any] = {code_path: match.province.code}
    if match.former_name:
        query[former_path] = match.former_name
    return query


@dataclass(frozen=True, slots=True)
class ProducerFilter:
    province: str | None = None  # current code, or any old or new province name
    types: tuple[ProducerType, ...] = ()
    verified: bool | None = None
    name_prefix: str | None = None


class ProducerRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._collection = db["producers"]

    async def ensure_indexes(self) -> None:
        await self._collection.create_indexes(
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
        docs = await self._collection.find({"_id": {"$in": ids}}).to_list(None)
        return [Producer.from_doc(d) for d in docs]

    async def get(self, _id: ObjectId, session: AsyncClientSession | None = None) -> Producer | None:
        doc = await self._collection.find_one({"_id": _id}, session=session)
        return Producer.from_doc(doc) if doc else None

    async def set_status(
        self, producer_id: ObjectId, status: OrgStatus, review: dict[str, Any], session: AsyncClientSession
    ) -> Producer | None:
        """Move a pending producer to `status` (verified too, when accepted); None if it was not pending."""
        fields: dict[str, Any] = {"status": status.value, "review": review, "updatedAt": utcnow()}
        if status is OrgStatus.VERIFIED:
            fields["verified"] = True
        doc = await self._collection.find_one_and_update(
            {"_id": producer_id, "status": OrgStatus.PENDING.value},
            {"$set": fields, "$inc": {"version": 1}},
            session=session,
            return_document=ReturnDocument.AFTER,
        )
        return Producer.from_doc(doc) if doc else None

    async def insert(self, doc: dict[str, Any], session: AsyncClientSession | None = None) -> Producer:
        now = utcnow()
        doc = {**doc, "nameKey": fold(doc["name"]), "createdAt": now, "updatedAt": now, "version": 1}
        try:
            result = await self._collection.insert_one(doc, session=session)
        except DuplicateKeyError as exc:
            raise _duplicate_name() from exc
        return Producer.from_doc({**doc, "_id": result.inserted_id})

    async def update(
        self, _id: ObjectId, expected_version: int | None, set_fields: dict[str, Any], unset_fields: list[str]
    ) -> Producer:
        doc = await _update_named(
            self._collection,
            _id,
            expected_version,
            set_fields,
            unset_fields,
            what="producer",
            duplicate=_duplicate_name,
        )
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
        return await fetch_page(self._collection, self.query(flt), [("nameKey", 1)], request, Producer.from_doc)

    async def find_by_name(self, name: str) -> Producer | None:
        doc = await self._collection.find_one({"name": name})
        return Producer.from_doc(doc) if doc else None

    async def first_named_like(self, key_prefix: str) -> Producer | None:
        """The first producer, by folded name, whose folded name starts with `key_prefix`."""
        doc = await self._collection.find_one(
            {"nameKey": {"$regex": f"^{re.escape(key_prefix)}"}}, sort=[("nameKey", 1)]
        )
        return Producer.from_doc(doc) if doc else None

    async def mark_verified(self, ids: list[ObjectId]) -> None:
        await self._collection.update_many(
            {"_id": {"$in": ids}, "verified": False}, {"$set": {"verified": True}, "$inc": {"version": 1}}
        )

    async def ids_by_name_key(self, name_keys: list[str]) -> dict[tuple[str, str], ObjectId]:
        """(province code, name key) -> id of the producers with these name keys."""
        docs = await self._collection.find(
            {"nameKey": {"$in": name_keys}}, {"nameKey": 1, "address.provinceCode": 1}
        ).to_list(None)
        return {(d["address"]["provinceCode"], d["nameKey"]): d["_id"] for d in docs}

    async def places(self) -> list[tuple[str, str]]:
        """(commune as written, province code) of every producer that gave its commune: the place names
        search maps to provinces. One row per distinct pair, however many producers share it."""
        pipeline: list[dict[str, Any]] = [
            {"$match": {"address.commune": {"$type": "string"}}},
            {"$group": {"_id": {"commune": "$address.commune", "province": "$address.provinceCode"}}},
        ]
        rows = await (await self._collection.aggregate(pipeline)).to_list(None)
        return [(r["_id"]["commune"], r["_id"]["province"]) for r in rows]

    async def insert_many(self, docs: list[dict[str, Any]]) -> list[ObjectId]:
        result = await self._collection.insert_many(docs, ordered=False)
        return list(result.inserted_ids)

    async def versions(self) -> dict[ObjectId, int]:
        """Every producer's current version (the drift report compares them with the index)."""
        return {d["_id"]: d["version"] for d in await self._collection.find({}, {"version": 1}).to_list(None)}

    async def ids_in_province(self, province_code: str) -> list[ObjectId]:
        ids: list[ObjectId] = await self._collection.distinct("_id", {"address.provinceCode": province_code})
        return ids

    async def aggregate(self, pipeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return await (await self._collection.aggregate(pipeline)).to_list(None)

    async def count(self, flt: ProducerFilter) -> int:
        return await self._collection.count_documents(self.query(flt))


def _duplicate_name() -> DomainError:
    return DomainError.of("duplicate_producer", "name")


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
    updated_since: datetime | None = None
    certificate_statuses: tuple[CertificateStatus, ...] = ()


def certificate_status_query(statuses: tuple[CertificateStatus, ...]) -> dict[str, Any]:
    """Products whose certificate is in any of `statuses` today (see records.certificate_status)."""
    day = midnight(today())
    expired = {"certificate.validUntil": {"$lt": day}}
    current = {"$or": [{"certificate.validUntil": {"$gte": day}}, {"certificate.validUntil": None}]}
    pending = {"certificate.pendingFiveStar": True}
    by_status: dict[CertificateStatus, dict[str, Any]] = {
        CertificateStatus.EXPIRED: expired,
        CertificateStatus.PENDING_5_STAR: {"$and": [current, pending]},
        CertificateStatus.VALID: {"$and": [current, {"certificate.pendingFiveStar": {"$ne": True}}]},
    }
    clauses = [by_status[s] for s in dict.fromkeys(statuses)]
    return clauses[0] if len(clauses) == 1 else {"$or": clauses}


# The index of the importer's key, (producer, externalId).
_EXTERNAL_ID_INDEX = "producer_external_id_unique"


class ProductRepository:
    """Every product write is a transaction that also logs the change (market.catalog.changes), so the change
    log holds exactly the writes that were made."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._collection = db["products"]
        self._client = db.client
        self.changes = ProductChangeLog(db)

    async def ensure_indexes(self) -> None:
        await self._collection.create_indexes(
            [
                IndexModel(
                    [("producerId", ASCENDING), ("externalId", ASCENDING)],
                    unique=True,
                    partialFilterExpression={"externalId": {"$type": "string"}},
                    name=_EXTERNAL_ID_INDEX,
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
                IndexModel([("updatedAt", ASCENDING)], name="updated"),
                # The daily certificate expiry sweep reads a window of end days.
                IndexModel([("certificate.validUntil", ASCENDING)], sparse=True, name="certificate_end"),
                # A quotation names a variant of one of the quoting producer's products.
                IndexModel([("producerId", ASCENDING), ("variants.id", ASCENDING)], name="producer_variant"),
            ]
        )
        await self.changes.ensure_indexes()

    async def _logged(
        self, work: Callable[[AsyncClientSession], Awaitable[T]], session: AsyncClientSession | None
    ) -> T:
        """`work` in a transaction: the caller's, when it passes a session inside one (to add writes of its
        own to the same commit), or a new one."""
        if session is not None and session.in_transaction:
            return await work(session)
        # Every product write takes the change log's counter, so concurrent ones conflict and MongoDB makes all
        # but one start over. Taking turns in this process first keeps those retries to writers of other
        # processes (8 concurrent writers, measured alternating with and without: about 1.5× the writes/s).
        async with self.changes.turn:
            return await in_transaction(self._client, work)

    async def get(self, _id: ObjectId) -> Product | None:
        doc = await self._collection.find_one({"_id": _id})
        return Product.from_doc(doc) if doc else None

    async def get_many(self, ids: list[ObjectId]) -> list[Product]:
        docs = await self._collection.find({"_id": {"$in": ids}}).to_list(None)
        return [Product.from_doc(d) for d in docs]

    async def get_many_with_makers(self, ids: list[ObjectId]) -> list[tuple[Product, Producer | None]]:
        """Products with their producers, in one round trip: a product shown with its producer would
        otherwise wait for two, each a good part of the request's cost."""
        pipeline: list[dict[str, Any]] = [
            {"$match": {"_id": {"$in": ids}}},
            {"$lookup": {"from": "producers", "localField": "producerId", "foreignField": "_id", "as": "_maker"}},
        ]
        found = []
        for doc in await (await self._collection.aggregate(pipeline)).to_list(None):
            makers = doc.pop("_maker")
            found.append((Product.from_doc(doc), Producer.from_doc(makers[0]) if makers else None))
        return found

    async def insert(self, doc: dict[str, Any], session: AsyncClientSession | None = None) -> Product:
        now = utcnow()
        doc = {**doc, "_id": ObjectId(), "nameKey": fold(doc["name"]), "createdAt": now, "updatedAt": now}
        doc["version"] = 1
        if doc["status"] == ProductStatus.PUBLISHED.value:
            doc["publishedAt"] = now

        async def work(s: AsyncClientSession) -> None:
            await self._collection.insert_one(doc, session=s)
            await self.changes.record([change_row(None, doc)], s)

        try:
            await self._logged(work, session)
        except DuplicateKeyError as exc:
            raise duplicate_external_id() from exc
        return Product.from_doc(doc)

    async def update(
        self,
        _id: ObjectId,
        expected_version: int | None,
        set_fields: dict[str, Any],
        unset_fields: list[str] | None = None,
        session: AsyncClientSession | None = None,
    ) -> Product:
        async def work(s: AsyncClientSession) -> dict[str, Any]:
            before = await self._collection.find_one({"_id": _id}, dict.fromkeys(TRACKED, 1), session=s)
            doc = await _update_named(
                self._collection, _id, expected_version, set_fields, unset_fields, what="product",
                duplicate=duplicate_external_id, session=s,
            )  # fmt: skip
            await self.changes.record([change_row(before, doc)], s)
            return doc

        return Product.from_doc(await self._logged(work, session))

    async def delete(
        self, _id: ObjectId, expected_version: int, *, unpublished_only: bool, session: AsyncClientSession | None = None
    ) -> None:
        """Remove the product if it is still at `expected_version` (and, with `unpublished_only`, was never
        published): NOT_FOUND or CONFLICT otherwise."""
        query: dict[str, Any] = {"_id": _id, "version": expected_version}
        if unpublished_only:
            query["publishedAt"] = None

        async def work(s: AsyncClientSession) -> None:
            before = await self._collection.find_one_and_delete(query, projection=dict.fromkeys(TRACKED, 1), session=s)
            if before is None:
                current = await self._collection.find_one({"_id": _id}, {"version": 1}, session=s)
                if current is None:
                    raise not_found("id", "product")
                if current["version"] == expected_version:
                    raise DomainError.of("published_product_kept", "id")
                raise conflict(expected_version, current["version"])
            await self.changes.record([change_row(before, None)], s)

        await self._logged(work, session)

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
        if flt.updated_since is not None:
            query["updatedAt"] = {"$gte": flt.updated_since}
        if flt.certificate_statuses:
            query = _and(query, certificate_status_query(flt.certificate_statuses))
        return query

    async def page(
        self, flt: ProductFilter, visibility: dict[str, Any], sort: ProductSort, request: PageRequest
    ) -> Page[Product]:
        return await fetch_page(
            self._collection, _and(self.query(flt), visibility), _SORTS[sort], request, Product.from_doc
        )

    async def bulk_write(
        self, inserts: list[dict[str, Any]], updates: list[tuple[dict[str, Any], dict[str, Any]]]
    ) -> None:
        """Inserts and versioned updates (filters on `_id` and `version`) in one unordered bulk write and one
        commit, logged as one commit. An update whose product changed since it was read is skipped."""
        for doc in inserts:
            doc.setdefault("_id", ObjectId())

        async def work(s: AsyncClientSession) -> None:
            rows = [change_row(None, d) for d in inserts]
            operations: list[InsertOne[dict[str, Any]] | UpdateOne] = [InsertOne(d) for d in inserts]
            ids = [query["_id"] for query, _ in updates]
            found = self._collection.find({"_id": {"$in": ids}}, dict.fromkeys(TRACKED, 1), session=s)
            current = {d["_id"]: d for d in await found.to_list(None)} if ids else {}
            for query, update in updates:
                before = current.get(query["_id"])
                # Read in this transaction: a write since would conflict with it, so the filter's version is
                # the whole truth about whether the update applies.
                if before is None or before["version"] != query.get("version", before["version"]):
                    continue
                operations.append(UpdateOne(query, update))
                rows.append(change_row(before, after_update(before, update)))
            if operations:
                await self._collection.bulk_write(operations, ordered=False, session=s)
                await self.changes.record(rows, s)

        await self._logged(work, None)

    async def ids_of_producers(self, producer_ids: list[ObjectId]) -> list[ObjectId]:
        docs = await self._collection.find({"producerId": {"$in": producer_ids}}, {"_id": 1}).to_list(None)
        return [d["_id"] for d in docs]

    def id_batches(self, query: dict[str, Any], size: int) -> AsyncIterator[list[ObjectId]]:
        """The ids of the products matching `query`, `size` at a time, read with one cursor."""
        return id_batches(self._collection, query, size)

    async def count_where(self, query: dict[str, Any]) -> int:
        return await self._collection.count_documents(query)

    async def versions(self, query: dict[str, Any]) -> list[tuple[ObjectId, int, ObjectId]]:
        """(id, version, producer id) of the products matching `query`."""
        docs = await self._collection.find(query, {"version": 1, "producerId": 1}).to_list(None)
        return [(d["_id"], d["version"], d["producerId"]) for d in docs]

    async def published_texts(self, size: int = 1000) -> AsyncGenerator[list[str], None]:
        """Name and category of every published product, `size` at a time from one cursor: the words buyers'
        queries are corrected towards. Read in batches so that a large catalogue is never held whole."""
        chunk: list[str] = []
        cursor = self._collection.find(
            {"status": ProductStatus.PUBLISHED.value}, {"name": 1, "category": 1, "_id": 0}, batch_size=size
        )
        try:
            async for d in cursor:
                chunk.append(f"{d['name']} {d.get('category', '')}")
                if len(chunk) >= size:
                    yield chunk
                    chunk = []
            if chunk:
                yield chunk
        finally:
            # A reader that stops early (a refresh cancelled at shutdown) frees the server's cursor now.
            await cursor.close()

    async def certificates_ending(self, first: datetime, last: datetime) -> list[Product]:
        """Products not archived whose OCOP certificate ends between the two days (stored at midnight)."""
        query = {
            "certificate.validUntil": {"$gte": first, "$lte": last},
            "status": {"$ne": ProductStatus.ARCHIVED.value},
        }
        return [Product.from_doc(d) for d in await self._collection.find(query).to_list(None)]

    async def is_empty(self) -> bool:
        return await self._collection.estimated_document_count() == 0

    async def with_variant(self, producer_id: ObjectId, variant_id: str) -> Product | None:
        """The producer's product that has this variant."""
        doc = await self._collection.find_one({"producerId": producer_id, "variants.id": variant_id})
        return Product.from_doc(doc) if doc else None

    async def find_by_name(self, producer_id: ObjectId, name: str) -> Product | None:
        doc = await self._collection.find_one({"producerId": producer_id, "name": name})
        return Product.from_doc(doc) if doc else None

    async def producer_ids_with_stars(self, min_stars: int) -> list[ObjectId]:
        ids: list[ObjectId] = await self._collection.distinct("producerId", {"stars": {"$gte": min_stars}})
        return ids

    async def published_meeting(
        self, *, min_stars: int | None, groups: list[str], provinces: list[str], certifications: list[str]
    ) -> list[Product]:
        """Published products with at least these stars, in any of these groups and provinces (codes), holding
        every one of these certifications; an empty condition holds for all."""
        query: dict[str, Any] = {"status": ProductStatus.PUBLISHED.value}
        if min_stars:
            query["stars"] = {"$gte": min_stars}
        if groups:
            query["group"] = {"$in": groups}
        if provinces:
            query["provinceCode"] = {"$in": provinces}
        if certifications:
            query["certifications"] = {"$all": certifications}
        return [Product.from_doc(d) for d in await self._collection.find(query).to_list(None)]

    async def published_profile(self, producer_id: ObjectId) -> tuple[list[str], int]:
        """The OCOP groups a producer publishes in, and its best rating (0 with nothing published)."""
        docs = await self._collection.find(
            {"producerId": producer_id, "status": ProductStatus.PUBLISHED.value}, {"group": 1, "stars": 1}
        ).to_list(None)
        return sorted({d["group"] for d in docs}), max((d["stars"] for d in docs), default=0)

    async def aggregate(self, pipeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return await (await self._collection.aggregate(pipeline)).to_list(None)

    async def count(self, flt: ProductFilter, visibility: dict[str, Any]) -> int:
        return await self._collection.count_documents(_and(self.query(flt), visibility))

    # --- bulk import ------------------------------------------------------------------------------

    async def existing_by_external_id(
        self, keys: list[tuple[ObjectId, str]], fields: Iterable[str] | None = None
    ) -> dict[tuple[ObjectId, str], dict[str, Any]]:
        """The products these (producer, external id) keys name; only `fields` of them (and their ids) when
        given, since a re-import reads back every product of the file."""
        if not keys:
            return {}
        projection = dict.fromkeys(["producerId", "externalId", *fields], 1) if fields is not None else None
        by_producer: dict[ObjectId, list[str]] = {}
        for producer_id, external_id in keys:
            by_producer.setdefault(producer_id, []).append(external_id)
        # "$type" matches the unique index's partial filter, so MongoDB can use it. Named, because left to choose,
        # MongoDB weighs every index on producerId for each producer's branch: 50–150 ms of its CPU for a batch
        # of 1000 rows, even on an empty collection, against 20–40 ms.
        query: dict[str, Any] = {
            "$or": [{"producerId": p, "externalId": {"$in": ids, "$type": "string"}} for p, ids in by_producer.items()]
        }
        docs = await self._collection.find(query, projection, hint=_EXTERNAL_ID_INDEX).to_list(None)
        found = {(d["producerId"], d["externalId"]): d for d in docs}
        # A product made through the API has no externalId, so an export names it by its id: the same file
        # imported again updates it rather than adding a copy.
        by_id = {(p, ObjectId(x)): x for p, x in keys if (p, x) not in found and len(x) == 24 and ObjectId.is_valid(x)}
        if by_id:
            query = {"_id": {"$in": [oid for _, oid in by_id]}, "externalId": {"$exists": False}}
            for d in await self._collection.find(query, projection).to_list(None):
                named = by_id.get((d["producerId"], d["_id"]))
                if named is not None:
                    found[(d["producerId"], named)] = d
        return found

    async def export_batches(
        self, query: dict[str, Any], size: int = 1000
    ) -> AsyncGenerator[list[dict[str, Any]], None]:
        """The products matching `query` in the order they were added, `size` at a time from one cursor, so an
        export of any length holds one batch."""
        chunk: list[dict[str, Any]] = []
        cursor = self._collection.find(query, sort=[("_id", ASCENDING)], batch_size=size)
        try:
            async for doc in cursor:
                chunk.append(doc)
                if len(chunk) >= size:
                    yield chunk
                    chunk = []
            if chunk:
                yield chunk
        finally:
            await cursor.close()


async def _update_named(
    collection: AsyncCollection[dict[str, Any]],
    _id: ObjectId,
    expected_version: int | None,
    set_fields: dict[str, Any],
    unset_fields: list[str] | None,
    *,
    what: str,
    duplicate: Callable[[], DomainError],
    session: AsyncClientSession | None = None,
) -> dict[str, Any]:
    """A versioned update of a producer or product, keeping its folded `nameKey` with its name; a unique
    index refusing the change becomes the record's own DUPLICATE error."""
    if "name" in set_fields:
        set_fields = {**set_fields, "nameKey": fold(set_fields["name"])}
    try:
        return await versioned_update(
            collection, _id, expected_version=expected_version, set_fields=set_fields, unset_fields=unset_fields,
            what=what, session=session,
        )  # fmt: skip
    except DuplicateKeyError as exc:
        raise duplicate() from exc


def _and(*parts: dict[str, Any]) -> dict[str, Any]:
    present = [p for p in parts if p]
    if not present:
        return {}
    return present[0] if len(present) == 1 else {"$and": present}


def duplicate_external_id() -> DomainError:
    return DomainError.of("duplicate_external_id", "externalId")
