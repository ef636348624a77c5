"""Who sees and who may act on trade: inquiries and RFQs, quotations, threads, deals, sample requests, trade
events and statistics. Every trade authorisation decision is made here; queries, nested fields, `node(id)`, the RFQ
board, event reports and subscriptions all ask these functions.

The rule in one sentence: a trade object is seen by its buyer organisation, by the producers it concerns,
by the provincial offices of those producers' provinces (read-only) and by admins. A forbidden object looks
exactly like one that does not exist.

Pure functions over records and the principal; tests/unit/test_trade_policy.py walks them as a table.
"""

from __future__ import annotations

from collections.abc import Sequence

from bson import ObjectId

from market.accounts.policy import Principal, Viewer, ensure_can_trade, may_approve, within_limit
from market.accounts.records import MemberRole, Role
from market.core.errors import DomainError, forbidden
from market.events.records import Audience
from market.trade import pipeline
from market.trade.pipeline import DealState, Party
from market.trade.records import (
    Deal,
    Inquiry,
    InquiryKind,
    InquiryStatus,
    Invitation,
    Message,
    PurchaseApproval,
    Quotation,
    SampleRequest,
)

# A MongoDB filter that matches nothing: the list of an account that may see none of it.
NOTHING: dict[str, object] = {"_id": None}


# --- the rule, over the fields every trade record carries -------------------------------------------------


def party_for(viewer: Viewer, buyer_org_id: ObjectId, producer_ids: Sequence[ObjectId]) -> Party | None:
    """The side a viewer takes: member of the buyer organisation, or of one of these producers."""
    if viewer is None:
        return None
    if viewer.role is Role.BUYER and viewer.org_id == buyer_org_id:
        return Party.BUYER
    if viewer.role is Role.PRODUCER and viewer.org_id in producer_ids:
        return Party.PRODUCER
    return None


def can_see_trade(
    viewer: Viewer, buyer_org_id: ObjectId, producer_ids: Sequence[ObjectId], provinces: Sequence[str]
) -> bool:
    """Its buyer, the producers concerned, the offices of those producers' provinces, and admins."""
    if viewer is None:
        return False
    if viewer.is_admin or party_for(viewer, buyer_org_id, producer_ids) is not None:
        return True
    return viewer.role is Role.COORDINATOR and viewer.province_code in provinces


def can_see_thread(viewer: Viewer, buyer_org_id: ObjectId, producer_id: ObjectId) -> bool:
    """The negotiation thread of one inquiry with one producer: its buyer, that producer, and admins.
    Provincial offices oversee quotations and deals, not the conversation."""
    if viewer is None:
        return False
    return viewer.is_admin or party_for(viewer, buyer_org_id, [producer_id]) is not None


def trade_filter(
    viewer: Viewer, *, buyer_field: str, producer_field: str, province_field: str
) -> dict[str, object] | None:
    """A MongoDB filter equal to `can_see_trade`, for lists and change streams; None: nothing is visible."""
    if viewer is None:
        return None
    if viewer.is_admin:
        return {}
    if viewer.role is Role.BUYER and viewer.org_id is not None:
        return {buyer_field: viewer.org_id}
    if viewer.role is Role.PRODUCER and viewer.org_id is not None:
        return {producer_field: viewer.org_id}
    if viewer.role is Role.COORDINATOR and viewer.province_code:
        return {province_field: viewer.province_code}
    return None


# --- inquiries ---------------------------------------------------------------------------------------------


def invited(inquiry: Inquiry) -> list[ObjectId]:
    return [i.producer_id for i in inquiry.invitations]


def inquiry_party(viewer: Viewer, inquiry: Inquiry) -> Party | None:
    return party_for(viewer, inquiry.buyer_org_id, invited(inquiry))


def can_see_inquiry(viewer: Viewer, inquiry: Inquiry) -> bool:
    """Its trade parties and overseers; and, while it is an open RFQ, every producer: the RFQ board
    advertises it to those who could meet it, and `inquiry(id)` must show what the board shows. Such a
    producer reads no one else's invitation, quotation or thread (`visible_invitations`, `can_see_quotation`,
    `thread_producer`), and may act on it only if invited."""
    if can_see_trade(viewer, inquiry.buyer_org_id, invited(inquiry), inquiry.producer_province_codes):
        return True
    return viewer is not None and viewer.role is Role.PRODUCER and viewer.org_id is not None and is_advertised(inquiry)


def is_advertised(inquiry: Inquiry) -> bool:
    """An RFQ on the board: open to quotations, described by criteria rather than sent about one product."""
    return (
        inquiry.kind is InquiryKind.OPEN
        and inquiry.effective_status is InquiryStatus.OPEN
        and inquiry.criteria is not None
    )


def inquiry_filter(viewer: Viewer) -> dict[str, object]:
    """`can_see_inquiry` for the inbox query."""
    found = trade_filter(
        viewer, buyer_field="buyerOrgId", producer_field="producerIds", province_field="producerProvinceCodes"
    )
    return NOTHING if found is None else found


def visible_invitations(viewer: Viewer, inquiry: Inquiry) -> list[Invitation]:
    """A producer sees its own invitation only, never who else was invited or whether they quoted; the
    buyer, the provincial offices and admins see them all. Only for an inquiry the viewer may see or finds
    on the RFQ board: the inquiry's own visibility is `can_see_inquiry`'s question."""
    if viewer is not None and viewer.role is Role.PRODUCER:
        return [i for i in inquiry.invitations if i.producer_id == viewer.org_id]
    return list(inquiry.invitations)


def thread_producer(viewer: Viewer, inquiry: Inquiry, named: ObjectId | None) -> ObjectId | None:
    """Whose thread of this inquiry the viewer reads: a producer its own, the buyer or an admin the one
    named; None when there is nothing it may read."""
    party = inquiry_party(viewer, inquiry)
    if party is Party.PRODUCER and viewer is not None and viewer.org_id is not None:
        return viewer.org_id
    if named is not None and (party is Party.BUYER or (viewer is not None and viewer.is_admin)):
        return named
    return None


def can_see_message(viewer: Viewer, message: Message) -> bool:
    return can_see_thread(viewer, message.buyer_org_id, message.producer_id)


def ensure_buyer(viewer: Viewer, action: str) -> Principal:
    """A member of a buyer organisation, verified, with a role that acts."""
    if viewer is None or viewer.role is not Role.BUYER or viewer.org_id is None:
        raise forbidden("forbidden_not_buyer", action=action)
    ensure_can_trade(viewer, action)
    return viewer


def ensure_party(viewer: Viewer, party: Party | None, wanted: Party, action: str) -> None:
    """The viewer acts for the `wanted` side of this trade, and its organisation may trade."""
    if party is not wanted:
        raise forbidden("forbidden_not_party", party=wanted.value, action=action)
    assert viewer is not None
    ensure_can_trade(viewer, action)


def ensure_can_write_thread(viewer: Viewer, party: Party | None) -> Party:
    if party is None:
        raise DomainError.of("forbidden_thread", None)
    assert viewer is not None
    ensure_can_trade(viewer, "send messages")
    return party


def may_counter_offer(party: Party) -> bool:
    return party is Party.BUYER


# --- the RFQ board -----------------------------------------------------------------------------------------


def board_reader(viewer: Viewer) -> ObjectId | None:
    """Whose catalogue narrows the RFQ board: a producer's own; None for an admin, who sees every open
    RFQ. Anyone else is refused."""
    if viewer is None:
        raise DomainError.of("forbidden_board_anonymous", None)
    if viewer.is_admin:
        return None
    if viewer.role is not Role.PRODUCER or viewer.org_id is None:
        raise DomainError.of("forbidden_board", None)
    return viewer.org_id


# --- quotations --------------------------------------------------------------------------------------------


def can_see_quotation(viewer: Viewer, quotation: Quotation, inquiry: Inquiry, province: str | None) -> bool:
    """The buyer, the producer that quoted, its provincial office and admins. Never a competitor."""
    return can_see_trade(viewer, inquiry.buyer_org_id, [quotation.producer_id], [province] if province else [])


def quotation_party(viewer: Viewer, quotation: Quotation) -> Party | None:
    return party_for(viewer, quotation.buyer_org_id, [quotation.producer_id])


# --- deals ---------------------------------------------------------------------------------------------------


def can_see_deal(viewer: Viewer, deal: Deal) -> bool:
    return can_see_trade(viewer, deal.buyer_org_id, [deal.producer_id], [deal.producer_province_code])


def deal_party(viewer: Viewer, deal: Deal) -> Party | None:
    return party_for(viewer, deal.buyer_org_id, [deal.producer_id])


def deal_filter(viewer: Viewer) -> dict[str, object]:
    """`can_see_deal` for the deals query."""
    found = trade_filter(
        viewer, buyer_field="buyerOrgId", producer_field="producerId", province_field="producerProvinceCode"
    )
    return NOTHING if found is None else found


def ensure_can_move(viewer: Principal) -> None:
    """A party's member moves a deal only when its organisation may trade and its role acts."""
    ensure_can_trade(viewer, "move deals")


def deal_moves(viewer: Viewer, deal: Deal) -> list[DealState]:
    """Where this viewer may move the deal now (what a UI shows as buttons); offices and admins none."""
    return pipeline.next_states(deal.state, deal_party(viewer, deal))


def ensure_can_sign_mou(viewer: Viewer, deal: Deal) -> Principal:
    """Either party's member, when its organisation may trade and its role acts."""
    if viewer is None or deal_party(viewer, deal) is None:
        raise DomainError.of("forbidden_mou", None)
    ensure_can_trade(viewer, "sign MoUs")
    return viewer


# --- sample requests -------------------------------------------------------------------------------------


def can_see_sample_request(viewer: Viewer, request: SampleRequest) -> bool:
    """The same rule as every trade object: its buyer, its producer, that producer's provincial office, admins."""
    return can_see_trade(viewer, request.buyer_org_id, [request.producer_id], [request.producer_province_code])


def sample_request_party(viewer: Viewer, request: SampleRequest) -> Party | None:
    return party_for(viewer, request.buyer_org_id, [request.producer_id])


def sample_request_filter(viewer: Viewer) -> dict[str, object]:
    """`can_see_sample_request` for the sample requests list."""
    found = trade_filter(
        viewer, buyer_field="buyerOrgId", producer_field="producerId", province_field="producerProvinceCode"
    )
    return NOTHING if found is None else found


def ensure_sample_party(viewer: Viewer, request: SampleRequest, wanted: Party, action: str) -> Principal:
    """The producer answers a sample request, the buyer turns it into an inquiry, when its organisation may
    trade; offices and admins watch."""
    if viewer is None or sample_request_party(viewer, request) is not wanted:
        raise forbidden("forbidden_sample_party", party=wanted.value, action=action)
    ensure_can_trade(viewer, action)
    return viewer


# --- trade events and statistics -------------------------------------------------------------------------


def ensure_can_organise_event(viewer: Viewer, province_code: str) -> None:
    if viewer is None or not (viewer.is_admin or viewer.coordinates(province_code)):
        raise forbidden("forbidden_events")


def can_see_event_report(viewer: Viewer, province_code: str) -> bool:
    """The report of an event is for admins and the office of its province; the deals listed in it are
    further narrowed by `can_see_deal`."""
    return viewer is not None and (viewer.is_admin or viewer.coordinates(province_code))


def ensure_can_read_stats(viewer: Viewer, province_code: str | None) -> None:
    """Province statistics: admins for any scope, a provincial office for its own province."""
    if viewer is not None and viewer.is_admin:
        return
    if viewer is not None and province_code is not None and viewer.coordinates(province_code):
        return
    raise forbidden("forbidden_stats", "province")


# --- purchase approvals --------------------------------------------------------------------------------------


def needs_approval(viewer: Principal, value_vnd: int) -> bool:
    """An acceptance above the member's own spending limit waits for approval."""
    return viewer.spending_limit_vnd is not None and value_vnd > viewer.spending_limit_vnd


def ensure_order_within_limit(viewer: Principal, deal: Deal, order_value_vnd: int) -> None:
    """An order up to the deal's value is the purchase its acceptance (and approval, if it needed one) covered;
    a buyer who orders more must have a spending limit that covers the order."""
    if order_value_vnd > deal.value_vnd and not within_limit(viewer.spending_limit_vnd, order_value_vnd):
        raise forbidden("forbidden_approval_above_limit", limit=viewer.spending_limit_vnd)


def can_see_approval(viewer: Viewer, approval: PurchaseApproval) -> bool:
    """Its requester, the owners and managers of the buyer organisation, and admins."""
    if viewer is None:
        return False
    if viewer.is_admin or viewer.account_id == approval.requested_by:
        return True
    return viewer.is_member_of(approval.buyer_org_id) and may_approve(viewer.org_role or MemberRole.MEMBER)


def approval_filter(viewer: Viewer) -> dict[str, object]:
    """`can_see_approval` for the list of approvals."""
    if viewer is None:
        return NOTHING
    if viewer.is_admin:
        return {}
    if viewer.role is Role.BUYER and viewer.org_id is not None:
        if may_approve(viewer.org_role or MemberRole.MEMBER):
            return {"buyerOrgId": viewer.org_id}
        return {"buyerOrgId": viewer.org_id, "requestedBy": viewer.account_id}
    return NOTHING


def may_approve_as(role: MemberRole | None) -> bool:
    return role is not None and may_approve(role)


def ensure_requester_buys(requester: Principal | None, approval: PurchaseApproval) -> Principal:
    """An approved purchase opens the deal in its requester's name: they must still be a member of the buyer
    organisation in a role that acts. A requester who left, or became a viewer, leaves nothing to approve."""
    if (
        requester is None
        or not requester.is_member_of(approval.buyer_org_id)
        or requester.org_role is MemberRole.VIEWER
    ):
        raise DomainError.of("approval_requester_gone", "id")
    return requester


def ensure_can_decide(viewer: Principal, approval: PurchaseApproval) -> None:
    """An owner or manager of the buyer organisation, other than the requester, whose organisation trades."""
    if not (viewer.is_member_of(approval.buyer_org_id) and may_approve(viewer.org_role or MemberRole.MEMBER)):
        raise forbidden("forbidden_members", action="approve purchases")
    if viewer.account_id == approval.requested_by:
        raise forbidden("forbidden_self_approval")
    if not within_limit(viewer.spending_limit_vnd, approval.value_vnd):
        raise forbidden("forbidden_approval_above_limit", limit=viewer.spending_limit_vnd)
    ensure_can_trade(viewer, "approve purchases")


# --- who hears of trade events ------------------------------------------------------------------------------
# Business events (market/events/) reach the parties a change concerns: the side that must act or learn of the
# other's move. Offices and admins oversee trade through queries and statistics, not notifications. Each
# invitation is its own event for its own producer, so no producer learns who else was invited.


def invitation_audience(producer_id: ObjectId) -> Audience:
    return Audience.of(orgs=[producer_id])


def buyer_audience(buyer_org_id: ObjectId) -> Audience:
    """Quotations submitted and revised: the buyer organisation the inquiry belongs to."""
    return Audience.of(orgs=[buyer_org_id])


def producer_audience(producer_id: ObjectId) -> Audience:
    """A quotation declined or accepted: the producer that quoted."""
    return Audience.of(orgs=[producer_id])


def thread_audience(side: Party, buyer_org_id: ObjectId, producer_id: ObjectId) -> Audience:
    """A message or counter-offer: the other side of the thread."""
    return Audience.of(orgs=[producer_id] if side is Party.BUYER else [buyer_org_id])


def deal_audience(deal: Deal) -> Audience:
    return Audience.of(orgs=[deal.buyer_org_id, deal.producer_id])


def approval_audience(requested_by: ObjectId, members: Sequence[tuple[ObjectId, MemberRole | None]]) -> Audience:
    """A purchase waiting for approval: the organisation's owners and managers other than the requester."""
    return Audience.of(accounts=[a for a, role in members if a != requested_by and may_approve_as(role)])
