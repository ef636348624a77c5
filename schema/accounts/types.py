"""The signed-in viewer, its API keys, and revoking a key."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from market.accounts import services as accounts
from market.accounts.policy import Principal
from market.accounts.records import ApiKey as ApiKeyRecord
from market.accounts.records import MemberRole, OrgStatus, Role
from market.core.provinces import load_provinces
from market.membership import keys
from schema.accounts.members import Organisation
from schema.catalog.types import BuyerOrganisation, Producer, Province
from schema.enums import describe_enum
from schema.errors import UserError, returns_user_errors
from schema.labels import Locale
from schema.pagination import After, CountedConnection, First, global_id, page_request, to_connection
from schema.scalars import Vnd

if TYPE_CHECKING:
    from schema.context import Context

describe_enum(
    Role,
    "What an account may do; see the README's permission table.",
    {
        Role.ADMIN: "Operates the marketplace: reads everything, manages the catalogue, follows all trade "
        "read-only, reads national statistics.",
        Role.COORDINATOR: "A provincial OCOP office, scoped to one province: registers and verifies its "
        "producers, organises trade events, oversees its producers' trade read-only, reads its statistics.",
        Role.PRODUCER: "A member of a producer: manages its products, answers inquiries, quotes, moves its deals.",
        Role.BUYER: "A member of a buyer organisation: sends inquiries and RFQs, accepts or declines "
        "quotations, moves its deals.",
    },
)


@strawberry.type(description="An API key, as stored: never the key itself, only its first characters.")
class ApiKey:
    id: strawberry.ID = strawberry.field(description="Pass it to `revokeApiKey`, or to `ocop revoke-api-key`.")
    name: str = strawberry.field(description="The name given when the key was created (`ocop create-api-key --name`).")
    hint: str = strawberry.field(description="The key's first characters, e.g. `ocop_AbCd`.")
    created_at: datetime = strawberry.field(description="When the key was issued.")
    revoked: bool = strawberry.field(description="Whether the key has been revoked; a revoked key is refused (401).")
    revoked_at: datetime | None = strawberry.field(description="When it was revoked; null while it is valid.")
    current: bool = strawberry.field(description="Whether this request was made with this key.")
    scope: MemberRole | None = strawberry.field(
        default=None,
        description="The most the key may do in the organisation; null: as its account's role. A key of an account "
        "outside any organisation (an admin, a provincial office) that has one is refused (401): make a new key.",
    )
    expires_at: datetime | None = strawberry.field(default=None, description="After it, the key is refused.")
    last_used_at: datetime | None = strawberry.field(
        default=None, description="When a request last came with it (to the minute); null if never."
    )

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
            scope=record.scope,
            expires_at=record.expires_at,
            last_used_at=record.last_used_at,
        )


@strawberry.type(description="The result of `createApiKey`: the key, shown this once, or the errors.")
class CreateApiKeyPayload:
    key: str | None = strawberry.field(
        default=None, description="The secret: store it now, it is never shown again. Null on errors."
    )
    api_key: ApiKey | None = strawberry.field(default=None, description="What is stored about it.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why not; empty on success.")


@strawberry.type(description="The account behind the API key of this request.")
class Me:
    principal: strawberry.Private[Principal]

    @strawberry.field(description="The account's display name.")
    def name(self) -> str:
        return self.principal.name

    @strawberry.field(description="What the account may do.")
    def role(self) -> Role:
        return self.principal.role

    @strawberry.field(description="The producer this account belongs to, for producer members; null for others.")
    async def producer(self, info: Info["Context", None]) -> Producer | None:
        p = self.principal
        if p.role is not Role.PRODUCER or p.org_id is None:
            return None
        record = await info.context.loaders.producer.load(p.org_id)
        return Producer.from_record(record) if record else None

    @strawberry.field(description="The buyer organisation this account belongs to, for buyer members; null for others.")
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

    @strawberry.field(description="The email you sign in with; null for accounts without one.")
    async def email(self, info: Info["Context", None]) -> str | None:
        account = await info.context.store.accounts.get(self.principal.account_id)
        return account.email if account else None

    @strawberry.field(description="The language of your emails.")
    async def language(self, info: Info["Context", None]) -> Locale:
        account = await info.context.store.accounts.get(self.principal.account_id)
        return Locale(account.locale) if account and account.locale in ("vi", "en") else Locale.VI

    @strawberry.field(description="Whether this request came with a signed-in session rather than an API key.")
    def signed_in(self) -> bool:
        return self.principal.via_session

    @strawberry.field(description="Your role inside your organisation (narrowed by the key's scope); null outside one.")
    def organisation_role(self) -> MemberRole | None:
        return self.principal.org_role

    @strawberry.field(description="Your organisation's status; VERIFIED for accounts outside one.")
    def organisation_status(self) -> OrgStatus:
        return self.principal.org_status

    @strawberry.field(description="Your spending limit; acceptances above it wait for approval. Null: none.")
    def spending_limit_vnd(self) -> Vnd | None:
        limit = self.principal.spending_limit_vnd
        return Vnd(limit) if limit is not None else None

    @strawberry.field(description="Your organisation (producer or buyer), with its members; null outside one.")
    async def organisation(self, info: Info["Context", None]) -> Organisation | None:
        p = self.principal
        if p.org_id is None:
            return None
        if p.role is Role.PRODUCER:
            producer = await info.context.loaders.producer.load(p.org_id)
            return Producer.from_record(producer) if producer else None
        buyer = await info.context.loaders.buyer_org.load(p.org_id)
        return BuyerOrganisation.from_record(buyer) if buyer else None

    @strawberry.field(description="The province a coordinator oversees; null for other roles.")
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

    @strawberry.field(
        description="API keys, oldest first: an organisation's owner sees every member's keys, anyone else their "
        "own, an admin their own."
    )
    async def api_keys(
        self, info: Info["Context", None], first: First = None, after: After = None
    ) -> CountedConnection[ApiKey]:
        ctx = info.context
        viewer = ctx.require_viewer()
        listing = await keys.api_keys(ctx.store, viewer, page_request(first, after))
        return to_connection(listing.page, lambda r: ApiKey.from_record(r, viewer), listing.count)


@strawberry.type(description="The result of `revokeApiKey`: the revoked key, or the errors.")
class RevokeApiKeyPayload:
    api_key: ApiKey | None = strawberry.field(
        default=None, description="The key, now revoked; null when `errors` is not empty."
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing was revoked; empty on success."
    )


@strawberry.type
class AccountMutation:
    @strawberry.mutation(
        description="Create an API key for an integration (an ERP, a shop platform), as an organisation's owner or "
        "an admin. The key acts as your account, at most with `scope` (an owner's only: an admin has no role in an "
        "organisation for a scope to narrow). `errors`: FORBIDDEN (not an owner, or a scope above your role), "
        "INVALID (a `scope` from an admin), REQUIRED, TOO_LONG, OUT_OF_RANGE (`expiresAt` in the past or beyond "
        "two years)."
    )
    @returns_user_errors(CreateApiKeyPayload)
    async def create_api_key(
        self,
        info: Info["Context", None],
        name: Annotated[str, strawberry.argument(description="What it is for, e.g. `SAP connector`.")],
        scope: Annotated[
            MemberRole | None,
            strawberry.argument(
                description="At most this role in your organisation, e.g. VIEWER for read-only; not for an admin."
            ),
        ] = None,
        expires_at: Annotated[datetime | None, strawberry.argument(description="When it stops working.")] = None,
    ) -> CreateApiKeyPayload:
        ctx = info.context
        viewer = ctx.require_viewer()
        secret, record = await keys.create_api_key(ctx.store, viewer, name, scope, expires_at)
        return CreateApiKeyPayload(key=secret, api_key=ApiKey.from_record(record, viewer))

    @strawberry.mutation(
        description="Revoke an API key for good (admins: any key; an organisation's owners: its members' keys; "
        "others: their own account's). Every API "
        "process refuses it within a few seconds and closes its subscriptions (WebSocket code 4403); revoking it "
        "again changes nothing. `errors`: "
        "NOT_FOUND (no such key, or another account's), INVALID (not a key id, or a hint several keys share)."
    )
    @returns_user_errors(RevokeApiKeyPayload)
    async def revoke_api_key(
        self,
        info: Info["Context", None],
        id: Annotated[
            strawberry.ID,
            strawberry.argument(
                description="The key's `id` from `me { apiKeys }`; its hint (`ocop_AbCd`) or the key itself also work."
            ),
        ],
    ) -> RevokeApiKeyPayload:
        ctx = info.context
        viewer = ctx.require_viewer()
        record = await accounts.revoke_api_key(ctx.store, viewer, id, "id")
        return RevokeApiKeyPayload(api_key=ApiKey.from_record(record, viewer))
