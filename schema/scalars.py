"""Shared scalars."""

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


SCALARS: dict[object, ScalarWrapper | ScalarDefinition] = {
    Vnd: strawberry.scalar(
        name="Vnd",
        serialize=int,
        parse_value=_parse_vnd,
        description="An amount in Vietnamese đồng: a whole number up to 2^53 - 1, sent as a JSON number.",
    )
}
