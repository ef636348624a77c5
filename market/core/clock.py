"""Time as the domain stores it: UTC datetimes at MongoDB's millisecond precision, calendar days at midnight."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any


def _now() -> datetime:
    # The one reading of the system clock behind every time and day the domain keeps, so that a test can pin it.
    return datetime.now(UTC)


def utcnow() -> datetime:
    # MongoDB stores milliseconds; truncate so what we return equals what we read back later.
    now = _now()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def today() -> date:
    """The calendar day in UTC, the zone stored days are read in."""
    return _now().date()


def midnight(day: date) -> datetime:
    """How a calendar day is stored: BSON has no date type."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def as_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def as_day(value: Any) -> date | None:
    """A stored day back as a date: a datetime at midnight, a date, or ISO text."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))
