"""Where a webhook may point. Checked when it is saved and again, after DNS resolution, before every
delivery: a name that resolved to a public address yesterday may resolve to an internal one today.

The delivery connects to the address that was checked, never to the name (which it would resolve again): a
name with a short lifetime could answer a public address to the check and an internal one to the connection.

Production takes https only, and never an address inside a network (private, loopback, link-local such as
the cloud metadata service 169.254.169.254, carrier-grade NAT, multicast, reserved). Development takes http
and loopback or private addresses, so a receiver on 127.0.0.1 works, but never link-local ones.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

MAX_URL = 2000

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_CGNAT = ipaddress.ip_network("100.64.0.0/10")

# (host, port) -> the addresses the host resolves to, as text; a parameter so that tests can stand in for a name
# server whose answers change between two lookups.
Resolver = Callable[[str, int], Awaitable[list[str]]]


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class UnsafeAddress(ValueError):
    """The URL may not be called; the message says why, without naming what the name resolved to."""


def url_problem(url: str, *, production: bool) -> str | None:
    """None when `url` may be saved; else the key of the catalogue message that says why."""
    if not url or len(url) > MAX_URL or any(c.isspace() for c in url):
        return "webhook_url_invalid"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return "webhook_url_invalid"
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.username or parts.password:
        return "webhook_url_invalid"
    if production and parts.scheme != "https":
        return "webhook_url_https"
    host = parts.hostname
    literal = _literal(host)
    if literal is not None and not address_allowed(literal, production=production):
        return "webhook_url_address"
    if production and (host == "localhost" or host.endswith((".localhost", ".local", ".internal"))):
        return "webhook_url_address"
    return None


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def address_allowed(address: IPAddress, *, production: bool) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_link_local or address.is_multicast or address.is_unspecified:
        return False
    if not production:
        return True
    return not (address.is_private or address.is_loopback or address.is_reserved or address in _CGNAT)


async def resolve_checked(url: str, *, production: bool, resolve: Resolver = system_resolver) -> IPAddress:
    """Resolve the URL's host and refuse it if any address it resolves to is not allowed; else the address to
    connect to (the first, in the resolver's order of preference)."""
    problem = url_problem(url, production=production)
    if problem is not None:
        raise UnsafeAddress(problem)
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        answers = await resolve(host, port)
    except OSError as exc:
        raise UnsafeAddress(f"cannot resolve the host ({type(exc).__name__})") from exc
    if not answers:
        raise UnsafeAddress("cannot resolve the host")
    addresses = [ipaddress.ip_address(answer.split("%")[0]) for answer in answers]
    for address in addresses:
        if not address_allowed(address, production=production):
            raise UnsafeAddress("the host resolves to an address inside a network")
    return addresses[0]
