"""People inside an organisation: invitations by email, roles, spending limits, leaving and removal.
Who may do which is decided in market/accounts/policy.py; here it is applied and written, with an audit
entry in the same transaction."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from market.accounts import audit
from market.accounts import policy as accounts_policy
from market.accounts.passwords import hash_password, strength_errors
from market.accounts.people import email_errors, name_errors, normal_email
from market.accounts.policy import Principal, Viewer
from market.accounts.records import Account, MemberRole, OrgKind, Role
from market.accounts.tokens import Purpose, new_secret
from market.core.clock import utcnow
from market.core.errors import DomainError, forbidden, not_found
from market.core.ids import object_id_of
from market.core.paging import Listing, PageRequest
from market.core.text import nfc
from market.mail.links import ACCEPT_INVITATION_PATH
from market.membership.organisations import Organisation, find_organisation
from market.storage.transactions import in_transaction

if TYPE_CHECKING:
    from market.store import Store

INVITATION_LIFETIME = timedelta(days=7)
MAX_LIMIT_VND = 1_000_000_000_000  # a trillion đồng: anything above is a typo of magnitude


async def _own_organisation(store: Store, viewer: Viewer) -> Organisation:
    if viewer is None or viewer.org_id is None or viewer.role not in (Role.BUYER, Role.PRODUCER):
        raise forbidden("forbidden_no_organisation", action="manage an organisation")
    return await find_organisation(store, viewer.org_id)


async def invite_member(store: Store, viewer: Viewer, email: str, role: MemberRole) -> str:
    """Mail an invitation. Inviting the same email again while an invitation is open sends a fresh link and
    keeps one open invitation. Returns the invited email."""
    organisation = await _own_organisation(store, viewer)
    assert viewer is not None
    actor = accounts_policy.ensure_manager(viewer, organisation.id, "invite members")
    if not accounts_policy.may_invite(actor, role):
        raise forbidden("forbidden_member_role", action="invite members", actor=actor.name, role=role.name)
    email = normal_email(email)
    if errors := email_errors(email, "email"):
        raise DomainError(errors)
    if await store.accounts.email_taken(email):
        raise DomainError.of("already_member", "email", email=email)
    secret = new_secret()

    async def write(session: AsyncClientSession) -> None:
        existing = await store.accounts.open_invitation(organisation.id, email, session)
        await store.accounts.issue_token(
            Purpose.INVITATION,
            secret,
            utcnow() + INVITATION_LIFETIME,
            # A limited inviter's limit goes with the invitation: nobody hands out more than they hold.
            {
                "orgId": organisation.id,
                "email": email,
                "role": role.value,
                "invitedBy": viewer.account_id,
                "spendingLimitVnd": viewer.spending_limit_vnd,
            },
            session,
        )
        if existing is not None:
            await store.accounts.retire_token(existing["_id"], session)
        await store.mail.enqueue(
            to=email,
            template="invitation",
            locale="vi",
            params={
                "inviter": viewer.name,
                "organisation": organisation.name,
                "role": role.name,
                "token": secret,
                "link": store.mail.link(ACCEPT_INVITATION_PATH, token=secret),
            },
            session=session,
        )
        await audit.record(
            store, viewer, "member.invited", "Invitation", organisation.id, session=session,
            org_id=organisation.id, province_code=organisation.province_code,
            after={"email": email, "role": role.value},
        )  # fmt: skip

    await in_transaction(store.client, write)
    return email


async def accept_invitation(store: Store, token: str, name: str, password: str, locale: str = "vi") -> Account:
    """Create the invited person's account, with the role and organisation of the invitation."""
    pending = await store.accounts.peek_token(Purpose.INVITATION, token.strip())
    inviter = await store.accounts.get(pending["invitedBy"]) if pending and pending.get("invitedBy") else None
    if pending is None or not accounts_policy.invitation_stands(
        accounts_policy.principal_of(inviter) if inviter is not None and not inviter.deleted else None,
        pending["orgId"],
        MemberRole(pending["role"]),
    ):
        raise DomainError.of("token_invalid", "token", what="invitation")
    name = nfc(name)
    email = pending["email"]
    errors = [*name_errors(name, "name"), *strength_errors(password, "password", email=email, name=name)]
    if errors:
        raise DomainError(errors)
    organisation = await find_organisation(store, pending["orgId"], "token")
    hashed = await hash_password(password)

    async def write(session: AsyncClientSession) -> Account:
        if await store.accounts.consume_token(Purpose.INVITATION, token.strip(), session) is None:
            raise DomainError.of("token_invalid", "token", what="invitation")
        account = await store.accounts.insert(
            {
                "name": name,
                "email": email,
                "role": (Role.BUYER if organisation.kind is OrgKind.BUYER else Role.PRODUCER).value,
                "orgId": organisation.id,
                "orgRole": pending["role"],
                **(
                    {"spendingLimitVnd": pending["spendingLimitVnd"]}
                    if pending.get("spendingLimitVnd") is not None
                    else {}
                ),
                "orgStatus": organisation.status.value,
                "passwordHash": hashed,
                "emailVerified": True,  # the invitation reached this address
                "locale": locale if locale in ("vi", "en") else "vi",
            },
            session,
        )
        await audit.record(
            store, accounts_policy.principal_of(account), "member.joined", "Account", account.id, session=session,
            org_id=organisation.id, province_code=organisation.province_code, after={"role": pending["role"]},
        )  # fmt: skip
        return account

    try:
        return await in_transaction(store.client, write)
    except DuplicateKeyError as exc:
        raise DomainError.of("already_member", "token", email=email) from exc


async def _member(store: Store, viewer: Principal, member_id: str, field: str) -> tuple[Organisation, Account]:
    oid = object_id_of(member_id, ("Member",))
    target = await store.accounts.get(oid) if oid is not None else None
    if target is None or target.deleted or target.org_id is None:
        raise not_found(field, "member")
    if accounts_policy.acting_role(viewer, target.org_id) is None:
        raise not_found(field, "member")  # someone else's organisation looks like nothing
    return await find_organisation(store, target.org_id), target


async def change_member_role(store: Store, viewer: Viewer, member_id: str, role: MemberRole) -> Account:
    if viewer is None:
        raise forbidden("forbidden_members", action="change roles")
    organisation, target = await _member(store, viewer, member_id, "memberId")
    actor = accounts_policy.ensure_manager(viewer, organisation.id, "change roles")
    current = target.org_role or MemberRole.MEMBER
    if not accounts_policy.may_change_role(actor, current, role):
        raise forbidden("forbidden_member_role", action="change roles", actor=actor.name, role=current.name)
    if current is role:
        return target
    changes: dict[str, object] = {"orgRole": role.value}
    if not accounts_policy.within_limit(viewer.spending_limit_vnd, target.spending_limit_vnd):
        # As with an invitation, a limited actor's limit goes with the role it gives: nobody hands out more
        # than they hold, by promoting someone without a limit into a role that buys.
        changes["spendingLimitVnd"] = viewer.spending_limit_vnd

    async def write(session: AsyncClientSession) -> Account:
        updated = await store.accounts.update(target.id, changes, session)
        if current is MemberRole.OWNER and await store.accounts.owners_left(organisation.id, session) == 0:
            raise DomainError.of("last_owner", "role")
        limited = "spendingLimitVnd" in changes
        await audit.record(
            store, viewer, "member.role_changed", "Account", target.id, session=session, org_id=organisation.id,
            province_code=organisation.province_code,
            before={"role": current.value, **({"spendingLimitVnd": target.spending_limit_vnd} if limited else {})},
            after={"role": role.value, **({"spendingLimitVnd": viewer.spending_limit_vnd} if limited else {})},
        )  # fmt: skip
        assert updated is not None
        return updated

    return await in_transaction(store.client, write)


async def remove_member(store: Store, viewer: Viewer, member_id: str) -> Account:
    """Take a person out of the organisation: their keys and sessions end with it. Anyone may leave."""
    if viewer is None:
        raise forbidden("forbidden_members", action="remove members")
    organisation, target = await _member(store, viewer, member_id, "memberId")
    actor = accounts_policy.acting_role(viewer, organisation.id) or MemberRole.VIEWER
    current = target.org_role or MemberRole.MEMBER
    if not accounts_policy.may_remove(actor, current, self_=target.id == viewer.account_id):
        raise forbidden("forbidden_member_role", action="remove members", actor=actor.name, role=current.name)

    async def write(session: AsyncClientSession) -> Account:
        # The email is freed, so the person may be invited again later, here or elsewhere.
        removed = await store.accounts.update(
            target.id, {"removedFrom": organisation.id, "deleted": True}, session, unset=("orgId", "email")
        )
        if current is MemberRole.OWNER and await store.accounts.owners_left(organisation.id, session) == 0:
            raise DomainError.of("last_owner", "memberId")
        await store.accounts.revoke_all(target.id, session)
        await audit.record(
            store, viewer, "member.removed", "Account", target.id, session=session, org_id=organisation.id,
            province_code=organisation.province_code, before={"role": current.value, "name": target.name},
        )  # fmt: skip
        assert removed is not None
        return removed

    return await in_transaction(store.client, write)


async def set_spending_limit(store: Store, viewer: Viewer, member_id: str, limit_vnd: int | None) -> Account:
    """None lifts the limit. Acceptances above a member's limit wait for an owner's or manager's approval."""
    if viewer is None:
        raise forbidden("forbidden_members", action="set spending limits")
    organisation, target = await _member(store, viewer, member_id, "memberId")
    actor = accounts_policy.ensure_manager(viewer, organisation.id, "set spending limits")
    current = target.org_role or MemberRole.MEMBER
    if not accounts_policy.may_set_limit(actor, current, self_=target.id == viewer.account_id):
        raise forbidden("forbidden_member_role", action="set spending limits", actor=actor.name, role=current.name)
    if limit_vnd is not None and not 0 <= limit_vnd <= MAX_LIMIT_VND:
        raise DomainError.of("out_of_range", "spendingLimitVnd", min=0, max=MAX_LIMIT_VND, got=limit_vnd)
    if viewer.spending_limit_vnd is not None and (limit_vnd is None or limit_vnd > viewer.spending_limit_vnd):
        # Someone bound by a limit hands out no more than they hold.
        raise forbidden("forbidden_limit_above_own", limit=viewer.spending_limit_vnd)

    async def write(session: AsyncClientSession) -> Account:
        if limit_vnd is None:
            updated = await store.accounts.update(target.id, {}, session, unset=("spendingLimitVnd",))
        else:
            updated = await store.accounts.update(target.id, {"spendingLimitVnd": limit_vnd}, session)
        await audit.record(
            store, viewer, "member.limit_changed", "Account", target.id, session=session, org_id=organisation.id,
            province_code=organisation.province_code, before={"spendingLimitVnd": target.spending_limit_vnd},
            after={"spendingLimitVnd": limit_vnd},
        )  # fmt: skip
        assert updated is not None
        return updated

    return await in_transaction(store.client, write)


async def members_of(store: Store, viewer: Viewer, org_id: ObjectId, request: PageRequest) -> Listing[Account] | None:
    """None when the viewer may not see this organisation's members."""
    organisation = await find_organisation(store, org_id)
    if not accounts_policy.can_see_members(viewer, organisation.id, organisation.province_code):
        return None
    page = await store.accounts.member_page(organisation.id, request)
    return Listing(page=page, count=lambda: store.accounts.member_count(organisation.id))
