"""The principal a request acts as, and the rules of who may do what inside an organisation: inviting,
changing roles, removing members, setting spending limits, approving purchases and managing keys. The rules
of trade and the catalogue live in those domains' policy modules, which ask `ensure_can_trade` first.

Pure functions over the principal and roles; tests/unit/test_member_policy.py walks them as a table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bson import ObjectId

from market.accounts.records import Account, MemberRole, OrgStatus, Role
from market.core.errors import DomainError, forbidden
from market.events.records import Audience

# Most rights first: an actor acts on roles ranked below its own, an owner on every role.
RANK: dict[MemberRole, int] = {MemberRole.OWNER: 0, MemberRole.MANAGER: 1, MemberRole.MEMBER: 2, MemberRole.VIEWER: 3}


@dataclass(frozen=True, slots=True)
class Principal:
    account_id: ObjectId
    name: str
    role: Role
    org_id: ObjectId | None = None
    province_code: str | None = None
    key_id: ObjectId | None = None  # the API key, or the session, the request came with
    org_role: MemberRole | None = None  # within the organisation, narrowed by the key's scope
    org_status: OrgStatus = OrgStatus.VERIFIED
    spending_limit_vnd: int | None = None
    expires_at: datetime | None = None  # of the credential; no cache keeps the principal longer
    via_session: bool = False  # signed in with a password, rather than an API key
    scoped: bool = False  # an API key given a scope: made for an integration, it does not speak for its person

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def is_member_of(self, org_id: ObjectId) -> bool:
        return self.role in (Role.PRODUCER, Role.BUYER) and self.org_id == org_id

    def coordinates(self, province_code: str) -> bool:
        return self.role is Role.COORDINATOR and self.province_code == province_code


# None: an anonymous request.
Viewer = Principal | None


class ScopeWithoutOrgRole(Exception):
    """A key given a scope, for an account with no role inside an organisation to narrow (an admin, a provincial
    office): such a key made before scopes needed one would otherwise act with every right of its account."""

    def __init__(self, role: Role, scope: MemberRole) -> None:
        super().__init__(
            f"this API key was given the scope {scope.name}, but its account ({role.name}) has no role inside an "
            "organisation for a scope to narrow, so the key is refused rather than act with all of the account's "
            "rights; make a new key (without a scope it acts with those rights: give it only where they belong)"
        )


def principal_of(
    account: Account,
    key_id: ObjectId | None = None,
    *,
    scope: MemberRole | None = None,
    expires_at: datetime | None = None,
    via_session: bool = False,
) -> Principal:
    """Who a request acts as: the account, through the key or session it came with. ScopeWithoutOrgRole for a
    scope its account has no organisation role for."""
    if scope is not None and not scope_fits(account.org_role, scope):
        raise ScopeWithoutOrgRole(account.role, scope)
    return Principal(
        account_id=account.id,
        name=account.name,
        role=account.role,
        org_id=account.org_id,
        province_code=account.province_code,
        key_id=key_id,
        org_role=narrowed(account.org_role, scope),
        org_status=account.org_status,
        spending_limit_vnd=account.spending_limit_vnd,
        expires_at=expires_at,
        via_session=via_session,
        scoped=scope is not None,
    )


def scope_fits(role: MemberRole | None, scope: MemberRole | None) -> bool:
    """Whether a key with `scope` may belong to an account with this organisation role. A scope narrows only
    that role, and the rights of an admin or a provincial office lie outside any organisation: a scope on their
    keys would narrow nothing."""
    return scope is None or role is not None


def narrowed(role: MemberRole | None, scope: MemberRole | None) -> MemberRole | None:
    """The role a key acts with: its account's, or the key's scope where that is lower."""
    if role is None or scope is None:
        return role
    return scope if RANK[scope] > RANK[role] else role


def can_revoke_key(viewer: Viewer, key_account_id: ObjectId) -> bool:
    """Admins revoke any key; everyone else only the keys of their own account, unless acting as a viewer: a
    read-only integration key must not take its account's other keys down with it."""
    if viewer is None:
        return False
    return viewer.is_admin or (viewer.account_id == key_account_id and viewer.org_role is not MemberRole.VIEWER)


# --- acting for the organisation --------------------------------------------------------------------------


def ensure_can_trade(viewer: Principal, action: str) -> None:
    """Trade and publishing wait for the organisation's verification; viewers only read."""
    if viewer.role not in (Role.PRODUCER, Role.BUYER):
        return
    if not org_verified(viewer):
        raise DomainError.of("org_not_verified", None, action=action, status=viewer.org_status.value.upper())
    ensure_can_act(viewer, action)


def org_verified(viewer: Principal) -> bool:
    """Whether the viewer's organisation may trade and publish; admins and offices belong to none."""
    return viewer.role not in (Role.PRODUCER, Role.BUYER) or viewer.org_status is OrgStatus.VERIFIED


def ensure_can_act(viewer: Principal, action: str) -> None:
    """Viewers (people, or keys scoped to VIEWER) only read: every change made for the organisation, drafts,
    papers and imports included, takes another role. Unlike trade, it does not wait for verification."""
    if viewer.role in (Role.PRODUCER, Role.BUYER) and viewer.org_role is MemberRole.VIEWER:
        raise forbidden("forbidden_viewer_role", action=action)


def invitation_stands(inviter: Viewer, org_id: ObjectId, role: MemberRole) -> bool:
    """An invitation speaks for its inviter: it is good while they could still send it. Removing a manager, or
    taking their role away, voids the invitations they sent."""
    actor = acting_role(inviter, org_id)
    return actor is not None and may_invite(actor, role)


def may_invite(actor: MemberRole, role: MemberRole) -> bool:
    """Owners invite any role; managers members and viewers."""
    return actor is MemberRole.OWNER or (actor is MemberRole.MANAGER and RANK[role] > RANK[actor])


def within_limit(limit_vnd: int | None, value_vnd: int | None) -> bool:
    """Whether a value (None: unlimited) fits under a spending limit (None: no limit)."""
    return limit_vnd is None or (value_vnd is not None and value_vnd <= limit_vnd)


def may_change_role(actor: MemberRole, current: MemberRole, new: MemberRole) -> bool:
    """Owners change any role; managers move people between the roles below their own."""
    if actor is MemberRole.OWNER:
        return True
    return actor is MemberRole.MANAGER and RANK[current] > RANK[actor] and RANK[new] > RANK[actor]


def may_remove(actor: MemberRole, target: MemberRole, *, self_: bool) -> bool:
    """Anyone may leave; owners remove anyone, managers those below them."""
    return self_ or actor is MemberRole.OWNER or (actor is MemberRole.MANAGER and RANK[target] > RANK[actor])


def may_set_limit(actor: MemberRole, target: MemberRole, *, self_: bool) -> bool:
    """Nobody raises their own limit; owners set anyone else's, managers those below them."""
    if self_:
        return False
    return actor is MemberRole.OWNER or (actor is MemberRole.MANAGER and RANK[target] > RANK[actor])


def may_approve(actor: MemberRole) -> bool:
    return actor in (MemberRole.OWNER, MemberRole.MANAGER)


def may_manage_keys(actor: MemberRole) -> bool:
    return actor is MemberRole.OWNER


def acting_role(viewer: Viewer, org_id: ObjectId) -> MemberRole | None:
    """The viewer's role in this organisation; admins act as owners of any. None: not a member."""
    if viewer is None:
        return None
    if viewer.is_admin:
        return MemberRole.OWNER
    if viewer.is_member_of(org_id):
        return viewer.org_role or MemberRole.MEMBER
    return None


def ensure_manager(viewer: Viewer, org_id: ObjectId, action: str) -> MemberRole:
    """The viewer's role, if it may manage this organisation's members at all (owners and managers)."""
    role = acting_role(viewer, org_id)
    if role is None or RANK[role] > RANK[MemberRole.MANAGER]:
        raise forbidden("forbidden_members", action=action)
    return role


def can_see_members(viewer: Viewer, org_id: ObjectId, province_code: str | None) -> bool:
    """An organisation's members: its own members, the office of its province, admins."""
    if viewer is None:
        return False
    if viewer.is_admin or viewer.is_member_of(org_id):
        return True
    return province_code is not None and viewer.coordinates(province_code)


def may_review(viewer: Viewer, province_code: str | None) -> bool:
    """Verifying or rejecting an organisation: admins, and the office of its province."""
    if viewer is None:
        return False
    return viewer.is_admin or (province_code is not None and viewer.coordinates(province_code))


def review_scope(viewer: Viewer) -> str | None:
    """Whose queue of pending organisations: a coordinator's province, or None for an admin (all)."""
    if viewer is not None and viewer.is_admin:
        return None
    if viewer is not None and viewer.role is Role.COORDINATOR and viewer.province_code:
        return viewer.province_code
    raise forbidden("forbidden_review")


def can_read_audit(viewer: Viewer) -> str | None:
    """The audit log: admins read all of it (None), coordinators their province's entries."""
    return review_scope(viewer)


# --- notifications and webhooks ----------------------------------------------------------------------------


def may_manage_webhooks(actor: MemberRole) -> bool:
    """Webhooks send the organisation's trade to another system: owners and managers decide that."""
    return actor in (MemberRole.OWNER, MemberRole.MANAGER)


def webhook_org(viewer: Viewer, action: str) -> ObjectId:
    """The organisation whose webhooks the viewer manages: its own producer or buyer organisation, as an
    owner or a manager. Admins, offices and anyone else have none."""
    if (
        viewer is None
        or viewer.role not in (Role.PRODUCER, Role.BUYER)
        or viewer.org_id is None
        or not may_manage_webhooks(viewer.org_role or MemberRole.MEMBER)
    ):
        raise forbidden("forbidden_webhooks")
    return viewer.org_id


def organisation_audience(org_id: ObjectId) -> Audience:
    """Its own verification: the organisation's members."""
    return Audience.of(orgs=[org_id])


def webhook_admins_audience(members: list[Account]) -> Audience:
    """A webhook disabled: the people who may manage it."""
    return Audience.of(accounts=[m.id for m in members if m.org_role is not None and may_manage_webhooks(m.org_role)])
