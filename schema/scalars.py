"""Shared scalars. Each parser raises ValueError with a message in our words, so a bad value comes back as
BAD_USER_INPUT naming the argument path (schema/errors.py), whether it arrived in a variable or a literal."""

import datetime as dt
from typing import NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition, ScalarWrapper

MAX_SAFE_INTEGER = 2**53 - 1

# GraphQL Int is 32-bit (±2.1 billion); order values in đồng exceed it, so amounts use their own scalar.
Vnd = NewType("Vnd", int)


def _parse_vnd(value: object) -> Vnd:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SAFE_INTEGER:
        raise ValueError("Vnd must be a whole, non-negative number of đồng")
    return Vnd(value)


def _parse_date(value: object) -> dt.date:
    if isinstance(value, str) and len(value) == 10:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError("Date must be a calendar date written YYYY-MM-DD, e.g. 2025-03-01")


def _parse_datetime(value: object) -> dt.datetime:
    """The instant in UTC, which also refuses one whose offset takes it outside years 1 to 9999 (0001-01-01T00:00
    at +14:00 is still in year 0 in UTC): no comparison or query with it could be made."""
    if isinstance(value, str) and len(value) <= 40:
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            try:
                return parsed.astimezone(dt.UTC) if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
            except OverflowError:
                raise ValueError("DateTime must be between 0001-01-01 and 9999-12-31 in UTC") from None
    raise ValueError("DateTime must be an ISO 8601 date and time, e.g. 2025-03-01T08:30:00+07:00")


SCALARS: dict[object, ScalarWrapper | ScalarDefinition] = {
    Vnd: strawberry.scalar(
        name="Vnd",
        serialize=int,
        parse_value=_parse_vnd,
        description="An amount in Vietnamese đồng: a whole number up to 2^53 - 1, sent as a JSON number.",
    ),
    dt.date: strawberry.scalar(
        name="Date",
        serialize=dt.date.isoformat,
        parse_value=_parse_date,
        description="A calendar date, `YYYY-MM-DD`.",
    ),
    dt.datetime: strawberry.scalar(
        name="DateTime",
        serialize=dt.datetime.isoformat,
        parse_value=_parse_datetime,
        description="An instant, ISO 8601 with its offset (UTC when none is given).",
    ),
}
