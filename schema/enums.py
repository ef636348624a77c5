"""Domain enums as GraphQL enums, with a description for the type and for each value.

The enums are defined in market/, which knows nothing of GraphQL; their documentation for clients is
attached here, where they are registered with Strawberry.
"""

import dataclasses
from collections.abc import Mapping
from enum import Enum
from typing import TypeVar

import strawberry
from strawberry.types.enum import StrawberryEnumDefinition

E = TypeVar("E", bound=Enum)


def describe_enum(enum: type[E], description: str, values: Mapping[E, str], *, name: str | None = None) -> type[E]:
    """Register `enum` with Strawberry under `name` (its class name by default), each value described.

    Raises at import when a member has no description, so a value added in market/ cannot reach the schema
    undocumented."""
    missing = [member.name for member in enum if not values.get(member, "").strip()]
    if missing:
        raise ValueError(f"{enum.__name__}: describe {', '.join(missing)}")
    strawberry.enum(enum, name=name, description=description)
    definition = getattr(enum, "__strawberry_definition__", None)
    assert isinstance(definition, StrawberryEnumDefinition)
    definition.values = [dataclasses.replace(v, description=values[enum(v.value)]) for v in definition.values]
    return enum
