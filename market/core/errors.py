"""Business errors. Every validation and business failure is a `FieldError` with a code, a field and a
message; the GraphQL layer turns them into payload `errors`, never into a top-level error or a 500.

A message comes from the catalogue (market/core/messages.py) by its key and parameters, so a client can show
it in Vietnamese or English and read the values it names (`min`, `max`, `got`...)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from market.core import messages


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
    ORG_NOT_VERIFIED = "ORG_NOT_VERIFIED"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"
    WEAK_PASSWORD = "WEAK_PASSWORD"
    INVALID_TOKEN = "INVALID_TOKEN"
    LAST_OWNER = "LAST_OWNER"


@dataclass(frozen=True, slots=True)
class FieldError:
    code: ErrorCode
    field: str | None
    message: str  # in English
    key: str | None = None  # of market.core.messages.MESSAGES
    params: dict[str, Any] = dataclasses.field(default_factory=dict)  # JSON values the message names

    @classmethod
    def of(cls, key: str, field: str | None, **params: Any) -> FieldError:
        """The error of catalogue message `key`, with the code the catalogue gives it."""
        code = ErrorCode(messages.MESSAGES[key].code)
        return cls(code, field, messages.render(key, {"field": field, **params}), key, params)

    def text(self, locale: str) -> str:
        """The message in `locale`."""
        if self.key is None:
            return self.message
        return messages.render(self.key, {"field": self.field, **self.params}, locale)

    def naming(self, **params: Any) -> FieldError:
        """The same error with other values for these parameters (ids as the caller knows them, say)."""
        if self.key is None:
            return dataclasses.replace(self, params={**self.params, **params})
        return FieldError.of(self.key, self.field, **{**self.params, **params})

    def moved(self, field: str | None) -> FieldError:
        """The same error about another field (an argument the caller knows under another name)."""
        if self.key is None:
            return dataclasses.replace(self, field=field)
        return FieldError.of(self.key, field, **self.params)


class DomainError(Exception):
    """One or more business errors; nothing was written."""

    def __init__(self, errors: list[FieldError]) -> None:
        # A top-level GraphQL error shows this text: an error that names no field reads as its plain message.
        super().__init__("; ".join(f"{e.field}: {e.message}" if e.field else e.message for e in errors))
        self.errors = errors

    def text(self, locale: str) -> str:
        """str() of this error in `locale`."""
        return "; ".join(f"{e.field}: {e.text(locale)}" if e.field else e.text(locale) for e in self.errors)

    def extensions_in(self, locale: str) -> dict[str, object]:
        """Typed details for a top-level GraphQL error, when a query (which has no payload) fails."""
        first = self.errors[0]
        return {
            "code": first.code.value,
            "field": first.field,
            "params": first.params,
            "errors": [
                {"code": e.code.value, "field": e.field, "message": e.text(locale), "params": e.params}
                for e in self.errors
            ],
        }

    @property
    def extensions(self) -> dict[str, object]:
        return self.extensions_in("en")

    @classmethod
    def of(cls, key: str, field: str | None, **params: Any) -> DomainError:
        """One error: catalogue message `key` about `field`."""
        return cls([FieldError.of(key, field, **params)])


def not_found(field: str, what: str) -> DomainError:
    """`what` is a term of market.core.messages.TERMS ("producer", "product"...)."""
    return DomainError.of("not_found", field, what=what)


def forbidden(key: str, field: str | None = None, **params: Any) -> DomainError:
    """A refusal for want of rights: `key` names one of the catalogue's FORBIDDEN messages."""
    error = DomainError.of(key, field, **params)
    if error.errors[0].code is not ErrorCode.FORBIDDEN:
        raise ValueError(f"{key!r} is not a FORBIDDEN message")
    return error


def conflict(expected: int, current: int) -> DomainError:
    return DomainError.of("stale_version", "expectedVersion", expected=expected, current=current)
