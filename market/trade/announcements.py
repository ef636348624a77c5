"""The business events of trade, written to the outbox (market/events/) inside the transaction of the change
they announce. `policy` decides who hears of each; the payloads here hold only what that audience may see
(global ids, as the API hands them out, and the figures of the change)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession

from market.accounts.records import Account
from market.core.ids import global_id_of
from market.events import names
from market.events.records import Audience
from market.trade import policy
from market.trade.pipeline import Party
from market.trade.records import Deal, Quotation, QuotationRevision

if TYPE_CHECKING:
    from market.store import Store


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


async def _record(
    store: Store,
    session: AsyncClientSession,
    name: str,
    payload: Mapping[str, Any],
    audience: Audience,
    subject: Mapping[str, ObjectId],
) -> None:
    await store.events.record(name, payload, audience, session, subject=subject)


async def inquiry_invited(
    store: Store,
    session: AsyncClientSession,
    inquiry_id: ObjectId,
    doc: Mapping[str, Any],
    buyer_name: str,
    producer_names: Mapping[ObjectId, str],
) -> None:
    """One event per invited producer, naming only its own invitation."""
    criteria = doc.get("criteria") or {}
    for invitation in doc["invitations"]:
        producer_id = invitation["producerId"]
        payload = {
            "inquiry": global_id_of("Inquiry", inquiry_id),
            "producer": global_id_of("Producer", producer_id),
            "producerName": producer_names.get(producer_id, ""),
            "kind": str(doc["kind"]).upper(),
            "buyerOrganisation": buyer_name,
            "quantity": doc["quantity"],
            "unit": doc["unit"],
            "targetUnitPriceVnd": doc.get("targetUnitPriceVnd"),
            "query": criteria.get("query") or "",
            "minStars": criteria.get("minStars"),
            "matchedProducts": [global_id_of("Product", p) for p in invitation.get("productIds", [])],
            "message": doc.get("message") or "",
            "deliveryProvince": doc.get("deliveryProvinceCode"),
            "expiresAt": _iso(doc.get("expiresAt")),
        }
        await _record(
            store, session, names.INQUIRY_INVITED, payload, policy.invitation_audience(producer_id),
            {"Inquiry": inquiry_id},
        )  # fmt: skip


def _revision(revision: QuotationRevision) -> dict[str, Any]:
    return {
        "number": revision.number,
        "unitPriceVnd": revision.unit_price_vnd,
        "moq": revision.moq,
        "leadTimeDays": revision.lead_time_days,
    }


async def quotation_submitted(store: Store, session: AsyncClientSession, quotation: Quotation) -> None:
    name = names.QUOTATION_SUBMITTED if len(quotation.revisions) == 1 else names.QUOTATION_REVISED
    payload = {
        "quotation": global_id_of("Quotation", quotation.id),
        "inquiry": global_id_of("Inquiry", quotation.inquiry_id),
        "producer": global_id_of("Producer", quotation.producer_id),
        "revision": _revision(quotation.current),
    }
    await _record(
        store, session, name, payload, policy.buyer_audience(quotation.buyer_org_id),
        {"Quotation": quotation.id, "Inquiry": quotation.inquiry_id},
    )  # fmt: skip


async def quotation_answered(
    store: Store, session: AsyncClientSession | None, quotation: Quotation, *, accepted: bool, deal_id: ObjectId | None
) -> None:
    payload: dict[str, Any] = {
        "quotation": global_id_of("Quotation", quotation.id),
        "inquiry": global_id_of("Inquiry", quotation.inquiry_id),
    }
    subject: dict[str, ObjectId] = {"Quotation": quotation.id, "Inquiry": quotation.inquiry_id}
    if accepted:
        payload["revision"] = quotation.current.number
        if deal_id is not None:
            payload["deal"] = global_id_of("Deal", deal_id)
            subject["Deal"] = deal_id
    else:
        payload["reason"] = quotation.decline_reason or ""
    name = names.QUOTATION_ACCEPTED if accepted else names.QUOTATION_DECLINED
    await store.events.record(name, payload, policy.producer_audience(quotation.producer_id), session, subject=subject)


async def thread_message(
    store: Store, session: AsyncClientSession, message_id: ObjectId, doc: Mapping[str, Any]
) -> None:
    """A counter-offer from the buyer, or any other message, to the other side of the thread."""
    side = Party(doc["side"])
    counter = doc.get("counterOffer")
    name = names.INQUIRY_COUNTER_OFFER if counter else names.INQUIRY_MESSAGE
    payload = {
        "inquiry": global_id_of("Inquiry", doc["inquiryId"]),
        "producer": global_id_of("Producer", doc["producerId"]),
        "side": side.value.upper(),
        "body": doc["body"],
        "counterUnitPriceVnd": (counter or {}).get("targetUnitPriceVnd"),
        "counterQuantity": (counter or {}).get("quantity"),
    }
    await _record(
        store, session, name, payload, policy.thread_audience(side, doc["buyerOrgId"], doc["producerId"]),
        {"Inquiry": doc["inquiryId"]},
    )  # fmt: skip


def _deal_payload(deal: Deal) -> dict[str, Any]:
    return {
        "deal": global_id_of("Deal", deal.id),
        "inquiry": global_id_of("Inquiry", deal.inquiry_id),
        "producer": global_id_of("Producer", deal.producer_id),
        "buyerOrganisation": global_id_of("BuyerOrganisation", deal.buyer_org_id),
        "state": deal.state.value.upper(),
        "version": deal.version,
        "valueVnd": deal.value_vnd,
    }


async def deal_moved(store: Store, session: AsyncClientSession, deal: Deal, previous: str | None, by: Party) -> None:
    payload = {**_deal_payload(deal), "from": previous.upper() if previous else None, "by": by.value.upper()}
    await _record(store, session, names.DEAL_STATE_CHANGED, payload, policy.deal_audience(deal), {"Deal": deal.id})


async def mou_signed(store: Store, session: AsyncClientSession, deal: Deal) -> None:
    mou = deal.mou
    payload = {**_deal_payload(deal), "signedOn": _iso(mou.signed_on) if mou else None}
    await _record(store, session, names.MOU_SIGNED, payload, policy.deal_audience(deal), {"Deal": deal.id})


async def approval_requested(
    store: Store, session: AsyncClientSession, approval_id: ObjectId, doc: Mapping[str, Any], members: list[Account]
) -> None:
    audience = policy.approval_audience(doc["requestedBy"], [(m.id, m.org_role) for m in members])
    payload = {
        "approval": global_id_of("PurchaseApproval", approval_id),
        "quotation": global_id_of("Quotation", doc["quotationId"]),
        "requestedBy": doc["requestedByName"],
        "valueVnd": doc["valueVnd"],
    }
    await _record(
        store, session, names.APPROVAL_REQUESTED, payload, audience,
        {"PurchaseApproval": approval_id, "Quotation": doc["quotationId"]},
    )  # fmt: skip
