"""The audit log, for admins and provincial offices."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from market.membership import audit_log
from schema.pagination import After, CountedConnection, First, page_request, to_connection

if TYPE_CHECKING:
    from schema.context import Context


@strawberry.input(description="Conditions on audit entries; all must hold.")
class AuditFilter:
    action: str | None = strawberry.field(
        default=None,
        description="One action, e.g. `organisation.verified`, `member.role_changed`, `api_key.created`, "
        "`purchase.approved`.",
    )
    target_id: strawberry.ID | None = strawberry.field(default=None, description="Entries about this object.")
    since: datetime | None = strawberry.field(default=None, description="At or after this time.")
    until: datetime | None = strawberry.field(default=None, description="Before this time.")


@strawberry.type(description="Who did what, when, with the state before and after.")
class AuditEntry:
    entry: strawberry.Private[dict[str, Any]]

    @strawberry.field(description="When.")
    def at(self) -> datetime:
        at: datetime = self.entry["at"]
        return at

    @strawberry.field(description="What, e.g. `organisation.verified`.")
    def action(self) -> str:
        return str(self.entry["action"])

    @strawberry.field(description="Who: the person's name (anonymised once they erase their account).")
    def actor_name(self) -> str:
        return str(self.entry["actor"].get("name") or "")

    @strawberry.field(description="Their role then: ADMIN, COORDINATOR, PRODUCER or BUYER; null for operators.")
    def actor_role(self) -> str | None:
        role = self.entry["actor"].get("role")
        return str(role).upper() if role else None

    @strawberry.field(description="Whether it was done with an API key rather than a signed-in session.")
    def via_api_key(self) -> bool:
        return self.entry["actor"].get("viaKey") is not None

    @strawberry.field(description="The kind of object acted on, e.g. `Organisation`, `Account`, `ApiKey`.")
    def target_type(self) -> str:
        return str(self.entry["target"]["type"])

    @strawberry.field(description="The object's id.")
    def target_id(self) -> str:
        return str(self.entry["target"]["id"])

    @strawberry.field(description="The state before; null when it did not exist.")
    def before(self) -> JSON | None:
        return audit_log.plain(self.entry.get("before"))

    @strawberry.field(description="The state after.")
    def after(self) -> JSON | None:
        return audit_log.plain(self.entry.get("after"))


@strawberry.type
class AuditQuery:
    @strawberry.field(
        description="The audit log, newest first: all of it for admins, a coordinator's province for them; "
        "FORBIDDEN for anyone else."
    )
    async def audit_log(
        self,
        info: Info["Context", None],
        filter: Annotated[AuditFilter | None, strawberry.argument(description="None by default.")] = None,
        first: First = None,
        after: After = None,
    ) -> CountedConnection[AuditEntry]:
        ctx = info.context
        flt = strawberry.asdict(filter) if filter else {}
        listing = await audit_log.entries(ctx.store, ctx.require_viewer(), flt, page_request(first, after))
        return to_connection(listing.page, lambda e: AuditEntry(entry=e), listing.count)
