"""Quotations: a producer quotes and revises, the buyer declines or accepts. Accepting opens a deal."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession

from market.accounts.policy import Principal, Viewer
from market.catalog.records import Product, Variant
from market.catalog.validation import MAX_DEAL_VALUE_VND, MAX_MOQ, Checker
from market.core.clock import midnight, today, utcnow
from market.core.errors import DomainError, not_found
from market.core.ids import global_id_of, parse_object_id
from market.storage.transactions import in_transaction
from market.trade import announcements, policy
from market.trade.inquiries import ensure_open, visible_inquiry
from market.trade.pipeline import DealState, Party
from market.trade.records import (
    ApprovalStatus,
    ClosedReason,
    Deal,
    Inquiry,
    InquiryStatus,
    InvitationStatus,
    PurchaseApproval,
    Quotation,
    QuotationRevision,
    QuotationStatus,
    tier_price,
)

if TYPE_CHECKING:
    from market.store import Store

DEFAULT_VALIDITY_DAYS = 30


def _revision(data: Mapping[str, Any], number: int, quantity: int) -> dict[str, Any]:
    """A revision's fields, checked; `quantity` is the inquiry's, which the revision must price within a deal's
    bounds."""
    check = Checker()
    valid_until = check.day("validUntil", data.get("validUntil")) or today() + timedelta(days=DEFAULT_VALIDITY_DAYS)
    if valid_until < today():
        check.add("in_the_past", "validUntil")
    tiers = check.price_tiers("priceTiers", data.get("priceTiers")) or []
    unit_price = check.price("unitPriceVnd", data.get("unitPriceVnd"), required=True)
    if unit_price is not None and (value := tier_price(unit_price, tiers, quantity) * quantity) > MAX_DEAL_VALUE_VND:
        check.add("deal_value_too_large", "unitPriceVnd", quantity=quantity, got=value, max=MAX_DEAL_VALUE_VND)
    revision = {
        "number": number,
        "unitPriceVnd": unit_price,
        "priceTiers": [{"minQuantity": t.min_quantity, "unitPriceVnd": t.unit_price_vnd} for t in tiers],
        "moq": check.integer("moq", data.get("moq"), required=False, minimum=1, maximum=MAX_MOQ) or 1,
        "leadTimeDays": check.integer("leadTimeDays", data.get("leadTimeDays"), required=True, minimum=0, maximum=365),
        "validUntil": midnight(valid_until),
        "note": check.text("note", data.get("note"), required=False, max_len=2000) or "",
        "createdAt": utcnow(),
    }
    check.raise_if_any()
    return revision


def deal_value(revision: QuotationRevision, quantity: int) -> int:
    """What a deal on this revision for this quantity is worth. OUT_OF_RANGE above a deal's bound, which a
    revision stored before quotations were held to it may exceed."""
    value = revision.unit_price_for(quantity) * quantity
    if value > MAX_DEAL_VALUE_VND:
        raise DomainError.of("deal_value_too_large", "revision", quantity=quantity, got=value, max=MAX_DEAL_VALUE_VND)
    return value


def _producer_side(viewer: Viewer, inquiry: Inquiry) -> ObjectId:
    policy.ensure_party(viewer, policy.inquiry_party(viewer, inquiry), Party.PRODUCER, "quote")
    assert viewer is not None and viewer.org_id is not None
    return viewer.org_id


async def submit_quotation(
    store: Store, viewer: Viewer, inquiry_id: str, data: Mapping[str, Any], *, idempotency_key: str | None = None
) -> Quotation:
    """A first quotation, or a revision of the producer's quotation (each revision is kept)."""
    inquiry = await visible_inquiry(store, viewer, inquiry_id)
    producer_id = _producer_side(viewer, inquiry)
    assert viewer is not None
    payload = {"inquiry": inquiry_id, **{k: str(v) for k, v in data.items()}}
    if (
        done := await store.idempotency.replay(
            account_id=viewer.account_id,
            operation="submitQuotation",
            key=idempotency_key,
            payload=payload,
            load=store.trade.quotation,
        )
    ) is not None:
        return done
    ensure_open(inquiry, "new quotations")
    existing = await store.trade.quotation_of(inquiry.id, producer_id)
    if existing is not None and existing.status is not QuotationStatus.ACTIVE:
        raise DomainError.of("quotation_final", "inquiryId", status=str(existing.status))
    revision = _revision(data, len(existing.revisions) + 1 if existing else 1, inquiry.quantity)
    if data.get("variantId"):
        product, variant = await _quoted_variant(store, inquiry, producer_id, str(data["variantId"]))
        revision.update(variant=variant.to_doc(), productId=product.id)
    assert viewer is not None

    async def write(session: AsyncClientSession) -> ObjectId:
        quotation_id = await store.trade.add_revision(inquiry.id, producer_id, inquiry.buyer_org_id, revision, session)
        await store.trade.set_invitation_status(inquiry.id, producer_id, InvitationStatus.QUOTED, session=session)
        written = await store.trade.quotation(quotation_id, session)
        assert written is not None
        await announcements.quotation_submitted(store, session, written)
        return quotation_id

    quotation_id, _ = await store.idempotency.once(
        account_id=viewer.account_id, operation="submitQuotation", key=idempotency_key, payload=payload, work=write
    )
    quotation = await store.trade.quotation(quotation_id)
    assert quotation is not None
    return quotation


async def _quoted_variant(
    store: Store, inquiry: Inquiry, producer_id: ObjectId, variant_id: str
) -> tuple[Product, Variant]:
    """The variant a quotation names: of the direct inquiry's product, or of any of the quoting producer's
    products for an RFQ; NOT_FOUND on `variantId` otherwise."""
    if inquiry.product_id is not None:
        product = await store.products.get(inquiry.product_id)
        found = product.variant(variant_id) if product is not None and product.producer_id == producer_id else None
    else:
        product = await store.products.with_variant(producer_id, variant_id)
        found = product.variant(variant_id) if product is not None else None
    if product is None or found is None:
        raise not_found("variantId", "variant")
    return product, found


async def visible_quotation(store: Store, viewer: Viewer, quotation_id: str) -> tuple[Quotation, Inquiry]:
    oid = parse_object_id(quotation_id, "quotationId", "quotation")
    quotation = await store.trade.quotation(oid)
    if quotation is None:
        raise not_found("quotationId", "quotation")
    inquiry = await store.trade.inquiry(quotation.inquiry_id)
    if inquiry is None or not policy.can_see_quotation(viewer, quotation, inquiry, await _province(store, quotation)):
        raise not_found("quotationId", "quotation")
    return quotation, inquiry


async def _province(store: Store, quotation: Quotation) -> str | None:
    producer = await store.producers.get(quotation.producer_id)
    return producer.address.province_code if producer else None


async def decline_quotation(store: Store, viewer: Viewer, quotation_id: str, reason: str) -> Quotation:
    quotation, _ = await visible_quotation(store, viewer, quotation_id)
    policy.ensure_party(viewer, policy.quotation_party(viewer, quotation), Party.BUYER, "decline quotations")
    check = Checker()
    cleaned = check.text("reason", reason, required=True, max_len=500)
    check.raise_if_any()
    if quotation.status is not QuotationStatus.ACTIVE:
        raise DomainError.of("quotation_already", "quotationId", status=str(quotation.status))
    assert cleaned is not None

    async def write(session: AsyncClientSession) -> None:
        await _decline(store, session, quotation, cleaned)

    await in_transaction(store.client, write)
    declined = await store.trade.quotation(quotation.id)
    assert declined is not None
    return declined


async def accept_quotation(
    store: Store, viewer: Viewer, quotation_id: str, revision: int, *, idempotency_key: str | None = None
) -> Deal | PurchaseApproval:
    """Accept exactly this revision, in one transaction: the quotation, the inquiry and a new deal. Above the
    accepting member's spending limit, nothing is accepted yet: a purchase approval waits for an owner or a
    manager of the organisation (market/trade/approvals.py)."""
    quotation, inquiry = await visible_quotation(store, viewer, quotation_id)
    policy.ensure_party(viewer, policy.quotation_party(viewer, quotation), Party.BUYER, "accept quotations")
    assert viewer is not None
    payload = {"quotation": quotation_id, "revision": revision}
    operation = "acceptQuotation"
    if (
        done := await store.idempotency.replayed(
            account_id=viewer.account_id, operation=operation, key=idempotency_key, payload=payload
        )
    ) is not None:
        return await _accepted(store, done)
    if inquiry.quantity < quotation.current.moq:
        raise DomainError.of("below_quoted_moq", "revision", moq=quotation.current.moq, quantity=inquiry.quantity)
    value = deal_value(quotation.current, inquiry.quantity)
    needs_approval = policy.needs_approval(viewer, value)

    async def write(session: AsyncClientSession) -> ObjectId:
        current, fresh_inquiry = await check_acceptable(store, session, quotation, inquiry, revision)
        if needs_approval:
            waiting = await store.trade.pending_approval_for(current.id, revision, session)
            if waiting is not None:  # asked again: the same approval still waits
                return waiting.id
            doc = approval_doc(viewer, fresh_inquiry, current, revision, value)
            approval_id = await store.trade.insert_approval(doc, session)
            await _tell_approvers(store, session, {**doc, "_id": approval_id})
            return approval_id
        return await accept_in(store, session, viewer, fresh_inquiry, current, revision)

    result_id, _ = await store.idempotency.once(
        account_id=viewer.account_id, operation=operation, key=idempotency_key, payload=payload, work=write
    )
    return await _accepted(store, result_id)


async def _tell_approvers(store: Store, session: AsyncClientSession, doc: dict[str, Any]) -> None:
    """Mail the organisation's owners and managers that a purchase waits for them."""
    organisation = await store.buyers.get(doc["buyerOrgId"], session)
    members = await store.accounts.members(doc["buyerOrgId"], session)
    await announcements.approval_requested(store, session, doc["_id"], doc, members)
    for member in members:
        if member.email and member.id != doc["requestedBy"] and policy.may_approve_as(member.org_role):
            await store.mail.enqueue(
                to=member.email,
                template="approval_requested",
                locale=member.locale,
                params={
                    "name": member.name,
                    "requester": doc["requestedByName"],
                    "organisation": organisation.name if organisation else "",
                    "amount": doc["valueVnd"],
                    "quotation": global_id_of("Quotation", doc["quotationId"]),
                },
                session=session,
            )


async def _accepted(store: Store, result_id: ObjectId) -> Deal | PurchaseApproval:
    """What an acceptance made: the deal, or the purchase approval it waits for."""
    deal = await store.trade.deal(result_id)
    if deal is not None:
        return deal
    approval = await store.trade.approval(result_id)
    assert approval is not None
    return approval


async def check_acceptable(
    store: Store, session: AsyncClientSession, quotation: Quotation, inquiry: Inquiry, revision: int
) -> tuple[Quotation, Inquiry]:
    """Read again inside the transaction: what is accepted is what is stored now."""
    current = await store.trade.quotation(quotation.id, session)
    fresh_inquiry = await store.trade.inquiry(inquiry.id, session)
    assert current is not None and fresh_inquiry is not None
    if current.status is not QuotationStatus.ACTIVE:
        raise DomainError.of("quotation_is", "quotationId", status=str(current.status))
    ensure_open(fresh_inquiry, "acceptance")
    if current.current.number != revision:
        raise DomainError.of("stale_revision", "revision", revision=revision, latest=current.current.number)
    if current.current.valid_until and current.current.valid_until < today():
        raise DomainError.of("revision_expired", "revision")
    return current, fresh_inquiry


def approval_doc(
    viewer: Principal, inquiry: Inquiry, quotation: Quotation, revision: int, value: int
) -> dict[str, Any]:
    return {
        "quotationId": quotation.id,
        "revision": revision,
        "inquiryId": inquiry.id,
        "buyerOrgId": inquiry.buyer_org_id,
        "producerId": quotation.producer_id,
        "requestedBy": viewer.account_id,
        "requestedByName": viewer.name,
        "limitVnd": viewer.spending_limit_vnd,
        "valueVnd": value,
        "status": ApprovalStatus.PENDING.value,
        "createdAt": utcnow(),
        "version": 1,
    }


async def accept_in(
    store: Store,
    session: AsyncClientSession,
    actor: Principal,
    inquiry: Inquiry,
    current: Quotation,
    revision: int,
    *,
    approved_by: Principal | None = None,
) -> ObjectId:
    """Accept inside the caller's transaction, and open the deal; its id."""
    accepted = await store.trade.set_quotation(
        current,
        {"status": QuotationStatus.ACCEPTED.value, "acceptedRevision": revision},
        expected_version=current.version,
        session=session,
    )
    if not accepted:
        raise DomainError.of("quotation_changed", "quotationId")
    await store.trade.set_invitation_status(
        inquiry.id,
        current.producer_id,
        InvitationStatus.ACCEPTED,
        also={"status": InquiryStatus.CLOSED.value, "closedReason": ClosedReason.ACCEPTED.value},
        inc_version=True,
        session=session,
    )
    deal_id = await _open_deal(store, session, actor, inquiry, current, current.current, approved_by)
    await announcements.quotation_answered(store, session, current, accepted=True, deal_id=deal_id)
    await _decline_the_others(store, session, inquiry, current)
    deal = await store.trade.deal(deal_id, session)
    assert deal is not None
    await announcements.deal_moved(store, session, deal, None, Party.BUYER)
    return deal_id


# Stored as the reason of the quotations an acceptance closes, which their producers are told.
OTHER_ACCEPTED = "Người mua đã nhận một báo giá khác / The buyer accepted another quotation"


async def _decline_the_others(store: Store, session: AsyncClientSession, inquiry: Inquiry, accepted: Quotation) -> None:
    """The inquiry's other open quotations are answered too: the inquiry is closed, and none can be accepted."""
    for other in await store.trade.quotations_of([inquiry.id], session):
        if other.id != accepted.id and other.status is QuotationStatus.ACTIVE:
            await _decline(store, session, other, OTHER_ACCEPTED)


async def _decline(store: Store, session: AsyncClientSession, quotation: Quotation, reason: str) -> None:
    """Decline the quotation and its producer's invitation, and tell the producer why."""
    fields = {"status": QuotationStatus.DECLINED.value, "declineReason": reason}
    await store.trade.set_quotation(quotation, fields, session=session)
    await store.trade.set_invitation_status(
        quotation.inquiry_id, quotation.producer_id, InvitationStatus.DECLINED, session=session
    )
    declined = await store.trade.quotation(quotation.id, session)
    assert declined is not None
    await announcements.quotation_answered(store, session, declined, accepted=False, deal_id=None)


async def _open_deal(
    store: Store,
    session: AsyncClientSession,
    viewer: Principal,
    inquiry: Inquiry,
    quotation: Quotation,
    revision: QuotationRevision,
    approved_by: Principal | None,
) -> ObjectId:
    producer = await store.producers.get(quotation.producer_id)
    invitation = inquiry.invitation(quotation.producer_id)
    product_id = (
        revision.product_id
        or inquiry.product_id
        or (invitation.product_ids[0] if invitation and invitation.product_ids else None)
    )
    variant = revision.variant or (inquiry.variant if product_id == inquiry.product_id else None)
    unit_price = revision.unit_price_for(inquiry.quantity)
    now = utcnow()
    doc = {
        "inquiryId": inquiry.id,
        "quotationId": quotation.id,
        "quotationRevision": revision.number,
        "productId": product_id,
        "variant": variant.to_doc() if variant else None,
        "buyerOrgId": inquiry.buyer_org_id,
        "producerId": quotation.producer_id,
        "producerProvinceCode": producer.address.province_code if producer else None,
        "producerFormerProvince": producer.address.former_province if producer else None,
        "state": DealState.NEGOTIATING.value,
        "quantity": inquiry.quantity,
        "unit": inquiry.unit,
        "unitPriceVnd": unit_price,
        "valueVnd": deal_value(revision, inquiry.quantity),
        "history": [
            {"at": now, "by": viewer.account_id, "byName": viewer.name, "party": Party.BUYER.value, "from": None,
             "to": DealState.NEGOTIATING.value, "note": f"accepted quotation revision {revision.number}"}
        ] + ([
            {"at": now, "by": approved_by.account_id, "byName": approved_by.name, "party": Party.BUYER.value,
             "from": None, "to": DealState.NEGOTIATING.value,
             "note": "approved the purchase above the requester's spending limit"}
        ] if approved_by is not None else []),
        "createdAt": now,
        "updatedAt": now,
        "version": 1,
    }  # fmt: skip
    return await store.trade.insert_deal(doc, session)
