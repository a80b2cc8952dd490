"""Syncing a connection: claimed (`claimed_until`, one UPDATE only one worker wins, so two
runs never overlap), fetched and parsed, imported through `providers.services` under the
source's row lock, and the state recorded (a failure keeps the busy time, says why in plain
words and backs off). "Sync now" is the same sync, at most every `ON_DEMAND_GAP`."""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from calendars import caldav_sync, crypto, http, ical
from calendars.models import CalendarConnection, ConnectionKind, RemoteCalendar
from calendars.services._common import ensure_may_manage
from providers.services import external_busy_replace
from scheduling.models import BookingPolicy

log = logging.getLogger("calendars.services")

SYNC_EVERY = timedelta(minutes=5)
# Back-off after failures: 5, 10, 20 ... minutes, at most 6 hours.
BACKOFF_FIRST = timedelta(minutes=5)
BACKOFF_MAX = timedelta(hours=6)
# How long one run may hold a connection before another may take it over.
CLAIM_FOR = timedelta(minutes=10)
# Busy time is expanded this far past the booking horizon; a full read comes once less than
# a day of that is left.
EXPAND_PAST_HORIZON = timedelta(days=7)
LOOK_BACK = timedelta(days=1)


class SyncBusy(Exception):
    """Another run holds the connection (a domain error: the API answers 409)."""

    status_code = 409
    code = "sync_running"
    field = None

    def __init__(self, message: str = "This calendar is being synced right now; try again soon."):
        super().__init__(message)
        self.message = message


class SyncTooSoon(Exception):
    """ "Sync now" asked again within `ON_DEMAND_GAP` of the last attempt (the API answers
    429): the provider's calendar server is not hammered."""

    status_code = 429
    code = "sync_too_soon"
    field = None

    def __init__(self, message: str = "This calendar was synced a moment ago; try again soon."):
        super().__init__(message)
        self.message = message


ON_DEMAND_GAP = timedelta(seconds=20)


def connection_sync_now(*, connection: CalendarConnection, actor: User | None):
    """ "Sync now" from the provider's page, the API or the admin: the same sync, refused
    within `ON_DEMAND_GAP` of the last attempt."""
    ensure_may_manage(actor, connection.provider)
    now = timezone.now()
    if connection.last_attempt_at and now - connection.last_attempt_at < ON_DEMAND_GAP:
        raise SyncTooSoon()
    return connection_sync(connection_id=connection.pk, now=now)


def backoff(failures: int) -> timedelta:
    return min(BACKOFF_FIRST * 2 ** max(failures - 1, 0), BACKOFF_MAX)


def _claim(connection_id: int, now: datetime) -> bool:
    return (
        CalendarConnection.objects.filter(pk=connection_id)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + CLAIM_FOR)
        == 1
    )


def connection_sync(*, connection_id: int, now: datetime | None = None) -> CalendarConnection:
    """Import the connection's busy time now. Raises SyncBusy when another run holds it;
    otherwise records success or failure on the connection and returns it."""
    now = now or timezone.now()
    if not _claim(connection_id, now):
        raise SyncBusy()
    connection = CalendarConnection.objects.select_related("provider", "source").get(
        pk=connection_id
    )
    policy = BookingPolicy.load()
    horizon_end = now + timedelta(days=policy.horizon_days)
    window_start, window_end = now - LOOK_BACK, horizon_end + EXPAND_PAST_HORIZON
    full = connection.expanded_until is None or connection.expanded_until < horizon_end + (
        timedelta(days=1)
    )
    state = {
        "last_attempt_at": now,
        "claimed_until": None,
    }
    try:
        if connection.kind == ConnectionKind.ICS:
            count, expanded = _sync_ics(connection, window_start, window_end, now, full=full)
        else:
            count = _sync_caldav(connection, window_start, window_end, now, full=full)
            expanded = full
    except (http.RequestFailed, ical.CalendarUnreadable, caldav_sync.CalDAVFailure) as failure:
        failures = connection.failures + 1
        message = failure.message if isinstance(failure, http.RequestFailed) else str(failure)
        message = message.replace("\x00", "")  # words may quote the server
        state.update(
            last_error=message[:500],
            failures=failures,
            failing_since=connection.failing_since or now,
            next_attempt_at=now + backoff(failures),
        )
        log.info("calendar connection %s failed to sync: %s", connection.pk, message)
    else:
        state.update(
            last_success_at=now,
            last_error="",
            failures=0,
            failing_since=None,
            next_attempt_at=now + SYNC_EVERY,
            events_imported=count,
        )
        if expanded:
            state["expanded_until"] = window_end
    CalendarConnection.objects.filter(pk=connection_id).update(**state)
    connection.refresh_from_db()
    return connection


def _sync_ics(connection, window_start, window_end, now, *, full: bool) -> tuple[int, bool]:
    """Read the feed (conditionally, unless the expansion must reach further): how many busy
    periods it holds, and whether it was read and expanded anew."""
    fetched = http.fetch(
        connection.url,
        etag="" if full else connection.feed_etag,
        last_modified="" if full else connection.feed_last_modified,
    )
    if fetched.body is None:  # not modified: what it holds stands
        count = external_busy_replace(
            source_id=connection.source_id, periods=[], resources=[], synced_at=now
        )
        return count, False
    periods = ical.busy_periods(
        fetched.body,
        window_start=window_start,
        window_end=window_end,
        zone=connection.provider.timezone,
    )
    count = external_busy_replace(source_id=connection.source_id, periods=periods, synced_at=now)
    CalendarConnection.objects.filter(pk=connection.pk).update(
        feed_etag=fetched.etag, feed_last_modified=fetched.last_modified
    )
    return count, True


def dav_client_for(connection: CalendarConnection):
    return caldav_sync.client(
        url=connection.url,
        username=connection.username,
        password=crypto.decrypt(connection.password_encrypted),
    )


def _refresh_calendars(connection: CalendarConnection, dav_client) -> None:
    """The account's calendars as the server lists them now: new ones count as busy (as at
    connecting), ones deleted on the server are forgotten."""
    found = {calendar.url: calendar for calendar in caldav_sync.calendars_of(dav_client)}
    known = {calendar.url: calendar for calendar in connection.calendars.all()}
    RemoteCalendar.objects.filter(
        pk__in=[calendar.pk for url, calendar in known.items() if url not in found]
    ).delete()
    RemoteCalendar.objects.bulk_create(
        RemoteCalendar(connection=connection, url=url, name=calendar.name[:200])
        for url, calendar in found.items()
        if url not in known
    )


def _read_calendars(connection, dav_client, window_start, window_end, *, full: bool) -> list:
    return [
        (
            calendar,
            caldav_sync.read_calendar(
                dav_client,
                url=calendar.url,
                known_tag=calendar.ctag,
                known_etags=calendar.etags,
                full=full,
                window_start=window_start,
                window_end=window_end,
                zone=connection.provider.timezone,
            ),
        )
        for calendar in connection.calendars.filter(counts_as_busy=True)
    ]


def _sync_caldav(connection, window_start, window_end, now, *, full: bool) -> int:
    """A full read (the expansion falls short of the horizon) lists the account's calendars
    again first; so does a calendar that vanished from the server, and the read is redone
    whole."""
    dav_client = dav_client_for(connection)
    if full:
        _refresh_calendars(connection, dav_client)
    try:
        reads = _read_calendars(connection, dav_client, window_start, window_end, full=full)
    except caldav_sync.CalDAVFailure as failure:
        if not failure.not_found or full:
            raise
        full = True
        _refresh_calendars(connection, dav_client)
        reads = _read_calendars(connection, dav_client, window_start, window_end, full=True)
    resources: set[str] = set()
    periods = []
    for _, read in reads:
        resources |= read.resources
        periods.extend(read.periods)
    with transaction.atomic():
        count = external_busy_replace(
            source_id=connection.source_id,
            periods=periods,
            resources=None if full else resources,
            synced_at=now,
        )
        for calendar, read in reads:
            if not read.unchanged:
                calendar.ctag, calendar.etags = read.tag, read.etags
                calendar.save(update_fields=["ctag", "etags"])
    return count


def connections_due(*, now: datetime, limit: int = 100) -> list[int]:
    return list(
        CalendarConnection.objects.filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
        )
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
