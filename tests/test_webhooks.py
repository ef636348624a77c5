"""Webhooks against the real servers and an HTTP receiver of the test's own on 127.0.0.1: the contract of
`createWebhook`, who may manage webhooks, deliveries that survive a SIGKILLed worker, retries then failure then
disabling of an endpoint that keeps failing (with the clock moved forward rather than waited for), redelivery,
and deliveries that go to the address that was checked, under the URL's name."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from bson import ObjectId

from api.settings import PROJECT_ROOT, Settings
from bench.webhook_receiver import Receiver
from market.accounts.policy import principal_of
from market.core.clock import utcnow
from market.events.signing import verify
from market.events.urls import UnsafeAddress, resolve_checked, system_resolver
from market.notifications.fanout import fan_out_pending
from market.notifications.webhook_delivery import DISABLE_AFTER, deliver_webhooks, pinned_request
from market.store import Store
from market.trade.inquiries import Match, submit_inquiry
from market.trade.records import Criteria
from tests.conftest import Api
from tests.notify_helpers import CREATE_WEBHOOK, NOTIFICATIONS, TradeWorld, forget_mail, trade_world
from workers.notify import drain_notifications, webhook_client

SECRET = "khoa-bi-mat-webhook-2025"
DELIVERIES = """
query($id: ID!, $status: WebhookDeliveryStatus) {
  webhookDeliveries(webhookId: $id, status: $status, first: 50) {
    totalCount edges { node { id eventId event status attempts responseStatus lastError body } }
  }
}"""


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = await Receiver().start()
    yield found
    await found.stop()


@pytest.fixture
async def trade(api: Api, store: Store, settings: Settings) -> AsyncIterator[TradeWorld]:
    world = await trade_world(api, store)
    yield world
    forget_mail(settings, world)


async def invite(store: Store, trade: TradeWorld, producers: list[ObjectId], n: int = 1) -> list[ObjectId]:
    account = await store.accounts.get(trade.buyer.account_id)
    assert account is not None

    async def matcher(criteria: Criteria, limit: int) -> list[Match]:
        return [Match(p, [], "test") for p in producers]

    ids = []
    for i in range(n):
        inquiry = await submit_inquiry(
            store, principal_of(account), {"criteria": {"query": f"kẹo dừa {i}"}, "quantity": 100, "unit": "hộp"},
            matcher,
        )  # fmt: skip
        ids.append(inquiry.id)
    return ids


async def hook(api: Api, trade: TradeWorld, url: str, events: list[str], **extra: Any) -> dict[str, Any]:
    found = await api.data(CREATE_WEBHOOK, {"input": {"url": url, "events": events, **extra}}, as_=trade.maker.handle)
    return found["createWebhook"]


async def test_the_create_webhook_contract_and_its_checks(api: Api, trade: TradeWorld, receiver: Receiver) -> None:
    made = await hook(api, trade, receiver.url, ["inquiry.invited"], secret=SECRET)
    assert made["errors"] == [] and made["webhook"]["id"] and made["webhook"]["enabled"] is True
    generated = await hook(api, trade, receiver.url, ["deal.state_changed"])
    assert generated["secret"].startswith("whsec_") and len(generated["secret"]) > 32

    refusals = {
        "http://169.254.169.254/latest/meta-data": ("url", "INVALID"),
        "ftp://127.0.0.1/hook": ("url", "INVALID"),
        "http://user:pw@127.0.0.1/hook": ("url", "INVALID"),
        "": ("url", "REQUIRED"),
    }
    for url, expected in refusals.items():
        refused = await hook(api, trade, url, ["inquiry.invited"])
        assert refused["webhook"] is None and (refused["errors"][0]["field"], refused["errors"][0]["code"]) == expected
    unknown = await hook(api, trade, receiver.url, ["inquiry.invited", "inquiry.vanished"])
    assert [(e["field"], e["code"]) for e in unknown["errors"]] == [("events[1]", "INVALID")]
    short = await hook(api, trade, receiver.url, ["inquiry.invited"], secret="short")
    assert short["errors"][0]["field"] == "secret"

    listed = await api.data("{ webhooks { id url events enabled } }", as_=trade.maker.handle)
    assert {h["id"] for h in listed["webhooks"]} == {made["webhook"]["id"], generated["webhook"]["id"]}
    # A plain member, an office and another producer neither list nor create the maker's webhooks.
    for other in (trade.maker_member, trade.coordinator):
        body = await api.gql("{ webhooks { id } }", as_=other.handle)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        denied = await api.data(CREATE_WEBHOOK, {"input": {"url": receiver.url, "events": ["inquiry.invited"]}},
                                as_=other.handle)  # fmt: skip
        assert denied["createWebhook"]["errors"][0]["code"] == "FORBIDDEN"
    rival = await api.data("{ webhooks { id } }", as_=trade.rival.handle)
    assert rival["webhooks"] == []
    delete = "mutation($id: ID!) { deleteWebhook(id: $id) { deletedId errors { code } } }"
    stolen = await api.data(delete, {"id": made["webhook"]["id"]}, as_=trade.rival.handle)
    assert stolen["deleteWebhook"]["errors"][0]["code"] == "NOT_FOUND"
    gone = await api.data(delete, {"id": generated["webhook"]["id"]}, as_=trade.maker.handle)
    assert gone["deleteWebhook"] == {"deletedId": generated["webhook"]["id"], "errors": []}


async def test_deliveries_survive_a_killed_worker(
    api: Api, store: Store, settings: Settings, trade: TradeWorld, receiver: Receiver
) -> None:
    made = await hook(api, trade, receiver.url, ["inquiry.invited"], secret=SECRET)
    inquiries = await invite(store, trade, [trade.maker.org_id], n=6)
    receiver.hold = asyncio.Event()  # the first request waits: the worker is killed in the middle of it
    env = settings.child_environment()
    worker = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cli", "worker", cwd=PROJECT_ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        await asyncio.wait_for(receiver.arrived.wait(), 60)
    finally:
        worker.send_signal(signal.SIGKILL)
        await worker.wait()
    receiver.hold.set()
    receiver.hold = None
    in_flight = set(receiver.deliveries())
    assert in_flight, "the worker was killed before any delivery started"
    # The killed worker's leases run out (as they would after LEASE_SECONDS); a new worker takes over.
    await store.db["webhook_deliveries"].update_many({"leaseOwner": {"$exists": True}}, {"$set": {"dueAt": utcnow()}})
    await store.db["events"].update_many({"leaseOwner": {"$exists": True}}, {"$set": {"dueAt": utcnow()}})
    drained = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "cli", "worker", "--once", "--timeout", "120"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert drained.returncode == 0, drained.stderr[-2000:]

    page = await api.data(DELIVERIES, {"id": made["webhook"]["id"], "status": None}, as_=trade.maker.handle)
    deliveries = [e["node"] for e in page["webhookDeliveries"]["edges"]]
    assert len(deliveries) == len(inquiries)  # one per event, however often it was attempted
    assert {d["status"] for d in deliveries} == {"SUCCEEDED"}
    received = receiver.deliveries()
    assert set(received) == {d["eventId"] for d in deliveries}  # nothing lost
    repeated = {d for d in received if received.count(d) > 1}
    assert repeated <= in_flight  # only what was in flight when the worker died came twice, with the same id
    for request in receiver.requests:
        assert verify(SECRET, request.body, request.headers["x-ocop-signature"])
        assert json.loads(request.body)["id"] == request.headers["x-ocop-delivery"]
    seen = await api.data(NOTIFICATIONS, {"unread": False}, as_=trade.maker.handle)
    assert seen["notifications"]["totalCount"] == len(inquiries)  # one notification per event, no repeats


async def test_a_failing_endpoint_is_retried_then_failed_then_disabled(
    api: Api, store: Store, trade: TradeWorld, receiver: Receiver
) -> None:
    receiver.status = 500
    made = await hook(api, trade, receiver.url, ["inquiry.invited"], secret=SECRET)
    webhook_id = made["webhook"]["id"]
    await invite(store, trade, [trade.maker.org_id])
    await drain_notifications(store, production=False)
    assert len(receiver.requests) == 1

    async def at(offset: timedelta) -> Any:
        async with webhook_client() as client:
            return await deliver_webhooks(store, client, production=False, now=utcnow() + offset)

    pending = await api.data(DELIVERIES, {"id": webhook_id, "status": "PENDING"}, as_=trade.maker.handle)
    [first] = [e["node"] for e in pending["webhookDeliveries"]["edges"]]
    assert first["attempts"] == 1 and first["responseStatus"] == 500 and first["lastError"] == "HTTP 500"
    # Retried with backoff: due again after the first wait, not before.
    assert (await at(timedelta(seconds=5))).claimed == 0
    assert (await at(timedelta(seconds=11))).retried == 1
    # A day later the retry window has closed: failed.
    report = await at(timedelta(hours=25))
    assert report.failed == 1 and report.disabled == 0
    failed = await api.data(DELIVERIES, {"id": webhook_id, "status": "FAILED"}, as_=trade.maker.handle)
    assert failed["webhookDeliveries"]["totalCount"] == 1

    # Days of failures disable it, and its managers hear of it.
    await invite(store, trade, [trade.maker.org_id])
    await drain_notifications(store, production=False)
    report = await at(DISABLE_AFTER + timedelta(hours=1))
    assert report.disabled == 1
    listed = await api.data("{ webhooks { id enabled failingSince disabledReason } }", as_=trade.maker.handle)
    [state] = [h for h in listed["webhooks"] if h["id"] == webhook_id]
    assert state["enabled"] is False and state["disabledReason"].startswith("failing for")
    await drain_notifications(store, production=False)
    owner = await api.data(NOTIFICATIONS, {"unread": True}, as_=trade.maker.handle)
    assert "webhook.disabled" in {e["node"]["event"] for e in owner["notifications"]["edges"]}
    member = await api.data(NOTIFICATIONS, {"unread": True}, as_=trade.maker_member.handle)
    assert "webhook.disabled" not in {e["node"]["event"] for e in member["notifications"]["edges"]}

    # Turned on again and the failed delivery redelivered: the same event id and body.
    receiver.status = 204
    on = """mutation($id: ID!) { updateWebhook(id: $id, input: {enabled: true}) { webhook { enabled } errors { code } } }"""
    assert (await api.data(on, {"id": webhook_id}, as_=trade.maker.handle))["updateWebhook"]["webhook"]["enabled"]
    again = (
        """mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { delivery { status eventId } errors { code } } }"""
    )
    done = await api.data(again, {"id": first["id"]}, as_=trade.maker.handle)
    assert done["redeliverWebhook"]["delivery"] == {"status": "PENDING", "eventId": first["eventId"]}
    assert (await api.data(again, {"id": first["id"]}, as_=trade.rival.handle))["redeliverWebhook"]["errors"][0][
        "code"
    ] == "NOT_FOUND"
    assert (await at(timedelta(0))).succeeded >= 1
    assert receiver.requests[-1].headers["x-ocop-delivery"] == first["eventId"]
    assert receiver.requests[-1].body.decode() == first["body"]


@pytest.mark.parametrize(
    ("url", "address", "sent_to", "host", "server_name"),
    [
        ("https://hooks.example.vn/ocop/in?x=1", "93.184.215.14", "https://93.184.215.14/ocop/in?x=1",
         "hooks.example.vn", "hooks.example.vn"),
        ("https://hooks.example.vn:8443/ocop", "93.184.215.14", "https://93.184.215.14:8443/ocop",
         "hooks.example.vn:8443", "hooks.example.vn"),
        ("https://hooks.example.vn/ocop", "2606:2800:21f:cb07:6820:80da:af6b:8b2c",
         "https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/ocop", "hooks.example.vn", "hooks.example.vn"),
        ("http://bánh-tráng.example.vn:8080/hook", "127.0.0.1", "http://127.0.0.1:8080/hook",
         "xn--bnh-trng-8yaf.example.vn:8080", "xn--bnh-trng-8yaf.example.vn"),
    ],
)  # fmt: skip
async def test_a_delivery_is_sent_to_the_checked_address_under_the_url_s_name(
    url: str, address: str, sent_to: str, host: str, server_name: str
) -> None:
    async with webhook_client() as client:
        request = pinned_request(
            client, url, ipaddress.ip_address(address), content=b"{}", headers={"X-Ocop-Event": "e"}
        )
    assert (request.method, str(request.url)) == ("POST", sent_to)
    assert request.headers["host"] == host and request.headers["x-ocop-event"] == "e"
    # For https the TLS server name, which the certificate is verified against, is the URL's name.
    assert request.extensions["sni_hostname"] == server_name
    # A TLS connection verified for one name is not kept for a request to another name on the same address.
    assert request.headers["connection"] == ("close" if url.startswith("https") else "keep-alive")


async def test_the_check_gives_the_address_to_connect_to_and_refuses_any_internal_answer() -> None:
    def answering(*addresses: str) -> Any:
        async def resolve(host: str, port: int) -> list[str]:
            return list(addresses)

        return resolve

    url = "https://hooks.example.vn/ocop"
    checked = await resolve_checked(url, production=True, resolve=answering("93.184.215.14", "2606:2800:21f::1"))
    assert checked == ipaddress.ip_address("93.184.215.14")
    for internal in ("127.0.0.1", "10.1.2.3", "169.254.169.254", "::1"):
        with pytest.raises(UnsafeAddress) as refused:
            await resolve_checked(url, production=True, resolve=answering("93.184.215.14", internal))
        assert internal not in str(refused.value)  # the subscriber is not told what answered inside
    with pytest.raises(UnsafeAddress):
        await resolve_checked(url, production=True, resolve=answering())


async def test_a_delivery_connects_to_the_address_that_was_checked(
    api: Api, store: Store, trade: TradeWorld, receiver: Receiver
) -> None:
    # A name nothing resolves (.invalid) with a name server of the test's own that answers the receiver's
    # address to the first lookup and the metadata service to any later one, as a rebinding name server does:
    # the request reaches the receiver only if it goes to the address the check was given.
    assert receiver.server is not None
    port = receiver.server.sockets[0].getsockname()[1]
    name = "hooks.ocop.invalid"
    lookups: list[str] = []

    async def rebinding(host: str, port: int) -> list[str]:
        if host != name:  # deliveries of other tests' webhooks that fall due in this session's database
            return await system_resolver(host, port)
        lookups.append(host)
        return ["127.0.0.1"] if len(lookups) == 1 else ["169.254.169.254"]

    made = await hook(api, trade, f"http://{name}:{port}/ocop/in?from=market", ["inquiry.invited"], secret=SECRET)
    await invite(store, trade, [trade.maker.org_id])
    await fan_out_pending(store)
    async with webhook_client() as client:
        await deliver_webhooks(store, client, production=False, resolve=rebinding)

    assert lookups == [name]  # resolved once, for the check
    [request] = receiver.requests
    assert request.path == "/ocop/in?from=market" and request.headers["host"] == f"{name}:{port}"
    assert verify(SECRET, request.body, request.headers["x-ocop-signature"])
    page = await api.data(DELIVERIES, {"id": made["webhook"]["id"], "status": None}, as_=trade.maker.handle)
    [delivery] = [e["node"] for e in page["webhookDeliveries"]["edges"]]
    assert (delivery["status"], delivery["responseStatus"], delivery["lastError"]) == ("SUCCEEDED", 200, None)
