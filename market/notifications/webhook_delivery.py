"""Delivering webhooks: a signed JSON POST per delivery, at least once.

Each delivery connects to the address its URL's host was checked to resolve to, never to the name (resolving
it again would let a name that changes its answer between the two lookups point the request inside a network):
the name still goes in `Host` and, for https, in TLS SNI and the certificate check. Redirects are not followed.

2xx within `TIMEOUT` seconds is success. Anything else (another status, a timeout, a refused connection, an
address that is not allowed) is retried with exponential backoff for 24 hours, then the delivery is failed.
A webhook that has been failing for `DISABLE_AFTER` (every attempt since its last success failed) is
disabled, and the people who manage it hear of it through the outbox (`webhook.disabled`).

The clock is a parameter (`now`), so tests move days forward without sleeping.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import httpx

from market.accounts.policy import webhook_admins_audience
from market.core.clock import utcnow
from market.core.ids import global_id_of
from market.events import names
from market.events.backoff import Backoff
from market.events.signing import sign
from market.events.urls import IPAddress, Resolver, UnsafeAddress, resolve_checked, system_resolver
from market.notifications.fanout import worker_name
from market.notifications.records import Webhook, WebhookDelivery

if TYPE_CHECKING:
    from market.store import Store

log = logging.getLogger("ocop.webhooks")
TIMEOUT = 10.0
BACKOFF = Backoff(first=10.0, ceiling=3600.0, window=timedelta(hours=24))
DISABLE_AFTER = timedelta(days=3)
CONCURRENCY = 16
USER_AGENT = "ocop-market-webhooks/1"


@dataclass(slots=True)
class WebhookReport:
    claimed: int = 0
    succeeded: int = 0
    retried: int = 0
    failed: int = 0
    disabled: int = 0


@dataclass(frozen=True, slots=True)
class Outcome:
    status: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.error is None


def headers_for(delivery: WebhookDelivery, secret: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Ocop-Event": delivery.event,
        "X-Ocop-Delivery": str(delivery.event_id),
        "X-Ocop-Signature": sign(secret, delivery.body),
    }


def pinned_request(
    client: httpx.AsyncClient, url: str, address: IPAddress, *, content: bytes, headers: dict[str, str]
) -> httpx.Request:
    """A POST of `content` to `url` sent to `address`, with the URL's host name (and port, if not the default)
    in `Host` and its host name as TLS server name, against which the certificate is verified."""
    named = httpx.URL(url)
    headers = {**headers, "Host": named.netloc.decode("ascii")}
    if named.scheme == "https":
        # The connection pool keys connections by scheme, address and port only: kept open, a connection whose
        # certificate was verified for one name could carry the next request for another name on that address.
        headers["Connection"] = "close"
    return client.build_request(
        "POST",
        named.copy_with(host=address.compressed),
        content=content,
        headers=headers,
        timeout=TIMEOUT,
        extensions={"sni_hostname": named.raw_host.decode("ascii")},
    )


async def post(
    client: httpx.AsyncClient,
    hook: Webhook,
    delivery: WebhookDelivery,
    *,
    production: bool,
    resolve: Resolver = system_resolver,
) -> Outcome:
    try:
        address = await resolve_checked(hook.url, production=production, resolve=resolve)
    except UnsafeAddress as exc:
        return Outcome(None, f"address not allowed: {exc}")
    request = pinned_request(
        client, hook.url, address, content=delivery.body, headers=headers_for(delivery, hook.secret)
    )
    try:
        response = await client.send(request, follow_redirects=False)
    except httpx.TimeoutException:
        return Outcome(None, f"no answer within {TIMEOUT:g} s")
    except httpx.HTTPError as exc:
        return Outcome(None, f"{type(exc).__name__}")
    if 200 <= response.status_code < 300:
        return Outcome(response.status_code, None)
    return Outcome(response.status_code, f"HTTP {response.status_code}")


async def deliver_webhooks(
    store: Store,
    client: httpx.AsyncClient,
    *,
    production: bool,
    limit: int = 50,
    now: datetime | None = None,
    resolve: Resolver = system_resolver,
) -> WebhookReport:
    """Claim up to `limit` due deliveries (at `now`) and send them, `CONCURRENCY` at a time."""
    owner = worker_name()
    claimed = await store.webhooks.claim(owner, limit=limit, now=now)
    report = WebhookReport(claimed=len(claimed))
    if not claimed:
        return report
    hooks = await store.webhooks.get_many(list({d.webhook_id for d in claimed}))
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(delivery: WebhookDelivery) -> None:
        async with gate:
            await _deliver(
                store, client, owner, hooks.get(delivery.webhook_id), delivery, report, production, now, resolve
            )

    await asyncio.gather(*(one(d) for d in claimed))
    return report


async def _deliver(
    store: Store,
    client: httpx.AsyncClient,
    owner: str,
    hook: Webhook | None,
    delivery: WebhookDelivery,
    report: WebhookReport,
    production: bool,
    now: datetime | None,
    resolve: Resolver,
) -> None:
    if hook is None or not hook.enabled:
        await store.webhooks.failed(delivery.id, owner, None, "webhook disabled or deleted", now or utcnow())
        report.failed += 1
        return
    outcome = await post(client, hook, delivery, production=production, resolve=resolve)
    at = now or utcnow()
    if outcome.ok:
        assert outcome.status is not None
        await store.webhooks.succeeded(delivery.id, outcome.status, at)
        await store.webhooks.healthy(hook.id)
        report.succeeded += 1
        return
    error = outcome.error or "failed"
    due = BACKOFF.next_attempt(delivery.attempts, delivery.started_at, at)
    if due is None:
        await store.webhooks.failed(delivery.id, owner, outcome.status, error, at)
        report.failed += 1
    else:
        await store.webhooks.retry_at(delivery.id, owner, due, outcome.status, error)
        report.retried += 1
    log.info("webhook %s delivery %s: %s (attempt %d)", hook.id, delivery.id, error, delivery.attempts)
    failing = await store.webhooks.failing(hook.id, at)
    if failing is not None and failing.failing_since is not None and at - failing.failing_since >= DISABLE_AFTER:
        await _disable(store, failing, at)
        report.disabled += 1


async def _disable(store: Store, hook: Webhook, now: datetime) -> None:
    days = (now - (hook.failing_since or now)).days
    if not await store.webhooks.disable(hook.id, f"failing for {days} days", now):
        return
    members = await store.accounts.members(hook.org_id)
    await store.events.record(
        names.WEBHOOK_DISABLED,
        {"webhook": global_id_of("Webhook", hook.id), "url": hook.url, "failingSince": hook.failing_since.isoformat()
         if hook.failing_since else None},
        webhook_admins_audience(members),
        None,
    )  # fmt: skip
    log.warning("webhook %s disabled after failing for %d days", hook.id, days)
