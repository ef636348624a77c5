"""Trade events: supply–demand matchmaking forums with producers' booths and visiting buyers, and the
report of the MoUs signed there."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bson import ObjectId

from market.accounts.policy import Viewer
from market.catalog import policy as catalog_policy
from market.catalog.records import ProductStatus
from market.catalog.validation import MAX_NAME, Checker
from market.core.clock import midnight, utcnow
from market.core.ids import parse_object_id
from market.core.paging import Listing, PageRequest
from market.trade import policy
from market.trade.pipeline import DealState
from market.trade.records import Deal, TradeEvent

if TYPE_CHECKING:
    from market.store import Store


async def create_trade_event(store: Store, viewer: Viewer, data: Mapping[str, Any]) -> TradeEvent:
    check = Checker()
    name = check.text("name", data.get("name"), required=True, max_len=MAX_NAME)
    organiser = check.text("organiser", data.get("organiser"), required=True, max_len=MAX_NAME)
    venue = check.text("venue", data.get("venue"), required=False, max_len=MAX_NAME) or ""
    province = check.province("province", data.get("province"), required=True)
    starts = check.day("startsOn", data.get("startsOn"))
    ends = check.day("endsOn", data.get("endsOn"))
    if data.get("startsOn") in (None, ""):
        check.add("required", "startsOn")
    if starts and ends and ends < starts:
        check.add("before", "endsOn", other="startsOn")
    booths: list[dict[str, Any]] = []
    # Visitors find a booth by its number: "A1" and "a1" would send them to two places.
    numbered: dict[str, tuple[int, str]] = {}
    for index, raw in enumerate(data.get("booths") or []):
        number = check.text(f"booths[{index}].number", raw.get("number"), required=True, max_len=20)
        if number is not None:
            first, taken = numbered.setdefault(number.casefold(), (index, number))
            if first != index:
                check.add("duplicate_booth_number", f"booths[{index}].number", number=taken, other=first)
        producer_id = parse_object_id(str(raw.get("producerId")), f"booths[{index}].producerId", "producer")
        product_ids = [
            parse_object_id(str(p), f"booths[{index}].productIds", "product") for p in raw.get("productIds") or []
        ]
        if repeated := [str(p) for p in dict.fromkeys(product_ids) if product_ids.count(p) > 1]:
            check.add("booth_products_repeated", f"booths[{index}].productIds", ids=repeated)
        booths.append({"number": number or "", "producerId": producer_id, "productIds": product_ids})
    buyer_ids = [parse_object_id(str(b), "buyerOrgIds", "buyer organisation") for b in data.get("buyerOrgIds") or []]
    check.raise_if_any()
    assert province is not None and starts is not None
    policy.ensure_can_organise_event(viewer, province.province.code)
    known = {p.id for p in await store.producers.get_many([ObjectId(str(b["producerId"])) for b in booths])}
    for index, booth in enumerate(booths):
        if booth["producerId"] not in known:
            check.add("not_found", f"booths[{index}].producerId", what="producer")
    shown = list(dict.fromkeys(p for booth in booths for p in booth["productIds"]))
    # A product the organiser may not see in the catalogue is unknown to it, as `product(id)` answers: saying
    # it is a draft, or another producer's, would tell what the catalogue hides.
    found = await store.products.get_many(shown) if shown else []
    products = {p.id: p for p in found if catalog_policy.can_see_product(viewer, p)}
    for index, booth in enumerate(booths):
        field = f"booths[{index}].productIds"
        if missing := [str(p) for p in booth["productIds"] if p not in products]:
            check.add("unknown_products", field, ids=missing)
        ours = [products[p] for p in booth["productIds"] if p in products]
        # A booth whose producer is unknown has its own error; every product would read as someone else's.
        if booth["producerId"] in known:
            if elsewhere := [str(p.id) for p in ours if p.producer_id != booth["producerId"]]:
                check.add("booth_products_of_others", field, ids=elsewhere)
            ours = [p for p in ours if p.producer_id == booth["producerId"]]
        # The event is public, and its booths with it: what they show is what the catalogue shows everyone.
        if unpublished := [str(p.id) for p in ours if p.status is not ProductStatus.PUBLISHED]:
            check.add("booth_products_not_published", field, ids=unpublished)
    buyers = {b.id for b in await store.buyers.get_many(buyer_ids)}
    if missing := [str(b) for b in buyer_ids if b not in buyers]:
        check.add("unknown_buyers", "buyerOrgIds", ids=missing)
    check.raise_if_any()
    now = utcnow()
    doc = {
        "name": name,
        "organiser": organiser,
        "provinceCode": province.province.code,
        "venue": venue,
        "startsOn": midnight(starts),
        "endsOn": midnight(ends or starts),
        "booths": booths,
        "buyerOrgIds": buyer_ids,
        "createdAt": now,
        "version": 1,
    }
    return await store.trade.insert_event(doc)


@dataclass(slots=True)
class EventReport:
    mous_signed: int
    deals: list[Deal]
    value_vnd: int


async def event_report(store: Store, viewer: Viewer, event: TradeEvent) -> EventReport | None:
    """MoUs signed at the event, the deals they led to and their value, over the deals this viewer may see;
    None for viewers without access."""
    if not policy.can_see_event_report(viewer, event.province_code):
        return None
    signed = await store.trade.deals_signed_at(event.id)
    # Only the deals `deal(id)` shows this viewer (an office sees its own producers' deals, an admin all):
    # totals over more would tell an office the value of another province's deal.
    shown = [d for d in signed if policy.can_see_deal(viewer, d)]
    live = [d for d in shown if d.state not in (DealState.CANCELLED, DealState.LOST)]
    return EventReport(mous_signed=len(shown), deals=shown, value_vnd=sum(d.value_vnd for d in live))


async def event_list(store: Store, request: PageRequest) -> Listing[TradeEvent]:
    """Trade events are public: latest first."""
    return Listing(await store.trade.event_page(request), store.trade.count_events)
