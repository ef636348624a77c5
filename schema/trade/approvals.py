"""Purchase approvals: acceptances above a member's spending limit, waiting for an owner or a manager."""

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from market.trade import approvals, policy
from market.trade import records as trade
from market.trade.records import ApprovalStatus
from schema.enums import describe_enum
from schema.errors import UserError, returns_user_errors
from schema.nodes import resolve_visible
from schema.pagination import After, CountedConnection, First, page_request, to_connection
from schema.scalars import Vnd
from schema.trade.types import Deal, Quotation

if TYPE_CHECKING:
    from schema.context import Context

describe_enum(
    ApprovalStatus,
    "Where a purchase approval stands.",
    {
        ApprovalStatus.PENDING: "Waiting for an owner or a manager (PENDING_APPROVAL): nothing is accepted yet.",
        ApprovalStatus.APPROVED: "Approved: the quotation was accepted and the deal opened.",
        ApprovalStatus.REJECTED: "Rejected, with a reason; the quotation stays open.",
    },
)


@strawberry.type(
    description="An acceptance above the accepting member's spending limit. Seen by its requester, the owners and "
    "managers of the buyer organisation, and admins."
)
class PurchaseApproval(relay.Node):
    id: relay.NodeID[str]
    record: strawberry.Private[trade.PurchaseApproval]

    @classmethod
    def from_record(cls, record: trade.PurchaseApproval) -> "PurchaseApproval":
        return cls(id=str(record.id), record=record)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info["Context", None], node_ids: Iterable[str], required: bool = False
    ) -> list["PurchaseApproval | None"]:
        viewer = info.context.viewer
        return await resolve_visible(
            node_ids,
            info.context.store.trade.approvals,
            lambda a: policy.can_see_approval(viewer, a),
            cls.from_record,
        )

    @strawberry.field(description="PENDING, APPROVED or REJECTED.")
    def status(self) -> ApprovalStatus:
        return self.record.status

    @strawberry.field(description="The value to accept: quantity × the revision's unit price, in đồng.")
    def value_vnd(self) -> Vnd:
        return Vnd(self.record.value_vnd)

    @strawberry.field(description="The requester's spending limit when they accepted.")
    def limit_vnd(self) -> Vnd | None:
        return Vnd(self.record.limit_vnd) if self.record.limit_vnd is not None else None

    @strawberry.field(description="The revision number to accept.")
    def revision(self) -> int:
        return self.record.revision

    @strawberry.field(description="Who accepted the quotation.")
    def requested_by_name(self) -> str:
        return self.record.requested_by_name

    @strawberry.field(description="Who approved or rejected it; null while pending.")
    def decided_by_name(self) -> str | None:
        return self.record.decided_by_name

    @strawberry.field(description="When it was decided; null while pending.")
    def decided_at(self) -> datetime | None:
        return self.record.decided_at

    @strawberry.field(description="Why it was rejected.")
    def reason(self) -> str | None:
        return self.record.reason

    @strawberry.field(description="When it was requested.")
    def created_at(self) -> datetime:
        return self.record.created_at

    @strawberry.field(description="The quotation to accept.")
    async def quotation(self, info: Info["Context", None]) -> Quotation | None:
        return (await Quotation.resolve_nodes(info=info, node_ids=[str(self.record.quotation_id)]))[0]

    @strawberry.field(description="The deal it opened, once approved.")
    async def deal(self, info: Info["Context", None]) -> Deal | None:
        if self.record.deal_id is None:
            return None
        return (await Deal.resolve_nodes(info=info, node_ids=[str(self.record.deal_id)]))[0]


@strawberry.type(
    description="The result of `acceptQuotation`: the deal, or (above your spending limit) the purchase approval "
    "it waits for, or the errors."
)
class AcceptQuotationPayload:
    deal: Deal | None = strawberry.field(default=None, description="The deal opened; null while approval is pending.")
    approval: PurchaseApproval | None = strawberry.field(
        default=None,
        description="Set when the value is above your spending limit: nothing is accepted until an owner or a "
        "manager approves it (PENDING_APPROVAL).",
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why not; empty on success.")

    @classmethod
    def of(cls, result: trade.Deal | trade.PurchaseApproval) -> "AcceptQuotationPayload":
        if isinstance(result, trade.PurchaseApproval):
            return cls(approval=PurchaseApproval.from_record(result))
        return cls(deal=Deal.from_record(result))


@strawberry.type(description="The result of `approvePurchase` or `rejectPurchase`.")
class PurchaseApprovalPayload:
    approval: PurchaseApproval | None = strawberry.field(default=None, description="Null on errors.")
    deal: Deal | None = strawberry.field(default=None, description="The deal opened by an approval.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why not; empty on success.")


APPROVAL_ID = Annotated[strawberry.ID, strawberry.argument(description="The PurchaseApproval id.")]


@strawberry.type
class ApprovalQuery:
    @strawberry.field(
        description="Purchase approvals, newest first: an owner's or manager's organisation's, a member's own."
    )
    async def purchase_approvals(
        self,
        info: Info["Context", None],
        status: Annotated[ApprovalStatus | None, strawberry.argument(description="Only this status.")] = None,
        first: First = None,
        after: After = None,
    ) -> CountedConnection[PurchaseApproval]:
        ctx = info.context
        listing = await approvals.approval_list(ctx.store, ctx.require_viewer(), status, page_request(first, after))
        return to_connection(listing.page, PurchaseApproval.from_record, listing.count)


@strawberry.type
class ApprovalMutation:
    @strawberry.mutation(
        description="Approve a pending purchase: the quotation is accepted and the deal opens in one transaction, "
        "its history naming you. An owner or a manager of the buyer organisation, not the requester; approving "
        "again returns the same deal. `errors`: NOT_FOUND, FORBIDDEN, INVALID_STATE (rejected, or the quotation "
        "moved on), CONFLICT."
    )
    @returns_user_errors(PurchaseApprovalPayload)
    async def approve_purchase(self, info: Info["Context", None], id: APPROVAL_ID) -> PurchaseApprovalPayload:
        ctx = info.context
        record = await approvals.approve_purchase(ctx.store, ctx.require_viewer(), id)
        deal = (await Deal.resolve_nodes(info=info, node_ids=[str(record.deal_id)]))[0] if record.deal_id else None
        return PurchaseApprovalPayload(approval=PurchaseApproval.from_record(record), deal=deal)

    @strawberry.mutation(
        description="Reject a pending purchase with a reason, mailed to the requester. Same rights as "
        "`approvePurchase`; rejecting again changes nothing. `errors`: NOT_FOUND, FORBIDDEN, REQUIRED, "
        "INVALID_STATE."
    )
    @returns_user_errors(PurchaseApprovalPayload)
    async def reject_purchase(
        self,
        info: Info["Context", None],
        id: APPROVAL_ID,
        reason: Annotated[str, strawberry.argument(description="Why; the requester reads it.")],
    ) -> PurchaseApprovalPayload:
        ctx = info.context
        record = await approvals.reject_purchase(ctx.store, ctx.require_viewer(), id, reason)
        return PurchaseApprovalPayload(approval=PurchaseApproval.from_record(record))
