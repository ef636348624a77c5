"""The signature of a webhook delivery: `X-Ocop-Signature: sha256=<hex HMAC-SHA256 of the raw body>`, keyed
with the webhook's secret. Receivers recompute it over the bytes they received, before parsing them."""

from __future__ import annotations

import hashlib
import hmac
import secrets

PREFIX = "sha256="


def sign(secret: str, body: bytes) -> str:
    return PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """Constant-time: a receiver's check, and the tests'."""
    return header is not None and hmac.compare_digest(sign(secret, body), header)


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)
