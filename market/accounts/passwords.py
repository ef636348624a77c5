"""Passwords: argon2id hashes and the rules a new password must meet.

The cost is OWASP's minimum for argon2id (19 MiB, two passes, one lane): a few tens of milliseconds of one
core. Hashes run off the event loop, at most two at a time per process, so a burst of sign-ins queues
instead of taking every core from the requests beside it."""

from __future__ import annotations

import asyncio
import unicodedata
import weakref
from collections.abc import Callable
from functools import cache
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from market.core.errors import FieldError

T = TypeVar("T")

MIN_LENGTH = 10
MAX_LENGTH = 128
# The most used passwords, Vietnamese ones among them; a rule of thumb, not a breach list.
COMMON = frozenset(
    {
        "password", "password1", "password123", "1234567890", "0123456789", "12345678910", "qwertyuiop",
        "abc1234567", "matkhau123", "matkhau1234", "iloveyou123", "anhyeuem123", "ocopmarket", "ocop123456",
        "admin12345", "welcome123", "vietnam123", "123456789a", "a123456789", "1q2w3e4r5t", "qwerty1234",
    }
)  # fmt: skip


HASHING_AT_ONCE = 2


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()


async def _off_loop(work: Callable[[], T]) -> T:
    loop = asyncio.get_running_loop()
    slots = _slots.get(loop) or _slots.setdefault(loop, asyncio.Semaphore(HASHING_AT_ONCE))
    async with slots:
        return await asyncio.to_thread(work)


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.casefold()).replace("đ", "d")
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c))


def strength_errors(password: str, field: str, *, email: str = "", name: str = "") -> list[FieldError]:
    """Why a new password is refused; empty when it is good enough."""
    if len(password) < MIN_LENGTH:
        return [FieldError.of("password_too_short", field, min=MIN_LENGTH)]
    if len(password) > MAX_LENGTH:
        return [FieldError.of("password_too_long", field, max=MAX_LENGTH)]
    if not any(c.isalpha() for c in password) or all(c.isalpha() or c.isspace() for c in password):
        return [FieldError.of("password_too_simple", field)]
    folded = _folded(password)
    personal = [_folded(email.partition("@")[0]), *(_folded(part) for part in name.split())]
    if folded in COMMON or len(set(folded)) <= 3 or any(len(word) >= 4 and word in folded for word in personal):
        return [FieldError.of("password_too_common", field)]
    return []


def hash_password_now(password: str) -> str:
    return _hasher().hash(password)


async def hash_password(password: str) -> str:
    return await _off_loop(lambda: hash_password_now(password))


async def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether `password` matches. With no stored hash (no such account), a hash is still checked, so the
    answer takes as long as for a real account and its timing tells nothing."""
    target = stored_hash or _decoy()
    try:
        ok = await _off_loop(lambda: _hasher().verify(target, password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return bool(ok) and stored_hash is not None


@cache
def _decoy() -> str:
    return hash_password_now("a decoy that no password matches")
