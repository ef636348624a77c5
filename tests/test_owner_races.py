"""An organisation keeps an owner when two of its owners take each other's place away at the same moment:
each change counts the owners left in its own transaction, and two counts that each still see the other
owner must not both commit. Real MongoDB transactions, through the membership functions."""

from __future__ import annotations

import asyncio
import secrets

import pytest

from market.accounts.policy import Principal
from market.accounts.records import Account, MemberRole, Role
from market.accounts.services import create_account
from market.core.errors import DomainError
from market.core.ids import global_id_of
from market.membership.members import change_member_role, remove_member
from market.membership.personal_data import delete_my_account
from market.store import Store

ROUNDS = 5  # each round a fresh organisation; without the rule, every round left none


async def two_owners(store: Store) -> tuple[Principal, Principal]:
    org = await store.buyers.insert({"name": f"Race mart {secrets.token_hex(3)}", "kind": "supermarket_chain"})
    owners: list[Account] = [
        await create_account(store, name=f"Owner {n}", role=Role.BUYER, org_id=str(org.id), org_role=MemberRole.OWNER)
        for n in (1, 2)
    ]
    return tuple(  # type: ignore[return-value]
        Principal(o.id, o.name, Role.BUYER, org.id, org_role=MemberRole.OWNER) for o in owners
    )


def member_gid(principal: Principal) -> str:
    return global_id_of("Member", principal.account_id)


@pytest.mark.parametrize("change", ["demote", "remove"])
async def test_two_owners_cannot_leave_their_organisation_without_one(store: Store, change: str) -> None:
    for _ in range(ROUNDS):
        first, second = await two_owners(store)

        async def take(actor: Principal, target: Principal) -> object:
            if change == "demote":
                return await change_member_role(store, actor, member_gid(target), MemberRole.MEMBER)
            return await remove_member(store, actor, member_gid(target))

        outcomes = await asyncio.gather(take(first, second), take(second, first), return_exceptions=True)
        refused = [o for o in outcomes if isinstance(o, BaseException)]
        assert len(refused) == 1, outcomes
        assert isinstance(refused[0], DomainError) and refused[0].errors[0].code.value == "LAST_OWNER", refused
        assert first.org_id is not None
        assert [m.org_role for m in await store.accounts.members(first.org_id)].count(MemberRole.OWNER) == 1


async def test_two_owners_cannot_both_erase_themselves_from_an_organisation_with_members(store: Store) -> None:
    password = secrets.token_urlsafe(12) + "-7"  # a digit and a symbol, whatever the random part holds
    for _ in range(ROUNDS):
        org = await store.buyers.insert({"name": f"Erase mart {secrets.token_hex(3)}", "kind": "supermarket_chain"})
        owners = [
            await create_account(
                store, name=f"Owner {n}", role=Role.BUYER, org_id=str(org.id), password=password,
                email=f"owner{n}-{secrets.token_hex(4)}@race.test",
            )
            for n in (1, 2)
        ]  # fmt: skip
        await create_account(store, name="Clerk", role=Role.BUYER, org_id=str(org.id), org_role=MemberRole.MEMBER)
        viewers = [
            Principal(o.id, o.name, Role.BUYER, org.id, org_role=MemberRole.OWNER, via_session=True) for o in owners
        ]
        outcomes = await asyncio.gather(
            *(delete_my_account(store, viewer, password) for viewer in viewers), return_exceptions=True
        )
        refused = [o for o in outcomes if isinstance(o, BaseException)]
        assert len(refused) == 1, outcomes
        assert isinstance(refused[0], DomainError) and refused[0].errors[0].code.value == "LAST_OWNER", refused
        assert [m.org_role for m in await store.accounts.members(org.id)].count(MemberRole.OWNER) == 1
