"""Organisations joining and working as teams, end to end against the real servers and the local SMTP server:
sign-up, sign-in, verification, invitations read from delivered mail, roles, spending limits and approvals."""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.settings import Settings
from devservices.mailbox import Mailbox
from market.mail.delivery import drain
from market.mail.smtp import SmtpSender
from market.store import Store
from tests.conftest import Api, World

PASSWORD = "Dừa-sáp-Cầu-Kè-2025"

REGISTER = """
mutation($input: RegisterOrganisationInput!) {
  registerOrganisation(input: $input) { organisation { id status name } errors { field code message } }
}"""
SIGN_IN = """
mutation($email: String!, $password: String!) {
  signIn(email: $email, password: $password) {
    session { accessToken refreshToken expiresAt } errors { field code message }
  }
}"""
SUBMIT = """
mutation($input: SubmitInquiryInput!) {
  submitInquiry(input: $input) { inquiry { id } errors { field code message } }
}"""
VERIFY = """
mutation($id: ID!) { verifyOrganisation(id: $id, note: "Hồ sơ đầy đủ") { organisation { status } errors { code } } }
"""
INVITE = """
mutation($email: String!, $role: MemberRole!) { inviteMember(email: $email, role: $role) { email errors { code } } }
"""
ACCEPT_INVITATION = """
mutation($token: String!, $name: String!, $password: String!) {
  acceptInvitation(token: $token, name: $name, password: $password) { member { id role } errors { field code } }
}"""
LIMIT = """
mutation($id: ID!, $limit: Vnd) {
  setSpendingLimit(memberId: $id, spendingLimitVnd: $limit) { member { spendingLimitVnd } errors { code } }
}"""
QUOTE = """
mutation($inquiry: ID!) {
  submitQuotation(inquiryId: $inquiry, input: {unitPriceVnd: 45000, leadTimeDays: 7}) {
    quotation { id current { number } } errors { code }
  }
}"""
ACCEPT = """
mutation($id: ID!, $revision: Int!) {
  acceptQuotation(id: $id, revision: $revision) {
    deal { id state } approval { id status valueVnd } errors { field code }
  }
}"""
APPROVE = """
mutation($id: ID!) {
  approvePurchase(id: $id) {
    approval { status decidedByName } deal { id state history { by note } } errors { code }
  }
}"""


@pytest.fixture
async def live(settings: Settings, api: Api) -> AsyncIterator[Api]:
    """The API with its lifespan running, as `ocop serve` runs it: it follows changes to accounts, so a
    verification reaches the members' cached sign-ins at once."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        await app.state.services.revocations.following.wait()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield Api(client, keys=dict(api.keys), app=app)


async def delivered(store: Store, settings: Settings, to: str) -> str:
    """Send what the outbox holds, then the text of the newest message the local SMTP server got for `to`."""
    await drain(store, SmtpSender(settings.resolved_smtp_url, mail_from=settings.mail_from, timeout=5))
    received = Mailbox.of(settings).latest(to=to, limit=1)
    assert received, f"no mail to {to}"
    return received[0].text


def token_in(text: str) -> str:
    match = re.search(r"token=([A-Za-z0-9_\-]+)", text)
    assert match, text
    return match.group(1)


def email(tag: str) -> str:
    return f"{tag}-{secrets.token_hex(4)}@example.vn"


async def sign_in(api: Api, address: str, password: str = PASSWORD) -> dict[str, Any]:
    return (await api.data(SIGN_IN, {"email": address, "password": password}))["signIn"]


async def test_a_supermarket_chain_joins_and_buys_as_a_team(
    live: Api, world: World, store: Store, settings: Settings
) -> None:
    owner = email("owner")
    registered = (
        await live.data(
            REGISTER,
            {
                "input": {
                    "kind": "BUYER", "name": f"Co.op Vĩnh Long {secrets.token_hex(3)}", "province": "Vĩnh Long",
                    "buyerKind": "SUPERMARKET_CHAIN", "owner": {"name": "Trần Minh Khoa", "email": owner.upper(),
                                                                 "password": PASSWORD},
                }
            },
        )
    )["registerOrganisation"]  # fmt: skip
    assert registered["errors"] == []
    org = registered["organisation"]
    assert org["status"] == "PENDING"
    assert "token=" in await delivered(store, settings, owner)  # the email verification link

    session = (await sign_in(live, owner))["session"]
    live.keys["owner"] = session["accessToken"]
    rfq = {"criteria": {"query": "kẹo dừa"}, "quantity": 100, "unit": "hộp"}
    refused = (await live.data(SUBMIT, {"input": rfq}, as_="owner"))["submitInquiry"]
    assert [e["code"] for e in refused["errors"]] == ["ORG_NOT_VERIFIED"]

    other_office = (await live.data(VERIFY, {"id": org["id"]}, as_="other_coordinator"))["verifyOrganisation"]
    assert [e["code"] for e in other_office["errors"]] == ["FORBIDDEN"]
    verified = (await live.data(VERIFY, {"id": org["id"]}, as_="coordinator"))["verifyOrganisation"]
    assert verified == {"organisation": {"status": "VERIFIED"}, "errors": []}

    colleague = email("colleague")
    invited = (await live.data(INVITE, {"email": colleague, "role": "MEMBER"}, as_="owner"))["inviteMember"]
    assert invited == {"email": colleague, "errors": []}
    token = token_in(await delivered(store, settings, colleague))
    joined = (await live.data(ACCEPT_INVITATION, {"token": token, "name": "Lê Thu Hà", "password": PASSWORD + "!"}))[
        "acceptInvitation"
    ]
    assert joined["errors"] == [] and joined["member"]["role"] == "MEMBER"
    again = (await live.data(ACCEPT_INVITATION, {"token": token, "name": "Lê Thu Hà", "password": PASSWORD + "!"}))[
        "acceptInvitation"
    ]
    assert [e["code"] for e in again["errors"]] == ["INVALID_TOKEN"]
    limit = await live.data(LIMIT, {"id": joined["member"]["id"], "limit": 1_000_000}, as_="owner")
    assert limit["setSpendingLimit"] == {"member": {"spendingLimitVnd": 1_000_000}, "errors": []}

    live.keys["colleague"] = (await sign_in(live, colleague, PASSWORD + "!"))["session"]["accessToken"]
    product = await published_product(live)
    inquiry = (await live.data(SUBMIT, {"input": {"productId": product, "quantity": 100, "unit": "hộp"}},
                               as_="colleague"))["submitInquiry"]  # fmt: skip
    assert inquiry["errors"] == []
    quotation = (await live.data(QUOTE, {"inquiry": inquiry["inquiry"]["id"]}, as_="producer"))["submitQuotation"]
    accepted = (await live.data(ACCEPT, {"id": quotation["quotation"]["id"], "revision": 1}, as_="colleague"))[
        "acceptQuotation"
    ]
    assert accepted["deal"] is None and accepted["errors"] == []
    assert accepted["approval"]["status"] == "PENDING" and accepted["approval"]["valueVnd"] == 4_500_000
    asked_again = (await live.data(ACCEPT, {"id": quotation["quotation"]["id"], "revision": 1}, as_="colleague"))[
        "acceptQuotation"
    ]
    assert asked_again["approval"]["id"] == accepted["approval"]["id"]  # one approval waits, not two
    assert "Trần Minh Khoa" in await delivered(store, settings, owner)  # the owner is asked to approve

    self_approval = (await live.data(APPROVE, {"id": accepted["approval"]["id"]}, as_="colleague"))["approvePurchase"]
    assert [e["code"] for e in self_approval["errors"]] == ["FORBIDDEN"]
    approved = (await live.data(APPROVE, {"id": accepted["approval"]["id"]}, as_="owner"))["approvePurchase"]
    assert approved["errors"] == [] and approved["approval"]["status"] == "APPROVED"
    assert approved["deal"]["state"] == "NEGOTIATING"
    assert [h["by"] for h in approved["deal"]["history"]] == ["Lê Thu Hà", "Trần Minh Khoa"]
    repeated = (await live.data(APPROVE, {"id": accepted["approval"]["id"]}, as_="owner"))["approvePurchase"]
    assert repeated["deal"]["id"] == approved["deal"]["id"]


async def published_product(api: Api) -> str:
    """A published product of the world's producer, through the API as its member would make one."""
    me = await api.data("{ me { producer { id } } }", as_="producer")
    created = await api.data(
        """mutation($p: ID!) { createProduct(input: {producerId: $p, name: "Kẹo dừa sáp hộp quà", group: FOOD,
             category: "Bánh kẹo", stars: 4, priceVnd: 50000, unit: "hộp"}) { product { id version } errors { code } } }""",
        {"p": me["me"]["producer"]["id"]},
        as_="producer",
    )
    product = created["createProduct"]["product"]
    published = await api.data(
        "mutation($id: ID!, $v: Int) { publishProduct(id: $id, expectedVersion: $v) { errors { code } } }",
        {"id": product["id"], "v": product["version"]},
        as_="producer",
    )
    assert published["publishProduct"]["errors"] == []
    return str(product["id"])
