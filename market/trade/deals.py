"""Deals after acceptance: moving them through the pipeline (market.trade.pipeline) and signing their MoU."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession

from market.accounts.policy import Viewer
from market.catalog.validation import MAX_DEAL_VALUE_VND, MAX_MOQ, Checker, latest_done_day
from market.core.clock import midnight, today, utcnow
from market.core.errors import DomainError, conflict, not_found
from market.core.ids import parse_object_id
from market.core.paging import Listing, PageRequest
from market.trade import announcements, pipeline, policy
from market.trade.pipeline import DealState, OrderTerms
from market.trade.records import Deal

if TYPE_CHECKING:
    from market.store import Store


async def visible_deal(store: Store, viewer: Viewer, deal_id: str, field: str = "id") -> Deal:
    oid = parse_object_id(deal_id, field, "deal")
    deal = await store.trade.deal(oid)
    if deal is None or not policy.can_see_deal(viewer, deal):
        raise not_found(field, "deal")
    return deal


def _order_terms(check: Checker, data: Mapping[str, Any]) -> OrderTerms | None:
    quantity = check.integer("order.quantity", data.get("quantity"), required=True, minimum=1, maximum=MAX_MOQ)
    value = check.integer("order.valueVnd", data.get("valueVnd"), required=True, minimum=1, maximum=MAX_DEAL_VALUE_VND)
    delivery = check.day("order.deliveryDate", data.get("deliveryDate"))
    if data.get("deliveryDate") in (None, ""):
        check.add("required", "order.deliveryDate")
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
    if (
        await store.idempotency.replayed(
            account_id=viewer.account_id, operation="advanceDeal", key=idempotency_key, payload=payload
        )
        is not None
    ):
        return deal
    party = policy.deal_party(viewer, deal)
    # A stale view first, then the move itself, then who makes it, then its details.
    if deal.version != expected_version:
        raise conflict(expected_version, deal.version)
    pipeline.check_transition(deal.state, to, party)
    policy.ensure_can_move(viewer)
    check = Checker()
    cleaned_note = check.text("note", note, required=to in pipeline.NEEDS_REASON, max_len=1000) or ""
    terms = None
    if to in pipeline.NEEDS_ORDER:
        if order is None:
            check.add("order_terms_required", "order")
        else:
            terms = _order_terms(check, order)
    check.raise_if_any()
    if terms is not None:
        policy.ensure_order_within_limit(viewer, deal, terms.value_vnd)

    async def write(session: AsyncClientSession) -> ObjectId:
        current = await store.trade.deal(deal.id, session)
        assert current is not None
        if current.version != expected_version:
            raise conflict(expected_version, current.version)
        pipeline.check_transition(current.state, to, party)
        assert party is not None
        fields: dict[str, Any] = {"state": to.value}
        if terms is not None:
            fields["order"] = {
                "quantity": terms.quantity,
                "valueVnd": terms.value_vnd,
                "deliveryDate": midnight(terms.delivery_date),
            }
        entry = {"at": utcnow(), "by": viewer.account_id, "byName": viewer.name, "party": party.value,
                 "from": current.state.value, "to": to.value, "note": cleaned_note}  # fmt: skip
        await store.trade.update_deal(deal.id, expected_version, fields, push={"history": entry}, session=session)
        moved = await store.trade.deal(deal.id, session)
        assert moved is not None
        await announcements.deal_moved(store, session, moved, current.state.value, party)
        return deal.id

    await store.idempotency.once(
        account_id=viewer.account_id, operation="advanceDeal", key=idempotency_key, payload=payload, work=write
    )
    moved = await store.trade.deal(deal.id)
    assert moved is not None
    return moved


async def sign_mou(
    store: Store, viewer: Viewer, deal_id: str, data: Mapping[str, Any], *, idempotency_key: str | None = None
) -> Deal:
    deal = await visible_deal(store, viewer, deal_id)
    payload = {"deal": deal_id, **{k: str(v) for k, v in data.items()}}
    if (
        viewer is not None
        and await store.idempotency.replayed(
            account_id=viewer.account_id, operation="signMou", key=idempotency_key, payload=payload
        )
        is not None
    ):
        return deal
    viewer = policy.ensure_can_sign_mou(viewer, deal)
    if deal.state in (DealState.CANCELLED, DealState.LOST):
        raise DomainError.of("deal_without_mou", "id", state=deal.state.value)
    if deal.mou is not None:
        raise DomainError.of("mou_exists", "id")
    check = Checker()
    given = data.get("signedOn") not in (None, "")
    signed_on = check.day("signedOn", data.get("signedOn"), latest=latest_done_day()) if given else today()
    terms = check.text("termsSummary", data.get("termsSummary"), required=True, max_len=2000)
    urls = check.urls("documentUrl", [data["documentUrl"]]) if data.get("documentUrl") else None
    event_id = None
    if data.get("eventId"):
        event_id = parse_object_id(str(data["eventId"]), "eventId", "trade event")
        event = await store.trade.event(event_id)
        if event is None:
            check.add("not_found", "eventId", what="trade event")
        elif signed_on is not None and not event.starts_on <= signed_on <= event.ends_on:
            # Without a day the MoU is dated today: say so, as the client sent no signedOn to blame.
            check.add(
                "signed_outside_event" if given else "signed_today_outside_event",
                "signedOn",
                got=signed_on.isoformat(),
                startsOn=event.starts_on.isoformat(),
                endsOn=event.ends_on.isoformat(),
            )
    check.raise_if_any()
    assert signed_on is not None
    buyer = await store.buyers.get(deal.buyer_org_id)
    producer = await store.producers.get(deal.producer_id)
    mou = {
        "signedOn": midnight(signed_on),
        "parties": [buyer.name if buyer else "", producer.name if producer else ""],
        "termsSummary": terms,
        "documentUrl": urls[0] if urls else None,
        "eventId": event_id,
    }

    async def write(session: AsyncClientSession) -> ObjectId:
        if not await store.trade.add_mou(deal.id, mou, session):
            raise DomainError.of("mou_exists", "id")
        signed = await store.trade.deal(deal.id, session)
        assert signed is not None
        await announcements.mou_signed(store, session, signed)
        return deal.id

    await store.idempotency.once(
        account_id=viewer.account_id, operation="signMou", key=idempotency_key, payload=payload, work=write
    )
    signed = await store.trade.deal(deal.id)
    assert signed is not None
    return signed


async def deal_list(
    store: Store, viewer: Viewer, request: PageRequest, *, state: DealState | None = None
) -> Listing[Deal]:
    """Deals the viewer is a party to or oversees, newest first."""
    query = policy.deal_filter(viewer)
    if state is not None:
        query = {**query, "state": state.value}
    return Listing(await store.trade.deal_page(query, request), lambda: store.trade.count_deals(query))
