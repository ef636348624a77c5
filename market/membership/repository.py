"""The review queue of organisations that signed up: one entry per organisation, whichever collection
holds it, so that a provincial office pages through buyers and producers together, oldest first."""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from market.accounts.records import OrgKind, OrgStatus
from market.core.clock import utcnow
from market.core.paging import Page, PageRequest
from market.storage.keyset import fetch_page


class ReviewQueue:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._collection = db["organisation_reviews"]

    async def ensure_indexes(self) -> None:
        await self._collection.create_indexes(
            [
                IndexModel([("status", ASCENDING), ("provinceCode", ASCENDING), ("createdAt", ASCENDING)]),
                IndexModel([("orgId", ASCENDING)], unique=True, name="org_unique"),
            ]
        )

    async def add(
        self, org_id: ObjectId, kind: OrgKind, province_code: str | None, session: AsyncClientSession
    ) -> None:
        doc = {
            "orgId": org_id,
            "kind": kind.value,
            "provinceCode": province_code,
            "status": OrgStatus.PENDING.value,
            "createdAt": utcnow(),
        }
        await self._collection.insert_one(doc, session=session)

    async def close(self, org_id: ObjectId, status: OrgStatus, session: AsyncClientSession) -> None:
        await self._collection.update_one(
            {"orgId": org_id}, {"$set": {"status": status.value, "reviewedAt": utcnow()}}, session=session
        )

    async def pending_page(self, province_code: str | None, request: PageRequest) -> Page[tuple[OrgKind, ObjectId]]:
        return await fetch_page(
            self._collection,
            self._pending(province_code),
            [("createdAt", 1)],
            request,
            lambda d: (OrgKind(d["kind"]), d["orgId"]),
        )

    async def pending_count(self, province_code: str | None) -> int:
        return await self._collection.count_documents(self._pending(province_code))

    @staticmethod
    def _pending(province_code: str | None) -> dict[str, Any]:
        query: dict[str, Any] = {"status": OrgStatus.PENDING.value}
        if province_code is not None:
            query["provinceCode"] = province_code
        return query
