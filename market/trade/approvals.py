"""Purchase approvals: an acceptance above the accepting member's spending limit waits here until an owner or
a manager of the buyer organisation approves it (the deal opens, in one transaction) or rejects it. Deciding
twice the same way returns the first decision."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession

from market.accounts import audit
from market.accounts.policy import Viewer, principal_of
from market.core.errors import DomainError, forbidden, not_found
from market.core.ids import object_id_of
from market.core.paging import Listing, PageRequest
from market.core.text import nfc
from market.storage.transactions import in_transaction
from market.trade import policy
from market.trade.quotations import accept_in, check_acceptable
from market.trade.records import ApprovalStatus, PurchaseApproval

if TYPE_CHECKING:
    from market.store import Store


async def visible_approval(store: Store, viewer: Viewer, approval_id: str, field: str = "id") -> PurchaseApproval:
    oid = object_id_of(approval_id, ("PurchaseApproval",))
    approval = await store.trade.approval(oid) if oid is not None else None
    if approval is None or not policy.can_see_approval(viewer, approval):
        raise not_found(field, "purchase approval")
    return approval


async def approve_purchase(store: Store, viewer: Viewer, approval_id: str) -> PurchaseApproval:
    approval = await visible_approval(store, viewer, approval_id)
    if viewer is None:
        raise forbidden("forbidden_members", action="approve purchases")
    policy.ensure_can_decide(viewer, approval)
    if approval.status is ApprovalStatus.APPROVED:
        return approval
    if approval.status is not ApprovalStatus.PENDING:
        raise DomainError.of("not_pending_approval", "id", status=approval.status.name)
    requester = await store.accounts.get(approval.requested_by)
    quotation = await store.trade.quotation(approval.quotation_id)
    inquiry = await store.trade.inquiry(approval.inquiry_id)
    if quotation is None or inquiry is None:
        raise not_found("id", "purchase approval")
    actor = policy.ensure_requester_buys(
        principal_of(requester) if requester is not None and not requester.deleted else None, approval
    )

    async def write(session: AsyncClientSession) -> ObjectId:
        current, fresh = await check_acceptable(store, session, quotation, inquiry, approval.revision)
        deal_id = await accept_in(store, session, actor, fresh, current, approval.revision, approved_by=viewer)
        decided = {
            "status": ApprovalStatus.APPROVED.value,
            "decidedBy": viewer.account_id,
            "decidedByName": viewer.name,
            "dealId": deal_id,
        }
        if not await store.trade.decide_approval(approval.id, decided, session):
            raise DomainError.of("not_pending_approval", "id", status="DECIDED")
        await audit.record(
            store, viewer, "purchase.approved", "PurchaseApproval", approval.id, session=session,
            org_id=approval.buyer_org_id, after={"dealId": str(deal_id), "valueVnd": approval.value_vnd},
        )  # fmt: skip
        return deal_id

    if (raced := await _decided_meanwhile(store, approval, write, ApprovalStatus.APPROVED)) is not None:
        return raced
    await _tell_requester(store, approval, viewer.name, approved=True, reason="")
    decided = await store.trade.approval(approval.id)
    assert decided is not None
    return decided


async def reject_purchase(store: Store, viewer: Viewer, approval_id: str, reason: str) -> PurchaseApproval:
    approval = await visible_approval(store, viewer, approval_id)
    if viewer is None:
        raise forbidden("forbidden_members", action="approve purchases")
    policy.ensure_can_decide(viewer, approval)
    cleaned = nfc(reason or "")
    if not cleaned:
        raise DomainError.of("required", "reason")
    if len(cleaned) > 1000:
        raise DomainError.of("too_long", "reason", max=1000, got=len(cleaned))
    if approval.status is ApprovalStatus.REJECTED:
        return approval
    if approval.status is not ApprovalStatus.PENDING:
        raise DomainError.of("not_pending_approval", "id", status=approval.status.name)

    async def write(session: AsyncClientSession) -> None:
        decided = {
            "status": ApprovalStatus.REJECTED.value,
            "decidedBy": viewer.account_id,
            "decidedByName": viewer.name,
            "reason": cleaned,
        }
        if not await store.trade.decide_approval(approval.id, decided, session):
            raise DomainError.of("not_pending_approval", "id", status="DECIDED")
        await audit.record(
            store, viewer, "purchase.rejected", "PurchaseApproval", approval.id, session=session,
            org_id=approval.buyer_org_id, after={"reason": cleaned},
        )  # fmt: skip

    if (raced := await _decided_meanwhile(store, approval, write, ApprovalStatus.REJECTED)) is not None:
        return raced
    await _tell_requester(store, approval, viewer.name, approved=False, reason=cleaned)
    decided = await store.trade.approval(approval.id)
    assert decided is not None
    return decided


async def _decided_meanwhile(
    store: Store,
    approval: PurchaseApproval,
    write: Callable[[AsyncClientSession], Awaitable[Any]],
    wanted: ApprovalStatus,
) -> PurchaseApproval | None:
    """Run the decision; None when it was made here. Two people deciding at once the same way both get the
    decision that won, as deciding again would give them: only a contrary decision is an error."""
    try:
        await in_transaction(store.client, write)
    except DomainError:
        current = await store.trade.approval(approval.id)
        if current is None or current.status is not wanted:
            raise
        return current
    return None


async def _tell_requester(
    store: Store, approval: PurchaseApproval, decider: str, *, approved: bool, reason: str
) -> None:
    requester = await store.accounts.get(approval.requested_by)
    if requester is None or not requester.email:
        return
    await store.mail.enqueue(
        to=requester.email,
        template="purchase_decided",
        locale=requester.locale,
        params={
            "name": requester.name,
            "decision": "approved" if approved else "rejected",
            "amount": approval.value_vnd,
            "reason": reason,
        },
    )


async def approval_list(
    store: Store, viewer: Viewer, status: ApprovalStatus | None, request: PageRequest
) -> Listing[PurchaseApproval]:
    query = dict(policy.approval_filter(viewer))
    if status is not None and query != policy.NOTHING:
        query["status"] = status.value
    page = await store.trade.approval_page(query, request)
    return Listing(page=page, count=lambda: store.trade.approval_count(query))
