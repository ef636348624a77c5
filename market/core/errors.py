"""Business errors. Every validation and business failure is a `FieldError` with a code, a field and a
message; the GraphQL layer turns them into payload `errors`, never into a top-level error or a 500."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ErrorCode(StrEnum):
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    TOO_LONG = "TOO_LONG"
    UNKNOWN_PROVINCE = "UNKNOWN_PROVINCE"
    NOT_FOUND = "NOT_FOUND"
    DUPLICATE = "DUPLICATE"
    CONFLICT = "CONFLICT"
    FORBIDDEN = "FORBIDDEN"
    INVALID_STATE = "INVALID_STATE"
    UNAVAILABLE = "UNAVAILABLE"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    TOO_MANY_SUBSCRIPTIONS = "TOO_MANY_SUBSCRIPTIONS"


@dataclass(frozen=True, slots=True)
class FieldError:
    code: ErrorCode
    field: str | None
    message: str


class DomainError(Exception):
    """One or more business errors; nothing was written."""

    def __init__(self, errors: list[FieldError]) -> None:
        # A top-level GraphQL error shows this text: an error that names no field reads as its plain message.
        super().__init__("; ".join(f"{e.field}: {e.message}" if e.field else e.message for e in errors))
        self.errors = errors

    @property
    def extensions(self) -> dict[str, object]:
        """Typed details for a top-level GraphQL error, when a query (which has no payload) fails."""
        first = self.errors[0]
        return {
            "code": first.code.value,
            "field": first.field,
            "errors": [{"code": e.code.value, "field": e.field, "message": e.message} for e in self.errors],
        }

    @classmethod
    def single(cls, code: ErrorCode, field: str | None, message: str) -> DomainError:
        return cls([FieldError(code, field, message)])


def not_found(field: str, what: str) -> DomainError:
    return DomainError.single(ErrorCode.NOT_FOUND, field, f"{what} does not exist")


def forbidden(message: str, field: str | None = None) -> DomainError:
    return DomainError.single(ErrorCode.FORBIDDEN, field, message)


def conflict(expected: int, current: int) -> DomainError:
    return DomainError.single(
        ErrorCode.CONFLICT,
        "expectedVersion",
        f"the record was changed by someone else: expected version {expected}, current version is {current}",
    )
