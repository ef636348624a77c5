"""The signed-in viewer, its API keys, and revoking a key."""

from datetime import datetime
from typing import TYPE_CHECKING

import strawberry
from strawberry.types import Info

from market.accounts import services as accounts
from market.accounts.policy import Principal
from market.accounts.records import ApiKey as ApiKeyRecord
from market.accounts.records import Role
from market.core.provinces import load_provinces
from schema.catalog.types import BuyerOrganisation, Producer, Province
from schema.errors import UserError, returns_user_errors
from schema.pagination import global_id

if TYPE_CHECKING:
    from schema.context import Context

strawberry.enum(Role, description="What an account may do; see the README's permission table.")


@strawberry.type(description="An API key, as stored: never the key itself, only its first characters.")
class ApiKey:
    id: strawberry.ID = strawberry.field(description="Pass it to `revokeApiKey`, or to `ocop revoke-api-key`.")
    name: str
    hint: str = strawberry.field(description="The key's first characters, e.g. `ocop_AbCd`.")
    created_at: datetime
    revoked: bool
    revoked_at: datetime | None
    current: bool = strawberry.field(description="Whether this request was made with this key.")

    @classmethod
    def from_record(cls, record: ApiKeyRecord, viewer: Principal | None = None) -> "ApiKey":
        return cls(
            id=strawberry.ID(global_id("ApiKey", str(record.id))),
            name=record.name,
            hint=record.hint,
            created_at=record.created_at,
            revoked=record.revoked,
            revoked_at=record.revoked_at,
            current=viewer is not None and viewer.key_id == record.id,
        )


@strawberry.type(description="The account behind the API key of this request.")
class Me:
    principal: strawberry.Private[Principal]

    @strawberry.field
    def name(self) -> str:
        return self.principal.name

    @strawberry.field
    def role(self) -> Role:
        return self.principal.role

    @strawberry.field(description="The producer this account belongs to, for producer members.")
    async def producer(self, info: Info["Context", None]) -> Producer | None:
        p = self.principal
        if p.role is not Role.PRODUCER or p.org_id is None:
            return None
        record = await info.context.loaders.producer.load(p.org_id)
        return Producer.from_record(record) if record else None

    @strawberry.field(description="The buyer organisation this account belongs to, for buyer members.")
    async def buyer_organisation(self, info: Info["Context", None]) -> BuyerOrganisation | None:
        p = self.principal
        if p.role is not Role.BUYER or p.org_id is None:
            return None
        record = await info.context.loaders.buyer_org.load(p.org_id)
        return BuyerOrganisation.from_record(record) if record else None

    @strawberry.field(description="The account's API keys, oldest first, revoked ones included.")
    async def api_keys(self, info: Info["Context", None]) -> list[ApiKey]:
        records = await info.context.store.accounts.keys_of(self.principal.account_id)
        return [ApiKey.from_record(r, self.principal) for r in records]

    @strawberry.field(description="The province a coordinator oversees.")
    def province(self) -> Province | None:
        code = self.principal.province_code
        record = load_provinces().get(code) if code else None
        return Province.from_record(record) if record else None


@strawberry.type
class AccountQuery:
    @strawberry.field(description="The signed-in account, or null without an API key.")
    def me(self, info: Info["Context", None]) -> Me | None:
        viewer = info.context.viewer
        return Me(principal=viewer) if viewer else None


@strawberry.type
class RevokeApiKeyPayload:
    api_key: ApiKey | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AccountMutation:
    @strawberry.mutation(
        description="Revoke an API key for good (admins: any key; others: their own account's). Every API "
        "process refuses it within a few seconds and closes its subscriptions (WebSocket code 4403)."
    )
    @returns_user_errors(RevokeApiKeyPayload)
    async def revoke_api_key(self, info: Info["Context", None], id: strawberry.ID) -> RevokeApiKeyPayload:
        ctx = info.context
        viewer = ctx.require_viewer()
        record = await accounts.revoke_api_key(ctx.store, viewer, id, "id")
        return RevokeApiKeyPayload(api_key=ApiKey.from_record(record, viewer))
