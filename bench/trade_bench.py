"""Trade figures on the 20,000-product data set: a buyer's inbox page (50 inquiries with product, producer and
quotations) over GraphQL against the raw MongoDB queries it needs, and `ocopStats` against its raw
aggregations."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from bson import ObjectId

from bench.common import (
    Bench,
    Latencies,
    SummaryRow,
    api_client,
    api_server,
    bench_clients,
    catalogue_file,
    graphql,
    ms,
    note,
    ratio,
    sample,
    sample_pair,
    text_table,
)
from market.accounts.policy import Principal
from market.accounts.records import Role
from market.accounts.services import create_account, issue_api_key
from market.catalog.importer import import_products
from market.trade.inquiries import Match, submit_inquiry
from market.trade.quotations import submit_quotation
from market.trade.records import Criteria
from market.trade.stats import ocop_stats

ROWS = 20_000
INQUIRIES = 60
PAGE = 50
REQUESTS = 300
WARMUP = 30

INBOX = """
query($n: Int) {
  inquiries(first: $n) {
    edges { node { id status quantity unit product { name priceVnd producer { name verified } }
      invitations { status producer { name } } quotations { current { unitPriceVnd leadTimeDays } } } }
  }
}"""
STATS = "query($p: ID) { ocopStats(province: $p) { productsTotal productsByStars { three four five } producersTotal dealsByState { state count } agreedValueVnd } }"


async def _no_matchmaking(criteria: Criteria, limit: int) -> list[Match]:
    raise RuntimeError("direct inquiries need no matchmaking")


async def _seed(bench: Bench) -> tuple[str, str, Principal]:
    """20k products; a buyer with INQUIRIES quoted direct inquiries; API keys of that buyer and an admin."""
    store = bench.store
    await store.ensure_indexes()
    with catalogue_file(ROWS) as path:
        report = await import_products(store, path)
    if report.failed:
        raise RuntimeError(f"import failed: {report.errors[:3]}")
    org = await store.buyers.insert({"name": "Bench supermarket", "kind": "supermarket_chain"})
    account = await create_account(store, name="Bench buyer", role=Role.BUYER, org_id=str(org.id))
    admin = await create_account(store, name="Bench admin", role=Role.ADMIN)
    buyer = Principal(account.id, account.name, Role.BUYER, org.id)
    products = await store.db["products"].find({"status": "published"}, limit=INQUIRIES).to_list(None)
    for product in products:
        inquiry = await submit_inquiry(
            store, buyer, {"productId": str(product["_id"]), "quantity": 100, "unit": "hộp"}, _no_matchmaking
        )
        maker = Principal(account.id, "maker", Role.PRODUCER, product["producerId"])
        await submit_quotation(store, maker, str(inquiry.id), {"unitPriceVnd": 40000, "leadTimeDays": 7})
    return (
        await issue_api_key(store, account.id, "bench"),
        await issue_api_key(store, admin.id, "bench"),
        buyer,
    )


async def _raw_inbox(bench: Bench, buyer: Principal) -> None:
    """The queries the inbox page needs, written by hand: inquiries, then products, producers and
    quotations of the page in three batched reads."""
    db = bench.store.db
    inquiries = (
        await db["inquiries"].find({"buyerOrgId": buyer.org_id}, sort=[("createdAt", -1)], limit=PAGE + 1).to_list(None)
    )
    product_ids = [i["productId"] for i in inquiries if i.get("productId")]
    producer_ids = list({p for i in inquiries for p in i["producerIds"]})
    await asyncio.gather(
        db["products"].find({"_id": {"$in": product_ids}}).to_list(None),
        db["producers"].find({"_id": {"$in": producer_ids}}).to_list(None),
        db["quotations"].find({"inquiryId": {"$in": [i["_id"] for i in inquiries]}}).to_list(None),
    )


async def _raw_stats(bench: Bench, province: str | None) -> None:
    await ocop_stats(bench.store, province, Principal(ObjectId(), "admin", Role.ADMIN))


async def run() -> tuple[str, list[SummaryRow]]:
    async with bench_clients() as bench:
        note(f"trade: importing {ROWS} products and {INQUIRIES} quoted inquiries")
        buyer_key, admin_key, buyer = await _seed(bench)
        async with (
            api_server(bench.settings) as url,
            api_client(url, buyer_key) as http,
            api_client(url, admin_key) as admin,
        ):
            note("trade: inbox page and ocopStats")

            async def inbox() -> None:
                data = await graphql(http, INBOX, {"n": PAGE})
                if len(data["inquiries"]["edges"]) != PAGE:
                    raise RuntimeError("the inbox page is not full")

            # Each side beside its raw reads, call by call, so that both meet the same machine load.
            inbox_ours, inbox_raw = await sample_pair([inbox], [lambda: _raw_inbox(bench, buyer)], REQUESTS, WARMUP)
            stats_national, stats_raw = await sample_pair(
                [lambda: graphql(admin, STATS, {"p": None})], [lambda: _raw_stats(bench, None)], REQUESTS, WARMUP
            )
            stats_province = await sample(lambda: graphql(admin, STATS, {"p": "86"}), REQUESTS, WARMUP)

    rows: Sequence[tuple[str, Latencies, Latencies | None]] = [
        (f"inbox page ({PAGE} inquiries, nested)", inbox_ours, inbox_raw),
        ("ocopStats national", stats_national, stats_raw),
        ("ocopStats Vĩnh Long", stats_province, None),
    ]
    table = text_table(
        f"trade on {ROWS} products ({REQUESTS} sequential requests each)",
        ("measure", "ours p50", "ours p95", "raw p50", "p50 ratio"),
        [(n, ms(o.p50), ms(o.p95), ms(r.p50) if r else "—", ratio(o.p50, r.p50) if r else "—") for n, o, r in rows],
    )
    summary = [
        SummaryRow(
            f"Buyer's inbox page over HTTP ({PAGE} inquiries with product, producer, quotations), p50 / p95",
            f"{ms(inbox_ours.p50)} / {ms(inbox_ours.p95)}",
            f"{ms(inbox_raw.p50)} (4 hand-written queries)",
            ratio(inbox_ours.p50, inbox_raw.p50),
        ),
        SummaryRow(
            f"`ocopStats` over HTTP on {ROWS:,} products, national / one province, p50",
            f"{ms(stats_national.p50)} / {ms(stats_province.p50)}",
            f"{ms(stats_raw.p50)} (its 4 aggregations, in process)",
            ratio(stats_national.p50, stats_raw.p50),
        ),
    ]
    return table, summary
