"""How failures reach clients.

- Business and validation failures of a mutation: `errors: [UserError!]!` in its payload.
- A query given bad arguments: a top-level error whose `extensions` carry `code` and `field`
  (market.errors.DomainError provides them).
- A missing or invalid API key: a top-level `UNAUTHENTICATED` error.
"""

from collections.abc import Awaitable
from typing import TypeVar

import strawberry
from graphql import GraphQLError

from market.errors import DomainError, ErrorCode

T = TypeVar("T")

strawberry.enum(ErrorCode, description="Why an input was refused.")


@strawberry.type(description="A business or validation failure, next to the input field it concerns.")
class UserError:
    field: str | None = strawberry.field(description="The input field at fault, e.g. `priceTiers[1].minQuantity`.")
    code: ErrorCode
    message: str


def user_errors(exc: DomainError) -> list[UserError]:
    return [UserError(field=e.field, code=e.code, message=e.message) for e in exc.errors]


async def attempt(work: Awaitable[T]) -> tuple[T | None, list[UserError]]:
    """Run a use case; a DomainError becomes payload errors, anything else propagates."""
    try:
        return await work, []
    except DomainError as exc:
        return None, user_errors(exc)


class Unauthenticated(GraphQLError):
    def __init__(self, message: str = "this operation needs an API key: send `Authorization: Bearer <key>`"):
        super().__init__(message, extensions={"code": "UNAUTHENTICATED"})
