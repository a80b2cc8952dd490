"""Fetching calendars, made safely: the ICS subscription's GET and the CalDAV client's
transport.

- Only http and https (`webcal://` is https). Every host is resolved and checked by
  `smartbook.outbound` against `CALENDAR_ALLOWED_NETWORKS` before connecting: private,
  loopback and link-local addresses are refused unless a setting lets them in.
- The ICS GET connects to the checked address (the name goes in `Host` and SNI) and follows
  at most `MAX_REDIRECTS` redirects, each hop checked again. It is conditional when the last
  answer gave an ETag or Last-Modified (a 304 costs no download and no parse).
- `CALENDAR_TIMEOUT_SECONDS` bounds connecting, each read and the whole download;
  `CALENDAR_MAX_BYTES` bounds what is read of one answer: past it the download stops.
"""

import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from django.conf import settings
from requests.adapters import HTTPAdapter

from smartbook import outbound
from smartbook.outbound import AddressRefused, RequestFailed

__all__ = [
    "AddressRefused",
    "Fetched",
    "RequestFailed",
    "fetch",
    "guarded_session",
    "normalise_url",
]

MAX_REDIRECTS = 5
_KEPT_HEADERS = ("Location", "ETag", "Last-Modified")
USER_AGENT = "SmartBook-Calendars/1"
CHUNK = 64 * 1024


def _allowed() -> list[str]:
    return list(getattr(settings, "CALENDAR_ALLOWED_NETWORKS", []))


def _timeout() -> float:
    return float(getattr(settings, "CALENDAR_TIMEOUT_SECONDS", 15))


def _max_bytes() -> int:
    return int(getattr(settings, "CALENDAR_MAX_BYTES", 10 * 1024 * 1024))


def _size(limit: int) -> str:
    if limit >= 1024 * 1024:
        return f"{limit / (1024 * 1024):g} MB"
    return f"{limit / 1024:g} KB"


def normalise_url(url: str) -> str:
    """`webcal://` as https; anything but http(s) with a host is refused."""
    if url.lower().startswith("webcal://"):
        url = "https://" + url[len("webcal://") :]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RequestFailed("only http://, https:// and webcal:// addresses can be used")
    return url


def check_url(url: str) -> tuple[str, int, str]:
    """(host, port, checked address) of `url`, or AddressRefused / RequestFailed."""
    parts = urlsplit(normalise_url(url))
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.hostname, port, outbound.resolve(parts.hostname, port, _allowed())


@dataclass(frozen=True)
class Fetched:
    """A subscription's answer: its body (None: not modified since the validators sent) and
    the validators to send next time."""

    body: bytes | None
    etag: str = ""
    last_modified: str = ""


def fetch(url: str, *, etag: str = "", last_modified: str = "") -> Fetched:
    """GET `url` (an ICS subscription), conditionally when validators from the last answer are
    given: the body of its 2xx answer, None for 304, RequestFailed otherwise."""
    deadline = time.monotonic() + _timeout()
    conditions = {}
    if etag:
        conditions["If-None-Match"] = etag
    if last_modified:
        conditions["If-Modified-Since"] = last_modified
    for _ in range(MAX_REDIRECTS + 1):
        status, headers, body = _get_once(url, deadline, conditions)
        if status in (301, 302, 303, 307, 308):
            location = headers.get("Location", "")
            if not location:
                raise RequestFailed(f"the server redirected ({status}) without saying where")
            url = urljoin(url, location)
            continue
        if status == 304 and conditions:
            return Fetched(None, etag, last_modified)
        if status in (401, 403):
            raise RequestFailed(
                f"the server refused access ({status}): check the address is the secret one",
                status=status,
            )
        if status == 404:
            raise RequestFailed("the server has no calendar at this address (404)", status=status)
        if not 200 <= status < 300:
            raise RequestFailed(f"the server answered {status}", status=status)
        return Fetched(
            body,
            headers.get("ETag", "")[:500],
            headers.get("Last-Modified", "")[:100],
        )
    raise RequestFailed(f"the server redirected more than {MAX_REDIRECTS} times")


def _get_once(url: str, deadline: float, conditions: dict) -> tuple[int, dict, bytes]:
    url = normalise_url(url)
    parts = urlsplit(url)
    host, port, ip = check_url(url)
    timeout = _timeout()
    default_port = port == (443 if parts.scheme == "https" else 80)
    host_header = host if ":" not in host else f"[{host}]"
    if not default_port:
        host_header = f"{host_header}:{port}"
    pool = outbound.pinned_pool(parts.scheme, host=host, ip=ip, port=port, timeout=timeout)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    try:
        response = pool.urlopen(
            "GET",
            path,
            headers={
                "Host": host_header,
                "User-Agent": USER_AGENT,
                "Accept": "text/calendar",
                **conditions,
            },
            redirect=False,
            retries=False,
            preload_content=False,
            assert_same_host=False,
        )
    except urllib3.exceptions.NewConnectionError as exc:
        raise RequestFailed(f"could not connect to {host} port {port}") from exc
    except (urllib3.exceptions.ConnectTimeoutError, urllib3.exceptions.ReadTimeoutError) as exc:
        raise RequestFailed(f"the server did not answer within {timeout:g} s") from exc
    except urllib3.exceptions.SSLError as exc:
        raise RequestFailed("the secure connection failed (TLS)") from exc
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise RequestFailed(f"the request failed ({type(exc).__name__})") from exc
    try:
        headers = {name: response.headers.get(name, "") for name in _KEPT_HEADERS}
        if response.status >= 300:
            return response.status, headers, b""
        return response.status, headers, _read_bounded(response, deadline)
    finally:
        response.release_conn()
        pool.close()


def _read_bounded(response, deadline: float) -> bytes:
    limit = _max_bytes()
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise RequestFailed(f"the calendar is larger than {_size(limit)}")
    chunks, size = [], 0
    try:
        for chunk in response.stream(CHUNK):
            size += len(chunk)
            if size > limit:
                raise RequestFailed(f"the calendar is larger than {_size(limit)}")
            if time.monotonic() > deadline:
                raise RequestFailed(f"the download took longer than {_timeout():g} s")
            chunks.append(chunk)
    except urllib3.exceptions.ReadTimeoutError as exc:
        raise RequestFailed(f"the server did not answer within {_timeout():g} s") from exc
    except urllib3.exceptions.ProtocolError as exc:
        raise RequestFailed("the connection broke during the download") from exc
    return b"".join(chunks)


class GuardedAdapter(HTTPAdapter):
    """The CalDAV client's transport: each request's host (redirects included) is checked
    before sending and the connection goes to the checked address (the name stays in `Host`
    and, for https, in SNI and the certificate check); the read is time-limited and at most
    `CALENDAR_MAX_BYTES` of the answer is read."""

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(
            request, verify, cert
        )
        name = host_params["host"]
        host_params["host"] = request.checked_address
        if host_params["scheme"] == "https":
            pool_kwargs["server_hostname"] = name
            pool_kwargs["assert_hostname"] = name
        return host_params, pool_kwargs

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        host, port, request.checked_address = check_url(request.url)
        scheme = urlsplit(request.url).scheme
        host_header = host if ":" not in host else f"[{host}]"
        if port != (443 if scheme == "https" else 80):
            host_header = f"{host_header}:{port}"
        request.headers["Host"] = host_header
        timeout = _timeout()
        deadline = time.monotonic() + timeout
        response = super().send(
            request, stream=True, timeout=timeout, verify=verify, cert=cert, proxies=None
        )
        limit = _max_bytes()
        chunks, size = [], 0
        try:
            for chunk in response.raw.stream(CHUNK, decode_content=True):
                size += len(chunk)
                if size > limit:
                    response.close()
                    raise RequestFailed(f"the server's answer is larger than {_size(limit)}")
                if time.monotonic() > deadline:
                    response.close()
                    raise RequestFailed(f"the server took longer than {timeout:g} s")
                chunks.append(chunk)
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise RequestFailed(f"the server did not answer within {timeout:g} s") from exc
        response._content = b"".join(chunks)
        response._content_consumed = True
        return response


def guarded_session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxies or netrc from the environment
    session.max_redirects = MAX_REDIRECTS
    adapter = GuardedAdapter(max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session
