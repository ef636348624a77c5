"""Webhooks of an organisation: registering, changing, removing, the delivery log, redelivery. Managed by
the organisation's owners and managers (market/accounts/policy.py); a webhook receives the events whose
audience names its organisation, and nothing else."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bson import ObjectId

from market.accounts.policy import Viewer, webhook_org
from market.core.clock import utcnow
from market.core.errors import DomainError, FieldError, not_found
from market.core.ids import object_id_of
from market.core.paging import Listing, PageRequest
from market.events import names
from market.events.signing import new_secret
from market.events.urls import url_problem
from market.notifications.records import DeliveryStatus, Webhook, WebhookDelivery

if TYPE_CHECKING:
    from market.store import Store

MAX_WEBHOOKS = 10
MIN_SECRET = 16
MAX_SECRET = 200
SUBSCRIBABLE = tuple(n for n in names.KNOWN if n != names.WEBHOOK_DISABLED and n not in names.PERSONAL)


def _clean(data: Mapping[str, Any], *, production: bool, partial: bool) -> tuple[dict[str, Any], list[FieldError]]:
    errors: list[FieldError] = []
    out: dict[str, Any] = {}
    if not partial or data.get("url") is not None:
        url = str(data.get("url") or "").strip()
        if not url:
            errors.append(FieldError.of("required", "url"))
        elif (problem := url_problem(url, production=production)) is not None:
            errors.append(_url_error(problem))
        out["url"] = url
    if not partial or data.get("events") is not None:
        events = [str(e).strip() for e in data.get("events") or []]
        if not events:
            errors.append(FieldError.of("events_required", "events"))
        for index, name in enumerate(events):
            if name not in SUBSCRIBABLE:
                errors.append(
                    FieldError.of("unknown_event", f"events[{index}]", got=name, allowed=", ".join(SUBSCRIBABLE))
                )
        out["events"] = list(dict.fromkeys(events))
    if data.get("secret") is not None:
        secret = str(data["secret"])
        if len(secret) < MIN_SECRET:
            errors.append(FieldError.of("secret_too_short", "secret", min=MIN_SECRET))
        elif len(secret) > MAX_SECRET:
            errors.append(FieldError.of("too_long", "secret", max=MAX_SECRET))
        out["secret"] = secret
    return out, errors


def _url_error(problem: str) -> FieldError:
    if problem == "webhook_url_https":
        return FieldError.of("webhook_url_https", "url")
    if problem == "webhook_url_address":
        return FieldError.of("webhook_url_address", "url")
    return FieldError.of("webhook_url_invalid", "url")


async def create_webhook(
    store: Store, viewer: Viewer, data: Mapping[str, Any], *, production: bool
) -> tuple[Webhook, str]:
    """The webhook and its secret: the one given, or one made here (shown this once)."""
    org_id = webhook_org(viewer, "create webhooks")
    assert viewer is not None
    fields, errors = _clean(data, production=production, partial=False)
    if errors:
        raise DomainError(errors)
    if await store.webhooks.count_of_org(org_id) >= MAX_WEBHOOKS:
        raise DomainError.of("too_many_webhooks", None, max=MAX_WEBHOOKS)
    secret = fields.pop("secret", None) or new_secret()
    now = utcnow()
    hook = await store.webhooks.insert(
        {
            **fields,
            "orgId": org_id,
            "secret": secret,
            "enabled": True,
            "createdBy": viewer.account_id,
            "createdAt": now,
            "updatedAt": now,
            "failingSince": None,
            "version": 1,
        }
    )
    return hook, secret


async def own_webhook(store: Store, viewer: Viewer, webhook_id: str, field: str = "id") -> Webhook:
    org_id = webhook_org(viewer, "manage webhooks")
    oid = object_id_of(webhook_id, ("Webhook",))
    hook = await store.webhooks.get(oid) if oid is not None else None
    if hook is None or hook.org_id != org_id:
        raise not_found(field, "webhook")
    return hook


async def webhooks_of(store: Store, viewer: Viewer) -> list[Webhook]:
    return await store.webhooks.of_org(webhook_org(viewer, "manage webhooks"))


async def update_webhook(
    store: Store, viewer: Viewer, webhook_id: str, data: Mapping[str, Any], *, production: bool
) -> Webhook:
    """Change the URL, events or secret; `enabled: true` turns a disabled webhook on again."""
    hook = await own_webhook(store, viewer, webhook_id)
    fields, errors = _clean(data, production=production, partial=True)
    if errors:
        raise DomainError(errors)
    unset: list[str] = []
    if data.get("enabled") is not None:
        fields["enabled"] = bool(data["enabled"])
        if fields["enabled"]:
            fields["failingSince"] = None
            unset += ["disabledAt", "disabledReason"]
    updated = await store.webhooks.update(hook.id, fields, unset)
    if updated is None:
        raise not_found("id", "webhook")
    return updated


async def delete_webhook(store: Store, viewer: Viewer, webhook_id: str) -> ObjectId:
    hook = await own_webhook(store, viewer, webhook_id)
    await store.webhooks.delete(hook.id)
    return hook.id


async def deliveries(
    store: Store, viewer: Viewer, webhook_id: str, status: DeliveryStatus | None, request: PageRequest
) -> Listing[WebhookDelivery]:
    hook = await own_webhook(store, viewer, webhook_id, "webhookId")
    page = await store.webhooks.delivery_page(hook.id, status, request)
    return Listing(page, lambda: store.webhooks.delivery_count(hook.id, status))


async def redeliver(store: Store, viewer: Viewer, delivery_id: str) -> WebhookDelivery:
    """Send a delivery again now (same body, same event id), with a new 24-hour retry window."""
    org_id = webhook_org(viewer, "manage webhooks")
    oid = object_id_of(delivery_id, ("WebhookDelivery",))
    found = await store.webhooks.delivery(oid) if oid is not None else None
    if found is None or found.org_id != org_id:
        raise not_found("deliveryId", "webhook delivery")
    again = await store.webhooks.redeliver(found.id, utcnow())
    if again is None:
        raise not_found("deliveryId", "webhook delivery")
    return again
