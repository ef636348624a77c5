"""What identifies a person: a normalised email address, and a display name."""

from __future__ import annotations

import re

from market.core.errors import FieldError
from market.core.text import nfc

MAX_EMAIL = 254
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normal_email(value: str | None) -> str:
    """Emails compare case-insensitively and in one Unicode form; '' when there is none."""
    return nfc(value or "").strip().lower()


def email_errors(email: str, field: str) -> list[FieldError]:
    if not email:
        return [FieldError.of("required", field)]
    if len(email) > MAX_EMAIL:
        return [FieldError.of("too_long", field, max=MAX_EMAIL, got=len(email))]
    if not _EMAIL.match(email):
        return [FieldError.of("email_invalid", field)]
    return []


def name_errors(name: str, field: str, max_len: int = 120) -> list[FieldError]:
    if not name:
        return [FieldError.of("required", field)]
    if len(name) > max_len:
        return [FieldError.of("too_long", field, max=max_len, got=len(name))]
    return []
