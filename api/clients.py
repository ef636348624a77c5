"""Who a request comes from, as the server counts clients (rate limits, failed sign-ins)."""

from __future__ import annotations

import ipaddress

from starlette.types import Scope


def client_of(scope: Scope) -> str:
    """The client's address as the buckets count it. An IPv6 client usually holds a whole /64, so the /64 is
    one client; otherwise it could take a fresh bucket for every address it owns."""
    address = str((scope.get("client") or ("unknown",))[0])
    if ":" not in address:
        return address
    try:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    except ValueError:
        return address
