"""Password rules, hashing, and how failed sign-ins are slowed (market/accounts/passwords.py, throttle.py)."""

from __future__ import annotations

import pytest

from market.accounts import throttle
from market.accounts.passwords import hash_password_now, strength_errors, verify_password
from market.core.errors import ErrorCode


@pytest.mark.parametrize(
    ("password", "key"),
    [
        ("short1!", "password_too_short"),
        ("x" * 129 + "1", "password_too_long"),
        ("onlyletterswithoutdigits", "password_too_simple"),
        ("1234567890123", "password_too_simple"),
        ("matkhau123", "password_too_common"),
        ("Password123", "password_too_common"),
        ("aaaa1111aaaa", "password_too_common"),
        ("hoa.nguyen2025", "password_too_common"),  # the email's local part
        ("Khoa-Trần-99", "password_too_common"),  # the person's name, accents aside
    ],
)
def test_weak_passwords_are_refused_with_a_reason(password: str, key: str) -> None:
    errors = strength_errors(password, "password", email="hoa.nguyen@example.vn", name="Trần Minh Khoa")
    assert [(e.key, e.code) for e in errors] == [(key, ErrorCode.WEAK_PASSWORD)]


@pytest.mark.parametrize("password", ["Dừa-sáp-Cầu-Kè-2025", "correct horse battery 9", "Mía đường 12 tấn"])
def test_good_passwords_pass(password: str) -> None:
    assert strength_errors(password, "password", email="hoa.nguyen@example.vn", name="Trần Minh Khoa") == []


async def test_hashes_are_argon2id_and_verify_only_the_same_password() -> None:
    hashed = hash_password_now("Dừa-sáp-Cầu-Kè-2025")
    assert hashed.startswith("$argon2id$")
    assert await verify_password(hashed, "Dừa-sáp-Cầu-Kè-2025")
    assert not await verify_password(hashed, "Dừa-sáp-Cầu-Kè-2026")
    assert not await verify_password(None, "anything at all 1")  # no account: still a hash check, still False


def test_failures_are_free_then_slowed_then_refused() -> None:
    assert [throttle.delay_seconds(n) for n in range(1, 8)] == [0.0, 0.0, 0.25, 0.5, 1.0, 2.0, 2.0]
    assert not throttle.refused(throttle.ACCOUNT_LIMIT - 1, 0)
    assert throttle.refused(throttle.ACCOUNT_LIMIT, 0)
    assert throttle.refused(0, throttle.ADDRESS_LIMIT)
