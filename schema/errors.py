"""How failures reach clients: the one place where domain errors become GraphQL errors.

- Business and validation failures of a mutation: `errors: [UserError!]!` in its payload
  (`returns_user_errors`).
- A query given bad arguments: a top-level error whose `extensions` carry `code`, `field` and `params`
  (market.core.errors.DomainError provides them).
- Messages of business errors are in the request's locale (`Context.locale`: Vietnamese when
  `Accept-Language` prefers `vi`), from one catalogue (market/core/messages.py).
- A missing or invalid API key: a top-level `UNAUTHENTICATED` error.
- A malformed request (syntax, unknown fields, values of the wrong type) and an unreachable database: a
  top-level error that `classify` gives a code (and, for input, the argument path in `field`).
"""

import functools
import re
from collections.abc import Awaitable, Callable, Iterator
from typing import ParamSpec, Protocol, TypeVar

import strawberry
from graphql import (
    ArgumentNode,
    DocumentNode,
    GraphQLError,
    ListValueNode,
    Node,
    ObjectFieldNode,
    OperationDefinitionNode,
    ValueNode,
    VariableNode,
)
from strawberry.scalars import JSON

from market.core.errors import DomainError, ErrorCode
from market.storage.faults import is_unavailable
from schema.enums import describe_enum

describe_enum(
    ErrorCode,
    "Why a request was refused: the `code` of a mutation's `errors` entry, and the `extensions.code` of a "
    "query's or subscription's top-level error for the same reasons (top-level errors have other codes too, "
    "such as BAD_USER_INPUT and UNAUTHENTICATED).",
    {
        ErrorCode.REQUIRED: "A required value is missing or blank.",
        ErrorCode.INVALID: "A value is malformed or does not fit with another: not an email, URL or phone number, "
        "an id of another type, a cursor this list did not hand out, two price tiers with one `minQuantity`, an "
        "end before its start, `first` together with `last`.",
        ErrorCode.OUT_OF_RANGE: "A number or date outside its allowed range; the message gives the range.",
        ErrorCode.TOO_LONG: "A text longer than its limit; the message gives the limit in characters.",
        ErrorCode.UNKNOWN_PROVINCE: "No current or pre-2025 province has this name or code.",
        ErrorCode.NOT_FOUND: "The object does not exist or you may not see it: the two are the same answer.",
        ErrorCode.DUPLICATE: "Another record already holds this unique value (a producer's name in its province, "
        "a product's `externalId` at its producer, a booth's number at its trade event).",
        ErrorCode.CONFLICT: "Someone changed the record since you read it (`expectedVersion` or `revision` is "
        "stale): read it again, then retry.",
        ErrorCode.FORBIDDEN: "Your role or organisation may not do this.",
        ErrorCode.INVALID_STATE: "The object's state does not allow this now (a closed inquiry, an archived "
        "product, a quotation already accepted or declined).",
        ErrorCode.UNAVAILABLE: "A service is temporarily unreachable or full; retry in a moment.",
        ErrorCode.INVALID_TRANSITION: "The deal cannot move from its state to the one asked; the message lists "
        "the states it can move to.",
        ErrorCode.IDEMPOTENCY_KEY_REUSED: "This `idempotencyKey` was already used by your account with a "
        "different input.",
        ErrorCode.TOO_MANY_SUBSCRIPTIONS: "Your account already holds as many open subscriptions as it may; "
        "end one first.",
        ErrorCode.ORG_NOT_VERIFIED: "Your organisation is waiting for its provincial OCOP office (or was "
        "rejected): trade actions and publishing open once it is verified.",
        ErrorCode.INVALID_CREDENTIALS: "The email or the password is not right; the message never says which.",
        ErrorCode.TOO_MANY_ATTEMPTS: "Too many failed sign-ins for this email or from this address; the message "
        "says when to try again.",
        ErrorCode.WEAK_PASSWORD: "The new password is too short, too simple, too common or too close to your name "
        "or email.",
        ErrorCode.INVALID_TOKEN: "A link's token or a session's refresh token is unknown, expired or already used.",
        ErrorCode.LAST_OWNER: "An organisation keeps at least one owner: name another owner first.",
    },
)


@strawberry.type(
    description="A business or validation failure of a mutation, next to the input field it concerns. When a "
    "payload has any, nothing was written and its object field is null."
)
class UserError:
    field: str | None = strawberry.field(
        description="The input field at fault as a path from the mutation's arguments, e.g. `name`, "
        "`priceTiers[1].minQuantity`, `criteria.provinces[0]`; null when the error concerns the request as a "
        "whole (as most FORBIDDEN errors do)."
    )
    code: ErrorCode = strawberry.field(description="What went wrong, for the client to branch on.")
    message: str = strawberry.field(
        description="A readable explanation with the limit or the allowed values where they apply, in Vietnamese "
        "when the request's `Accept-Language` prefers `vi`, else in English; may be shown to users but not "
        "parsed."
    )
    params: JSON = strawberry.field(
        description="The values the message names, for a UI that words its own message: `min`, `max` and `got` "
        "of OUT_OF_RANGE, `max` of TOO_LONG, `got` (the value as sent) of most INVALID errors, `allowed` (a "
        "list) where only some values are allowed, `expected` and `current` of CONFLICT. `{}` when it names "
        "none."
    )


def user_errors(exc: DomainError, locale: str = "en") -> list[UserError]:
    return [UserError(field=e.field, code=e.code, message=e.text(locale), params=JSON(e.params)) for e in exc.errors]


def locale_of_call(args: tuple[object, ...], kwargs: dict[str, object]) -> str:
    """The request's locale, from the `info` a resolver is called with."""
    info = kwargs.get("info", next((a for a in args if hasattr(a, "context")), None))
    return str(getattr(getattr(info, "context", None), "locale", "en"))


def localize(error: GraphQLError, locale: str) -> None:
    """A top-level error raised as a DomainError, with its message and extensions in `locale`, in place."""
    original = error.original_error
    if isinstance(original, DomainError):
        error.message = original.text(locale)
        error.extensions = {**(error.extensions or {}), **original.extensions_in(locale)}


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
                return payload(errors=user_errors(exc, locale_of_call(args, kwargs)))

        return run

    return decorate


class Unauthenticated(GraphQLError):
    def __init__(self, message: str = "this operation needs an API key: send `Authorization: Bearer <key>`"):
        super().__init__(message, extensions={"code": "UNAUTHENTICATED"})


# --- errors graphql-core and Strawberry raise before or around our resolvers --------------------------------

# Codes of errors that are the client's doing or a passing outage: neither logged as bugs nor masked.
CLIENT_CODES = frozenset(
    {
        "BAD_USER_INPUT",
        "GRAPHQL_PARSE_FAILED",
        "GRAPHQL_VALIDATION_FAILED",
        "UNAUTHENTICATED",
        "UNAVAILABLE",
        *ErrorCode,
    }
)
UNAVAILABLE_MESSAGE = "the database is temporarily unavailable; retry in a moment"

_SUGGESTION = re.compile(r" ?Did you mean [^?]*\?")
# graphql-core 3.3's wording for variables it cannot coerce; the path after "at" is inside the variable.
_VARIABLE = re.compile(r"^Variable '\$(\w+)' (?:has invalid value(?: at ([^:]*))?:|of (?:required|non-null) type)")
_MISSING_FIELD = re.compile(r"to include required field '(\w+)'")
_MISSING_ARGUMENT = re.compile(r"^Argument '[^']*\((\w+):\)' of type '[^']*' is required")


def classify(error: GraphQLError, document: DocumentNode | None, *, production: bool) -> None:
    """Give an error without a code its `extensions.code` (and `field`, for bad input), in place.

    Input errors name the argument path, e.g. `input.priceTiers[0].minQuantity`. Connection failures of
    MongoDB become UNAVAILABLE without the server's address. Production drops graphql-core's "Did you
    mean …?" suggestions, which would reveal the schema with introspection off."""
    if production:
        error.message = _SUGGESTION.sub("", error.message)
    extensions = error.extensions if error.extensions is not None else {}
    if "code" in extensions:
        return
    original = error.original_error
    if original is not None and is_unavailable(original):
        error.message = UNAVAILABLE_MESSAGE
        error.extensions = {**extensions, "code": "UNAVAILABLE"}
        return
    if error.path is not None or (original is not None and not isinstance(original, GraphQLError | ValueError)):
        return  # raised while executing: a bug unless it says otherwise
    code, field = _input_error(error, document)
    error.extensions = {**extensions, "code": code, **({"field": field} if field else {})}


def _input_error(error: GraphQLError, document: DocumentNode | None) -> tuple[str, str | None]:
    message = error.message
    if message.startswith("Syntax Error"):
        return "GRAPHQL_PARSE_FAILED", None
    missing = _MISSING_FIELD.search(message)
    if variable := _VARIABLE.match(message):
        field = _join(_argument_of(document, variable[1]), (variable[2] or "").strip())
        return "BAD_USER_INPUT", _join(field, missing[1]) if missing else field
    if argument := _MISSING_ARGUMENT.match(message):
        return "BAD_USER_INPUT", argument[1]
    node = error.nodes[0] if error.nodes else None
    if isinstance(node, VariableNode):  # undefined, or used where its declared type does not fit
        return "GRAPHQL_VALIDATION_FAILED", None
    path = _path_in_arguments(document, node) if document and isinstance(node, ValueNode | ObjectFieldNode) else None
    if path is not None:
        return "BAD_USER_INPUT", _join(path, missing[1]) if missing else path
    return "GRAPHQL_VALIDATION_FAILED", None


def _join(path: str, rest: str) -> str:
    if not rest:
        return path
    return f"{path}{rest}" if rest.startswith(("[", ".")) else f"{path}.{rest}"


def _argument_of(document: DocumentNode | None, variable: str) -> str:
    """Where a variable is used, as an argument path (`filter.groups`), when it is used in one place;
    else the variable's own name."""
    paths: set[str | None] = set()

    def is_it(node: Node) -> bool:
        return isinstance(node, VariableNode) and node.name.value == variable

    if document is not None:
        for operation in document.definitions:
            if isinstance(operation, OperationDefinitionNode):
                paths.update(_paths_in_arguments(operation.selection_set, is_it))
    return next(iter(paths)) or variable if len(paths) == 1 else variable


def _path_in_arguments(document: DocumentNode, target: Node) -> str | None:
    """Where `target` sits inside an argument's literal value, as `input.priceTiers[0].minQuantity`."""
    return next(iter(_paths_in_arguments(document, lambda node: node is target)), None)


def _paths_in_arguments(root: Node, wanted: Callable[[Node], bool]) -> list[str]:
    found: list[str] = []

    def walk(node: Node, path: str | None) -> None:
        if isinstance(node, ArgumentNode | ObjectFieldNode):
            path = node.name.value if path is None else f"{path}.{node.name.value}"
            if wanted(node):
                found.append(path)
            walk(node.value, path)
        elif wanted(node) and path is not None:
            found.append(path)
        elif isinstance(node, ListValueNode):
            for index, value in enumerate(node.values):
                walk(value, f"{path}[{index}]")
        else:
            for child in _children(node):
                walk(child, path)

    try:
        walk(root, None)
    except RecursionError:
        return []
    return found


def _children(node: Node) -> Iterator[Node]:
    for key in node.keys:
        value = getattr(node, key, None)
        if isinstance(value, Node):
            yield value
        elif isinstance(value, tuple | list):
            yield from (item for item in value if isinstance(item, Node))
