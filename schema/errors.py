"""How failures reach clients: the one place where domain errors become GraphQL errors.

- Business and validation failures of a mutation: `errors: [UserError!]!` in its payload
  (`returns_user_errors`).
- A query given bad arguments: a top-level error whose `extensions` carry `code` and `field`
  (market.core.errors.DomainError provides them).
- A missing or invalid API key: a top-level `UNAUTHENTICATED` error.
"""

import functools
from collections.abc import Awaitable, Callable
from typing import ParamSpec, Protocol, TypeVar

import strawberry
from graphql import GraphQLError

from market.core.errors import DomainError, ErrorCode

strawberry.enum(ErrorCode, description="Why an input was refused.")


@strawberry.type(description="A business or validation failure, next to the input field it concerns.")
class UserError:
    field: str | None = strawberry.field(description="The input field at fault, e.g. `priceTiers[1].minQuantity`.")
    code: ErrorCode
    message: str


def user_errors(exc: DomainError) -> list[UserError]:
    return [UserError(field=e.field, code=e.code, message=e.message) for e in exc.errors]


class Payload(Protocol):
    """A mutation payload: its object fields default to null, `errors` to an empty list."""

    def __init__(self, *, errors: list[UserError]) -> None: ...


P = ParamSpec("P")
R = TypeVar("R", bound=Payload)


def returns_user_errors(
    payload: type[R],
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """A mutation resolver that returns `payload` on success; a DomainError raised anywhere in it (decoding
    an id, validating, a rule of the domain) becomes `payload(errors=[...])` with nothing else set.
    Anything else, `UNAUTHENTICATED` included, stays a top-level error."""

    def decorate(resolver: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @functools.wraps(resolver)
        async def run(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return await resolver(*args, **kwargs)
            except DomainError as exc:
                return payload(errors=user_errors(exc))

        return run

    return decorate


class Unauthenticated(GraphQLError):
    def __init__(self, message: str = "this operation needs an API key: send `Authorization: Bearer <key>`"):
        super().__init__(message, extensions={"code": "UNAUTHENTICATED"})
