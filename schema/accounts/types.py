"""The signed-in viewer."""

from typing import TYPE_CHECKING

import strawberry
from strawberry.types import Info

from market.accounts.policy import Principal
from market.accounts.records import Role
from market.core.provinces import load_provinces
from schema.catalog.types import BuyerOrganisation, Producer, Province

if TYPE_CHECKING:
    from schema.context import Context

strawberry.enum(Role, description="What an account may do; see the README's permission table.")


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
