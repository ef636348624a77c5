"""The domain's clock (market.core.clock) held at one instant, with the process in a time zone whose calendar
day differs from UTC's at that instant: what a server keeping Vietnam's time reads between 00:00 and 07:00."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from market.core import clock

# 06:30 on 11 March in Vietnam (UTC+7), still the 10th in UTC; far enough from any real day that a date taken
# from the system's own clock cannot pass for it.
VIETNAM_MORNING = datetime(2025, 3, 10, 23, 30, tzinfo=UTC)


@contextlib.contextmanager
def pinned_clock(at: datetime = VIETNAM_MORNING, zone: str = "Asia/Ho_Chi_Minh") -> Iterator[datetime]:
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(clock, "_now", lambda: at)
            patch.setenv("TZ", zone)
            time.tzset()
            assert datetime.fromtimestamp(at.timestamp()).date() != at.date(), "the zone must disagree with UTC"
            yield at
    finally:
        time.tzset()  # the environment is back; make the C library read it again
