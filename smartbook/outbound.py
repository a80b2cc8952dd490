"""Which addresses SmartBook's own outgoing requests may reach: the one guard that webhooks
(`integrations.http`) and external calendars (`calendars.http`) call.

A host is resolved once and every address it has is checked: private, loopback, link-local,
multicast, reserved, unspecified or otherwise not public addresses are refused unless they lie
in the networks the caller's setting allows (`WEBHOOK_ALLOWED_NETWORKS`,
`CALENDAR_ALLOWED_NETWORKS`). The caller connects to the address returned (`pinned_pool`),
so a second lookup cannot swap it.
"""

import ipaddress
import socket
from collections.abc import Iterable

import urllib3


class RequestFailed(Exception):
    """An outgoing request did not get a usable answer; `str()` says why in plain words."""

    def __init__(self, message: str, *, status: int | None = None, duration_ms: int | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.duration_ms = duration_ms


class AddressRefused(RequestFailed):
    """The address may not be called (never connected)."""


def _kind(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """What makes `ip` not a public address, or None when it is one."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    for attribute, word in (
        ("is_unspecified", "unspecified"),
        ("is_loopback", "loopback"),
        ("is_link_local", "link-local"),
        ("is_multicast", "multicast"),
        ("is_reserved", "reserved"),
        ("is_private", "private"),
    ):
        if getattr(ip, attribute):
            return word
    if not ip.is_global:
        return "not public"
    return None


def check_address(address: str, allowed: Iterable[str]) -> None:
    """Raise AddressRefused unless `address` (an IP literal) is public or in `allowed`
    (CIDR networks)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    kind = _kind(ip)
    if kind is None:
        return
    networks = [ipaddress.ip_network(cidr, strict=False) for cidr in allowed]
    if any(ip.version == net.version and ip in net for net in networks):
        return
    raise AddressRefused(f"the address {ip} is {kind} and not allowed")


def resolve(host: str, port: int, allowed: Iterable[str]) -> str:
    """The one address to connect to, after checking every address the name has."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise RequestFailed(f"the host name {host} could not be resolved ({exc})") from exc
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise RequestFailed(f"the host name {host} has no address")
    allowed = list(allowed)
    for address in addresses:
        check_address(address, allowed)
    return addresses[0]


def pinned_pool(
    scheme: str, *, host: str, ip: str, port: int, timeout: float, maxsize: int = 1
) -> urllib3.HTTPConnectionPool:
    """A connection pool to `ip`, the address `resolve` checked, speaking to `host`: for
    https the name goes in SNI and the certificate must be valid for it. No retries (the
    callers retry, each their own way) and no redirects followed by urllib3."""
    common = {
        "host": ip,
        "port": port,
        "timeout": urllib3.Timeout(connect=timeout, read=timeout),
        "retries": False,
        "maxsize": maxsize,
        "block": False,
    }
    if scheme == "https":
        return urllib3.HTTPSConnectionPool(
            **common, assert_hostname=host, server_hostname=host, cert_reqs="CERT_REQUIRED"
        )
    return urllib3.HTTPConnectionPool(**common)
