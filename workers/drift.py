"""Drift between MongoDB (the truth) and the products index."""

from __future__ import annotations

from dataclasses import dataclass, field

from market.catalog.records import ProductStatus
from market.store import Store
from search.client import MeiliClient
from search.documents import VERSION_FIELDS


@dataclass(slots=True)
class DriftReport:
    expected: int = 0
    indexed: int = 0
    missing: list[str] = field(default_factory=list)  # in MongoDB, not in the index
    stale: list[str] = field(default_factory=list)  # indexed at an older product or producer version
    orphans: list[str] = field(default_factory=list)  # in the index, but deleted or archived in MongoDB
    # indexed at a version MongoDB does not hold: a write the index saw that a failover then took back
    ahead: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.missing or self.stale or self.orphans or self.ahead)


async def check_drift(store: Store, meili: MeiliClient, index_uid: str) -> DriftReport:
    producer_versions = await store.producers.versions()
    expected = {
        str(product_id): {"version": version, "producerVersion": producer_versions.get(producer_id, 0)}
        for product_id, version, producer_id in await store.products.versions(
            {"status": {"$ne": ProductStatus.ARCHIVED.value}}
        )
    }
    indexed = {}
    if await meili.get_index(index_uid) is not None:
        indexed = {d["id"]: d for d in await meili.all_documents(index_uid, ["id", *VERSION_FIELDS])}
    report = DriftReport(expected=len(expected), indexed=len(indexed))
    for doc_id, versions in expected.items():
        seen = indexed.get(doc_id)
        if seen is None:
            report.missing.append(doc_id)
        elif any(seen.get(f, 0) < versions[f] for f in VERSION_FIELDS):
            report.stale.append(doc_id)
        elif any(seen.get(f, 0) > versions[f] for f in VERSION_FIELDS):
            report.ahead.append(doc_id)
    report.orphans = sorted(set(indexed) - set(expected))
    return report
