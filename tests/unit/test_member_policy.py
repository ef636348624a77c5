"""The rules of who may do what inside an organisation, as a table (market/accounts/policy.py)."""

from __future__ import annotations

import pytest
from bson import ObjectId

from market.accounts import policy
from market.accounts.policy import Principal
from market.accounts.records import MemberRole, OrgStatus, Role
from market.core.errors import DomainError, ErrorCode

O_, M, E, V = MemberRole.OWNER, MemberRole.MANAGER, MemberRole.MEMBER, MemberRole.VIEWER

# actor → the roles it may invite
INVITE = {O_: {O_, M, E, V}, M: {E, V}, E: set(), V: set()}


@pytest.mark.parametrize("actor", list(MemberRole))
@pytest.mark.parametrize("role", list(MemberRole))
def test_invite(actor: MemberRole, role: MemberRole) -> None:
    assert policy.may_invite(actor, role) is (role in INVITE[actor])


# (actor, current, new) allowed: owners everything, managers between MEMBER and VIEWER only
@pytest.mark.parametrize("actor", list(MemberRole))
@pytest.mark.parametrize("current", list(MemberRole))
@pytest.mark.parametrize("new", list(MemberRole))
def test_change_role(actor: MemberRole, current: MemberRole, new: MemberRole) -> None:
    expected = actor is O_ or (actor is M and current in (E, V) and new in (E, V))
    assert policy.may_change_role(actor, current, new) is expected


@pytest.mark.parametrize("actor", list(MemberRole))
@pytest.mark.parametrize("target", list(MemberRole))
def test_remove_and_leave(actor: MemberRole, target: MemberRole) -> None:
    expected = actor is O_ or (actor is M and target in (E, V))
    assert policy.may_remove(actor, target, self_=False) is expected
    assert policy.may_remove(actor, target, self_=True) is True  # anyone may leave


@pytest.mark.parametrize("actor", list(MemberRole))
@pytest.mark.parametrize("target", list(MemberRole))
def test_spending_limits(actor: MemberRole, target: MemberRole) -> None:
    expected = actor is O_ or (actor is M and target in (E, V))
    assert policy.may_set_limit(actor, target, self_=False) is expected
    assert policy.may_set_limit(actor, target, self_=True) is False  # nobody raises their own


@pytest.mark.parametrize(("actor", "approves", "keys"), [(O_, True, True), (M, True, False), (E, False, False),
                                                         (V, False, False)])  # fmt: skip
def test_approvals_and_keys(actor: MemberRole, approves: bool, keys: bool) -> None:
    assert policy.may_approve(actor) is approves
    assert policy.may_manage_keys(actor) is keys


@pytest.mark.parametrize(
    ("role", "scope", "acting"),
    [(O_, None, O_), (O_, V, V), (M, E, E), (E, O_, E), (V, M, V), (None, V, None)],
)
def test_a_key_scope_only_narrows(role: MemberRole | None, scope: MemberRole | None, acting: MemberRole) -> None:
    assert policy.narrowed(role, scope) is acting


@pytest.mark.parametrize("role", [Role.ADMIN, Role.COORDINATOR])
def test_a_scope_needs_an_organisation_role_to_narrow(role: Role) -> None:
    from datetime import UTC, datetime

    from market.accounts.records import Account

    outside = Account(ObjectId(), "x", None, role, None, "86" if role is Role.COORDINATOR else None, datetime.now(UTC))
    assert not policy.scope_fits(outside.org_role, V) and policy.scope_fits(outside.org_role, None)
    with pytest.raises(policy.ScopeWithoutOrgRole, match=f"scope VIEWER, but its account \\({role.name}\\)"):
        policy.principal_of(outside, ObjectId(), scope=V)
    assert policy.principal_of(outside, ObjectId()).role is role
    inside = Account(ObjectId(), "x", None, Role.BUYER, ObjectId(), None, datetime.now(UTC), org_role=O_)
    scoped = policy.principal_of(inside, ObjectId(), scope=V)
    assert scoped.org_role is V and scoped.scoped  # exportMyData still tells a scoped key apart


def member(role: MemberRole, status: OrgStatus = OrgStatus.VERIFIED, kind: Role = Role.BUYER) -> Principal:
    return Principal(ObjectId(), "x", kind, ObjectId(), org_role=role, org_status=status)


@pytest.mark.parametrize(
    ("principal", "code"),
    [
        (member(O_), None),
        (member(E, kind=Role.PRODUCER), None),
        (member(O_, OrgStatus.PENDING), ErrorCode.ORG_NOT_VERIFIED),
        (member(E, OrgStatus.REJECTED, Role.PRODUCER), ErrorCode.ORG_NOT_VERIFIED),
        (member(V), ErrorCode.FORBIDDEN),
        (Principal(ObjectId(), "admin", Role.ADMIN), None),
        (Principal(ObjectId(), "office", Role.COORDINATOR, province_code="86"), None),
    ],
)
def test_who_may_trade(principal: Principal, code: ErrorCode | None) -> None:
    if code is None:
        policy.ensure_can_trade(principal, "quote")
        return
    with pytest.raises(DomainError) as excinfo:
        policy.ensure_can_trade(principal, "quote")
    assert excinfo.value.errors[0].code is code


def test_review_belongs_to_the_province_office_and_admins() -> None:
    office = Principal(ObjectId(), "office", Role.COORDINATOR, province_code="86")
    admin = Principal(ObjectId(), "admin", Role.ADMIN)
    assert policy.may_review(office, "86") and not policy.may_review(office, "01")
    assert policy.may_review(admin, "01") and not policy.may_review(member(O_), "86")
    assert policy.review_scope(office) == "86" and policy.review_scope(admin) is None
    with pytest.raises(DomainError):
        policy.review_scope(member(O_))


@pytest.mark.parametrize(
    ("principal", "acts"),
    [
        (member(O_), True),
        (member(E, OrgStatus.PENDING, Role.PRODUCER), True),  # drafts, papers and imports wait for nobody
        (member(V), False),
        (member(V, kind=Role.PRODUCER), False),
        (Principal(ObjectId(), "office", Role.COORDINATOR, province_code="86"), True),
    ],
)
def test_viewers_change_nothing(principal: Principal, acts: bool) -> None:
    if acts:
        policy.ensure_can_act(principal, "change products")
        return
    with pytest.raises(DomainError) as excinfo:
        policy.ensure_can_act(principal, "change products")
    assert excinfo.value.errors[0].code is ErrorCode.FORBIDDEN


@pytest.mark.parametrize("inviter", list(MemberRole))
@pytest.mark.parametrize("role", list(MemberRole))
def test_an_invitation_stands_while_its_inviter_could_send_it(inviter: MemberRole, role: MemberRole) -> None:
    sender = member(inviter)
    assert sender.org_id is not None
    assert policy.invitation_stands(sender, sender.org_id, role) is (role in INVITE[inviter])
    assert policy.invitation_stands(sender, ObjectId(), role) is False  # moved to another organisation
    assert policy.invitation_stands(None, sender.org_id, role) is False  # removed, or erased


def test_a_read_only_key_revokes_no_key() -> None:
    owner, read_only = member(O_), member(V)
    assert policy.can_revoke_key(owner, owner.account_id)
    assert not policy.can_revoke_key(read_only, read_only.account_id)
    assert not policy.can_revoke_key(owner, ObjectId())
    assert policy.can_revoke_key(Principal(ObjectId(), "admin", Role.ADMIN), ObjectId())


def test_an_approver_with_a_limit_decides_only_within_it() -> None:
    from datetime import UTC, datetime

    from market.trade import policy as trade_policy
    from market.trade.records import ApprovalStatus, PurchaseApproval

    org = ObjectId()
    approval = PurchaseApproval(
        ObjectId(), ObjectId(), 1, ObjectId(), org, ObjectId(), ObjectId(), "Hà", 1_000, 5_000_000,
        ApprovalStatus.PENDING, datetime.now(UTC), 1,
    )  # fmt: skip
    unlimited = Principal(ObjectId(), "Khoa", Role.BUYER, org, org_role=O_)
    trade_policy.ensure_can_decide(unlimited, approval)
    higher = Principal(ObjectId(), "Lan", Role.BUYER, org, org_role=M, spending_limit_vnd=10_000_000)
    trade_policy.ensure_can_decide(higher, approval)
    lower = Principal(ObjectId(), "Minh", Role.BUYER, org, org_role=M, spending_limit_vnd=1_000_000)
    with pytest.raises(DomainError) as excinfo:
        trade_policy.ensure_can_decide(lower, approval)
    assert excinfo.value.errors[0].key == "forbidden_approval_above_limit"
    assert [policy.within_limit(limit, 5) for limit in (None, 5, 4)] == [True, True, False]
    assert policy.within_limit(5, None) is False  # lifting a limit is more than any limit
