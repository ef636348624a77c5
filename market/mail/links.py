"""Links in emails point at the public site (OCOP_PUBLIC_URL), where the front end reads the token."""

from __future__ import annotations

from urllib.parse import urlencode

DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"

# Where the front end takes each token; the same paths for every caller, so links do not drift apart.
VERIFY_EMAIL_PATH = "/verify-email"
RESET_PASSWORD_PATH = "/reset-password"
ACCEPT_INVITATION_PATH = "/accept-invitation"


def public_link(base_url: str, path: str, **query: str) -> str:
    """`base_url` + `path`, with `query` encoded: public_link(base, VERIFY_EMAIL_PATH, token=t)."""
    url = base_url.rstrip("/") + "/" + path.lstrip("/")
    return f"{url}?{urlencode(query)}" if query else url
