"""The identity features probed as an attacker would, against the real servers: telling accounts apart, getting
round the sign-in throttle, reusing ended tokens, climbing roles, trading as a viewer or before verification,
deciding other people's approvals, and reaching into other organisations. Each test is one attack that must
fail; together they are the regression suite of what such probing found."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from bson import ObjectId

from api.clients import client_of
from api.settings import Settings
from devservices.mailbox import Mailbox
from market.accounts import throttle
from market.accounts.records import MemberRole, OrgStatus, Role
from market.accounts.services import create_account, issue_api_key
from market.catalog.records import ProducerType, ProductStatus
from market.core.clock import midnight
from market.store import Store
from tests.conftest import Api, World, gid
from tests.test_identity import PASSWORD, REGISTER, delivered, email, live, sign_in, token_in

__all__ = ["live"]  # the fixture, shared with tests/test_identity.py

ME = "{ me { name organisationRole organisationStatus } }"
REFRESH = "mutation($t: String!) { refreshSession(refreshToken: $t) { session { accessToken refreshToken } errors { code } } }"
INVITE = "mutation($e: String!, $r: MemberRole!) { inviteMember(email: $e, role: $r) { email errors { field code } } }"
JOIN = """mutation($t: String!, $p: String!) { acceptInvitation(token: $t, name: "Đỗ Thị Mai", password: $p) {
  member { id role } errors { field code } } }"""
ROLE = "mutation($id: ID!, $r: MemberRole!) { changeMemberRole(memberId: $id, role: $r) { member { role } errors { code } } }"
REMOVE = "mutation($id: ID!) { removeMember(memberId: $id) { member { id } errors { code } } }"
LIMIT = """mutation($id: ID!, $l: Vnd) { setSpendingLimit(memberId: $id, spendingLimitVnd: $l) {
  member { spendingLimitVnd } errors { code } } }"""
KEY = """mutation($n: String!, $s: MemberRole) { createApiKey(name: $n, scope: $s) {
  key apiKey { id scope } errors { field code } } }"""
REVOKE = "mutation($id: ID!) { revokeApiKey(id: $id) { errors { field code } } }"
RESET = "mutation($e: String!) { requestPasswordReset(email: $e) { ok errors { field code message } } }"
ERASE = "mutation($p: String!) { deleteMyAccount(password: $p) { ok errors { code } } }"
SUBMIT = (
    "mutation($input: SubmitInquiryInput!) { submitInquiry(input: $input) { inquiry { id } errors { field code } } }"
)
QUOTE = """mutation($i: ID!, $p: Vnd!) { submitQuotation(inquiryId: $i, input: {unitPriceVnd: $p, leadTimeDays: 7}) {
  quotation { id current { number } } errors { code } } }"""
ACCEPT = """mutation($id: ID!, $r: Int!) { acceptQuotation(id: $id, revision: $r) {
  deal { id version } approval { id status } errors { field code } } }"""
DECLINE = 'mutation($id: ID!) { declineQuotation(id: $id, reason: "Giá cao") { quotation { status } errors { code } } }'
APPROVE = "mutation($id: ID!) { approvePurchase(id: $id) { approval { status } deal { id } errors { code } } }"
REJECT = 'mutation($id: ID!) { rejectPurchase(id: $id, reason: "Chưa cần") { approval { status } errors { code } } }'
MESSAGE = """mutation($i: ID!, $p: ID) { sendMessage(inquiryId: $i, input: {producerId: $p, body: "Giảm giá được không?",
  counterUnitPriceVnd: 40000}) { message { side } errors { code } } }"""
CLOSE = "mutation($id: ID!) { closeInquiry(id: $id) { inquiry { status } errors { code } } }"
ADVANCE = """mutation($id: ID!, $v: Int!) { advanceDeal(id: $id, to: AGREED, expectedVersion: $v) {
  deal { state } errors { code } } }"""
MOU = 'mutation($id: ID!) { signMou(dealId: $id, input: {termsSummary: "500 hộp mỗi quý"}) { deal { id } errors { code } } }'
SAMPLES = """mutation($p: ID!) { requestSamples(input: {productId: $p, quantity: 6, deliveryAddress: "1 Lê Lợi, TP HCM"}) {
  sampleRequest { id } errors { code } } }"""
SHIP = """mutation($id: ID!) { acceptSampleRequest(id: $id, shipping: {carrier: "Viettel Post"}) {
  sampleRequest { status } errors { code } } }"""
CONVERT = """mutation($id: ID!) { convertToInquiry(id: $id, input: {quantity: 100, unit: "hộp"}) {
  inquiry { id } errors { code } } }"""
CREATE_PRODUCT = """mutation($p: ID!) { createProduct(input: {producerId: $p, name: "Kẹo dừa lá dứa", group: FOOD,
  category: "Bánh kẹo", stars: 4, priceVnd: 50000, unit: "hộp"}) { product { id version } errors { code } } }"""
UPDATE_PRODUCT = """mutation($id: ID!, $v: Int!) { updateProduct(id: $id, expectedVersion: $v, input: {priceVnd: 1000}) {
  product { priceVnd } errors { code } } }"""
PUBLISH = "mutation($id: ID!) { publishProduct(id: $id) { product { status } errors { code } } }"
ARCHIVE = "mutation($id: ID!) { archiveProduct(id: $id) { product { status } errors { code } } }"
UPDATE_PRODUCER = """mutation($id: ID!, $v: Int!) { updateProducer(id: $id, expectedVersion: $v, input: {phone: "0901234567"}) {
  producer { id } errors { code } } }"""
LOT = """mutation($p: ID!) { recordLot(input: {productId: $p, lotNumber: "L1", producedOn: "2025-11-20"}) {
  lot { code } errors { code } } }"""
UPLOAD_DOCUMENT = """mutation($file: Upload!, $input: UploadDocumentInput!) { uploadDocument(file: $file, input: $input) {
  document { id } errors { field code } } }"""
IMPORT = """mutation($f: Upload!) { importProducts(file: $f, reportFormat: CSV) {
  created updated failed rowErrors { field code } errors { code } } }"""
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["errors"]]


def tag() -> str:
    return secrets.token_hex(3)


# --- who's who: organisations and people made directly, keys for each ---------------------------------------


async def org(store: Store, kind: Role, status: OrgStatus = OrgStatus.VERIFIED) -> ObjectId:
    if kind is Role.BUYER:
        record = await store.buyers.insert(
            {"name": f"Chuỗi siêu thị {tag()}", "kind": "supermarket_chain", "provinceCode": "86",
             "status": status.value}
        )  # fmt: skip
        return record.id
    producer = await store.producers.insert(
        {"name": f"HTX Mắm {tag()}", "type": ProducerType.COOPERATIVE.value, "verified": status is OrgStatus.VERIFIED,
         "address": {"provinceCode": "86", "formerProvince": "Trà Vinh", "commune": "Xã Hòa Tân"},
         "status": status.value}
    )  # fmt: skip
    return producer.id


async def person(
    api: Api, store: Store, org_id: ObjectId, kind: Role, role: MemberRole, *, password: str | None = None
) -> tuple[str, ObjectId, str]:
    """An account in `org_id` with `role` and an API key; (key name, account id, email)."""
    address = email(role.value)
    account = await create_account(
        store, name=f"Người {role.value} {tag()}", role=kind, org_id=str(org_id), email=address, org_role=role,
        password=password,
    )  # fmt: skip
    name = f"{role.value}-{tag()}"
    api.keys[name] = await issue_api_key(store, account.id, name)
    return name, account.id, address


async def product(store: Store, producer_id: ObjectId, status: ProductStatus = ProductStatus.PUBLISHED) -> str:
    record = await store.products.insert(
        {"producerId": producer_id, "name": f"Kẹo dừa sáp {tag()}", "description": "", "group": "food",
         "category": "Kẹo", "stars": 4, "provinceCode": "86", "formerProvince": "Trà Vinh", "priceVnd": 55000,
         "unit": "hộp 250g", "moq": 1, "status": status.value}
    )  # fmt: skip
    return gid("Product", record.id)


async def upload(api: Api, query: str, variables: dict[str, Any], name: str, content: bytes, as_: str) -> Any:
    operations = {"query": query, "variables": {**variables, "f": None, "file": None}}
    field = "file" if "$file" in query else "f"
    response = await api.client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": [f"variables.{field}"]})},
        files={"0": (name, content, "application/octet-stream")},
        headers={"Authorization": f"Bearer {api.keys[as_]}"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return next(iter(body["data"].values()))


def import_file(producer_name: str, **fields: Any) -> bytes:
    row = {"externalId": f"SP-{tag()}", "name": "Nước mắm cá cơm 40 độ đạm", "description": "Truyền thống.",
           "category": "Nước mắm", "province": "Vĩnh Long", "producer": producer_name, "ocopStars": 4,
           "priceVnd": 125000, "unit": "chai 500ml", **fields}  # fmt: skip
    return json.dumps(row, ensure_ascii=False).encode()


@dataclass
class Trade:
    """A verified buyer organisation with one person of each role, a producer with a viewer, a quotation open
    to acceptance and a deal."""

    buyer_org: ObjectId
    owner: str
    manager: str
    member: str
    viewer: str
    viewer_id: ObjectId
    member_id: ObjectId
    manager_id: ObjectId
    producer_viewer: str
    product: str
    inquiry: str
    quotation: str
    deal: str
    deal_version: int


async def quoted(api: Api, buyer: str, product_id: str, price: int = 45000, quantity: int = 100) -> tuple[str, str]:
    """A direct inquiry from `buyer` about the world producer's product, quoted by it; (inquiry, quotation)."""
    inquiry = (await api.data(SUBMIT, {"input": {"productId": product_id, "quantity": quantity, "unit": "hộp"}},
                              as_=buyer))["submitInquiry"]  # fmt: skip
    assert inquiry["errors"] == [], inquiry
    inquiry_id = inquiry["inquiry"]["id"]
    quotation = (await api.data(QUOTE, {"i": inquiry_id, "p": price}, as_="producer"))["submitQuotation"]
    assert quotation["errors"] == [], quotation
    return inquiry_id, quotation["quotation"]["id"]


@pytest.fixture
async def trade(api: Api, world: World, store: Store) -> Trade:
    buyer_org = await org(store, Role.BUYER)
    owner, _, _ = await person(api, store, buyer_org, Role.BUYER, MemberRole.OWNER)
    manager, manager_id, _ = await person(api, store, buyer_org, Role.BUYER, MemberRole.MANAGER)
    member, member_id, _ = await person(api, store, buyer_org, Role.BUYER, MemberRole.MEMBER)
    viewer, viewer_id, _ = await person(api, store, buyer_org, Role.BUYER, MemberRole.VIEWER)
    producer_viewer, _, _ = await person(api, store, ObjectId(world.producer_id), Role.PRODUCER, MemberRole.VIEWER)
    product_id = await product(store, ObjectId(world.producer_id))
    _, done = await quoted(api, owner, product_id)
    deal = (await api.data(ACCEPT, {"id": done, "r": 1}, as_=owner))["acceptQuotation"]["deal"]
    inquiry, quotation = await quoted(api, owner, product_id)
    return Trade(buyer_org, owner, manager, member, viewer, viewer_id, member_id, manager_id, producer_viewer,
                 product_id, inquiry, quotation, deal["id"], deal["version"])  # fmt: skip


# --- telling accounts apart -----------------------------------------------------------------------------------


async def test_sign_in_answers_alike_for_every_kind_of_wrong_email(live: Api, world: World, store: Store) -> None:
    buyer_org = await org(store, Role.BUYER)
    _, _, with_password = await person(live, store, buyer_org, Role.BUYER, MemberRole.OWNER, password=PASSWORD)
    _, _, without_password = await person(live, store, buyer_org, Role.BUYER, MemberRole.MEMBER)
    answers = [
        await sign_in(live, address, "not the password 1")
        for address in (with_password, with_password.upper(), without_password, email("nobody"), "", "not an email")
    ]
    assert all(a == answers[0] for a in answers), answers
    assert codes(answers[0]) == ["INVALID_CREDENTIALS"]


async def test_password_reset_answers_alike_for_known_unknown_and_passwordless_emails(
    live: Api, world: World, store: Store
) -> None:
    buyer_org = await org(store, Role.BUYER)
    _, _, known = await person(live, store, buyer_org, Role.BUYER, MemberRole.OWNER, password=PASSWORD)
    _, _, passwordless = await person(live, store, buyer_org, Role.BUYER, MemberRole.MEMBER)
    answers = [(await live.data(RESET, {"e": e}))["requestPasswordReset"] for e in (known, passwordless, email("x"))]
    assert answers == [{"ok": True, "errors": []}] * 3


async def test_password_reset_mails_cannot_flood_an_inbox(
    live: Api, world: World, store: Store, settings: Settings
) -> None:
    buyer_org = await org(store, Role.BUYER)
    _, _, known = await person(live, store, buyer_org, Role.BUYER, MemberRole.OWNER, password=PASSWORD)
    for variant in (known, known.upper(), f" {known}", known, known, known):
        assert (await live.data(RESET, {"e": variant}))["requestPasswordReset"] == {"ok": True, "errors": []}
    await delivered(store, settings, known)
    assert len(Mailbox.of(settings).latest(to=known)) == throttle.RESET_MAILS


async def test_sign_up_with_a_taken_email_says_so_as_documented(live: Api, world: World, store: Store) -> None:
    """registerOrganisation answers DUPLICATE on `owner.email` for an email that has an account, in any case:
    the issue makes emails unique and the mutation documents DUPLICATE, so a sign-up form can say "sign in
    instead". Sign-in and password reset, which an attacker can repeat cheaply, tell nothing."""
    buyer_org = await org(store, Role.BUYER)
    _, _, taken = await person(live, store, buyer_org, Role.BUYER, MemberRole.OWNER, password=PASSWORD)
    answer = (
        await live.data(
            REGISTER,
            {"input": {"kind": "BUYER", "name": f"Mart {tag()}", "province": "86", "buyerKind": "DISTRIBUTOR",
                       "owner": {"name": "Kẻ dò", "email": f"  {taken.upper()} ", "password": PASSWORD}}},
        )
    )["registerOrganisation"]  # fmt: skip
    assert answer["organisation"] is None
    assert [(e["field"], e["code"]) for e in answer["errors"]] == [("owner.email", "DUPLICATE")]


# --- the sign-in throttle -----------------------------------------------------------------------------------


@pytest.fixture
async def from_address(live: Api) -> AsyncIterator[Any]:
    """Clients of the live API from an address of the test's own, so its failures never throttle other tests."""
    opened: list[httpx.AsyncClient] = []

    def client(address: str) -> Api:
        transport = httpx.ASGITransport(app=live.app, client=(address, 4321))
        opened.append(httpx.AsyncClient(transport=transport, base_url="http://test"))
        return Api(opened[-1], keys=live.keys, app=live.app)

    yield client
    for c in opened:
        await c.aclose()


async def test_email_variants_share_one_throttle(live: Api, world: World, store: Store, from_address: Any) -> None:
    buyer_org = await org(store, Role.BUYER)
    _, _, address = await person(live, store, buyer_org, Role.BUYER, MemberRole.OWNER, password=PASSWORD)
    variants = [address, address.upper(), f"  {address}", f"{address}\t", address.title()]
    client = from_address(f"2001:db8:{secrets.randbelow(9000) + 1000}::1")
    for n in range(10):
        assert codes(await sign_in(client, variants[n % len(variants)], f"guess number {n}")) == ["INVALID_CREDENTIALS"]
    assert codes(await sign_in(client, address)) == ["TOO_MANY_ATTEMPTS"]


async def test_a_concurrent_burst_gets_no_more_guesses_than_a_slow_one(
    live: Api, world: World, store: Store, from_address: Any
) -> None:
    buyer_org = await org(store, Role.BUYER)
    _, _, address = await person(live, store, buyer_org, Role.BUYER, MemberRole.OWNER, password=PASSWORD)
    client = from_address(f"2001:db8:{secrets.randbelow(9000) + 1000}::2")
    answers = await asyncio.gather(*(sign_in(client, address, f"guess number {n}") for n in range(30)))
    guessed = [a for a in answers if codes(a) == ["INVALID_CREDENTIALS"]]
    assert len(guessed) <= 10, f"{len(guessed)} guesses were checked"
    assert codes(await sign_in(client, address)) == ["TOO_MANY_ATTEMPTS"]


async def test_forwarded_for_headers_do_not_make_a_new_client(
    live: Api, world: World, store: Store, from_address: Any
) -> None:
    """Without a trusted proxy configured, X-Forwarded-For is the client's own word and changes nothing."""
    client = from_address(f"2001:db8:{secrets.randbelow(9000) + 1000}::3")

    async def guess(n: int) -> Any:
        response = await client.client.post(
            "/graphql",
            json={"query": "mutation($e: String!) { signIn(email: $e, password: \"guess 12345\") { errors { code } } }",
                  "variables": {"e": email(f"spray{n}")}},
            headers={"X-Forwarded-For": f"203.0.113.{n % 250}", "X-Real-IP": f"203.0.113.{n % 250}"},
        )  # fmt: skip
        body = response.json()
        assert body.get("data"), body
        return codes(body["data"]["signIn"])

    answers = await asyncio.gather(*(guess(n) for n in range(60)))
    assert answers.count(["INVALID_CREDENTIALS"]) <= 50
    assert answers.count(["TOO_MANY_ATTEMPTS"]) >= 10


def test_ipv6_neighbours_are_one_client_and_ipv4_mapped_clients_are_not() -> None:
    def of(address: str) -> str:
        return client_of({"client": (address, 1)})

    assert of("2001:db8:1:2::1") == of("2001:db8:1:2:ffff::9")  # one /64: one client
    assert of("2001:db8:1:2::1") != of("2001:db8:1:3::1")
    # A dual-stack listener reports IPv4 clients as ::ffff:a.b.c.d: each is its own client, not all one /64.
    assert of("::ffff:192.0.2.1") != of("::ffff:192.0.2.2")
    assert of("::ffff:192.0.2.1") == of("192.0.2.1")


# --- ended tokens ---------------------------------------------------------------------------------------------


@dataclass
class Person:
    email: str
    account_id: ObjectId
    session: dict[str, Any]


async def signed_in(live: Api, store: Store, org_id: ObjectId, role: MemberRole) -> Person:
    _, account_id, address = await person(live, store, org_id, Role.BUYER, role, password=PASSWORD)
    session = (await sign_in(live, address))["session"]
    assert session is not None
    return Person(address, account_id, session)


async def refreshed(live: Api, token: str) -> dict[str, Any]:
    return (await live.data(REFRESH, {"t": token}))["refreshSession"]


async def refused(live: Api, token: str) -> None:
    for _ in range(40):
        response = await live.client.post("/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {token}"})
        if response.status_code == 401:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the token still works after 2 s")


async def test_tokens_are_not_interchangeable(live: Api, world: World, store: Store) -> None:
    buyer_org = await org(store, Role.BUYER)
    me = await signed_in(live, store, buyer_org, MemberRole.OWNER)
    key = (await live.data(KEY, {"n": "ERP"}, as_="admin"))["createApiKey"]["key"]
    for wrong in (me.session["accessToken"], key, me.session["refreshToken"] + "x", ""):
        assert codes(await refreshed(live, wrong)) == ["INVALID_TOKEN"]
    as_bearer = await live.client.post(
        "/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {me.session['refreshToken']}"}
    )
    assert as_bearer.status_code == 401
    # none of that used the refresh token up: it still turns into a session, once
    assert (await refreshed(live, me.session["refreshToken"]))["session"] is not None
    assert codes(await refreshed(live, me.session["refreshToken"])) == ["INVALID_TOKEN"]


async def test_a_refresh_token_dies_with_its_session(live: Api, world: World, store: Store) -> None:
    buyer_org = await org(store, Role.BUYER)
    await person(live, store, buyer_org, Role.BUYER, MemberRole.OWNER)  # another owner, so that anyone may go

    # sign out
    out = await signed_in(live, store, buyer_org, MemberRole.MEMBER)
    live.keys["out"] = out.session["accessToken"]
    assert (await live.data("mutation { signOut { ok } }", as_="out"))["signOut"]["ok"] is True
    assert codes(await refreshed(live, out.session["refreshToken"])) == ["INVALID_TOKEN"]

    # change of password: every session, this one included
    changed = await signed_in(live, store, buyer_org, MemberRole.MEMBER)
    live.keys["changed"] = changed.session["accessToken"]
    change = "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) { ok } }"
    assert (await live.data(change, {"c": PASSWORD, "n": "Một mật khẩu mới 2026"}, as_="changed"))["changePassword"][
        "ok"
    ]
    assert codes(await refreshed(live, changed.session["refreshToken"])) == ["INVALID_TOKEN"]
    await refused(live, changed.session["accessToken"])

    # removal from the organisation
    removed = await signed_in(live, store, buyer_org, MemberRole.MEMBER)
    owner, _, _ = await person(live, store, buyer_org, Role.BUYER, MemberRole.OWNER)
    assert (await live.data(REMOVE, {"id": gid("Member", removed.account_id)}, as_=owner))["removeMember"][
        "errors"
    ] == []
    assert codes(await refreshed(live, removed.session["refreshToken"])) == ["INVALID_TOKEN"]
    await refused(live, removed.session["accessToken"])
    assert codes(await sign_in(live, removed.email)) == ["INVALID_CREDENTIALS"]

    # erasure
    erased = await signed_in(live, store, buyer_org, MemberRole.MEMBER)
    live.keys["erased"] = erased.session["accessToken"]
    assert (await live.data(ERASE, {"p": PASSWORD}, as_="erased"))["deleteMyAccount"]["ok"] is True
    assert codes(await refreshed(live, erased.session["refreshToken"])) == ["INVALID_TOKEN"]
    await refused(live, erased.session["accessToken"])


async def test_an_old_refresh_token_after_rotation_ends_the_thief_and_the_owner(
    live: Api, world: World, store: Store
) -> None:
    buyer_org = await org(store, Role.BUYER)
    me = await signed_in(live, store, buyer_org, MemberRole.OWNER)
    rotated = (await refreshed(live, me.session["refreshToken"]))["session"]
    stolen = await asyncio.gather(*(refreshed(live, me.session["refreshToken"]) for _ in range(5)))
    assert all(codes(s) == ["INVALID_TOKEN"] for s in stolen)
    assert codes(await refreshed(live, rotated["refreshToken"])) == ["INVALID_TOKEN"]
    await refused(live, rotated["accessToken"])


async def test_concurrent_refreshes_hand_out_one_session(live: Api, world: World, store: Store) -> None:
    buyer_org = await org(store, Role.BUYER)
    me = await signed_in(live, store, buyer_org, MemberRole.OWNER)
    answers = await asyncio.gather(*(refreshed(live, me.session["refreshToken"]) for _ in range(6)))
    assert sum(a["session"] is not None for a in answers) <= 1


# --- climbing roles -------------------------------------------------------------------------------------------


async def test_a_manager_climbs_no_higher(api: Api, trade: Trade, store: Store) -> None:
    owner_id = next(m.id for m in await store.accounts.members(trade.buyer_org) if m.org_role is MemberRole.OWNER)
    attempts = [
        (ROLE, {"id": gid("Member", trade.manager_id), "r": "OWNER"}, "changeMemberRole"),
        (ROLE, {"id": gid("Member", owner_id), "r": "VIEWER"}, "changeMemberRole"),
        (ROLE, {"id": gid("Member", trade.member_id), "r": "MANAGER"}, "changeMemberRole"),
        (ROLE, {"id": gid("Member", trade.member_id), "r": "OWNER"}, "changeMemberRole"),
        (LIMIT, {"id": gid("Member", trade.manager_id), "l": None}, "setSpendingLimit"),
        (LIMIT, {"id": gid("Member", owner_id), "l": 1}, "setSpendingLimit"),
        (REMOVE, {"id": gid("Member", owner_id)}, "removeMember"),
        (INVITE, {"e": email("accomplice"), "r": "MANAGER"}, "inviteMember"),
        (INVITE, {"e": email("accomplice"), "r": "OWNER"}, "inviteMember"),
        (KEY, {"n": "mine"}, "createApiKey"),
    ]
    for query, variables, name in attempts:
        answer = (await api.data(query, variables, as_=trade.manager))[name]
        assert codes(answer) == ["FORBIDDEN"], (name, variables, answer)
    keys = 'mutation { createApiKey(name: "mine") { errors { message } } }'
    told = (await api.data(keys, as_=trade.manager))["createApiKey"]["errors"][0]["message"]
    assert told == "only the organisation's owners may manage API keys", told


async def test_members_and_viewers_manage_nobody(api: Api, trade: Trade) -> None:
    for who in (trade.member, trade.viewer):
        for query, variables, name in [
            (INVITE, {"e": email("friend"), "r": "VIEWER"}, "inviteMember"),
            (ROLE, {"id": gid("Member", trade.viewer_id), "r": "MEMBER"}, "changeMemberRole"),
            (LIMIT, {"id": gid("Member", trade.member_id), "l": None}, "setSpendingLimit"),
            (REMOVE, {"id": gid("Member", trade.manager_id)}, "removeMember"),
            (KEY, {"n": "mine"}, "createApiKey"),
        ]:
            answer = (await api.data(query, variables, as_=who))[name]
            assert codes(answer) == ["FORBIDDEN"], (who, name, answer)


async def test_a_scoped_key_acts_only_within_its_scope(api: Api, trade: Trade) -> None:
    created = (await api.data(KEY, {"n": "ERP đọc", "s": "VIEWER"}, as_=trade.owner))["createApiKey"]
    api.keys["erp"] = created["key"]
    other = (await api.data(KEY, {"n": "Shop"}, as_=trade.owner))["createApiKey"]
    assert codes((await api.data(KEY, {"n": "more"}, as_="erp"))["createApiKey"]) == ["FORBIDDEN"]
    assert codes((await api.data(INVITE, {"e": email("x"), "r": "VIEWER"}, as_="erp"))["inviteMember"]) == ["FORBIDDEN"]
    assert codes((await api.data(SUBMIT, {"input": {"productId": trade.product, "quantity": 1, "unit": "hộp"}},
                                 as_="erp"))["submitInquiry"]) == ["FORBIDDEN"]  # fmt: skip
    # A read-only key revokes no key of its account, itself included: to it they look like no key at all.
    api.keys["shop"] = other["key"]
    for key_id in (other["apiKey"]["id"], created["apiKey"]["id"]):
        assert codes((await api.data(REVOKE, {"id": key_id}, as_="erp"))["revokeApiKey"]) == ["NOT_FOUND"]
    assert (await api.data(ME, as_="shop"))["me"]["organisationRole"] == "OWNER"


async def test_a_scoped_key_exports_none_of_its_persons_data(api: Api, trade: Trade) -> None:
    for scope in ("VIEWER", "MANAGER"):
        answer = await api.gql("{ exportMyData }", as_=await scoped(api, trade.owner, scope))
        assert answer["data"] is None, (scope, answer)
        [error] = answer["errors"]
        assert error["extensions"]["code"] == "FORBIDDEN", (scope, error)
        assert "may not export the account's data" in error["message"], (scope, error)
    assert (await api.data("{ exportMyData }", as_=trade.owner))["exportMyData"]["apiKeys"]  # the owner's own key


async def test_an_admin_gets_no_read_only_key_that_acts_as_an_admin(api: Api, trade: Trade) -> None:
    # A scope narrows a role inside an organisation; an admin has none, so a "VIEWER" key of theirs would
    # revoke anyone's keys and read the whole audit log.
    created = (await api.data(KEY, {"n": "Bảng điều khiển chỉ đọc", "s": "VIEWER"}, as_="admin"))["createApiKey"]
    assert created["key"] is None and created["apiKey"] is None, created
    assert [(e["field"], e["code"]) for e in created["errors"]] == [("scope", "INVALID")]
    told = await api.data('mutation { createApiKey(name: "x", scope: VIEWER) { errors { message } } }', as_="admin")
    assert "leave scope out" in told["createApiKey"]["errors"][0]["message"], told
    # Without a scope the admin still makes keys, and an owner still makes scoped ones.
    assert (await api.data(KEY, {"n": "Đồng bộ"}, as_="admin"))["createApiKey"]["errors"] == []
    assert (await api.data(KEY, {"n": "ERP", "s": "VIEWER"}, as_=trade.owner))["createApiKey"]["errors"] == []


async def test_a_provincial_office_is_told_it_has_no_organisation_to_make_keys_for(api: Api, world: World) -> None:
    told = await api.gql('mutation { createApiKey(name: "x") { errors { code message } } }', as_="coordinator")
    assert told["data"]["createApiKey"]["errors"] == [
        {"code": "FORBIDDEN", "message": "this account belongs to no organisation, so it cannot manage API keys"}
    ], told
    vi = await api.client.post(
        "/graphql",
        json={"query": 'mutation { createApiKey(name: "x") { errors { message } } }'},
        headers={"Authorization": f"Bearer {api.keys['coordinator']}", "Accept-Language": "vi"},
    )
    assert vi.json()["data"]["createApiKey"]["errors"] == [
        {"message": "tài khoản này không thuộc tổ chức nào nên không thể quản lý khóa API"}
    ], vi.json()


async def test_a_scoped_key_of_an_account_without_an_organisation_role_is_refused(
    api: Api, trade: Trade, store: Store
) -> None:
    # Keys like these were made before a scope needed an organisation role to narrow; they acted with every
    # right of their admin or provincial office.
    victim = (await api.data(KEY, {"n": "Cửa hàng"}, as_=trade.owner))["createApiKey"]
    api.keys["victim"] = victim["key"]
    admin = await create_account(store, name=f"Admin {tag()}", role=Role.ADMIN)
    office = await create_account(store, name=f"OCOP {tag()}", role=Role.COORDINATOR, province="Vĩnh Long")
    attempts = [
        (admin, "mutation($id: ID!) { revokeApiKey(id: $id) { errors { code } } }", {"id": victim["apiKey"]["id"]}),
        (office, "{ auditLog(first: 1) { totalCount } }", {}),
    ]
    for account, query, variables in attempts:
        key = await store.accounts.issue_key(account.id, "dashboard", scope=MemberRole.VIEWER)
        response = await api.client.post(
            "/graphql", json={"query": query, "variables": variables}, headers={"Authorization": f"Bearer {key}"}
        )
        assert response.status_code == 401, (account.role, response.text)
        message = response.json()["errors"][0]["message"]
        assert "VIEWER" in message and account.role.name in message and "new key" in message, message
    assert (await api.data(ME, as_="victim"))["me"]["organisationRole"] == "OWNER"  # still not revoked


async def test_keys_of_other_organisations_cannot_be_revoked(api: Api, trade: Trade, store: Store) -> None:
    stranger_org = await org(store, Role.BUYER)
    stranger, _, _ = await person(api, store, stranger_org, Role.BUYER, MemberRole.OWNER)
    theirs = (await api.data(KEY, {"n": "theirs"}, as_=stranger))["createApiKey"]["apiKey"]["id"]
    for who in (trade.owner, "coordinator", "producer"):
        answer = (await api.data(REVOKE, {"id": theirs}, as_=who))["revokeApiKey"]
        assert codes(answer) == ["NOT_FOUND"], (who, answer)
    assert (await api.data(ME, as_=stranger))["me"] is not None


# --- acting as a viewer ---------------------------------------------------------------------------------------


async def test_a_buyer_viewer_trades_through_no_path(api: Api, trade: Trade, world: World, store: Store) -> None:
    request = (await api.data(SAMPLES, {"p": trade.product}, as_=trade.owner))["requestSamples"]["sampleRequest"]
    assert (await api.data(SHIP, {"id": request["id"]}, as_="producer"))["acceptSampleRequest"]["errors"] == []
    for key in (trade.viewer, await scoped(api, trade.owner, "VIEWER")):
        attempts = [
            (SUBMIT, {"input": {"productId": trade.product, "quantity": 5, "unit": "hộp"}}, "submitInquiry"),
            (ACCEPT, {"id": trade.quotation, "r": 1}, "acceptQuotation"),
            (DECLINE, {"id": trade.quotation}, "declineQuotation"),
            (MESSAGE, {"i": trade.inquiry, "p": world.producer_gid}, "sendMessage"),
            (CLOSE, {"id": trade.inquiry}, "closeInquiry"),
            (ADVANCE, {"id": trade.deal, "v": trade.deal_version}, "advanceDeal"),
            (MOU, {"id": trade.deal}, "signMou"),
            (SAMPLES, {"p": trade.product}, "requestSamples"),
            (CONVERT, {"id": request["id"]}, "convertToInquiry"),
        ]
        for query, variables, name in attempts:
            answer = (await api.data(query, variables, as_=key))[name]
            assert codes(answer) == ["FORBIDDEN"], (name, answer)


async def scoped(api: Api, owner: str, scope: str) -> str:
    created = (await api.data(KEY, {"n": f"scoped {scope}", "s": scope}, as_=owner))["createApiKey"]
    assert created["errors"] == [], created
    name = f"scoped-{tag()}"
    api.keys[name] = created["key"]
    return name


async def test_a_producer_viewer_changes_nothing(api: Api, trade: Trade, world: World, store: Store) -> None:
    draft = await product(store, ObjectId(world.producer_id), ProductStatus.DRAFT)
    version = await store.products.get(ObjectId(json_id(draft)))
    assert version is not None
    producer = await store.producers.get(ObjectId(world.producer_id))
    assert producer is not None
    who = trade.producer_viewer
    attempts = [
        (QUOTE, {"i": trade.inquiry, "p": 1000}, "submitQuotation"),
        (CREATE_PRODUCT, {"p": world.producer_gid}, "createProduct"),
        (UPDATE_PRODUCT, {"id": draft, "v": version.version}, "updateProduct"),
        (PUBLISH, {"id": draft}, "publishProduct"),
        (ARCHIVE, {"id": trade.product}, "archiveProduct"),
        (UPDATE_PRODUCER, {"id": world.producer_gid, "v": producer.version}, "updateProducer"),
        (LOT, {"p": trade.product}, "recordLot"),
        (MOU, {"id": trade.deal}, "signMou"),
    ]
    for query, variables, name in attempts:
        answer = (await api.data(query, variables, as_=who))[name]
        assert codes(answer) == ["FORBIDDEN"], (name, answer)
    document = await upload(api, UPLOAD_DOCUMENT, {"input": {"type": "FOOD_SAFETY", "producerId": world.producer_gid}},
                            "attp.pdf", PDF, who)  # fmt: skip
    assert codes(document) == ["FORBIDDEN"]
    imported = await upload(api, IMPORT, {}, "sp.jsonl", import_file(producer.name), who)
    assert codes(imported) == ["FORBIDDEN"]
    assert (await store.products.get(ObjectId(json_id(trade.product)))).status is ProductStatus.PUBLISHED  # type: ignore[union-attr]


def json_id(global_id: str) -> str:
    import base64

    return base64.b64decode(global_id).decode().split(":", 1)[1]


# --- before verification --------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [OrgStatus.PENDING, OrgStatus.REJECTED])
async def test_an_unverified_buyer_trades_through_no_path(
    api: Api, world: World, store: Store, status: OrgStatus
) -> None:
    buyer_org = await org(store, Role.BUYER, status)
    owner, _, _ = await person(api, store, buyer_org, Role.BUYER, MemberRole.OWNER)
    published = await product(store, ObjectId(world.producer_id))
    for query, variables, name in [
        (SUBMIT, {"input": {"productId": published, "quantity": 5, "unit": "hộp"}}, "submitInquiry"),
        (SUBMIT, {"input": {"criteria": {"query": "kẹo dừa"}, "quantity": 5, "unit": "hộp"}}, "submitInquiry"),
        (SAMPLES, {"p": published}, "requestSamples"),
    ]:
        assert codes((await api.data(query, variables, as_=owner))[name]) == ["ORG_NOT_VERIFIED"], name


@pytest.mark.parametrize("status", [OrgStatus.PENDING, OrgStatus.REJECTED])
async def test_an_unverified_producer_publishes_through_no_path(
    api: Api, world: World, store: Store, status: OrgStatus
) -> None:
    producer_id = await org(store, Role.PRODUCER, status)
    producer = await store.producers.get(producer_id)
    assert producer is not None
    owner, _, _ = await person(api, store, producer_id, Role.PRODUCER, MemberRole.OWNER)
    created = (await api.data(CREATE_PRODUCT, {"p": gid("Producer", producer_id)}, as_=owner))["createProduct"]
    assert created["errors"] == []  # drafts are fine
    draft = created["product"]["id"]
    assert (await api.data(UPDATE_PRODUCT, {"id": draft, "v": 1}, as_=owner))["updateProduct"]["errors"] == []
    assert codes((await api.data(PUBLISH, {"id": draft}, as_=owner))["publishProduct"]) == ["ORG_NOT_VERIFIED"]
    # its papers go to the office that reviews it
    document = await upload(api, UPLOAD_DOCUMENT, {"input": {"type": "FOOD_SAFETY",
                            "producerId": gid("Producer", producer_id)}}, "attp.pdf", PDF, owner)  # fmt: skip
    assert document["errors"] == []
    # a lot opens a public trace page: that is publishing
    assert codes((await api.data(LOT, {"p": draft}, as_=owner))["recordLot"]) == ["ORG_NOT_VERIFIED"]
    # the importer: a row that asks to publish is refused, and rows that say nothing come in as drafts
    published = await upload(api, IMPORT, {}, "sp.jsonl", import_file(producer.name, status="published"), owner)
    assert published["created"] == 0
    assert [(e["field"], e["code"]) for e in published["rowErrors"]] == [("status", "ORG_NOT_VERIFIED")]
    drafts = await upload(api, IMPORT, {}, "sp.jsonl", import_file(producer.name), owner)
    assert drafts["created"] == 1 and drafts["rowErrors"] == []
    assert (
        await store.db["products"].count_documents({"producerId": producer_id, "status": ProductStatus.PUBLISHED.value})
        == 0
    )


# --- approvals ------------------------------------------------------------------------------------------------


async def limited(api: Api, trade: Trade, limit: int = 1000) -> None:
    answer = await api.data(LIMIT, {"id": gid("Member", trade.member_id), "l": limit}, as_=trade.owner)
    assert answer["setSpendingLimit"]["errors"] == []


async def waiting(api: Api, trade: Trade, quotation: str | None = None) -> str:
    answer = (await api.data(ACCEPT, {"id": quotation or trade.quotation, "r": 1}, as_=trade.member))["acceptQuotation"]
    assert answer["errors"] == [] and answer["approval"]["status"] == "PENDING", answer
    return str(answer["approval"]["id"])


async def test_approvals_are_decided_only_by_their_own_organisation(api: Api, trade: Trade, store: Store) -> None:
    await limited(api, trade)
    approval = await waiting(api, trade)
    stranger_org = await org(store, Role.BUYER)
    stranger, _, _ = await person(api, store, stranger_org, Role.BUYER, MemberRole.OWNER)
    for who in (stranger, "coordinator", "producer", trade.viewer, trade.member):
        answer = (await api.data(APPROVE, {"id": approval}, as_=who))["approvePurchase"]
        assert codes(answer) in (["NOT_FOUND"], ["FORBIDDEN"]), (who, answer)
        assert codes((await api.data(REJECT, {"id": approval}, as_=who))["rejectPurchase"]) in (
            ["NOT_FOUND"], ["FORBIDDEN"])  # fmt: skip
    for who in (stranger, "coordinator", "producer", trade.viewer):
        node = await api.data("query($id: ID!) { node(id: $id) { id } }", {"id": approval}, as_=who)
        assert node["node"] is None, who


async def test_approving_after_the_quotation_moved_on(api: Api, trade: Trade) -> None:
    await limited(api, trade)
    approval = await waiting(api, trade)
    revised = (await api.data(QUOTE, {"i": trade.inquiry, "p": 44000}, as_="producer"))["submitQuotation"]
    assert revised["quotation"]["current"]["number"] == 2
    answer = (await api.data(APPROVE, {"id": approval}, as_=trade.owner))["approvePurchase"]
    assert codes(answer) == ["CONFLICT"] and answer["deal"] is None

    second = await waiting_on_new(api, trade)
    assert (await api.data(DECLINE, {"id": second[1]}, as_=trade.owner))["declineQuotation"]["errors"] == []
    answer = (await api.data(APPROVE, {"id": second[0]}, as_=trade.owner))["approvePurchase"]
    assert codes(answer) == ["INVALID_STATE"] and answer["deal"] is None


async def waiting_on_new(api: Api, trade: Trade) -> tuple[str, str]:
    _, quotation = await quoted(api, trade.owner, trade.product)
    return await waiting(api, trade, quotation), quotation


async def test_rejected_stays_rejected(api: Api, trade: Trade) -> None:
    await limited(api, trade)
    approval = await waiting(api, trade)
    assert (await api.data(REJECT, {"id": approval}, as_=trade.manager))["rejectPurchase"]["errors"] == []
    answer = (await api.data(APPROVE, {"id": approval}, as_=trade.owner))["approvePurchase"]
    assert codes(answer) == ["INVALID_STATE"]


async def test_racing_approvals_open_one_deal(api: Api, trade: Trade, store: Store) -> None:
    await limited(api, trade)
    approval = await waiting(api, trade)
    answers = await asyncio.gather(
        *(api.data(APPROVE, {"id": approval}, as_=who) for who in (trade.owner, trade.manager, trade.owner))
    )
    deals = {a["approvePurchase"]["deal"]["id"] for a in answers if a["approvePurchase"]["deal"]}
    assert len(deals) == 1, answers
    assert all(a["approvePurchase"]["errors"] == [] for a in answers), answers
    assert await store.db["deals"].count_documents({"quotationId": ObjectId(json_id(trade.quotation))}) == 1


async def test_a_removed_requester_purchase_is_not_approved(api: Api, trade: Trade) -> None:
    await limited(api, trade)
    approval = await waiting(api, trade)
    assert (await api.data(REMOVE, {"id": gid("Member", trade.member_id)}, as_=trade.owner))["removeMember"][
        "errors"
    ] == []
    answer = (await api.data(APPROVE, {"id": approval}, as_=trade.owner))["approvePurchase"]
    assert codes(answer) == ["INVALID_STATE"] and answer["deal"] is None


async def test_a_retried_acceptance_waits_in_one_approval(api: Api, trade: Trade) -> None:
    await limited(api, trade)
    first = await waiting(api, trade)
    again = (await api.data(ACCEPT, {"id": trade.quotation, "r": 1}, as_=trade.member))["acceptQuotation"]
    assert again["errors"] == [] and again["approval"]["id"] == first


# --- other organisations' ids ------------------------------------------------------------------------------


async def test_other_organisations_ids_look_like_nothing(api: Api, trade: Trade, world: World, store: Store) -> None:
    stranger_org = await org(store, Role.BUYER)
    stranger, stranger_id, _ = await person(api, store, stranger_org, Role.BUYER, MemberRole.OWNER)
    for query, variables, name in [
        (ROLE, {"id": gid("Member", trade.member_id), "r": "VIEWER"}, "changeMemberRole"),
        (REMOVE, {"id": gid("Member", trade.member_id)}, "removeMember"),
        (LIMIT, {"id": gid("Member", trade.member_id), "l": 1}, "setSpendingLimit"),
    ]:
        assert codes((await api.data(query, variables, as_=stranger))[name]) == ["NOT_FOUND"], name
        assert codes((await api.data(query, {**variables, "id": gid("Member", stranger_id)}, as_=trade.owner))[
            name]) == ["NOT_FOUND"], name  # fmt: skip
    members = "query($id: ID!) { node(id: $id) { ... on BuyerOrganisation { members { totalCount } } } }"
    assert (await api.data(members, {"id": gid("BuyerOrganisation", trade.buyer_org)}, as_=stranger))["node"] == {
        "members": None
    }
    assert (await api.data(members, {"id": gid("BuyerOrganisation", trade.buyer_org)}, as_="other_coordinator"))[
        "node"] == {"members": None}  # fmt: skip
    verify = "mutation($id: ID!) { verifyOrganisation(id: $id) { errors { code } } }"
    pending = await org(store, Role.BUYER, OrgStatus.PENDING)
    for who in (trade.owner, "producer", "other_coordinator"):
        assert codes((await api.data(verify, {"id": gid("BuyerOrganisation", pending)}, as_=who))[
            "verifyOrganisation"]) == ["FORBIDDEN"]  # fmt: skip


async def test_audit_log_and_review_queue_stay_in_their_province(
    live: Api, world: World, store: Store, settings: Settings
) -> None:
    owner = email("owner")
    registered = (await live.data(REGISTER, {"input": {
        "kind": "BUYER", "name": f"Mart {tag()}", "province": "86", "buyerKind": "DISTRIBUTOR",
        "owner": {"name": "Phạm Văn An", "email": owner, "password": PASSWORD}}}))["registerOrganisation"]  # fmt: skip
    org_id = registered["organisation"]["id"]
    log = "query($t: ID!) { auditLog(filter: {targetId: $t}) { edges { node { action } } } }"
    assert (await live.data(log, {"t": org_id}, as_="coordinator"))["auditLog"]["edges"] != []
    assert (await live.data(log, {"t": org_id}, as_="other_coordinator"))["auditLog"]["edges"] == []
    queue = "{ pendingOrganisations(first: 100) { edges { node { id } } } }"
    elsewhere = (await live.data(queue, as_="other_coordinator"))["pendingOrganisations"]["edges"]
    assert org_id not in [e["node"]["id"] for e in elsewhere]
    live.keys["registered"] = (await sign_in(live, owner))["session"]["accessToken"]
    for query in (queue, "{ auditLog { totalCount } }"):
        assert (await live.gql(query, as_="registered"))["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_exported_data_is_only_the_persons_own(api: Api, trade: Trade, store: Store, live: Api) -> None:
    me = await signed_in(live, store, trade.buyer_org, MemberRole.MEMBER)
    live.keys["me"] = me.session["accessToken"]
    exported = json.dumps((await live.data("{ exportMyData }", as_="me"))["exportMyData"])
    others = [m for m in await store.accounts.members(trade.buyer_org) if m.id != me.account_id]
    assert others
    for other in others:
        assert other.email is not None and other.email not in exported
        assert str(other.id) not in exported
    assert "passwordHash" not in exported and '"hash"' not in exported


# --- invitations ----------------------------------------------------------------------------------------------


async def invitation(
    live: Api, store: Store, settings: Settings, inviter: str, role: str = "MEMBER"
) -> tuple[str, str]:
    address = email("invited")
    assert (await live.data(INVITE, {"e": address, "r": role}, as_=inviter))["inviteMember"]["errors"] == []
    return address, token_in(await delivered(store, settings, address))


async def test_an_invitation_dies_with_its_inviters_rights(
    live: Api, world: World, store: Store, settings: Settings
) -> None:
    buyer_org = await org(store, Role.BUYER)
    owner, _, _ = await person(live, store, buyer_org, Role.BUYER, MemberRole.OWNER)
    manager, manager_id, _ = await person(live, store, buyer_org, Role.BUYER, MemberRole.MANAGER)
    _, by_removed = await invitation(live, store, settings, manager)
    _, by_demoted = await invitation(live, store, settings, manager)
    assert (await live.data(ROLE, {"id": gid("Member", manager_id), "r": "MEMBER"}, as_=owner))["changeMemberRole"][
        "errors"] == []  # fmt: skip
    demoted = (await live.data(JOIN, {"t": by_demoted, "p": "Hoa sen vàng 2025"}))["acceptInvitation"]
    assert codes(demoted) == ["INVALID_TOKEN"]
    assert (await live.data(REMOVE, {"id": gid("Member", manager_id)}, as_=owner))["removeMember"]["errors"] == []
    removed = (await live.data(JOIN, {"t": by_removed, "p": "Hoa sen vàng 2025"}))["acceptInvitation"]
    assert codes(removed) == ["INVALID_TOKEN"]


async def test_an_invited_email_that_signed_up_elsewhere_cannot_join_twice(
    live: Api, world: World, store: Store, settings: Settings
) -> None:
    buyer_org = await org(store, Role.BUYER)
    owner, _, _ = await person(live, store, buyer_org, Role.BUYER, MemberRole.OWNER)
    address, token = await invitation(live, store, settings, owner)
    elsewhere = (await live.data(REGISTER, {"input": {
        "kind": "BUYER", "name": f"Mart {tag()}", "province": "86", "buyerKind": "DISTRIBUTOR",
        "owner": {"name": "Phạm Văn An", "email": address, "password": PASSWORD}}}))["registerOrganisation"]  # fmt: skip
    assert elsewhere["errors"] == []
    joined = (await live.data(JOIN, {"t": token, "p": "Hoa sen vàng 2025"}))["acceptInvitation"]
    assert codes(joined) == ["DUPLICATE"] and joined["member"] is None
    assert len([m for m in await store.accounts.members(buyer_org) if m.email == address]) == 0


async def test_a_person_who_left_may_join_again(live: Api, world: World, store: Store, settings: Settings) -> None:
    buyer_org = await org(store, Role.BUYER)
    owner, _, _ = await person(live, store, buyer_org, Role.BUYER, MemberRole.OWNER)
    _, leaver_id, address = await person(live, store, buyer_org, Role.BUYER, MemberRole.MEMBER)
    assert (await live.data(REMOVE, {"id": gid("Member", leaver_id)}, as_=owner))["removeMember"]["errors"] == []
    assert (await live.data(INVITE, {"e": address, "r": "MEMBER"}, as_=owner))["inviteMember"]["errors"] == []
    token = token_in(await delivered(store, settings, address))
    joined = (await live.data(JOIN, {"t": token, "p": "Hoa sen vàng 2025"}))["acceptInvitation"]
    assert joined["errors"] == [], joined
    assert (await sign_in(live, address, "Hoa sen vàng 2025"))["session"] is not None


async def test_an_expired_quotation_cannot_be_approved(api: Api, trade: Trade, store: Store) -> None:
    await limited(api, trade)
    approval = await waiting(api, trade)
    await store.db["quotations"].update_one(
        {"_id": ObjectId(json_id(trade.quotation))},
        {"$set": {"revisions.0.validUntil": midnight(date.today() - timedelta(days=1))}},
    )
    answer = (await api.data(APPROVE, {"id": approval}, as_=trade.owner))["approvePurchase"]
    assert codes(answer) == ["INVALID_STATE"] and answer["deal"] is None


async def test_an_erased_person_leaves_no_name_in_approvals_or_deals(
    api: Api, live: Api, trade: Trade, store: Store
) -> None:
    requester = await signed_in(live, store, trade.buyer_org, MemberRole.MEMBER)
    name = (await store.accounts.get(requester.account_id)).name  # type: ignore[union-attr]
    await store.accounts.update(requester.account_id, {"spendingLimitVnd": 1000})
    live.keys["requester"] = requester.session["accessToken"]
    accepted = (await live.data(ACCEPT, {"id": trade.quotation, "r": 1}, as_="requester"))["acceptQuotation"]
    approved = (await api.data(APPROVE, {"id": accepted["approval"]["id"]}, as_=trade.owner))["approvePurchase"]
    assert approved["errors"] == []
    assert (await live.data(ERASE, {"p": PASSWORD}, as_="requester"))["deleteMyAccount"]["ok"] is True
    approval = await store.db["purchase_approvals"].find_one({"requestedBy": requester.account_id})
    deal = await store.db["deals"].find_one({"_id": ObjectId(json_id(approved["deal"]["id"]))})
    assert name not in json.dumps([approval, deal], default=str, ensure_ascii=False)


ORDER = """mutation($id: ID!, $v: Int!, $value: Vnd!) { advanceDeal(id: $id, to: ORDERED, expectedVersion: $v,
  order: {quantity: 100, valueVnd: $value, deliveryDate: "2030-01-10"}) { deal { state version } errors { code } } }"""


async def test_a_limited_buyer_orders_no_more_than_the_deal_or_the_limit_covers(api: Api, trade: Trade) -> None:
    limit = 1_000_000
    await limited(api, trade, limit)
    _, quotation = await quoted(api, trade.member, trade.product, price=9000)  # 100 × 9,000: within the limit
    deal = (await api.data(ACCEPT, {"id": quotation, "r": 1}, as_=trade.member))["acceptQuotation"]["deal"]
    agreed = (await api.data(ADVANCE, {"id": deal["id"], "v": deal["version"]}, as_=trade.member))["advanceDeal"]
    assert agreed["errors"] == [] and agreed["deal"]["state"] == "AGREED", agreed
    version = deal["version"] + 1
    for value in (limit + 1, 9_000_000_000):  # above the deal's 900,000 and above the member's limit
        refused = await api.data(ORDER, {"id": deal["id"], "v": version, "value": value}, as_=trade.member)
        assert codes(refused["advanceDeal"]) == ["FORBIDDEN"], (value, refused)
    # Within the limit, above the deal's value: the member may order it.
    placed = (await api.data(ORDER, {"id": deal["id"], "v": version, "value": limit}, as_=trade.member))["advanceDeal"]
    assert placed["errors"] == [] and placed["deal"]["state"] == "ORDERED", placed


async def test_a_limited_manager_promotes_nobody_beyond_its_own_limit(api: Api, trade: Trade, store: Store) -> None:
    await api.data(LIMIT, {"id": gid("Member", trade.manager_id), "l": 100}, as_=trade.owner)
    promoted = await api.data(ROLE, {"id": gid("Member", trade.viewer_id), "r": "MEMBER"}, as_=trade.manager)
    assert promoted["changeMemberRole"]["errors"] == [], promoted
    account = await store.accounts.get(trade.viewer_id)
    assert account is not None and account.spending_limit_vnd == 100  # the manager's limit went with the role
    answer = (await api.data(ACCEPT, {"id": trade.quotation, "r": 1}, as_=trade.viewer))["acceptQuotation"]
    assert answer["deal"] is None and answer["approval"]["status"] == "PENDING", answer
