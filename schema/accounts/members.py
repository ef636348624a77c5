"""Organisations as teams: the `Organisation` interface that producers and buyer organisations share, and
their members."""

from datetime import datetime
from typing import TYPE_CHECKING, Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from market.accounts.records import Account, MemberRole, OrgKind, OrgStatus
from market.membership import members
from schema.enums import describe_enum
from schema.pagination import After, CountedConnection, First, global_id, page_request, to_connection
from schema.scalars import Vnd

if TYPE_CHECKING:
    from schema.context import Context

describe_enum(
    OrgStatus,
    "Where an organisation stands with the marketplace.",
    {
        OrgStatus.PENDING: "Signed up, waiting for its provincial OCOP office: members sign in, browse and keep "
        "drafts; trade actions answer ORG_NOT_VERIFIED.",
        OrgStatus.VERIFIED: "Verified by its provincial OCOP office (or registered by it): trades freely.",
        OrgStatus.REJECTED: "Its registration was refused; the reason was mailed to its owners.",
    },
)
describe_enum(
    OrgKind,
    "Which side of the market an organisation is on.",
    {OrgKind.BUYER: "A buyer organisation.", OrgKind.PRODUCER: "An OCOP producer (chủ thể OCOP)."},
)
describe_enum(
    MemberRole,
    "A person's role inside their organisation.",
    {
        MemberRole.OWNER: "Everything: members and roles, spending limits, approvals, integration keys.",
        MemberRole.MANAGER: "Trades, approves purchases, invites and manages members and viewers.",
        MemberRole.MEMBER: "Trades (for buyers, within their spending limit, if one is set).",
        MemberRole.VIEWER: "Reads the organisation's trade; takes no action.",
    },
)


@strawberry.type(description="A person in an organisation, as its members, its provincial office and admins see them.")
class Member:
    record: strawberry.Private[Account]

    @strawberry.field(description="Pass it to `changeMemberRole`, `removeMember` or `setSpendingLimit`.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(global_id("Member", str(self.record.id)))

    @strawberry.field(description="The person's name.")
    def name(self) -> str:
        return self.record.name

    @strawberry.field(description="Their email address.")
    def email(self) -> str | None:
        return self.record.email

    @strawberry.field(description="Their role in the organisation.")
    def role(self) -> MemberRole:
        return self.record.org_role or MemberRole.MEMBER

    @strawberry.field(
        description="Acceptances above this value wait for an owner's or manager's approval; null: no limit."
    )
    def spending_limit_vnd(self) -> Vnd | None:
        limit = self.record.spending_limit_vnd
        return Vnd(limit) if limit is not None else None

    @strawberry.field(description="Whether they proved the email address is theirs.")
    def email_verified(self) -> bool:
        return self.record.email_verified

    @strawberry.field(description="When they joined.")
    def joined_at(self) -> datetime:
        return self.record.created_at


@strawberry.interface(description="A producer or a buyer organisation: a team that trades on the marketplace.")
class Organisation(relay.Node):
    record: strawberry.Private[Any]

    @strawberry.field(description="Its registered name.")
    def name(self) -> str:
        return str(self.record.name)

    @strawberry.field(description="PENDING until the provincial OCOP office verifies a signed-up organisation.")
    def status(self) -> OrgStatus:
        return OrgStatus(self.record.status)

    @strawberry.field(
        description="Its members, oldest first: for its own members, its provincial office and admins; null for "
        "anyone else."
    )
    async def members(
        self, info: Info["Context", None], first: First = None, after: After = None
    ) -> CountedConnection[Member] | None:
        listing = await members.members_of(
            info.context.store, info.context.viewer, self.record.id, page_request(first, after)
        )
        if listing is None:
            return None
        return to_connection(listing.page, lambda a: Member(record=a), listing.count)
