"""Absolute links to what the API serves besides GraphQL (document files, trace pages, QR codes)."""

from typing import Any

from strawberry.types import Info


def absolute_url(info: Info[Any, None], path: str) -> str:
    """`path` under the API's public address: `OCOP_PUBLIC_URL` when set (what printed QR codes must carry),
    else the address the request came to."""
    base = getattr(info.context, "public_url", None)
    if not base:
        request = getattr(info.context, "request", None)
        base = str(request.base_url) if request is not None else ""
    return base.rstrip("/") + path
