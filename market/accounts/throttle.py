"""How failed sign-ins are slowed, then refused, per account (by the email tried) and per client address.
The same rule holds whether or not the email belongs to an account, so the answer tells nothing about it."""

from __future__ import annotations

from datetime import timedelta

WINDOW = timedelta(minutes=15)
ACCOUNT_LIMIT = 10  # failures in WINDOW after which sign-in with this email is refused until it passes
ADDRESS_LIMIT = 50  # failures from one address (guessing across many emails)
FREE_FAILURES = 3
RESET_MAILS = 3  # password reset mails to one email in WINDOW; more requests answer the same and send none


def delay_seconds(failures: int) -> float:
    """The pause before answering, after this many recent failures: none at first, then doubling to 2 s."""
    if failures < FREE_FAILURES:
        return 0.0
    return float(min(0.25 * 2 ** (failures - FREE_FAILURES), 2.0))


def refused(account_failures: int, address_failures: int) -> bool:
    return account_failures >= ACCOUNT_LIMIT or address_failures >= ADDRESS_LIMIT
