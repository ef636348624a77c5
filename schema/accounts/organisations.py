"""Signing up an organisation, its review by the provincial office, and its members."""

from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from market.accounts.records import BuyerKind, MemberRole, OrgKind
from market.catalog.records import ProducerType
from market.membership import members, registration
from market.membership.organisations import Organisation as OrganisationRecord
from schema.accounts.members import Member, Organisation
from schema.catalog.types import BuyerOrganisation, Producer
from schema.errors import UserError, returns_user_errors
from schema.labels import Locale
from schema.pagination import After, CountedConnection, First, page_request, to_connection
from schema.scalars import Vnd

if TYPE_CHECKING:
    from schema.context import Context


def organisation_of(record: OrganisationRecord) -> Organisation:
    if record.kind is OrgKind.BUYER:
        return BuyerOrganisation.from_record(record.record)  # type: ignore[arg-type]
    return Producer.from_record(record.record)  # type: ignore[arg-type]


@strawberry.input(description="The person who signs up the organisation and becomes its first owner.")
class OwnerInput:
    name: str = strawberry.field(description="Their full name.")
    email: str = strawberry.field(description="They sign in with it; a verification link is mailed to it.")
    password: str = strawberry.field(
        description="At least 10 characters, with letters and a digit or symbol, not a common password and not "
        "close to the name or email. Never logged."
    )
    language: Locale = strawberry.field(default=Locale.VI, description="Of the emails they receive.")


@strawberry.input(description="A new organisation. Buyers give `buyerKind`; producers `producerType` and `commune`.")
class RegisterOrganisationInput:
    kind: OrgKind = strawberry.field(description="BUYER or PRODUCER.")
    name: str = strawberry.field(description="Registered name; unique (for producers, within their province).")
    province: str = strawberry.field(description="Current or pre-2025 province name, or its code.")
    owner: OwnerInput = strawberry.field(description="The first owner.")
    buyer_kind: BuyerKind | None = strawberry.field(default=None, description="Buyers only: what kind of buyer.")
    producer_type: ProducerType | None = strawberry.field(default=None, description="Producers only: legal form.")
    commune: str | None = strawberry.field(default=None, description="Producers only: commune or ward.")
    street: str | None = strawberry.field(default=None, description="Producers only: street address.")
    phone: str | None = strawberry.field(default=None, description="A contact phone number.")


@strawberry.type(description="The result of a mutation on an organisation: the organisation, or the errors.")
class OrganisationPayload:
    organisation: Organisation | None = strawberry.field(default=None, description="Null when `errors` is not empty.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why not; empty on success.")


@strawberry.type(description="The result of a mutation on a member: the member, or the errors.")
class MemberPayload:
    member: Member | None = strawberry.field(default=None, description="Null when `errors` is not empty.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why not; empty on success.")


@strawberry.type(description="The result of `inviteMember`.")
class InvitationPayload:
    email: str | None = strawberry.field(default=None, description="Where the invitation was mailed.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why not; empty on success.")


ORG_ID = Annotated[
    strawberry.ID, strawberry.argument(description="The organisation's id (a Producer or a BuyerOrganisation).")
]
MEMBER_ID = Annotated[strawberry.ID, strawberry.argument(description="The member's `id`.")]


@strawberry.type
class OrganisationQuery:
    @strawberry.field(
        description="Organisations waiting for review, oldest first: a coordinator's province, every province for "
        "an admin. FORBIDDEN for anyone else."
    )
    async def pending_organisations(
        self, info: Info["Context", None], first: First = None, after: After = None
    ) -> CountedConnection[Organisation]:
        ctx = info.context
        listing = await registration.pending_organisations(ctx.store, ctx.viewer, page_request(first, after))
        return to_connection(listing.page, organisation_of, listing.count)


@strawberry.type
class OrganisationMutation:
    @strawberry.mutation(
        description="Sign up an organisation and its owner, without an API key. The organisation starts PENDING "
        "until the OCOP office of its province verifies it; the owner can sign in at once and gets an email to "
        "verify the address. `errors`: REQUIRED, INVALID, TOO_LONG, UNKNOWN_PROVINCE, WEAK_PASSWORD, DUPLICATE "
        "(the email has an account, or the name is taken)."
    )
    @returns_user_errors(OrganisationPayload)
    async def register_organisation(
        self,
        info: Info["Context", None],
        input: Annotated[RegisterOrganisationInput, strawberry.argument(description="The organisation and its owner.")],
    ) -> OrganisationPayload:
        owner = input.owner
        data = {
            "kind": input.kind.value, "name": input.name, "province": input.province,
            "buyerKind": input.buyer_kind.value if input.buyer_kind else None,
            "producerType": input.producer_type.value if input.producer_type else None,
            "commune": input.commune, "street": input.street, "phone": input.phone,
            "owner": {"name": owner.name, "email": owner.email, "password": owner.password,
                      "locale": owner.language.value},
        }  # fmt: skip
        record = await registration.register_organisation(info.context.store, data)
        return OrganisationPayload(organisation=organisation_of(record))

    @strawberry.mutation(
        description="Verify a pending organisation: its members may trade from now on, and its owners are told by "
        "email. The OCOP office of its province or an admin. `errors`: NOT_FOUND, FORBIDDEN, INVALID_STATE "
        "(not pending)."
    )
    @returns_user_errors(OrganisationPayload)
    async def verify_organisation(
        self,
        info: Info["Context", None],
        id: ORG_ID,
        note: Annotated[str | None, strawberry.argument(description="Mailed to the owners.")] = None,
    ) -> OrganisationPayload:
        ctx = info.context
        record = await registration.review_organisation(ctx.store, ctx.require_viewer(), id, accept=True, note=note)
        return OrganisationPayload(organisation=organisation_of(record))

    @strawberry.mutation(
        description="Refuse a pending organisation, with the reason mailed to its owners. Same rights and "
        "`errors` as `verifyOrganisation`, and REQUIRED without a reason."
    )
    @returns_user_errors(OrganisationPayload)
    async def reject_organisation(
        self,
        info: Info["Context", None],
        id: ORG_ID,
        reason: Annotated[str, strawberry.argument(description="Why; mailed to the owners.")],
    ) -> OrganisationPayload:
        ctx = info.context
        record = await registration.review_organisation(ctx.store, ctx.require_viewer(), id, accept=False, note=reason)
        return OrganisationPayload(organisation=organisation_of(record))

    @strawberry.mutation(
        description="Invite a person to your organisation by email, with a role; the link is valid 7 days. "
        "Inviting the same email again sends a new link and voids the old one. Owners invite any role, managers "
        "members and viewers. `errors`: FORBIDDEN, INVALID, DUPLICATE (the email already has an account)."
    )
    @returns_user_errors(InvitationPayload)
    async def invite_member(
        self,
        info: Info["Context", None],
        email: Annotated[str, strawberry.argument(description="Where the invitation goes.")],
        role: Annotated[MemberRole, strawberry.argument(description="Their role once they join.")],
    ) -> InvitationPayload:
        ctx = info.context
        invited = await members.invite_member(ctx.store, ctx.require_viewer(), email, role)
        return InvitationPayload(email=invited)

    @strawberry.mutation(
        description="Join an organisation with the token of an invitation email, without an API key: creates your "
        "account; then `signIn`. `errors`: INVALID_TOKEN, WEAK_PASSWORD, REQUIRED, DUPLICATE."
    )
    @returns_user_errors(MemberPayload)
    async def accept_invitation(
        self,
        info: Info["Context", None],
        token: Annotated[str, strawberry.argument(description="From the invitation email.")],
        name: Annotated[str, strawberry.argument(description="Your full name.")],
        password: Annotated[str, strawberry.argument(description="Your new password; never logged.")],
        language: Annotated[Locale, strawberry.argument(description="Of your emails.")] = Locale.VI,
    ) -> MemberPayload:
        account = await members.accept_invitation(info.context.store, token, name, password, language.value)
        return MemberPayload(member=Member(record=account))

    @strawberry.mutation(
        description="Change a member's role. Owners change any role; managers move people between MEMBER and "
        "VIEWER. `errors`: NOT_FOUND, FORBIDDEN, LAST_OWNER."
    )
    @returns_user_errors(MemberPayload)
    async def change_member_role(
        self,
        info: Info["Context", None],
        member_id: MEMBER_ID,
        role: Annotated[MemberRole, strawberry.argument(description="The new role.")],
    ) -> MemberPayload:
        ctx = info.context
        account = await members.change_member_role(ctx.store, ctx.require_viewer(), member_id, role)
        return MemberPayload(member=Member(record=account))

    @strawberry.mutation(
        description="Take a member out of your organisation (or leave it yourself): their keys and sessions end. "
        "`errors`: NOT_FOUND, FORBIDDEN, LAST_OWNER."
    )
    @returns_user_errors(MemberPayload)
    async def remove_member(self, info: Info["Context", None], member_id: MEMBER_ID) -> MemberPayload:
        ctx = info.context
        account = await members.remove_member(ctx.store, ctx.require_viewer(), member_id)
        return MemberPayload(member=Member(record=account))

    @strawberry.mutation(
        description="Set or lift (null) a member's spending limit: their acceptances above it wait for an owner's "
        "or manager's approval. Not your own. `errors`: NOT_FOUND, FORBIDDEN, OUT_OF_RANGE."
    )
    @returns_user_errors(MemberPayload)
    async def set_spending_limit(
        self,
        info: Info["Context", None],
        member_id: MEMBER_ID,
        spending_limit_vnd: Annotated[Vnd | None, strawberry.argument(description="Whole đồng; null: no limit.")],
    ) -> MemberPayload:
        ctx = info.context
        limit = int(spending_limit_vnd) if spending_limit_vnd is not None else None
        account = await members.set_spending_limit(ctx.store, ctx.require_viewer(), member_id, limit)
        return MemberPayload(member=Member(record=account))
