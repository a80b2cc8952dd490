"""Connecting and disconnecting calendars, and choosing which count as busy and which
receives appointments."""

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User
from calendars import caldav_sync, crypto, http
from calendars.models import CalendarConnection, ConnectionKind, RemoteCalendar
from calendars.services._common import ensure_may_manage
from calendars.services.push import push_upcoming
from calendars.services.sync import connection_sync
from providers.models import Provider
from providers.services import busy_source_create, busy_source_delete, external_busy_replace


def _check_url(field: str, url: str) -> str:
    try:
        url = http.normalise_url(url.strip())
        http.check_url(url)
    except http.RequestFailed as failure:
        raise ValidationError(
            {field: [f"This address cannot be used: {failure.message}."]}
        ) from None
    return url


def connection_create_ics(
    *, provider: Provider, url: str, name: str = "", actor: User | None
) -> CalendarConnection:
    """Subscribe the provider to an ICS address; its first sync runs at once (a failing one
    is shown on the connection, which is kept)."""
    ensure_may_manage(actor, provider)
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
    ensure_may_manage(actor, provider)
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
    return urlsplit(url).hostname or "CalDAV account"


@transaction.atomic
def connection_delete(*, connection: CalendarConnection, actor: User | None) -> None:
    """Disconnect: its busy time stops blocking at once. Events already pushed stay on the
    provider's server (they are the provider's calendar now)."""
    ensure_may_manage(actor, connection.provider)
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
    ensure_may_manage(actor, connection.provider)
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
            push_upcoming(connection.provider_id)
    if dropped:
        external_busy_replace(
            source_id=connection.source_id, periods=[], resources=dropped, synced_at=None
        )
    CalendarConnection.objects.filter(pk=connection.pk).update(next_attempt_at=None)
    connection.refresh_from_db()
    return connection
