"""Where ScoreLink may send a webhook: SSRF safety for partner-supplied URLs.

Production accepts only `https://` URLs whose host resolves to public addresses, checked when
the endpoint is saved and again before every delivery (a name can be re-pointed at an internal
address after it was checked: DNS rebinding). The delivery then connects to the address that
was checked, never resolving twice. The sandbox also accepts `http://` and loopback, so a
partner can try webhooks against a receiver on their own machine; private networks stay refused
everywhere.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from domain.errors import DomainError

MAX_URL_LENGTH = 2048
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Resolves a host name and port to the addresses a connection could reach.
Resolver = Callable[[str, int], Awaitable[list[str]]]

# IPv6 prefixes that carry an IPv4 address, so 64:ff9b::7f00:1 is as much loopback as 127.0.0.1.
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))


class InvalidWebhookUrl(DomainError):
    code = "INVALID_WEBHOOK_URL"


class RefusedAddress(DomainError):
    """The URL's host is or resolves to an address ScoreLink must not call."""

    code = "WEBHOOK_ADDRESS_REFUSED"


@dataclass(frozen=True)
class Target:
    """A checked URL and the address to connect to."""

    url: str
    scheme: str
    host: str
    port: int
    address: str


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def checked_url(raw: str, sandbox: bool) -> str:
    """The URL if its form is acceptable; the addresses are checked by `resolve_target`."""
    if len(raw) > MAX_URL_LENGTH:
        raise InvalidWebhookUrl(f"the URL must be at most {MAX_URL_LENGTH} characters")
    if any(c.isspace() or ord(c) < 0x20 or c == "\x7f" for c in raw):
        raise InvalidWebhookUrl("the URL must not contain spaces or control characters")
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        raise InvalidWebhookUrl("the URL is malformed") from None
    allowed = ("https", "http") if sandbox else ("https",)
    if parts.scheme not in allowed:
        raise InvalidWebhookUrl(
            "the URL must start with https://"
            if not sandbox
            else "the URL must start with https:// or http://"
        )
    if not parts.hostname:
        raise InvalidWebhookUrl("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise InvalidWebhookUrl("the URL must not carry a user name or password")
    if parts.fragment:
        raise InvalidWebhookUrl("the URL must not have a #fragment")
    if port == 0:
        raise InvalidWebhookUrl("the URL's port must be 1-65535")
    return raw


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if any(address in network for network in _NAT64):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    # IPv4-compatible (::a.b.c.d, deprecated but still parsed by some stacks).
    if int(address) >> 32 == 0 and int(address) > 1:
        return ipaddress.IPv4Address(int(address))
    return None


def address_allowed(raw: str, sandbox: bool) -> bool:
    """Public unicast only; loopback too in the sandbox."""
    address: IPAddress = ipaddress.ip_address(raw.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return address_allowed(str(embedded), sandbox)
    if sandbox and address.is_loopback:
        return True
    if isinstance(address, ipaddress.IPv6Address) and address.is_site_local:
        return False  # deprecated fec0::/10, still routed inside some networks
    return address.is_global and not address.is_multicast


async def resolve_target(url: str, sandbox: bool, resolver: Resolver) -> Target:
    """Resolve the URL's host and refuse it unless every address it has is allowed."""
    parts = urlsplit(checked_url(url, sandbox))
    host = parts.hostname
    assert host is not None  # noqa: S101 - checked_url refused a URL without a host
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = await resolver(host, port)
    except (OSError, UnicodeError):
        raise RefusedAddress(f"the host {host!r} does not resolve") from None
    if not addresses:
        raise RefusedAddress(f"the host {host!r} does not resolve")
    refused = [a for a in addresses if not address_allowed(a, sandbox)]
    if refused:
        where = "public or loopback" if sandbox else "public"
        raise RefusedAddress(
            f"the host {host!r} resolves to {refused[0]}, which is not a {where} address"
        )
    return Target(url=url, scheme=parts.scheme, host=host, port=port, address=addresses[0])
