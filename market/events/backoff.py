"""Retry timing shared by every delivery: exponential backoff with a ceiling, and a window after which
retrying stops."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class Backoff:
    first: float = 10.0
    """Seconds before the first retry; each later one waits twice as long, up to `ceiling`."""
    ceiling: float = 3600.0
    window: timedelta = timedelta(hours=24)
    """No attempt is scheduled later than this after the first."""

    def delay(self, attempts: int) -> timedelta:
        """The wait after the `attempts`-th failed attempt (1 for the first)."""
        exponent = min(max(0, attempts - 1), 30)
        return timedelta(seconds=min(self.ceiling, self.first * 2**exponent))

    def next_attempt(self, attempts: int, started: datetime, now: datetime) -> datetime | None:
        """When to try again, or None: the window has closed."""
        due = now + self.delay(attempts)
        return None if due - started > self.window else due
