"""Saved searches with alerts (buyers) and RFQ board follows (producers). Thin: market/notifications/ decides,
search/alerts.py matches. Both are their owner's alone: `node(id)`, the lists and the mutations show another
person's as if it did not exist."""

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from bson import ObjectId
from strawberry import relay
from strawberry.types import Info

from market.accounts.records import BuyerKind
from market.catalog.records import CertificateStatus, Certification, ProductGroup
from market.core.ids import global_id_of
from market.notifications import alert_policy, rfq_follows, saved_searches
from market.notifications.alert_records import AlertFrequency
from market.notifications.alert_records import RfqFollow as FollowRecord
from market.notifications.alert_records import SavedSearch as SavedSearchRecord
from schema.catalog.search import ProductSearchFilter, search_filter_of
from schema.enums import describe_enum
from schema.errors import UserError, returns_user_errors
from schema.nodes import everyone, resolve_visible
from search.alerts import SavedSearchMatcher, stored_filter

if TYPE_CHECKING:
    from schema.context import Context

describe_enum(
    AlertFrequency,
    "How a saved search tells you of a product that newly matches it.",
    {
        AlertFrequency.NONE: "No alerts: the search is only kept to run again.",
        AlertFrequency.INSTANT: "A notification at once, and an email if your preferences send "
        "`saved_search.matched` by email.",
        AlertFrequency.DAILY: "A notification at once, and the email in your daily digest.",
    },
    name="SavedSearchAlert",
)


@strawberry.type(description="The filter a saved search keeps, as `searchProducts` takes it.")
class SavedSearchFilter:
    provinces: list[str] = strawberry.field(description="Province codes; empty for any.")
    groups: list[ProductGroup] = strawberry.field(description="OCOP product groups; empty for any.")
    min_stars: int | None = strawberry.field(description="Rated at least this many stars.")
    price_min: int | None = strawberry.field(description="Unit price at least this many đồng.")
    price_max: int | None = strawberry.field(description="Unit price at most this many đồng.")
    certifications: list[Certification] = strawberry.field(description="Holding any of these; empty for any.")
    producer: strawberry.ID | None = strawberry.field(description="A Producer id: its products only.")
    max_moq: int | None = strawberry.field(description="Minimum order quantity at most this.")
    certificate_status: list[CertificateStatus] = strawberry.field(description="Certificates in these states.")
    packaging: list[str] = strawberry.field(description="Packagings of a variant; empty for any.")

    @classmethod
    def of(cls, stored: dict[str, Any]) -> "SavedSearchFilter":
        producer = stored.get("producer_id")
        return cls(
            provinces=list(stored.get("provinces") or []),
            groups=[ProductGroup(g) for g in stored.get("groups") or []],
            min_stars=stored.get("min_stars"),
            price_min=stored.get("price_min"),
            price_max=stored.get("price_max"),
            certifications=[Certification(c) for c in stored.get("certifications") or []],
            producer=strawberry.ID(global_id_of("Producer", ObjectId(producer))) if producer else None,
            max_moq=stored.get("max_moq"),
            certificate_status=[CertificateStatus(s) for s in stored.get("certificate_statuses") or []],
            packaging=list(stored.get("packaging") or []),
        )


@strawberry.type(description="A search you saved, with its alerts. Only you see it.")
class SavedSearch(relay.Node):
    id: relay.NodeID[str]
    name: str = strawberry.field(description="Your name for it.")
    query: str = strawberry.field(description="The words searched, as `searchProducts` reads them.")
    filter: SavedSearchFilter = strawberry.field(description="The filter searched with.")
    alert: AlertFrequency = strawberry.field(description="How it tells you of new matches.")
    created_at: datetime = strawberry.field(description="When you saved it.")
    alerted_count: int = strawberry.field(
        description="Products it has told you of so far (those matching when you saved it count as seen)."
    )

    @classmethod
    def from_record(cls, r: SavedSearchRecord) -> "SavedSearch":
        return cls(
            id=str(r.id), name=r.name, query=r.query, filter=SavedSearchFilter.of(r.filter), alert=r.alert,
            created_at=r.created_at, alerted_count=r.alerted,
        )  # fmt: skip

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info["Context", None], node_ids: Iterable[str], required: bool = False
    ) -> list["SavedSearch | None"]:
        viewer = info.context.viewer

        async def own(ids: list[ObjectId]) -> list[SavedSearchRecord]:
            found = await info.context.store.alerts.searches_by_id(ids)
            return [s for s in found if alert_policy.can_see_saved_search(viewer, s)]

        return await resolve_visible(node_ids, own, everyone, cls.from_record)


@strawberry.type(description="An RFQ board filter you follow: new open RFQs that pass it reach you. Only you see it.")
class RfqBoardFollow(relay.Node):
    id: relay.NodeID[str]
    name: str = strawberry.field(description="Your name for it; empty when none.")
    groups: list[ProductGroup] = strawberry.field(description="RFQs asking for any of these groups; empty for any.")
    provinces: list[str] = strawberry.field(
        description="RFQs asking for any of these provinces (codes); empty for any."
    )
    buyer_kinds: list[BuyerKind] = strawberry.field(description="RFQs from buyers of these kinds; empty for any.")
    created_at: datetime = strawberry.field(description="When you started following it; older RFQs are not sent.")

    @classmethod
    def from_record(cls, r: FollowRecord) -> "RfqBoardFollow":
        return cls(
            id=str(r.id), name=r.name, groups=[ProductGroup(g) for g in r.groups], provinces=r.provinces,
            buyer_kinds=[BuyerKind(k) for k in r.buyer_kinds], created_at=r.created_at or datetime.min,
        )  # fmt: skip

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info["Context", None], node_ids: Iterable[str], required: bool = False
    ) -> list["RfqBoardFollow | None"]:
        viewer = info.context.viewer

        async def own(ids: list[ObjectId]) -> list[FollowRecord]:
            found = await rfq_follows.follows_by_id(info.context.store, ids)
            return [f for f in found if alert_policy.can_see_follow(viewer, f)]

        return await resolve_visible(node_ids, own, everyone, cls.from_record)


@strawberry.input(description="A search to keep, with alerts of products that newly match it.")
class SaveSearchInput:
    name: str = strawberry.field(description="Your name for it, at most 200 characters.")
    query: str = strawberry.field(
        default="", description="Words as for `searchProducts` (`kẹo dừa 4 sao` reads 4 sao as 4★), at most 200."
    )
    filter: ProductSearchFilter | None = strawberry.field(default=None, description="As for `searchProducts`.")
    alert: AlertFrequency = strawberry.field(
        default=AlertFrequency.INSTANT, description="How to tell you of new matches; INSTANT by default."
    )


@strawberry.input(description="An RFQ board filter to follow; every given condition must hold.")
class FollowRfqBoardInput:
    name: str | None = strawberry.field(default=None, description="Your name for it.")
    groups: list[ProductGroup] | None = strawberry.field(default=None, description="RFQs asking for any of these.")
    provinces: list[str] | None = strawberry.field(
        default=None, description="RFQs asking for any of these provinces (codes or names)."
    )
    buyer_kinds: list[BuyerKind] | None = strawberry.field(
        default=None, description="RFQs from buyers of any of these kinds."
    )


@strawberry.type(description="The result of `saveSearch`.")
class SaveSearchPayload:
    saved_search: SavedSearch | None = strawberry.field(default=None, description="Null on errors.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why not; empty on success.")


@strawberry.type(description="The result of `deleteSavedSearch`.")
class DeleteSavedSearchPayload:
    deleted_id: strawberry.ID | None = strawberry.field(default=None, description="The id removed.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why not; empty on success.")


@strawberry.type(description="The result of `followRfqBoard`.")
class FollowRfqBoardPayload:
    follow: RfqBoardFollow | None = strawberry.field(default=None, description="Null on errors.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why not; empty on success.")


@strawberry.type(description="The result of `unfollowRfqBoard`.")
class UnfollowRfqBoardPayload:
    deleted_id: strawberry.ID | None = strawberry.field(default=None, description="The id removed.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why not; empty on success.")


ID_ARGUMENT = Annotated[strawberry.ID, strawberry.argument(description="Its id.")]


@strawberry.type
class AlertQuery:
    @strawberry.field(description="Your saved searches, oldest first. Only yours: nobody else reads them.")
    async def saved_searches(self, info: Info["Context", None]) -> list[SavedSearch]:
        ctx = info.context
        return [
            SavedSearch.from_record(s) for s in await saved_searches.saved_searches(ctx.store, ctx.require_viewer())
        ]

    @strawberry.field(
        description="The RFQ board filters you follow (members of a producer). Errors: FORBIDDEN for anyone else."
    )
    async def rfq_board_follows(self, info: Info["Context", None]) -> list[RfqBoardFollow]:
        ctx = info.context
        return [RfqBoardFollow.from_record(f) for f in await rfq_follows.rfq_follows(ctx.store, ctx.require_viewer())]


@strawberry.type
class AlertMutation:
    @strawberry.mutation(
        description="Keep a search; with INSTANT or DAILY alerts, you hear of each product published or changed so "
        "that it newly matches (`saved_search.matched`), once per product. Products matching when you save it "
        f"count as seen. At most {saved_searches.MAX_SAVED_SEARCHES} per person. `errors`: REQUIRED, TOO_LONG, "
        "OUT_OF_RANGE, UNKNOWN_PROVINCE, INVALID."
    )
    @returns_user_errors(SaveSearchPayload)
    async def save_search(
        self, info: Info["Context", None], input: Annotated[SaveSearchInput, strawberry.argument(description="It.")]
    ) -> SaveSearchPayload:
        ctx = info.context
        data = {
            "name": input.name,
            "query": input.query,
            "filter": stored_filter(search_filter_of(input.filter)),
            "alert": input.alert,
        }
        saved = await saved_searches.save_search(
            ctx.store, ctx.require_viewer(), data, SavedSearchMatcher(ctx.search).current
        )
        return SaveSearchPayload(saved_search=SavedSearch.from_record(saved))

    @strawberry.mutation(description="Stop keeping one of your saved searches. `errors`: NOT_FOUND.")
    @returns_user_errors(DeleteSavedSearchPayload)
    async def delete_saved_search(self, info: Info["Context", None], id: ID_ARGUMENT) -> DeleteSavedSearchPayload:
        ctx = info.context
        await saved_searches.delete_saved_search(ctx.store, ctx.require_viewer(), id)
        return DeleteSavedSearchPayload(deleted_id=id)

    @strawberry.mutation(
        description="Follow an RFQ board filter (members of a producer): each new open RFQ that passes it and that "
        "your catalogue could meet, as `openRequests` shows it to you, reaches you (`rfq.matched`) by your chosen "
        f"channels. At most {rfq_follows.MAX_FOLLOWS} per person. `errors`: FORBIDDEN, UNKNOWN_PROVINCE, "
        "OUT_OF_RANGE, TOO_LONG."
    )
    @returns_user_errors(FollowRfqBoardPayload)
    async def follow_rfq_board(
        self,
        info: Info["Context", None],
        input: Annotated[FollowRfqBoardInput, strawberry.argument(description="The filter.")],
    ) -> FollowRfqBoardPayload:
        ctx = info.context
        data = {
            "name": input.name,
            "groups": input.groups,
            "provinces": input.provinces,
            "buyerKinds": input.buyer_kinds,
        }
        follow = await rfq_follows.follow_rfq_board(ctx.store, ctx.require_viewer(), data)
        return FollowRfqBoardPayload(follow=RfqBoardFollow.from_record(follow))

    @strawberry.mutation(description="Stop following one of your RFQ board filters. `errors`: NOT_FOUND, FORBIDDEN.")
    @returns_user_errors(UnfollowRfqBoardPayload)
    async def unfollow_rfq_board(self, info: Info["Context", None], id: ID_ARGUMENT) -> UnfollowRfqBoardPayload:
        ctx = info.context
        await rfq_follows.unfollow_rfq_board(ctx.store, ctx.require_viewer(), id)
        return UnfollowRfqBoardPayload(deleted_id=id)
