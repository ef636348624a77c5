"""`schema.loaders.load_ahead`: what a page loads ahead lands in the request's loader, each key fetched once,
in one call of the loader's batch function, and the values come back in the order of the keys asked."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from strawberry.dataloader import DataLoader

from schema.loaders import load_ahead, ready


def _loader(calls: list[list[int]], fail: bool = False) -> DataLoader[int, str | None]:
    async def load(keys: Sequence[int]) -> list[str | None]:
        calls.append(list(keys))
        if fail:
            raise RuntimeError("the database is away")
        return [f"v{k}" if k >= 0 else None for k in keys]

    return DataLoader(load_fn=load)


async def test_one_batch_for_the_keys_missing_and_values_in_the_order_asked() -> None:
    calls: list[list[int]] = []
    loader = _loader(calls)
    assert await loader.load(1) == "v1"
    assert await load_ahead(loader, [3, 1, 2, 3, -1]) == ["v3", "v1", "v2", "v3", None]
    assert calls == [[1], [3, 2, -1]]  # 1 was held; repeats fetched once; a missing record is None
    assert ready(loader, 2, lambda v: str(v).upper()) == "V2"  # now held: answered without an awaitable
    assert ready(loader, -1, lambda v: v) is None
    assert await load_ahead(loader, [2, 3]) == ["v2", "v3"]
    assert calls == [[1], [3, 2, -1]]  # nothing fetched again


async def test_a_key_the_loader_is_already_loading_is_left_to_it() -> None:
    calls: list[list[int]] = []
    loader = _loader(calls)
    pending = loader.load(5)  # scheduled in the loader's own batch, not dispatched yet
    values = await load_ahead(loader, [5, 6])
    assert values == ["v5", "v6"] and await pending == "v5"
    assert sorted(map(sorted, calls)) == [[5], [6]]  # each key fetched once


async def test_a_failed_batch_fails_its_keys_as_the_loader_would() -> None:
    calls: list[list[int]] = []
    loader = _loader(calls, fail=True)
    with pytest.raises(RuntimeError, match="away"):
        await load_ahead(loader, [1, 2])
    with pytest.raises(RuntimeError, match="away"):
        await loader.load(2)  # the failure is kept for the request, as DataLoader keeps it
    assert calls == [[1, 2]]


async def test_a_key_answered_with_an_error_raises_it_as_the_loader_would() -> None:
    calls: list[list[int]] = []

    async def load(keys: Sequence[int]) -> list[str | BaseException]:
        calls.append(list(keys))
        return [ValueError(f"bad {k}") if k == 13 else f"v{k}" for k in keys]

    loader: DataLoader[int, str] = DataLoader(load_fn=load)
    with pytest.raises(ValueError, match="bad 13"):
        await load_ahead(loader, [12, 13])
    assert ready(loader, 12, str) == "v12"  # the good key is held
    assert calls == [[12, 13]]  # fetched once


async def test_a_cancelled_key_is_loaded_again() -> None:
    calls: list[list[int]] = []
    loader = _loader(calls)
    first = asyncio.ensure_future(loader.load_many([1]))
    await asyncio.sleep(0)
    first.cancel()  # as graphql-core cancels the siblings of a failed non-null field
    with pytest.raises(asyncio.CancelledError):
        await first
    assert await load_ahead(loader, [1, 2]) == ["v1", "v2"]


async def test_concurrent_pages_fetch_each_key_once() -> None:
    calls: list[list[int]] = []
    loader = _loader(calls)
    a, b = await asyncio.gather(load_ahead(loader, [1, 2, 3]), load_ahead(loader, [3, 4, 1]))
    assert (a, b) == (["v1", "v2", "v3"], ["v3", "v4", "v1"])
    assert sorted(k for call in calls for k in call) == [1, 2, 3, 4]


async def test_a_page_cancelled_during_its_fetch_leaves_its_keys_to_be_loaded_again() -> None:
    calls: list[list[int]] = []
    release = asyncio.Event()

    async def load(keys: Sequence[int]) -> list[str]:
        calls.append(list(keys))
        await release.wait()
        return [f"v{k}" for k in keys]

    loader: DataLoader[int, str] = DataLoader(load_fn=load)
    page = asyncio.ensure_future(load_ahead(loader, [1, 2]))
    await asyncio.sleep(0)
    page.cancel()
    with pytest.raises(asyncio.CancelledError):
        await page
    release.set()
    assert await asyncio.wait_for(load_ahead(loader, [2, 1]), 5) == ["v2", "v1"]  # nothing left waiting forever
    assert calls == [[1, 2], [2, 1]]
