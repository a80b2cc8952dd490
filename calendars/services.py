"""Writes of external calendars: connecting, choosing calendars, syncing, and pushing
appointments out. Busy time is written through `providers.services` (the snapshot's side).

A sync claims its connection first (`claimed_until`, one UPDATE that only one worker wins),
so two runs never overlap; the import itself replaces the source's busy time under the
source's row lock (`providers.services.external_busy_replace`). A failed sync keeps the
busy time known so far, records the error in plain words and backs off.
"""

import logging
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from calendars import caldav_sync, crypto, http, ical
from calendars.models import (
    CalendarConnection,
    ConnectionKind,
    PushedAppointment,
    RemoteCalendar,
)
from providers.models import Provider
from providers.services import busy_source_create, busy_source_delete, external_busy_replace
from scheduling.models import ACTIVE_STATUSES, Appointment, BookingPolicy

log = logging.getLogger(__name__)

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


def _ensure_may_manage(actor: User | None, provider: Provider) -> None:
    if actor is None or actor.is_staff_member or actor.pk == provider.user_id:
        return
    raise PermissionDenied("Only the provider or staff can change these calendars.")


def _check_url(field: str, url: str) -> str:
    try:
        url = http.normalise_url(url.strip())
        http.check_url(url)
    except http.RequestFailed as failure:
        raise ValidationError(
            {field: [f"This address cannot be used: {failure.message}."]}
        ) from None
    return url


# --- connecting ----------------------------------------------------------------------------


def connection_create_ics(
    *, provider: Provider, url: str, name: str = "", actor: User | None
) -> CalendarConnection:
    """Subscribe the provider to an ICS address; its first sync runs at once (a failing one
    is shown on the connection, which is kept)."""
    _ensure_may_manage(actor, provider)
    url = _check_url("url", url)
    with transaction.atomic():
        name = name.strip() or "Calendar subscription"
        source = busy_source_create(provider=provider, label=name)
        connection = CalendarConnection(
            provider=provider, kind=ConnectionKind.ICS, name=name, url=url, source=source
        )
        connection.full_clean()
        connection.save()
    return connection_sync(connection_id=connection.pk)


def connection_create_caldav(
    *,
    provider: Provider,
    url: str,
    username: str,
    password: str,
    name: str = "",
    actor: User | None,
) -> CalendarConnection:
    """Connect a CalDAV account: the server is asked for its calendars before anything is
    saved (a refused password or an unknown server is a 400 naming the field). Every calendar
    counts as busy at first; none receives appointments until the provider picks one."""
    _ensure_may_manage(actor, provider)
    url = _check_url("url", url)
    try:
        found = caldav_sync.calendars_of(
            caldav_sync.client(url=url, username=username, password=password)
        )
    except caldav_sync.CalDAVFailure as failure:
        field = "password" if "password" in str(failure) else "url"
        raise ValidationError({field: [f"The account could not be used: {failure}."]}) from None
    with transaction.atomic():
        name = name.strip() or urlsplit_host(url)
        source = busy_source_create(provider=provider, label=name)
        connection = CalendarConnection(
            provider=provider,
            kind=ConnectionKind.CALDAV,
            name=name,
            url=url,
            username=username,
            password_encrypted=crypto.encrypt(password),
            source=source,
        )
        connection.full_clean()
        connection.save()
        RemoteCalendar.objects.bulk_create(
            RemoteCalendar(connection=connection, url=calendar.url, name=calendar.name[:200])
            for calendar in found
        )
    return connection_sync(connection_id=connection.pk)


def urlsplit_host(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).hostname or "CalDAV account"


@transaction.atomic
def connection_delete(*, connection: CalendarConnection, actor: User | None) -> None:
    """Disconnect: its busy time stops blocking at once. Events already pushed stay on the
    provider's server (they are the provider's calendar now)."""
    _ensure_may_manage(actor, connection.provider)
    source = connection.source
    connection.delete()
    busy_source_delete(source=source)


@transaction.atomic
def connection_calendars_update(
    *,
    connection: CalendarConnection,
    busy_calendar_ids: list[int],
    receiving_calendar_id: int | None,
    actor: User | None,
) -> CalendarConnection:
    """Choose which of a CalDAV account's calendars count as busy and which one receives
    appointments. A calendar no longer counted stops blocking at once."""
    _ensure_may_manage(actor, connection.provider)
    calendars = {calendar.pk: calendar for calendar in connection.calendars.select_for_update()}
    unknown = sorted(set(busy_calendar_ids) - set(calendars))
    if unknown:
        raise ValidationError({"busy_calendars": [f"Unknown calendars: {unknown}."]})
    if receiving_calendar_id is not None and receiving_calendar_id not in calendars:
        raise ValidationError({"receiving_calendar": ["Unknown calendar."]})
    was_receiving = {pk for pk, calendar in calendars.items() if calendar.receives_appointments}
    dropped: set[str] = set()
    for calendar in calendars.values():
        counts = calendar.pk in busy_calendar_ids
        if calendar.counts_as_busy and not counts:
            dropped.update(calendar.etags)
            calendar.etags, calendar.ctag = {}, ""
        elif counts and not calendar.counts_as_busy:
            calendar.etags, calendar.ctag = {}, ""  # read it whole at the next sync
        calendar.counts_as_busy = counts
        calendar.receives_appointments = False
        calendar.save(update_fields=["counts_as_busy", "receives_appointments", "etags", "ctag"])
    if receiving_calendar_id is not None:
        newly = receiving_calendar_id not in was_receiving
        RemoteCalendar.objects.filter(pk=receiving_calendar_id).update(receives_appointments=True)
        if newly:
            _push_upcoming(connection.provider_id)
    if dropped:
        external_busy_replace(
            source_id=connection.source_id, periods=[], resources=dropped, synced_at=None
        )
    CalendarConnection.objects.filter(pk=connection.pk).update(next_attempt_at=None)
    connection.refresh_from_db()
    return connection


# --- syncing -------------------------------------------------------------------------------


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
    _ensure_may_manage(actor, connection.provider)
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


def _dav_client(connection: CalendarConnection):
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
    dav_client = _dav_client(connection)
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


# --- appointments out ----------------------------------------------------------------------

# A calendar chosen to receive appointments gets the provider's upcoming ones, at most these.
PUSH_UPCOMING_LIMIT = 500


def _push_upcoming(provider_id: int) -> None:
    """After commit, queue the push of the provider's upcoming active appointments."""
    from calendars import tasks  # the tasks call these services

    ids = list(
        Appointment.objects.filter(
            provider_id=provider_id, status__in=ACTIVE_STATUSES, end__gt=timezone.now()
        )
        .order_by("start")
        .values_list("pk", flat=True)[:PUSH_UPCOMING_LIMIT]
    )
    transaction.on_commit(lambda: [tasks.push_appointment.delay(appointment_id=pk) for pk in ids])


def appointment_href(appointment: Appointment) -> str:
    return f"{appointment.uid}.ics"


def appointment_push(*, appointment_id: int) -> list[str]:
    """Put the appointment into each of its provider's receiving calendars, or take it out
    once it is cancelled. Idempotent: the event's path and UID come from the appointment.
    Returns what was done per calendar. A CalDAVFailure is left to the task to retry."""
    appointment = (
        Appointment.objects.select_related("provider", "service", "client")
        .filter(pk=appointment_id)
        .first()
    )
    if appointment is None:
        return []
    calendars = list(
        RemoteCalendar.objects.select_related("connection").filter(
            receives_appointments=True,
            connection__provider_id=appointment.provider_id,
            connection__kind=ConnectionKind.CALDAV,
        )
    )
    done = []
    active = appointment.status in ACTIVE_STATUSES
    for calendar in calendars:
        dav_client = _dav_client(calendar.connection)
        href = appointment_href(appointment)
        pushed = PushedAppointment.objects.filter(
            calendar=calendar, appointment=appointment
        ).first()
        if active:
            path = caldav_sync.put_event(
                dav_client,
                calendar_url=calendar.url,
                href=href,
                ics=ical.appointment_calendar(appointment),
            )
            PushedAppointment.objects.update_or_create(
                calendar=calendar,
                appointment=appointment,
                defaults={"href": path, "sequence": appointment.sequence, "removed": False},
            )
            done.append("put")
        elif pushed is not None and not pushed.removed:
            caldav_sync.delete_event(dav_client, calendar_url=calendar.url, href=href)
            pushed.removed = True
            pushed.save(update_fields=["removed", "pushed_at"])
            done.append("deleted")
    return done


def appointment_has_receiving_calendar(appointment_id: int) -> bool:
    """Whether the appointment's provider has a calendar receiving appointments (one query)."""
    return RemoteCalendar.objects.filter(
        receives_appointments=True,
        connection__provider__appointments__id=appointment_id,
    ).exists()
