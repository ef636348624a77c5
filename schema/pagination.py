"""Relay connection plumbing shared by every list."""

import base64
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Generic, TypeVar

import strawberry
from bson import ObjectId
from strawberry import relay
from strawberry.types import Info

from market.core.errors import DomainError, FieldError
from market.core.paging import DEFAULT_PAGE, MAX_PAGE, Cursor, Page, PageRequest

T = TypeVar("T")
# What a list holds: Relay nodes mostly, and also items without a global id (members, keys, audit entries,
# product changes), which page the same way. Relay's own types want nodes, hence the ignores below.
Item = TypeVar("Item")

FIRST_DESCRIPTION = f"Page size, {DEFAULT_PAGE} by default and at most {MAX_PAGE}; more is refused, not truncated."
LAST_DESCRIPTION = (
    f"Page size counted back from `before`, or from the end of the list; at most {MAX_PAGE}, more is refused, "
    "not truncated. Not with `first`."
)
AFTER_DESCRIPTION = "A cursor of this list: the page starts just after it."
BEFORE_DESCRIPTION = (
    f"A cursor of this list: the page ends just before it. Without `first` or `after`, the page counts back from "
    f"it, {DEFAULT_PAGE} by default."
)

First = Annotated[int | None, strawberry.argument(description=FIRST_DESCRIPTION)]
After = Annotated[str | None, strawberry.argument(description=AFTER_DESCRIPTION)]
Last = Annotated[int | None, strawberry.argument(description=LAST_DESCRIPTION)]
Before = Annotated[str | None, strawberry.argument(description=BEFORE_DESCRIPTION)]


def page_request(
    first: int | None, after: str | None, last: int | None = None, before: str | None = None
) -> PageRequest:
    return PageRequest(first=first, after=after, last=last, before=before).validated()


# Strawberry's PageInfo and Edge describe Relay in general; these say what this API's lists do (both flags
# are set whichever way a client pages), under the same names and fields.
@strawberry.type(name="PageInfo", description="Where a page sits in its list, and the cursors to page on from it.")
class PageInfo(relay.PageInfo):
    has_next_page: bool = strawberry.field(
        description="Whether items follow this page. Paging forward it is exact; paging back it is true whenever "
        "`before` was given."
    )
    has_previous_page: bool = strawberry.field(
        description="Whether items come before this page. Paging back it is exact; paging forward it is true "
        "whenever `after` was given."
    )
    start_cursor: str | None = strawberry.field(
        description="The first item's cursor: pass it as `before` for the previous page. Null on an empty page."
    )
    end_cursor: str | None = strawberry.field(
        description="The last item's cursor: pass it as `after` for the next page. Null on an empty page."
    )


@strawberry.type(name="Edge", description="One item of a page, with its place in the list.")
class Edge(relay.Edge[Item], Generic[Item]):  # type: ignore[type-var]
    cursor: str = strawberry.field(
        description="Opaque; pass it as `after` or `before` of the same list, in the same order, to page from "
        "this item."
    )
    node: Item = strawberry.field(description="The item.")


@strawberry.type(name="Connection", description="A page of a list, with its total size computed only when asked for.")
class CountedConnection(relay.Connection[Item], Generic[Item]):  # type: ignore[type-var]
    page_info: PageInfo = strawberry.field(description="Whether more pages follow or precede, and their cursors.")
    # Our edges are Relay edges; mypy objects only because list is invariant.
    edges: list[Edge[Item]] = strawberry.field(  # type: ignore[assignment]
        description="The items of this page, in the list's order."
    )
    count_fn: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many items the whole list (all pages) holds.")
    async def total_count(self) -> int:
        return await self.count_fn()


class _PageEdge(Edge[Any]):
    """An edge whose cursor is encoded only if a client selects it (market.core.paging.LazyCursor)."""

    def __init__(self, node: Any, cursor: Cursor) -> None:
        self.node = node
        self._cursor = cursor

    @property
    def cursor(self) -> str:  # type: ignore[override]
        return str(self._cursor)


class _PageInfo(PageInfo):
    """Page flags, with the cursors of the page's ends encoded only if selected."""

    def __init__(self, page: Page[Any]) -> None:
        self.has_next_page = page.has_next
        self.has_previous_page = page.has_previous
        self._page = page

    @property
    def start_cursor(self) -> str | None:  # type: ignore[override]
        return str(self._page.items[0][1]) if self._page.items else None

    @property
    def end_cursor(self) -> str | None:  # type: ignore[override]
        return str(self._page.items[-1][1]) if self._page.items else None


def to_connection(
    page: Page[T], wrap: Callable[[T], Item], count: Callable[[], Awaitable[int]]
) -> CountedConnection[Item]:
    edges: list[Edge[Item]] = [_PageEdge(wrap(item), cursor) for item, cursor in page.items]
    return CountedConnection(edges=edges, page_info=_PageInfo(page), count_fn=count)


def decode_global_id(value: str, type_name: str, field: str) -> str:
    """The node id inside a global id of `type_name`, or a typed error naming the field."""
    try:
        decoded = base64.b64decode(value.encode(), validate=True).decode()
        kind, _, node_id = decoded.partition(":")
    except (ValueError, UnicodeDecodeError):
        kind, node_id = "", ""
    if kind != type_name or not node_id:
        raise DomainError.of("not_an_id_of", field, type=type_name)
    return node_id


class SentIds:
    """Decodes a client's global ids and remembers them, field by field: the domain knows records by their
    database ids, and an error listing some (`ids`) should list them as the client wrote them."""

    def __init__(self) -> None:
        self._sent: dict[tuple[str, str], str] = {}

    def decode(self, value: str, type_name: str, field: str) -> str:
        """`decode_global_id`, remembering `value` under the id the domain will name it by."""
        node_id = decode_global_id(value, type_name, field)
        # The domain writes an ObjectId in lower case, whatever case the client encoded it in.
        self._sent.setdefault((field, str(ObjectId(node_id)) if ObjectId.is_valid(node_id) else node_id), value)
        return node_id

    def restate(self, error: FieldError) -> FieldError:
        """`error` with the ids it lists as the client sent them in the error's field."""
        ids = error.params.get("ids")
        if error.field is None or not isinstance(ids, list):
            return error
        return error.naming(ids=[self._sent.get((error.field, str(i)), i) for i in ids])


def global_id(type_name: str, node_id: str) -> str:
    return str(relay.GlobalID(type_name, node_id))


NODE_TYPES = (
    "Product", "Producer", "BuyerOrganisation", "Inquiry", "Quotation", "Deal", "TradeEvent", "Document", "Lot",
    "SampleRequest", "PurchaseApproval", "SavedSearch", "RfqBoardFollow",
)  # fmt: skip


async def resolve_node(info: Info[Any, Any], value: str, field: str) -> relay.Node | None:
    try:
        global_id = relay.GlobalID.from_id(value)
    except Exception as exc:
        raise DomainError.of("not_a_global_id", field) from exc
    if global_id.type_name not in NODE_TYPES:
        return None
    node: relay.Node | None = await global_id.resolve_node(info, required=False)
    return node
