"""A person's own data: a copy of it, and erasure."""

from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from market.membership import audit_log, personal_data
from schema.accounts.identity import DonePayload
from schema.errors import returns_user_errors

if TYPE_CHECKING:
    from schema.context import Context


@strawberry.type
class PrivacyQuery:
    @strawberry.field(
        description="Everything held about you (Decree 13/2023/NĐ-CP): your account, sessions, API keys, the audit "
        "entries of your actions and your trade records, as one JSON document. For you signed in, or with an API "
        "key of your own; a key given a `scope` (made for an integration) is refused with FORBIDDEN."
    )
    async def export_my_data(self, info: Info["Context", None]) -> JSON:
        ctx = info.context
        return audit_log.plain(await personal_data.export_my_data(ctx.store, ctx.require_viewer()))


@strawberry.type
class PrivacyMutation:
    @strawberry.mutation(
        description="Erase your account: your name, email and password go and every key and session ends; deals "
        "keep their history with an anonymous party. Needs a signed-in session and your password. `errors`: "
        "FORBIDDEN (an API key), INVALID_CREDENTIALS, LAST_OWNER (name another owner first)."
    )
    @returns_user_errors(DonePayload)
    async def delete_my_account(
        self,
        info: Info["Context", None],
        password: Annotated[str, strawberry.argument(description="Your password, to confirm; never logged.")],
    ) -> DonePayload:
        ctx = info.context
        await personal_data.delete_my_account(ctx.store, ctx.require_viewer(), password)
        return DonePayload(ok=True)
