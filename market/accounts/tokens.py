"""Secrets handed to people: access and refresh tokens of sessions, and single-use links (email
verification, password reset, invitations). Only their SHA-256 is stored, and they are compared by it."""

from __future__ import annotations

import hashlib
import secrets
from enum import StrEnum

ACCESS_PREFIX = "oat_"
REFRESH_PREFIX = "ort_"


class Purpose(StrEnum):
    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"
    INVITATION = "invitation"


def new_secret(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def is_access_token(credential: str) -> bool:
    return credential.startswith(ACCESS_PREFIX)
