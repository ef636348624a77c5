"""Relevance of product search on the judged set in tests/relevance/: P@1, MRR@10 and nDCG@10 for our
search and, in the same run, for a Meilisearch index with default settings over the same products.

A query judged with no expected product (category `absent`: the catalogue lacks what it names) scores 1 on
every measure when the answer is empty, and 0 otherwise.

    python -m bench.relevance [--show-misses]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import secrets
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pymongo.monitoring import CommandListener

from api.settings import PROJECT_ROOT, Settings
from devservices.local import LocalServices
from market.catalog.importer import import_products
from market.core.paging import PageRequest
from market.store import Store
from search.client import MeiliClient
from search.service import ProductSearch
from search.settings import PRODUCTS
from workers.sync import SearchSync

FIXTURE = PROJECT_ROOT / "tests" / "relevance" / "products.jsonl"
QUERIES = PROJECT_ROOT / "tests" / "relevance" / "queries.json"
RAW_FIELDS = ["id", "name", "description", "category", "producerName", "provinceName", "formerProvince"]

Searcher = Callable[[str], Awaitable[list[str]]]  # query -> product names, best first


@dataclass(slots=True)
class Judged:
    query: str
    category: str
    expect: set[str]


@dataclass(slots=True)
class Score:
    queries: int = 0
    hits_at_1: int = 0
    reciprocal_ranks: float = 0.0
    gains: float = 0.0  # sum of nDCG@10
    misses: list[tuple[str, str, list[str]]] = field(default_factory=list)

    def add(self, judged: Judged, ranked: list[str]) -> None:
        self.queries += 1
        top = ranked[:10]
        if not judged.expect:
            right = not top
            self.hits_at_1 += right
            self.reciprocal_ranks += right
            self.gains += right
            if not right:
                self.misses.append((judged.category, judged.query, top[:3]))
            return
        rank = next((i + 1 for i, name in enumerate(top) if name in judged.expect), None)
        if rank == 1:
            self.hits_at_1 += 1
        else:
            self.misses.append((judged.category, judged.query, top[:3]))
        self.reciprocal_ranks += 1 / rank if rank else 0.0
        self.gains += ndcg_at_10(judged.expect, top)

    @property
    def p_at_1(self) -> float:
        return self.hits_at_1 / self.queries if self.queries else 0.0

    @property
    def mrr(self) -> float:
        return self.reciprocal_ranks / self.queries if self.queries else 0.0

    @property
    def ndcg(self) -> float:
        return self.gains / self.queries if self.queries else 0.0


def ndcg_at_10(expect: set[str], ranked: list[str]) -> float:
    """Binary relevance: an expected product gains 1, discounted by log2(rank + 1); normalised by the best
    possible list, which puts min(10, |expect|) expected products first."""
    dcg = sum(1 / math.log2(i + 2) for i, name in enumerate(ranked[:10]) if name in expect)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(10, len(expect))))
    return dcg / ideal


def load_judgements(path: Path = QUERIES) -> list[Judged]:
    return [Judged(q["query"], q["category"], set(q["expect"])) for q in json.loads(path.read_text("utf-8"))]


async def evaluate(search: Searcher, judged: list[Judged]) -> dict[str, Score]:
    """Scores per category, plus "all"."""
    scores: dict[str, Score] = defaultdict(Score)
    for item in judged:
        ranked = await search(item.query)
        scores[item.category].add(item, ranked)
        scores["all"].add(item, ranked)
    return dict(scores)


@dataclass(slots=True)
class Fixture:
    store: Store
    meili: MeiliClient
    index_uid: str
    raw_uid: str

    def ours(self) -> Searcher:
        service = ProductSearch(self.meili, self.index_uid, self.store)

        async def search(query: str) -> list[str]:
            page = await service.search(query, PageRequest(10), None)
            return [hit.product.name for hit in page.hits]

        return search

    def raw(self) -> Searcher:
        async def search(query: str) -> list[str]:
            body = await self.meili.search(self.raw_uid, {"q": query, "limit": 10, "attributesToRetrieve": ["name"]})
            return [hit["name"] for hit in body["hits"]]

        return search


async def load_fixture(settings: Settings, listeners: Sequence[CommandListener] = ()) -> Fixture:
    """The fixture imported into MongoDB and indexed by the real worker, plus a raw default index."""
    store = Store.connect(settings.resolved_mongodb_url, settings.db_name, listeners)
    meili = MeiliClient(settings.resolved_meili_url, settings.resolved_meili_key)
    await store.ensure_indexes()
    report = await import_products(store, FIXTURE)
    if report.failed:
        raise RuntimeError(f"the relevance fixture has bad rows: {report.errors[:3]}")
    index_uid = settings.index_uid(PRODUCTS)
    await SearchSync(store, meili, index_uid).run(once=True, timeout=120)
    raw_uid = settings.index_uid("raw_products")
    await meili.ensure_index(raw_uid)
    body = await meili.fetch_documents(index_uid, RAW_FIELDS, filter='status = "published"', limit=10_000)
    await meili.wait_task(await meili.add_documents(raw_uid, body["results"]))
    return Fixture(store, meili, index_uid, raw_uid)


async def drop_fixture(fixture: Fixture, settings: Settings) -> None:
    for uid in (fixture.index_uid, fixture.raw_uid):
        if await fixture.meili.get_index(uid) is not None:
            await fixture.meili.wait_task(await fixture.meili.delete_index(uid))
    await fixture.store.client.drop_database(settings.db_name)
    await fixture.store.close()
    await fixture.meili.close()


async def hit_inflation(fixture: Fixture, judged: list[Judged]) -> dict[str, float]:
    """How many more products our search returns than raw Meilisearch, per category (median ratio of
    estimated hit counts): the price of typo correction, synonyms and tone tokens in result-list size."""
    service = ProductSearch(fixture.meili, fixture.index_uid, fixture.store)
    ratios: dict[str, list[float]] = defaultdict(list)
    for item in judged:
        ours = (await service.search(item.query, PageRequest(1), None)).estimated_total
        raw = (await fixture.meili.search(fixture.raw_uid, {"q": item.query, "limit": 1}))["estimatedTotalHits"]
        if raw:  # where raw Meilisearch finds nothing (Telex, VNI) there is nothing to inflate
            ratios[item.category].append(ours / raw)
            ratios["all"].append(ours / raw)
    return {category: sorted(values)[len(values) // 2] for category, values in ratios.items()}


def table(ours: dict[str, Score], raw: dict[str, Score], inflation: dict[str, float]) -> str:
    lines = [
        "| category | queries | P@1 ours | P@1 raw | MRR@10 ours | MRR@10 raw | nDCG@10 ours | nDCG@10 raw "
        "| hits ours/raw (median) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for category in sorted(ours, key=lambda c: (c == "all", c)):
        o, r = ours[category], raw[category]
        lines.append(
            f"| {category} | {o.queries} | {o.p_at_1:.2f} | {r.p_at_1:.2f} | {o.mrr:.2f} | {r.mrr:.2f} "
            f"| {o.ndcg:.2f} | {r.ndcg:.2f} "
            f"| {f'{inflation[category]:.2f}' if category in inflation else '–'} |"
        )
    return "\n".join(lines)


async def main(show_misses: bool) -> None:
    LocalServices(Settings()).start()
    tag = secrets.token_hex(3)
    settings = Settings(OCOP_DB_NAME=f"ocop_relevance_{tag}", OCOP_INDEX_PREFIX=f"relevance_{tag}_")
    fixture = await load_fixture(settings)
    try:
        judged = load_judgements()
        ours = await evaluate(fixture.ours(), judged)
        raw = await evaluate(fixture.raw(), judged)
        inflation = await hit_inflation(fixture, judged)
    finally:
        await drop_fixture(fixture, settings)
    print(f"Relevance on {len(judged)} judged queries (tests/relevance/), `python -m bench.relevance`:\n")
    print(table(ours, raw, inflation))
    if show_misses:
        print("\nmisses (ours):")
        for category, query, top in ours["all"].misses:
            print(f"  [{category}] {query!r} -> {top}")


def cli(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args(argv)
    asyncio.run(main(args.show_misses))


if __name__ == "__main__":
    cli()
