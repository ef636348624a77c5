"""Offset windows of search results (search/service.py): which hits a page request reads from a ranked list
that can only be sliced by position, and what it says about the pages on either side."""

from __future__ import annotations

import pytest

from market.core.errors import DomainError, ErrorCode
from market.core.paging import DEFAULT_PAGE, PageRequest
from search.service import OffsetWindow, cursor_bounds, encode_offset, needs_total, offset_window

RESULTS = [f"hit{i}" for i in range(23)]  # a ranked list of 23 hits


def read(window: OffsetWindow) -> tuple[list[str], bool, bool]:
    """What a page shows from RESULTS through `window`: its hits, hasPreviousPage and hasNextPage."""
    rows = RESULTS[window.offset : window.offset + window.limit]
    has_previous, has_next = window.flags(len(rows))
    return rows[: window.size], has_previous, has_next


def test_last_before_reads_back_from_the_cursor() -> None:
    window = offset_window(PageRequest(last=5, before=encode_offset(12)))
    assert (window.offset, window.limit) == (7, 5)
    assert read(window) == (RESULTS[7:12], True, True)


def test_last_before_near_the_start_stops_at_zero() -> None:
    window = offset_window(PageRequest(last=5, before=encode_offset(3)))
    assert (window.offset, window.limit) == (0, 3)
    assert read(window) == (RESULTS[0:3], False, True)


def test_last_alone_is_the_final_page() -> None:
    request = PageRequest(last=5)
    assert needs_total(request)
    assert read(offset_window(request, len(RESULTS))) == (RESULTS[18:], True, False)
    assert read(offset_window(PageRequest(last=50), len(RESULTS))) == (RESULTS, False, False)
    assert read(offset_window(PageRequest(last=5), 0)) == ([], False, False)


def test_before_alone_reads_a_default_page_back() -> None:
    window = offset_window(PageRequest(before=encode_offset(22)))
    assert (window.offset, window.size) == (22 - DEFAULT_PAGE, DEFAULT_PAGE)
    assert not needs_total(PageRequest(before=encode_offset(22)))


def test_walking_back_visits_what_walking_forward_did() -> None:
    forward: list[str] = []
    after = None
    while True:
        rows, has_previous, has_next = read(offset_window(PageRequest(first=4, after=after)))
        assert has_previous is (after is not None)
        forward += rows
        if not has_next:
            break
        after = encode_offset(RESULTS.index(rows[-1]))
    backward: list[str] = []
    window = offset_window(PageRequest(last=4), len(RESULTS))
    while True:
        rows, has_previous, has_next = read(window)
        assert has_next is (window.request.before is not None)
        backward = rows + backward
        if not has_previous:
            break
        window = offset_window(PageRequest(last=4, before=encode_offset(RESULTS.index(rows[0]))))
    assert forward == backward == RESULTS


def test_after_and_before_bound_the_window_together() -> None:
    between = PageRequest(first=10, after=encode_offset(4), before=encode_offset(9))
    assert read(offset_window(between)) == (RESULTS[5:9], True, False)
    backward = PageRequest(last=10, after=encode_offset(4), before=encode_offset(9))
    assert read(offset_window(backward)) == (RESULTS[5:9], False, True)
    crossed = PageRequest(last=3, after=encode_offset(9), before=encode_offset(4))
    assert read(offset_window(crossed)) == ([], False, True)


def test_first_after_is_unchanged() -> None:
    window = offset_window(PageRequest(first=5, after=encode_offset(9)))
    assert (window.offset, window.limit) == (10, 6)
    assert read(window) == (RESULTS[10:15], True, True)
    assert read(offset_window(PageRequest(first=5, after=encode_offset(19)))) == (RESULTS[20:], True, False)


@pytest.mark.parametrize("cursor", ["o:99999999999999999999", "o:-1", "o:1e3", "o:١٢", "x:1", "o:", "nope"])
@pytest.mark.parametrize("field", ["after", "before"])
def test_bad_cursors_are_refused_on_their_argument(cursor: str, field: str) -> None:
    with pytest.raises(DomainError) as excinfo:
        cursor_bounds(PageRequest(last=2, **{field: cursor}))
    assert [(e.code, e.field) for e in excinfo.value.errors] == [(ErrorCode.INVALID, field)]


def test_mixing_first_and_last_is_refused() -> None:
    with pytest.raises(DomainError) as excinfo:
        offset_window(PageRequest(first=2, last=2))
    assert [(e.code, e.field) for e in excinfo.value.errors] == [(ErrorCode.INVALID, "last")]
