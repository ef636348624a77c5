"""Notification queries, mutations and the `notificationEvents` subscription. Thin: market/notifications/
decides everything."""

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from market.notifications import inbox, preferences, webhooks
from market.notifications.records import DeliveryStatus, Frequency
from schema.errors import returns_user_errors
from schema.loaders import Loaders
from schema.notifications.types import (
    CreateWebhookPayload,
    DeleteWebhookPayload,
    EventPreference,
    MarkNotificationsReadPayload,
    Notification,
    NotificationEvent,
    NotificationPreferences,
    NotificationPreferencesPayload,
    Webhook,
    WebhookDelivery,
    WebhookDeliveryPayload,
    WebhookPayload,
)
from schema.pagination import After, CountedConnection, First, page_request, to_connection

if TYPE_CHECKING:
    from schema.context import Context


def _production(info: Info["Context", None]) -> bool:
    return bool(getattr(info.schema, "production", False))


def _preferences(found: preferences.EffectivePreferences) -> NotificationPreferences:
    return NotificationPreferences(
        locale=found.locale, events=[EventPreference(event=name, email=value) for name, value in found.email]
    )


@strawberry.input(description="How often one event should reach you by email.")
class EventPreferenceInput:
    event: str = strawberry.field(description="An event name, such as `inquiry.invited`.")
    email: Frequency = strawberry.field(description="IMMEDIATE, DAILY or OFF.")


@strawberry.input(description="What to change in your notification settings; what you leave out stays.")
class NotificationPreferencesInput:
    locale: str | None = strawberry.field(default=None, description="`vi` or `en`: the language of your emails.")
    events: list[EventPreferenceInput] = strawberry.field(
        default_factory=list, description="Events whose email frequency changes."
    )


@strawberry.input(description="A webhook to register.")
class CreateWebhookInput:
    url: str = strawberry.field(
        description="Where to POST: https in production, never a private, loopback or link-local address there; "
        "http://127.0.0.1 works in development."
    )
    events: list[str] = strawberry.field(description="Event names to receive, such as `inquiry.invited`.")
    secret: str | None = strawberry.field(
        default=None,
        description="The HMAC-SHA256 key of X-Ocop-Signature, 16 to 200 characters; made for you if left out.",
    )


@strawberry.input(description="What to change in a webhook; what you leave out stays.")
class UpdateWebhookInput:
    url: str | None = strawberry.field(default=None, description="A new URL, checked as at creation.")
    events: list[str] | None = strawberry.field(default=None, description="The new list of events.")
    secret: str | None = strawberry.field(default=None, description="A new signing secret.")
    enabled: bool | None = strawberry.field(
        default=None, description="false turns it off; true turns it on again after it was disabled."
    )


WEBHOOK_ID = Annotated[strawberry.ID, strawberry.argument(description="The Webhook id.")]


@strawberry.type
class NotificationQuery:
    @strawberry.field(
        description="Your notifications, newest first. Each person sees only what the rules let them see."
    )
    async def notifications(
        self,
        info: Info["Context", None],
        first: First = None,
        after: After = None,
        unread_only: Annotated[bool, strawberry.argument(description="Only those not yet read.")] = False,
    ) -> CountedConnection[Notification]:
        ctx = info.context
        listing = await inbox.notifications(
            ctx.store, ctx.require_viewer(), page_request(first, after), unread_only=unread_only
        )
        return to_connection(listing.page, lambda n: Notification(record=n), listing.count)

    @strawberry.field(
        description="How many of your notifications are unread (the signed-in person or the key's account)."
    )
    async def unread_notification_count(self, info: Info["Context", None]) -> int:
        ctx = info.context
        return await inbox.unread_count(ctx.store, ctx.require_viewer())

    @strawberry.field(description="Which events reach you by email, how often, and in which language.")
    async def notification_preferences(self, info: Info["Context", None]) -> NotificationPreferences:
        ctx = info.context
        return _preferences(await preferences.preferences_of(ctx.store, ctx.require_viewer()))

    @strawberry.field(
        description="Your organisation's webhooks (owners and managers of a producer or buyer organisation). Errors: "
        "FORBIDDEN."
    )
    async def webhooks(self, info: Info["Context", None]) -> list[Webhook]:
        ctx = info.context
        return [Webhook(record=h) for h in await webhooks.webhooks_of(ctx.store, ctx.require_viewer())]

    @strawberry.field(description="A webhook's deliveries, newest first. Errors: NOT_FOUND, FORBIDDEN.")
    async def webhook_deliveries(
        self,
        info: Info["Context", None],
        webhook_id: WEBHOOK_ID,
        status: Annotated[DeliveryStatus | None, strawberry.argument(description="Only this status.")] = None,
        first: First = None,
        after: After = None,
    ) -> CountedConnection[WebhookDelivery]:
        ctx = info.context
        listing = await webhooks.deliveries(
            ctx.store, ctx.require_viewer(), webhook_id, status, page_request(first, after)
        )
        return to_connection(listing.page, lambda d: WebhookDelivery(record=d), listing.count)


@strawberry.type
class NotificationMutation:
    @strawberry.mutation(
        description="Mark notifications read: `ids`, or `all: true`. Others' ids change nothing. `errors`: INVALID, "
        "OUT_OF_RANGE."
    )
    @returns_user_errors(MarkNotificationsReadPayload)
    async def mark_notifications_read(
        self,
        info: Info["Context", None],
        ids: Annotated[
            list[strawberry.ID] | None, strawberry.argument(description="Notification ids, at most 100.")
        ] = None,
        all: Annotated[bool, strawberry.argument(description="Mark every notification read.")] = False,
    ) -> MarkNotificationsReadPayload:
        ctx = info.context
        viewer = ctx.require_viewer()
        marked = await inbox.mark_read(ctx.store, viewer, [str(i) for i in ids] if ids is not None else None, all)
        return MarkNotificationsReadPayload(marked=marked, unread_count=await inbox.unread_count(ctx.store, viewer))

    @strawberry.mutation(description="Change which events reach you by email and how often. `errors`: INVALID.")
    @returns_user_errors(NotificationPreferencesPayload)
    async def update_notification_preferences(
        self,
        info: Info["Context", None],
        input: Annotated[NotificationPreferencesInput, strawberry.argument(description="What to change.")],
    ) -> NotificationPreferencesPayload:
        ctx = info.context
        events = [{"event": e.event, "email": e.email} for e in input.events]
        found = await preferences.update_preferences(ctx.store, ctx.require_viewer(), events, input.locale)
        return NotificationPreferencesPayload(preferences=_preferences(found))

    @strawberry.mutation(
        description="Register a webhook for your organisation (owners and managers). Each delivery is a JSON POST "
        "with X-Ocop-Event, X-Ocop-Delivery (the event id) and X-Ocop-Signature: sha256=<hex HMAC-SHA256 of the raw "
        "body keyed with the secret>. `errors`: REQUIRED, INVALID, OUT_OF_RANGE, TOO_LONG, FORBIDDEN."
    )
    @returns_user_errors(CreateWebhookPayload)
    async def create_webhook(
        self,
        info: Info["Context", None],
        input: Annotated[CreateWebhookInput, strawberry.argument(description="The URL, events and secret.")],
    ) -> CreateWebhookPayload:
        ctx = info.context
        data = {"url": input.url, "events": input.events, "secret": input.secret}
        hook, secret = await webhooks.create_webhook(
            ctx.store, ctx.require_viewer(), data, production=_production(info)
        )
        return CreateWebhookPayload(webhook=Webhook(record=hook), secret=secret)

    @strawberry.mutation(description="Change a webhook, or turn it on or off. `errors`: NOT_FOUND, INVALID, FORBIDDEN.")
    @returns_user_errors(WebhookPayload)
    async def update_webhook(
        self,
        info: Info["Context", None],
        id: WEBHOOK_ID,
        input: Annotated[UpdateWebhookInput, strawberry.argument(description="What to change.")],
    ) -> WebhookPayload:
        ctx = info.context
        data = {"url": input.url, "events": input.events, "secret": input.secret, "enabled": input.enabled}
        hook = await webhooks.update_webhook(ctx.store, ctx.require_viewer(), id, data, production=_production(info))
        return WebhookPayload(webhook=Webhook(record=hook))

    @strawberry.mutation(
        description="Remove a webhook; its pending deliveries are dropped. `errors`: NOT_FOUND, FORBIDDEN."
    )
    @returns_user_errors(DeleteWebhookPayload)
    async def delete_webhook(self, info: Info["Context", None], id: WEBHOOK_ID) -> DeleteWebhookPayload:
        ctx = info.context
        await webhooks.delete_webhook(ctx.store, ctx.require_viewer(), id)
        return DeleteWebhookPayload(deleted_id=id)

    @strawberry.mutation(
        description="Send a delivery again now, with the same body and event id. `errors`: NOT_FOUND, FORBIDDEN."
    )
    @returns_user_errors(WebhookDeliveryPayload)
    async def redeliver_webhook(
        self,
        info: Info["Context", None],
        delivery_id: Annotated[strawberry.ID, strawberry.argument(description="The WebhookDelivery id.")],
    ) -> WebhookDeliveryPayload:
        ctx = info.context
        delivery = await webhooks.redeliver(ctx.store, ctx.require_viewer(), delivery_id)
        return WebhookDeliveryPayload(delivery=WebhookDelivery(record=delivery))


@strawberry.type
class NotificationSubscription:
    @strawberry.subscription(
        description="Your new notifications as they arrive. Errors: TOO_MANY_SUBSCRIPTIONS, UNAVAILABLE."
    )
    async def notification_events(
        self,
        info: Info["Context", None],
        after: Annotated[
            str | None, strawberry.argument(description="The cursor of the last event you received: replays since.")
        ] = None,
    ) -> AsyncIterator[NotificationEvent]:
        ctx = info.context
        feed = ctx.following(await inbox.notification_feed(ctx.store, ctx.require_viewer(), after=after))

        def event(item: tuple[object, str]) -> NotificationEvent:
            ctx.loaders = Loaders.create(ctx.store)
            record, cursor = item
            return NotificationEvent(cursor=cursor, notification=Notification(record=record))  # type: ignore[arg-type]

        return feed.map(event)
