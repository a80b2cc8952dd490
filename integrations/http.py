"""Outgoing webhook requests, made safely.

- Only http and https. The host is resolved once; if any of its addresses is private,
  loopback, link-local, multicast, reserved, unspecified or otherwise not public, the request
  is refused before connecting, unless the address lies in `WEBHOOK_ALLOWED_NETWORKS`
  (`smartbook.outbound`, the guard external calendars call too).
- The connection goes to the address that was checked (the name is sent as `Host` and, for
  https, used for SNI and the certificate check), so a second lookup cannot swap it.
- Redirects are not followed and nothing is retried here (retries are the delivery's own).
- `WEBHOOK_TIMEOUT_SECONDS` to connect and to read; at most 64 KiB of the answer is read.
"""

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.conf import settings

from smartbook import outbound
from smartbook.outbound import AddressRefused, RequestFailed

__all__ = ["AddressRefused", "RequestFailed", "Response", "check_address", "post", "resolve"]

MAX_RESPONSE_BYTES = 64 * 1024
USER_AGENT = "SmartBook-Webhooks/1"


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    duration_ms: int


def _allowed_networks() -> list[str]:
    return list(getattr(settings, "WEBHOOK_ALLOWED_NETWORKS", []))


def check_address(address: str) -> None:
    """Raise AddressRefused unless `address` (an IP literal) may be called."""
    outbound.check_address(address, _allowed_networks())


def resolve(host: str, port: int) -> str:
    """The one address to connect to, after checking every address the name has."""
    return outbound.resolve(host, port, _allowed_networks())


_pools: dict[tuple, urllib3.HTTPConnectionPool] = {}


def _pool(scheme: str, ip: str, port: int, host: str, timeout: float):
    key = (scheme, ip, port, host, timeout)
    pool = _pools.get(key)
    if pool is None:
        pool = outbound.pinned_pool(scheme, host=host, ip=ip, port=port, timeout=timeout, maxsize=4)
        if len(_pools) > 256:
            _pools.clear()
        _pools[key] = pool
    return pool


def post(url: str, *, body: bytes, headers: dict[str, str]) -> Response:
    """POST `body` to `url`; a Response for a 2xx answer, RequestFailed otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RequestFailed("only http:// and https:// addresses with a host can be called")
    host = parts.hostname
    port = parts.port or (443 if parts.scheme == "https" else 80)
    ip = resolve(host, port)
    timeout = float(getattr(settings, "WEBHOOK_TIMEOUT_SECONDS", 5))
    default_port = port == (443 if parts.scheme == "https" else 80)
    host_header = host if ":" not in host else f"[{host}]"
    if not default_port:
        host_header = f"{host_header}:{port}"
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    request_headers = {
        "Host": host_header,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        **headers,
    }
    pool = _pool(parts.scheme, ip, port, host, timeout)
    started = time.perf_counter()
    try:
        response = pool.urlopen(
            "POST",
            path,
            body=body,
            headers=request_headers,
            redirect=False,
            retries=False,
            preload_content=False,
            assert_same_host=False,
        )
    except urllib3.exceptions.NewConnectionError as exc:
        # Before the timeouts: urllib3 makes it a subclass of ConnectTimeoutError.
        raise RequestFailed(
            f"could not connect to {host} port {port} ({_reason(exc)})", duration_ms=_ms(started)
        ) from exc
    except (urllib3.exceptions.ConnectTimeoutError, urllib3.exceptions.ReadTimeoutError) as exc:
        raise RequestFailed(f"no answer within {timeout:g} s", duration_ms=_ms(started)) from exc
    except urllib3.exceptions.SSLError as exc:
        message = f"the TLS handshake failed ({exc})"
        raise RequestFailed(message, duration_ms=_ms(started)) from exc
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise RequestFailed(
            f"the request failed ({_reason(exc)})", duration_ms=_ms(started)
        ) from exc
    try:
        try:
            content = response.read(MAX_RESPONSE_BYTES)
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise RequestFailed(
                f"no answer within {timeout:g} s", status=response.status, duration_ms=_ms(started)
            ) from exc
        except (urllib3.exceptions.HTTPError, OSError):
            content = b""
        if len(content) >= MAX_RESPONSE_BYTES:
            response.close()  # the rest is never read: drop the connection
        else:
            response.release_conn()
    finally:
        duration = _ms(started)
    status = response.status
    if 300 <= status < 400:
        location = response.headers.get("Location", "nowhere")
        raise RequestFailed(
            f"redirects are not followed ({status} to {location})",
            status=status,
            duration_ms=duration,
        )
    if not 200 <= status < 300:
        raise RequestFailed(f"the server answered {status}", status=status, duration_ms=duration)
    return Response(status=status, body=content, duration_ms=duration)


def _ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


def _reason(exc: BaseException) -> str:
    text = str(exc)
    for marker in ("Connection refused", "timed out", "Network is unreachable"):
        if marker in text:
            return marker.lower()
    return text
