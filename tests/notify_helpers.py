"""Shared by the notification and webhook tests: a small trade world of organisations whose members have email
addresses (the HTTP receiver is bench/webhook_receiver.py's, which the benchmark uses too)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from bson import ObjectId

from market.accounts.records import MemberRole, Role
from market.accounts.services import create_account, issue_api_key
from market.catalog.records import ProducerType
from market.store import Store
from tests.conftest import Api


@dataclass
class Party:
    org_id: ObjectId
    handle: str  # the Api's key name
    account_id: ObjectId
    email: str


@dataclass
class TradeWorld:
    maker: Party
    maker_member: Party
    rival: Party
    buyer: Party
    coordinator: Party


def email(tag: str) -> str:
    return f"{tag}-{secrets.token_hex(4)}@example.vn"


async def _party(api: Api, store: Store, tag: str, role: Role, org_id: ObjectId | None, **kwargs: Any) -> Party:
    address = email(tag)
    account = await create_account(
        store, name=f"{tag.title()} {secrets.token_hex(2)}", role=role,
        org_id=str(org_id) if org_id else None, email=address, **kwargs,
    )  # fmt: skip
    handle = f"{tag}-{secrets.token_hex(3)}"
    api.keys[handle] = await issue_api_key(store, account.id, handle)
    return Party(org_id or ObjectId(), handle, account.id, address)


async def trade_world(api: Api, store: Store) -> TradeWorld:
    tag = secrets.token_hex(3)
    maker = await store.producers.insert(
        {"name": f"HTX Dừa sáp {tag}", "type": ProducerType.COOPERATIVE.value,
         "address": {"provinceCode": "86", "formerProvince": "Trà Vinh"}, "verified": True}
    )  # fmt: skip
    rival = await store.producers.insert(
        {"name": f"HTX Kẹo dừa {tag}", "type": ProducerType.COOPERATIVE.value,
         "address": {"provinceCode": "86", "formerProvince": "Bến Tre"}, "verified": True}
    )  # fmt: skip
    buyer = await store.buyers.insert({"name": f"Co.op {tag}", "kind": "supermarket_chain"})
    return TradeWorld(
        maker=await _party(api, store, "maker", Role.PRODUCER, maker.id),
        maker_member=await _party(api, store, "member", Role.PRODUCER, maker.id, org_role=MemberRole.MEMBER),
        rival=await _party(api, store, "rival", Role.PRODUCER, rival.id),
        buyer=await _party(api, store, "buyer", Role.BUYER, buyer.id),
        coordinator=await _party(api, store, "office", Role.COORDINATOR, None, province="86"),
    )


def forget_mail(settings: Any, world: TradeWorld) -> None:
    """Remove what the local SMTP server kept for this world's people."""
    from devservices.mailbox import Mailbox

    people = {p.email for p in (world.maker, world.maker_member, world.rival, world.buyer, world.coordinator)}
    Mailbox.of(settings).remove_addressed_to(people)


CREATE_WEBHOOK = """
mutation($input: CreateWebhookInput!) {
  createWebhook(input: $input) { webhook { id url events enabled } secret errors { field code message } }
}"""
NOTIFICATIONS = """
query($unread: Boolean!) {
  unreadNotificationCount
  notifications(first: 50, unreadOnly: $unread) {
    totalCount
    edges { node { id eventId event title read payload inquiry { id } quotation { id } deal { id } } }
  }
}"""
