"""Who a request comes from, as the server counts clients (rate limits, failed sign-ins)."""

from __future__ import annotations

import ipaddress

from starlette.types import Scope


def client_of(scope: Scope) -> str:
    """The client's address as the buckets count it. An IPv6 client usually holds a whole /64, so the /64 is
    one client; otherwise it could take a fresh bucket for every address it owns. A dual-stack listener
    reports IPv4 clients as `::ffff:a.b.c.d`, whose /64 holds every IPv4 address: those are their IPv4
    address, or one client's failures would refuse everybody."""
    address = str((scope.get("client") or ("unknown",))[0])
    if ":" not in address:
        return address
    try:
        parsed = ipaddress.IPv6Address(address.split("%", 1)[0])
    except ValueError:
        return address
    if parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
