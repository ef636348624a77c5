"""The demo data set: curated OCOP products (data/demo/), buyer organisations and demo accounts."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from market.accounts import create_account, issue_api_key
from market.importer import ImportReport, import_products
from market.models import BuyerKind, Role
from market.provinces import load_provinces
from market.store import Store
from market.text import nfc

DEMO_DIR = Path(__file__).resolve().parent.parent / "data" / "demo"


@dataclass(slots=True)
class DemoKey:
    role: Role
    account: str
    organisation: str | None
    key: str


@dataclass(slots=True)
class DemoResult:
    report: ImportReport
    buyers: int
    keys: list[DemoKey]


async def is_empty(store: Store) -> bool:
    return await store.products.collection.estimated_document_count() == 0


async def seed_demo(store: Store, progress: Callable[[int, int], None] | None = None) -> DemoResult:
    report = await import_products(store, DEMO_DIR / "products.jsonl", progress)

    # Producers with a 4★ or better product have been visited by their provincial office.
    strong = await store.products.collection.distinct("producerId", {"stars": {"$gte": 4}})
    await store.producers.collection.update_many(
        {"_id": {"$in": strong}, "verified": False}, {"$set": {"verified": True}, "$inc": {"version": 1}}
    )

    buyers = json.loads((DEMO_DIR / "buyers.json").read_text(encoding="utf-8"))
    created_buyers = {}
    for row in buyers:
        existing = await store.buyers.find_by_name(nfc(row["name"]))
        if existing is None:
            match = load_provinces().resolve(row.get("province") or "")
            existing = await store.buyers.insert(
                {
                    "name": nfc(row["name"]),
                    "kind": BuyerKind(row["kind"]).value,
                    "provinceCode": match.province.code if match else None,
                    "contactEmail": row.get("contactEmail"),
                }
            )
        created_buyers[row["key"]] = existing

    keys: list[DemoKey] = []
    admin = await create_account(store, name="Quản trị viên OCOP", role=Role.ADMIN)
    keys.append(DemoKey(Role.ADMIN, admin.name, None, await issue_api_key(store, admin.id, "demo")))

    coordinator = await create_account(
        store, name="Văn phòng Điều phối OCOP Vĩnh Long", role=Role.COORDINATOR, province="Vĩnh Long"
    )
    keys.append(
        DemoKey(Role.COORDINATOR, coordinator.name, "Vĩnh Long", await issue_api_key(store, coordinator.id, "demo"))
    )

    producer_doc = await store.producers.collection.find_one({"nameKey": {"$regex": "^htx"}}, sort=[("nameKey", 1)])
    if producer_doc is not None:
        member = await create_account(store, name="Thành viên HTX", role=Role.PRODUCER, org_id=str(producer_doc["_id"]))
        keys.append(
            DemoKey(Role.PRODUCER, member.name, producer_doc["name"], await issue_api_key(store, member.id, "demo"))
        )

    chain = next((b for b in created_buyers.values() if b.kind is BuyerKind.SUPERMARKET_CHAIN), None)
    if chain is not None:
        buyer = await create_account(store, name="Nhân viên thu mua", role=Role.BUYER, org_id=str(chain.id))
        keys.append(DemoKey(Role.BUYER, buyer.name, chain.name, await issue_api_key(store, buyer.id, "demo")))
    return DemoResult(report=report, buyers=len(created_buyers), keys=keys)
