"""The CalDAV side of a connection (RFC 4791 through the `caldav` library): finding the
account's calendars, reading what changed, and writing SmartBook's appointments.

Incremental reads: a calendar whose collection tag (CalendarServer's `getctag`, else the
`sync-token`, else the collection's ETag) has not changed is not read; otherwise one PROPFIND
lists its objects' ETags and only new or changed objects are fetched (calendar-multiget, in
batches); objects gone from the list are dropped. Every request goes through
`calendars.http.guarded_session` (address guard, time and size limits).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import caldav
import requests
from caldav.elements import dav
from caldav.lib import error as dav_error

from calendars import http
from calendars.ical import CalendarUnreadable, busy_periods, parse_calendar
from providers.services import BusyPeriod

MULTIGET_BATCH = 200
_TAGS = (
    "{http://calendarserver.org/ns/}getctag",
    "{DAV:}sync-token",
    "{DAV:}getetag",
)
_TAG_QUERY = (
    '<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:" '
    'xmlns:cs="http://calendarserver.org/ns/"><d:prop><cs:getctag/><d:sync-token/>'
    "<d:getetag/></d:prop></d:propfind>"
)
_ETAG_QUERY = (
    '<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:"><d:prop><d:getetag/>'
    "</d:prop></d:propfind>"
)


class CalDAVFailure(Exception):
    """The server could not be used; `str()` says why in plain words. `not_found`: what was
    asked for is not there (a calendar deleted on the server)."""

    def __init__(self, message: str, *, not_found: bool = False):
        super().__init__(message)
        self.not_found = not_found


@dataclass(frozen=True)
class FoundCalendar:
    url: str
    name: str


@dataclass
class CalendarRead:
    """What one calendar's read found: the tag, the current object ETags, which resources
    changed or vanished (to replace) and their new busy periods."""

    tag: str
    etags: dict[str, str]
    resources: set[str]
    periods: list[BusyPeriod]
    unchanged: bool = False


def client(*, url: str, username: str, password: str) -> caldav.DAVClient:
    http.check_url(url)
    dav_client = caldav.DAVClient(
        url=http.normalise_url(url),
        username=username or None,
        password=password or None,
        timeout=int(http._timeout()),
    )
    dav_client.session = http.guarded_session()
    return dav_client


def plain_failure(exc: BaseException) -> str:
    """The words a provider reads for a failed CalDAV call."""
    if isinstance(exc, http.RequestFailed):
        return exc.message
    if isinstance(exc, dav_error.AuthorizationError):
        return "the password was refused: check the user name and app password"
    if isinstance(exc, dav_error.NotFoundError):
        return "the server has no calendar at this address"
    if isinstance(exc, requests.exceptions.Timeout):
        return "the server did not answer in time"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return "could not connect to the server"
    if isinstance(exc, CalendarUnreadable):
        return str(exc)
    if isinstance(exc, dav_error.DAVError):
        reason = getattr(exc, "reason", "") or type(exc).__name__
        return f"the server answered with an error ({str(reason)[:120]})"
    return f"the calendar server could not be used ({type(exc).__name__})"


FAILURES = (
    http.RequestFailed,
    dav_error.DAVError,
    requests.exceptions.RequestException,
    CalendarUnreadable,
    # The library raises these on answers it cannot parse.
    ValueError,
    KeyError,
    AttributeError,
    TypeError,
)


def _unwrap(exc: BaseException) -> BaseException:
    """A RequestFailed of our transport, however the library wrapped it."""
    seen = exc
    while seen is not None:
        if isinstance(seen, http.RequestFailed):
            return seen
        seen = seen.__cause__ or seen.__context__
    return exc


def calendars_of(dav_client: caldav.DAVClient) -> list[FoundCalendar]:
    """The account's event calendars."""
    try:
        principal = dav_client.principal()
        found = []
        for calendar in principal.calendars():
            try:
                name = calendar.get_display_name() or ""
            except FAILURES:
                name = ""
            name = (name or _last_part(calendar)).replace("\x00", "")
            found.append(FoundCalendar(url=str(calendar.url), name=name))
        return found
    except FAILURES as exc:
        raise CalDAVFailure(plain_failure(_unwrap(exc))) from exc


def _last_part(calendar) -> str:
    return urlsplit(str(calendar.url)).path.rstrip("/").rsplit("/", 1)[-1]


def read_calendar(
    dav_client: caldav.DAVClient,
    *,
    url: str,
    known_tag: str,
    known_etags: dict[str, str],
    full: bool,
    window_start,
    window_end,
    zone: str,
) -> CalendarRead:
    """What changed in one calendar since `known_tag` / `known_etags` (everything if `full`)."""
    try:
        calendar = caldav.Calendar(client=dav_client, url=url)
        tag = _collection_tag(dav_client, url)
        if not full and tag and tag == known_tag:
            return CalendarRead(tag, known_etags, set(), [], unchanged=True)
        collection_path = urlsplit(url).path
        etags = {
            href: props.get("{DAV:}getetag") or ""
            for href, props in _etag_listing(dav_client, url).items()
            if href.rstrip("/") != collection_path.rstrip("/") and not href.endswith("/")
        }
        changed = [href for href, etag in etags.items() if full or known_etags.get(href) != etag]
        vanished = set(known_etags) - set(etags)
        periods = list(_periods(calendar, changed, window_start, window_end, zone))
    except FAILURES as exc:
        cause = _unwrap(exc)
        raise CalDAVFailure(
            plain_failure(cause), not_found=isinstance(cause, dav_error.NotFoundError)
        ) from exc
    return CalendarRead(tag, etags, set(changed) | vanished, periods)


def _checked(response):
    """A PROPFIND answer the library would misread is an error of its own kind."""
    if response.status == 404:
        raise dav_error.NotFoundError("the calendar is gone")
    if response.status == 401:
        raise dav_error.AuthorizationError("the password was refused")
    if response.status >= 400:
        raise dav_error.DAVError(f"the server answered {response.status}")
    return response


def _collection_tag(dav_client, url: str) -> str:
    response = _checked(dav_client.propfind(url, props=_TAG_QUERY, depth=0))
    tree = response.tree
    if tree is None:
        return ""
    for tag in _TAGS:
        for element in tree.iter(tag):
            if element.text:
                return element.text.strip()
    return ""


def _etag_listing(dav_client, url: str) -> dict[str, dict]:
    response = _checked(dav_client.propfind(url, props=_ETAG_QUERY, depth=1))
    return response.expand_simple_props([dav.GetEtag()])


def _periods(calendar, hrefs: list[str], window_start, window_end, zone) -> Iterable[BusyPeriod]:
    for first in range(0, len(hrefs), MULTIGET_BATCH):
        batch = hrefs[first : first + MULTIGET_BATCH]
        urls = [calendar.url.join(href) for href in batch]
        for obj in calendar.multiget(urls):
            resource = urlsplit(str(obj.url)).path
            try:
                parsed = parse_calendar(
                    obj.data.encode() if isinstance(obj.data, str) else obj.data
                )
                yield from busy_periods(
                    parsed,
                    window_start=window_start,
                    window_end=window_end,
                    zone=zone,
                    resource=resource,
                )
            except CalendarUnreadable:
                continue  # one unreadable object does not hide the others


def put_event(dav_client, *, calendar_url: str, href: str, ics: bytes) -> str:
    """Create or replace the object at `href` (a path under the calendar). A plain PUT: the
    library's save would raise the event's SEQUENCE, and ours is the appointment's."""
    try:
        url = caldav.Calendar(client=dav_client, url=calendar_url).url.join(href)
        response = dav_client.put(
            str(url), ics, headers={"Content-Type": "text/calendar; charset=utf-8"}
        )
    except FAILURES as exc:
        raise CalDAVFailure(plain_failure(_unwrap(exc))) from exc
    if response.status == 401:
        raise CalDAVFailure(plain_failure(dav_error.AuthorizationError()))
    if response.status not in (200, 201, 204):
        raise CalDAVFailure(f"the server did not take the event (it answered {response.status})")
    return urlsplit(str(url)).path


def delete_event(dav_client, *, calendar_url: str, href: str) -> None:
    try:
        calendar = caldav.Calendar(client=dav_client, url=calendar_url)
        caldav.Event(client=dav_client, url=calendar.url.join(href), parent=calendar).delete()
    except dav_error.NotFoundError:
        return  # already gone
    except FAILURES as exc:
        raise CalDAVFailure(plain_failure(_unwrap(exc))) from exc
