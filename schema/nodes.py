"""Resolving global ids to objects the viewer may see, for every Node type."""

from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Protocol, TypeVar

from bson import ObjectId
from bson.errors import InvalidId


class HasId(Protocol):
    @property
    def id(self) -> ObjectId: ...


R = TypeVar("R", bound=HasId)
N = TypeVar("N")


def everyone(_: object) -> bool:
    """For records anyone may see (producers, buyer organisations, trade events), or that a loader has already
    narrowed to what the viewer may see."""
    return True


def object_ids(node_ids: Iterable[str]) -> list[ObjectId | None]:
    """Database ids of node ids; None for text that is not one (it then resolves to null)."""
    out: list[ObjectId | None] = []
    for value in node_ids:
        try:
            out.append(ObjectId(value))
        except (InvalidId, TypeError):
            out.append(None)
    return out


async def resolve_visible(
    node_ids: Iterable[str],
    load: Callable[[list[ObjectId]], Awaitable[Sequence[R | None]]],
    visible: Callable[[R], bool],
    wrap: Callable[[R], N],
) -> list[N | None]:
    """One batched load, then null for what does not exist or the viewer may not see: the two look the
    same, so nothing leaks through `node(id)`."""
    ids = object_ids(node_ids)
    records = await load([i for i in ids if i is not None])
    by_id = {r.id: r for r in records if r is not None and visible(r)}
    return [wrap(by_id[i]) if i is not None and i in by_id else None for i in ids]
