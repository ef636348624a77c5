"""GraphQL types of notifications, preferences and webhooks."""

from datetime import datetime
from typing import TYPE_CHECKING

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from market.core.ids import global_id_of
from market.core.messages import event_title
from market.notifications import records
from market.notifications.records import DeliveryStatus, Frequency
from schema.catalog.types import Product
from schema.enums import describe_enum
from schema.errors import UserError
from schema.trade.types import Deal, Inquiry, Quotation

if TYPE_CHECKING:
    from schema.context import Context

describe_enum(
    Frequency,
    "How often an event's email reaches you.",
    {
        Frequency.IMMEDIATE: "An email as soon as it happens.",
        Frequency.DAILY: "In one digest email a day (07:00 in Vietnam).",
        Frequency.OFF: "No email; the notification still shows in the app.",
    },
    name="EmailFrequency",
)
describe_enum(
    DeliveryStatus,
    "Where a webhook delivery stands.",
    {
        DeliveryStatus.PENDING: "Waiting for its first attempt or for a retry.",
        DeliveryStatus.DELIVERING: "Being sent now.",
        DeliveryStatus.SUCCEEDED: "The receiver answered 2xx within 10 seconds.",
        DeliveryStatus.FAILED: "Retries ran out after 24 hours, or the webhook was disabled or deleted.",
    },
    name="WebhookDeliveryStatus",
)


@strawberry.type(description="Something that happened that you may see: an invitation to quote, a quotation, a deal.")
class Notification:
    record: strawberry.Private[records.Notification]

    @strawberry.field(description="Pass it to `markNotificationsRead`.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(global_id_of("Notification", self.record.id))

    @strawberry.field(description="The event's id: the same in the email and in the webhook's X-Ocop-Delivery.")
    def event_id(self) -> str:
        return str(self.record.event_id)

    @strawberry.field(description="The event, a lowercase `domain.event` name such as `inquiry.invited`.")
    def event(self) -> str:
        return self.record.event

    @strawberry.field(description="A short title in the request's language.")
    def title(self, info: Info["Context", None]) -> str:
        return event_title(self.record.event, info.context.locale)

    @strawberry.field(description="When it happened.")
    def occurred_at(self) -> datetime:
        return self.record.occurred_at

    @strawberry.field(description="Whether you marked it read.")
    def read(self) -> bool:
        return self.record.read_at is not None

    @strawberry.field(description="The event's details, as a webhook receives them (global ids, figures).")
    def payload(self) -> JSON:
        return JSON(self.record.payload)

    @strawberry.field(description="The inquiry it is about, if any and if you may still see it.")
    async def inquiry(self, info: Info["Context", None]) -> Inquiry | None:
        found = self.record.subject.get("Inquiry")
        if found is None:
            return None
        return (await Inquiry.resolve_nodes(info=info, node_ids=[found]))[0]

    @strawberry.field(description="The quotation it is about, if any and if you may still see it.")
    async def quotation(self, info: Info["Context", None]) -> Quotation | None:
        found = self.record.subject.get("Quotation")
        if found is None:
            return None
        return (await Quotation.resolve_nodes(info=info, node_ids=[found]))[0]

    @strawberry.field(description="The deal it is about, if any and if you may still see it.")
    async def deal(self, info: Info["Context", None]) -> Deal | None:
        found = self.record.subject.get("Deal")
        if found is None:
            return None
        return (await Deal.resolve_nodes(info=info, node_ids=[found]))[0]

    @strawberry.field(description="The product it is about, if any and if you may still see it.")
    async def product(self, info: Info["Context", None]) -> Product | None:
        found = self.record.subject.get("Product")
        if found is None:
            return None
        return (await Product.resolve_nodes(info=info, node_ids=[found]))[0]


@strawberry.type(description="A notification as it arrives on `notificationEvents`.")
class NotificationEvent:
    cursor: str = strawberry.field(description="Pass it as `after` to resume right after this notification.")
    notification: Notification = strawberry.field(description="The new notification.")


@strawberry.type(description="How often one event reaches you by email.")
class EventPreference:
    event: str = strawberry.field(description="The event name.")
    email: Frequency = strawberry.field(description="IMMEDIATE, DAILY or OFF.")


@strawberry.type(description="Your notification settings. In-app notifications always arrive.")
class NotificationPreferences:
    locale: str = strawberry.field(description="The language of your emails: `vi` or `en`.")
    events: list[EventPreference] = strawberry.field(description="Every event, with the frequency that applies.")


@strawberry.type(description="A URL of your organisation's that receives signed JSON POSTs of its events.")
class Webhook:
    record: strawberry.Private[records.Webhook]

    @strawberry.field(description="The webhook's id.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(global_id_of("Webhook", self.record.id))

    @strawberry.field(description="Where deliveries are POSTed.")
    def url(self) -> str:
        return self.record.url

    @strawberry.field(description="The events it receives.")
    def events(self) -> list[str]:
        return self.record.events

    @strawberry.field(description="False once it was disabled (failing for days) or turned off.")
    def enabled(self) -> bool:
        return self.record.enabled

    @strawberry.field(description="Since when every delivery has failed; null while it works.")
    def failing_since(self) -> datetime | None:
        return self.record.failing_since

    @strawberry.field(description="Why it was disabled; null while enabled.")
    def disabled_reason(self) -> str | None:
        return None if self.record.enabled else self.record.disabled_reason

    @strawberry.field(description="When it was registered.")
    def created_at(self) -> datetime:
        return self.record.created_at


@strawberry.type(description="One event sent, or to be sent, to one webhook, with its attempts.")
class WebhookDelivery:
    record: strawberry.Private[records.WebhookDelivery]

    @strawberry.field(description="Pass it to `redeliverWebhook`.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(global_id_of("WebhookDelivery", self.record.id))

    @strawberry.field(description="The event id, sent as X-Ocop-Delivery.")
    def event_id(self) -> str:
        return str(self.record.event_id)

    @strawberry.field(description="The event name, sent as X-Ocop-Event.")
    def event(self) -> str:
        return self.record.event

    @strawberry.field(description="PENDING, DELIVERING, SUCCEEDED or FAILED.")
    def status(self) -> DeliveryStatus:
        return self.record.status

    @strawberry.field(description="How many attempts were made.")
    def attempts(self) -> int:
        return self.record.attempts

    @strawberry.field(description="The HTTP status of the last answer; null if none came.")
    def response_status(self) -> int | None:
        return self.record.response_status

    @strawberry.field(description="Why the last attempt failed.")
    def last_error(self) -> str | None:
        return self.record.last_error

    @strawberry.field(description="When the next attempt is due; null when none is.")
    def next_attempt_at(self) -> datetime | None:
        return self.record.due_at if self.record.status is DeliveryStatus.PENDING else None

    @strawberry.field(description="When it was delivered.")
    def delivered_at(self) -> datetime | None:
        return self.record.delivered_at

    @strawberry.field(description="When the event was queued for this webhook.")
    def created_at(self) -> datetime:
        return self.record.created_at

    @strawberry.field(description="The exact JSON body sent (and signed).")
    def body(self) -> str:
        return self.record.body.decode()


@strawberry.type(description="The result of `markNotificationsRead`.")
class MarkNotificationsReadPayload:
    marked: int = strawberry.field(default=0, description="How many were unread and are now read.")
    unread_count: int = strawberry.field(default=0, description="Your unread notifications left.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why not; empty on success.")


@strawberry.type(description="The result of `updateNotificationPreferences`.")
class NotificationPreferencesPayload:
    preferences: NotificationPreferences | None = strawberry.field(default=None, description="Null on errors.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why not; empty on success.")


@strawberry.type(description="The result of `createWebhook`.")
class CreateWebhookPayload:
    webhook: Webhook | None = strawberry.field(default=None, description="Null on errors.")
    secret: str | None = strawberry.field(
        default=None, description="The signing secret: the one you gave, or one made for you. Shown this once."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why not; empty on success.")


@strawberry.type(description="The result of `updateWebhook`.")
class WebhookPayload:
    webhook: Webhook | None = strawberry.field(default=None, description="Null on errors.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why not; empty on success.")


@strawberry.type(description="The result of `deleteWebhook`.")
class DeleteWebhookPayload:
    deleted_id: strawberry.ID | None = strawberry.field(default=None, description="The id removed.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why not; empty on success.")


@strawberry.type(description="The result of `redeliverWebhook`.")
class WebhookDeliveryPayload:
    delivery: WebhookDelivery | None = strawberry.field(default=None, description="Due again now.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why not; empty on success.")
