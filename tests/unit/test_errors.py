"""The text of a DomainError (market/core/errors.py), which a top-level GraphQL error shows as its message."""

from __future__ import annotations

import pytest

from market.core.errors import DomainError, ErrorCode, FieldError, forbidden
from market.storage.changes import StreamQuota


@pytest.mark.parametrize(
    ("errors", "text"),
    [
        pytest.param(
            [FieldError(ErrorCode.TOO_MANY_SUBSCRIPTIONS, None, "end one first")], "end one first", id="no-field"
        ),
        pytest.param([FieldError(ErrorCode.INVALID, "after", "not a cursor")], "after: not a cursor", id="field"),
        pytest.param(
            [FieldError(ErrorCode.REQUIRED, "name", "name is required"), FieldError(ErrorCode.FORBIDDEN, None, "no")],
            "name: name is required; no",
            id="several",
        ),
    ],
)
def test_the_message_names_the_field_only_when_there_is_one(errors: list[FieldError], text: str) -> None:
    assert str(DomainError(errors)) == text


def test_a_refusal_without_a_field_reads_as_its_message() -> None:
    quota = StreamQuota(per_process=5, per_owner=1)
    quota.take("account")
    with pytest.raises(DomainError) as excinfo:
        quota.take("account")
    assert str(excinfo.value).startswith("an account may follow at most 1 subscriptions at once")
    assert str(forbidden("forbidden_board")) == "the RFQ board is for producers"


def test_forbidden_only_builds_forbidden_errors() -> None:
    assert forbidden("forbidden_board").errors[0].code is ErrorCode.FORBIDDEN
    with pytest.raises(ValueError):
        forbidden("stale_version", expected=1, current=2)
