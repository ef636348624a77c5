"""The demo data set: curated OCOP products (data/demo/), buyer organisations, demo accounts, and a trade
history (data/demo/trade.json) played through the same use cases the API calls."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bson import ObjectId

from market.accounts.policy import Principal, principal_of
from market.accounts.records import Account, BuyerKind, BuyerOrg, Role
from market.accounts.services import create_account, issue_api_key
from market.catalog.importer import ImportReport, import_products
from market.catalog.records import Product
from market.core.clock import today
from market.core.provinces import load_provinces
from market.core.text import nfc
from market.notifications.channels import InApp
from market.notifications.fanout import fan_out_pending
from market.store import Store
from market.trade.deals import advance_deal, sign_mou
from market.trade.events import create_trade_event
from market.trade.inquiries import Match, Matcher, send_message, submit_inquiry
from market.trade.pipeline import DealState
from market.trade.quotations import accept_quotation, decline_quotation, submit_quotation
from market.trade.records import Criteria, Deal, Quotation

DEMO_DIR = Path(__file__).resolve().parent.parent / "data" / "demo"

# The demo producer key belongs to a Cầu Kè coconut-candy cooperative, so that the README's trading tour
# (an open RFQ for "kẹo dừa" at 4★ or more) reaches it; the demo buyer key to the first supermarket chain;
# a second buyer key, to another organisation, shows what a stranger to a trade does not see.
DEMO_PRODUCER = "HTX Dừa sáp Cầu Kè"
OTHER_BUYER = "vna-catering"


@dataclass(slots=True)
class DemoKey:
    role: Role
    account: str
    organisation: str | None
    key: str
    email: str = ""
    password: str = ""  # demo only: printed so that people can sign in


@dataclass(slots=True)
class TradeCounts:
    """What the trade side of the database holds (after the seed, whether or not it added the history)."""

    events: int = 0
    inquiries: int = 0
    open_inquiries: int = 0
    quotations: int = 0
    revisions: int = 0
    declined: int = 0
    messages: int = 0
    deals_by_state: dict[str, int] = field(default_factory=dict)
    mous: int = 0


@dataclass(slots=True)
class DemoResult:
    report: ImportReport
    buyers: int
    keys: list[DemoKey]
    trade: TradeCounts = field(default_factory=TradeCounts)
    trade_seeded: bool = False


async def is_empty(store: Store) -> bool:
    return await store.products.is_empty()


# Every demo person signs in with this password and their printed email; demo data only.
DEMO_PASSWORD = "Mua-ban-dac-san-2025"


async def _person(store: Store, email: str, **fields: Any) -> Account:
    """The demo person with this email: made once, found again when the demo is loaded again."""
    found = await store.accounts.credentials(email)
    if found is not None:
        return found[0]
    return await create_account(store, email=email, password=DEMO_PASSWORD, **fields)


async def _demo_key(store: Store, role: Role, account: Account, organisation: str | None) -> DemoKey:
    key = await issue_api_key(store, account.id, "demo")
    return DemoKey(role, account.name, organisation, key, account.email or "", DEMO_PASSWORD)


async def seed_demo(store: Store, progress: Callable[[int, int], None] | None = None) -> DemoResult:
    report = await import_products(store, DEMO_DIR / "products.jsonl", progress)

    # Producers with a 4★ or better product have been visited by their provincial office.
    await store.producers.mark_verified(await store.products.producer_ids_with_stars(4))

    buyers = json.loads((DEMO_DIR / "buyers.json").read_text(encoding="utf-8"))
    created_buyers: dict[str, BuyerOrg] = {}
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
    members: dict[ObjectId, Principal] = {}
    admin = await _person(store, "quantri@ocop-demo.vn", name="Quản trị viên OCOP", role=Role.ADMIN)
    keys.append(await _demo_key(store, Role.ADMIN, admin, None))

    coordinator = await _person(
        store,
        "vinhlong@ocop-demo.vn",
        name="Văn phòng Điều phối OCOP Vĩnh Long",
        role=Role.COORDINATOR,
        province="Vĩnh Long",
    )
    keys.append(await _demo_key(store, Role.COORDINATOR, coordinator, "Vĩnh Long"))

    producer = await store.producers.find_by_name(DEMO_PRODUCER) or await store.producers.first_named_like("htx")
    if producer is not None:
        member = await _person(
            store, "htx-caukedua@ocop-demo.vn", name="Thành viên HTX", role=Role.PRODUCER, org_id=str(producer.id)
        )
        members[producer.id] = principal_of(member)
        keys.append(await _demo_key(store, Role.PRODUCER, member, producer.name))

    chain = next((b for b in created_buyers.values() if b.kind is BuyerKind.SUPERMARKET_CHAIN), None)
    if chain is not None:
        buyer = await _person(
            store, "thumua@ocop-demo.vn", name="Nhân viên thu mua", role=Role.BUYER, org_id=str(chain.id)
        )
        members[chain.id] = principal_of(buyer)
        keys.append(await _demo_key(store, Role.BUYER, buyer, chain.name))

    other = created_buyers.get(OTHER_BUYER)
    if other is not None:
        buyer = await _person(
            store, "cungung@ocop-demo.vn", name="Tổ cung ứng suất ăn", role=Role.BUYER, org_id=str(other.id)
        )
        members[other.id] = principal_of(buyer)
        keys.append(await _demo_key(store, Role.BUYER, buyer, other.name))

    # The trade history is added once, to a database without any trade yet.
    seeded = False
    if await store.trade.has_no_inquiries():
        history = json.loads((DEMO_DIR / "trade.json").read_text(encoding="utf-8"))
        await TradeSeeder(store, created_buyers, members, principal_of(admin)).run(history)
        # The history's events become in-app notifications only: nobody is emailed about trade of the past.
        while (await fan_out_pending(store, channels=(InApp(),))).events:
            pass
        seeded = True
    return DemoResult(
        report=report,
        buyers=len(created_buyers),
        keys=keys,
        trade=await trade_counts(store),
        trade_seeded=seeded,
    )


# --- matchmaking for the seed ------------------------------------------------------------------------

_WORD = re.compile(r"\w+")


def _words(text: str) -> list[str]:
    return _WORD.findall(nfc(text).casefold())


def catalogue_matcher(store: Store) -> Matcher:
    """Seed-only matchmaking, straight from MongoDB: producers with published products that meet the RFQ's
    groups, provinces, stars and certifications and whose name or category holds every word of its query,
    tones included. The API matches through the search index instead (`search.matchmaking.matcher_for`),
    with its Vietnamese handling; the seed runs before the sync worker has indexed anything."""

    async def match(criteria: Criteria, limit: int) -> list[Match]:
        candidates = await store.products.published_meeting(
            min_stars=criteria.min_stars,
            groups=criteria.groups,
            provinces=criteria.provinces,
            certifications=criteria.certifications,
        )
        wanted = _words(criteria.query)
        ranked = []
        for product in candidates:
            name_words = _words(product.name)
            if not set(wanted) <= set(name_words + _words(product.category)):
                continue
            # Names that start with the query first ("Kẹo dừa …" before "Hộp quà kẹo dừa …"), then names
            # with the fewest other words ("Nước mắm Phú Quốc 35 độ đạm" for a plain RFQ), then stars.
            position = name_words.index(wanted[0]) if wanted and wanted[0] in name_words else len(name_words)
            ranked.append((position, len(name_words), -product.stars, product.name.casefold(), product))
        ranked.sort(key=lambda r: r[:4])
        found: dict[ObjectId, list[Product]] = {}
        for *_, product in ranked:
            products = found.get(product.producer_id)
            if products is None:
                if len(found) >= limit:
                    continue
                products = found[product.producer_id] = []
            if len(products) < 5:
                products.append(product)
        return [
            Match(pid, [p.id for p in products], "matched: " + "; ".join(p.name for p in products))
            for pid, products in found.items()
        ]

    return match


# --- the trade history -------------------------------------------------------------------------------


class TradeSeeder:
    """Plays data/demo/trade.json: a trade event, then inquiries with their quotations, messages, declines
    and acceptance, then each deal's moves and MoU, every step by the party that takes it in the product.

    Everything is dated by the use cases' own clocks, so the whole history happens on the day the seed
    runs; the trade event is placed around that day."""

    def __init__(
        self, store: Store, buyers: dict[str, BuyerOrg], members: dict[ObjectId, Principal], admin: Principal
    ) -> None:
        self.store = store
        self.buyers = buyers
        self.members = members
        self.admin = admin
        self.matcher = catalogue_matcher(store)
        self.today = today()
        self.producer_ids: dict[str, ObjectId] = {}
        self.member_names: dict[str, str] = {}
        self.event_id: ObjectId | None = None

    async def run(self, history: dict[str, Any]) -> None:
        names = history.get("members", {})
        self.member_names = {**names.get("buyers", {}), **names.get("producers", {})}
        if history.get("event"):
            await self.event(history["event"])
        for story in history.get("inquiries", []):
            await self.inquiry(story)

    # who is who

    async def producer_id(self, name: str) -> ObjectId:
        if name not in self.producer_ids:
            producer = await self.store.producers.find_by_name(nfc(name))
            if producer is None:
                raise LookupError(f"trade.json names an unknown producer: {name}")
            self.producer_ids[name] = producer.id
        return self.producer_ids[name]

    async def product_id(self, producer: str, name: str) -> ObjectId:
        pid = await self.producer_id(producer)
        product = await self.store.products.find_by_name(pid, nfc(name))
        if product is None:
            raise LookupError(f"trade.json names an unknown product of {producer}: {name}")
        return product.id

    async def member(self, org_id: ObjectId, role: Role, label: str) -> Principal:
        """The organisation's member account, created on first use."""
        if org_id not in self.members:
            default = "Nhân viên thu mua" if role is Role.BUYER else "Thành viên kinh doanh"
            account = await create_account(
                self.store, name=self.member_names.get(label, default), role=role, org_id=str(org_id)
            )
            self.members[org_id] = principal_of(account)
        return self.members[org_id]

    async def buyer(self, key: str) -> Principal:
        return await self.member(self.buyers[key].id, Role.BUYER, key)

    async def producer(self, name: str) -> Principal:
        return await self.member(await self.producer_id(name), Role.PRODUCER, name)

    def day(self, days: int | None) -> date | None:
        return None if days is None else self.today + timedelta(days=days)

    # the event, the inquiries, the deals

    async def event(self, spec: dict[str, Any]) -> None:
        booths = [
            {
                "number": booth["number"],
                "producerId": await self.producer_id(booth["producer"]),
                "productIds": [await self.product_id(booth["producer"], p) for p in booth.get("products", [])],
            }
            for booth in spec.get("booths", [])
        ]
        event = await create_trade_event(
            self.store,
            self.admin,
            {
                "name": spec["name"],
                "organiser": spec["organiser"],
                "province": spec["province"],
                "venue": spec.get("venue"),
                "startsOn": self.day(spec.get("startsInDays", 0)),
                "endsOn": self.day(spec.get("endsInDays", 0)),
                "booths": booths,
                "buyerOrgIds": [self.buyers[key].id for key in spec.get("buyers", [])],
            },
        )
        self.event_id = event.id

    async def inquiry(self, story: dict[str, Any]) -> None:
        buyer = await self.buyer(story["buyer"])
        data: dict[str, Any] = {
            key: story[key]
            for key in ("quantity", "unit", "targetUnitPriceVnd", "deliveryProvince", "message", "expiresInDays")
            if story.get(key) is not None
        }
        if story.get("product"):
            data["productId"] = str(await self.product_id(story["product"]["producer"], story["product"]["name"]))
        else:
            data["criteria"] = story["criteria"]
        data["neededBy"] = self.day(story.get("neededInDays"))
        inquiry = await submit_inquiry(self.store, buyer, data, self.matcher)
        quotations: dict[str, Quotation] = {}
        deal: Deal | None = None
        for step in story.get("steps", []):
            if "quote" in step:
                quote = {k: v for k, v in step.items() if k != "quote"}
                quotations[step["quote"]] = await submit_quotation(
                    self.store, await self.producer(step["quote"]), str(inquiry.id), quote
                )
            elif "message" in step:
                author = buyer if step["from"] == "buyer" else await self.producer(step["message"])
                message = {k: v for k, v in step.items() if k not in ("message", "from")}
                message["producerId"] = str(await self.producer_id(step["message"]))
                await send_message(self.store, author, str(inquiry.id), message)
            elif "decline" in step:
                await decline_quotation(self.store, buyer, str(quotations[step["decline"]].id), step["reason"])
            elif "accept" in step:
                quotation = quotations[step["accept"]]
                accepted = await accept_quotation(self.store, buyer, str(quotation.id), quotation.current.number)
                assert isinstance(accepted, Deal)  # demo buyers have no spending limit
                deal = accepted
        if deal is not None:
            producer = self.members[deal.producer_id]  # it quoted, so its member exists
            for step in story.get("deal", []):
                party = buyer if (step.get("by") or step.get("mou")) == "buyer" else producer
                deal = await self.move(deal, party, step)

    async def move(self, deal: Deal, party: Principal, step: dict[str, Any]) -> Deal:
        if "mou" in step:
            mou = {"termsSummary": step["termsSummary"], "signedOn": self.today, "eventId": self.event_id}
            return await sign_mou(self.store, party, str(deal.id), mou)
        order = None
        if step.get("order"):
            quantity = step["order"]["quantity"]
            order = {
                "quantity": quantity,
                "valueVnd": step["order"].get("valueVnd", quantity * deal.unit_price_vnd),
                "deliveryDate": self.day(step["order"].get("deliveryInDays", 0)),
            }
        return await advance_deal(
            self.store, party, str(deal.id), DealState(step["to"]), deal.version, note=step.get("note"), order=order
        )


async def trade_counts(store: Store) -> TradeCounts:
    return TradeCounts(**await store.trade.counts())
