"""Moving deals through the pipeline, signing MoUs, and the trade events where they are signed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession

from market import deals, permissions
from market.deals import DealState, OrderTerms, Party
from market.errors import DomainError, ErrorCode, conflict, not_found
from market.idempotency import once, replayed
from market.permissions import Viewer
from market.repositories.base import parse_object_id, utcnow
from market.store import Store
from market.trade import Deal, TradeEvent
from market.validation import MAX_MOQ, MAX_NAME, MAX_PRICE_VND, Checker


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


async def visible_deal(store: Store, viewer: Viewer, deal_id: str, field: str = "id") -> Deal:
    oid = parse_object_id(deal_id, field, "deal")
    deal = await store.trade.deal(oid)
    if deal is None or not can_see_deal(viewer, deal):
        raise not_found(field, "deal")
    return deal


def can_see_deal(viewer: Viewer, deal: Deal) -> bool:
    return permissions.can_see_trade(viewer, deal.buyer_org_id, [deal.producer_id], [deal.producer_province_code])


def party_of(viewer: Viewer, deal: Deal) -> Party | None:
    return permissions.deal_party(viewer, deal.buyer_org_id, deal.producer_id)


def _order_terms(check: Checker, data: Mapping[str, Any]) -> OrderTerms | None:
    quantity = check.integer("order.quantity", data.get("quantity"), required=True, minimum=1, maximum=MAX_MOQ)
    value = check.integer(
        "order.valueVnd", data.get("valueVnd"), required=True, minimum=1, maximum=MAX_PRICE_VND * 1000
    )
    delivery = check.day("order.deliveryDate", data.get("deliveryDate"))
    if delivery is None:
        check.add(ErrorCode.REQUIRED, "order.deliveryDate", "order.deliveryDate is required")
    if quantity is None or value is None or delivery is None:
        return None
    return OrderTerms(quantity, value, delivery)


async def advance_deal(
    store: Store,
    viewer: Viewer,
    deal_id: str,
    to: DealState,
    expected_version: int,
    *,
    note: str | None = None,
    order: Mapping[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> Deal:
    deal = await visible_deal(store, viewer, deal_id)
    assert viewer is not None
    payload = {"deal": deal_id, "to": to.value, "version": expected_version, "note": note, "order": order}
    if (await replayed(store, account_id=viewer.account_id, operation="advanceDeal", key=idempotency_key,
                       payload=payload)) is not None:  # fmt: skip
        return deal
    party = party_of(viewer, deal)
    # A stale view first, then the move itself, then who makes it, then its details.
    if deal.version != expected_version:
        raise conflict(expected_version, deal.version)
    deals.check_transition(deal.state, to, party)
    assert viewer is not None
    check = Checker()
    cleaned_note = check.text("note", note, required=to in deals.NEEDS_REASON, max_len=1000) or ""
    terms = None
    if to in deals.NEEDS_ORDER:
        if order is None:
            check.add(ErrorCode.REQUIRED, "order", "placing the order needs its quantity, value and delivery date")
        else:
            terms = _order_terms(check, order)
    check.raise_if_any()

    async def write(session: AsyncClientSession) -> ObjectId:
        current = await store.trade.deals.find_one({"_id": deal.id}, session=session)
        assert current is not None
        if current["version"] != expected_version:
            raise conflict(expected_version, current["version"])
        state = DealState(current["state"])
        deals.check_transition(state, to, party)
        assert party is not None
        now = utcnow()
        update: dict[str, Any] = {
            "$set": {"state": to.value, "updatedAt": now},
            "$push": {
                "history": {"at": now, "by": viewer.account_id, "byName": viewer.name, "party": party.value,
                            "from": state.value, "to": to.value, "note": cleaned_note}
            },
            "$inc": {"version": 1},
        }  # fmt: skip
        if terms is not None:
            update["$set"]["order"] = {
                "quantity": terms.quantity,
                "valueVnd": terms.value_vnd,
                "deliveryDate": _midnight(terms.delivery_date),
            }
        result = await store.trade.deals.update_one(
            {"_id": deal.id, "version": expected_version, "state": state.value}, update, session=session
        )
        if result.modified_count != 1:
            latest = await store.trade.deals.find_one({"_id": deal.id}, {"version": 1}, session=session)
            raise conflict(expected_version, latest["version"] if latest else 0)
        return deal.id

    await once(
        store, account_id=viewer.account_id, operation="advanceDeal", key=idempotency_key, payload=payload, work=write
    )
    moved = await store.trade.deal(deal.id)
    assert moved is not None
    return moved


async def sign_mou(
    store: Store, viewer: Viewer, deal_id: str, data: Mapping[str, Any], *, idempotency_key: str | None = None
) -> Deal:
    deal = await visible_deal(store, viewer, deal_id)
    payload = {"deal": deal_id, **{k: str(v) for k, v in data.items()}}
    if viewer is not None and await replayed(
        store, account_id=viewer.account_id, operation="signMou", key=idempotency_key, payload=payload
    ):
        return deal
    if party_of(viewer, deal) is None:
        raise DomainError.single(ErrorCode.FORBIDDEN, None, "only the buyer or the producer of the deal signs its MoU")
    assert viewer is not None
    if deal.state in (DealState.CANCELLED, DealState.LOST):
        raise DomainError.single(ErrorCode.INVALID_STATE, "id", f"a {deal.state.value} deal cannot get an MoU")
    if deal.mou is not None:
        raise DomainError.single(ErrorCode.INVALID_STATE, "id", "this deal already has an MoU")
    check = Checker()
    signed_on = check.day("signedOn", data.get("signedOn")) or date.today()
    terms = check.text("termsSummary", data.get("termsSummary"), required=True, max_len=2000)
    urls = check.urls("documentUrl", [data["documentUrl"]]) if data.get("documentUrl") else None
    event_id = None
    if data.get("eventId"):
        event_id = parse_object_id(str(data["eventId"]), "eventId", "trade event")
        if await store.trade.event(event_id) is None:
            check.add(ErrorCode.NOT_FOUND, "eventId", "trade event does not exist")
    check.raise_if_any()
    buyer = await store.buyers.get(deal.buyer_org_id)
    producer = await store.producers.get(deal.producer_id)
    mou = {
        "signedOn": _midnight(signed_on),
        "parties": [buyer.name if buyer else "", producer.name if producer else ""],
        "termsSummary": terms,
        "documentUrl": urls[0] if urls else None,
        "eventId": event_id,
    }

    async def write(session: AsyncClientSession) -> ObjectId:
        result = await store.trade.deals.update_one(
            {"_id": deal.id, "mou": {"$exists": False}},
            {"$set": {"mou": mou, "updatedAt": utcnow()}, "$inc": {"version": 1}},
            session=session,
        )
        if result.modified_count != 1:
            raise DomainError.single(ErrorCode.INVALID_STATE, "id", "this deal already has an MoU")
        return deal.id

    await once(
        store, account_id=viewer.account_id, operation="signMou", key=idempotency_key,
        payload=payload, work=write,
    )  # fmt: skip
    signed = await store.trade.deal(deal.id)
    assert signed is not None
    return signed


# --- trade events ------------------------------------------------------------------------------------


async def create_trade_event(store: Store, viewer: Viewer, data: Mapping[str, Any]) -> TradeEvent:
    check = Checker()
    name = check.text("name", data.get("name"), required=True, max_len=MAX_NAME)
    organiser = check.text("organiser", data.get("organiser"), required=True, max_len=MAX_NAME)
    venue = check.text("venue", data.get("venue"), required=False, max_len=MAX_NAME) or ""
    province = check.province("province", data.get("province"), required=True)
    starts = check.day("startsOn", data.get("startsOn"))
    ends = check.day("endsOn", data.get("endsOn"))
    if starts is None:
        check.add(ErrorCode.REQUIRED, "startsOn", "startsOn is required")
    if starts and ends and ends < starts:
        check.add(ErrorCode.INVALID, "endsOn", "endsOn is before startsOn")
    booths = []
    for index, raw in enumerate(data.get("booths") or []):
        number = check.text(f"booths[{index}].number", raw.get("number"), required=True, max_len=20)
        producer_id = parse_object_id(str(raw.get("producerId")), f"booths[{index}].producerId", "producer")
        product_ids = [
            parse_object_id(str(p), f"booths[{index}].productIds", "product") for p in raw.get("productIds") or []
        ]
        booths.append({"number": number or "", "producerId": producer_id, "productIds": product_ids})
    buyer_ids = [parse_object_id(str(b), "buyerOrgIds", "buyer organisation") for b in data.get("buyerOrgIds") or []]
    check.raise_if_any()
    assert province is not None and starts is not None
    permissions.ensure_can_organise_event(viewer, province.province.code)
    known = {p.id for p in await store.producers.get_many([ObjectId(str(b["producerId"])) for b in booths])}
    for index, booth in enumerate(booths):
        if booth["producerId"] not in known:
            check.add(ErrorCode.NOT_FOUND, f"booths[{index}].producerId", "producer does not exist")
    buyers = {b.id for b in await store.buyers.get_many(buyer_ids)}
    if missing := [str(b) for b in buyer_ids if b not in buyers]:
        check.add(ErrorCode.NOT_FOUND, "buyerOrgIds", f"unknown buyer organisations: {', '.join(missing)}")
    check.raise_if_any()
    now = utcnow()
    doc = {
        "name": name,
        "organiser": organiser,
        "provinceCode": province.province.code,
        "venue": venue,
        "startsOn": _midnight(starts),
        "endsOn": _midnight(ends or starts),
        "booths": booths,
        "buyerOrgIds": buyer_ids,
        "createdAt": now,
        "version": 1,
    }
    result = await store.trade.events.insert_one(doc)
    return TradeEvent.from_doc({**doc, "_id": result.inserted_id})


@dataclass(slots=True)
class EventReport:
    mous_signed: int
    deals: list[Deal]
    value_vnd: int


async def event_report(store: Store, viewer: Viewer, event: TradeEvent) -> EventReport | None:
    """MoUs signed at the event, the deals they led to and their value; None for viewers without access."""
    if not permissions.can_see_event_report(viewer, event.province_code):
        return None
    docs = await store.trade.deals.find({"mou.eventId": event.id}).to_list(None)
    signed = [Deal.from_doc(d) for d in docs]
    live = [d for d in signed if d.state not in (DealState.CANCELLED, DealState.LOST)]
    return EventReport(mous_signed=len(signed), deals=signed, value_vnd=sum(d.value_vnd for d in live))
