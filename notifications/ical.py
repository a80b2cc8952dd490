"""iCalendar (RFC 5545) for appointment invites and personal subscription feeds.

One stable UID per appointment and its SEQUENCE let calendar clients update the same event on
reschedule (METHOD:REQUEST with a higher SEQUENCE) and remove it on cancellation
(METHOD:CANCEL, STATUS:CANCELLED). Times are written in UTC.
"""

from collections.abc import Iterable
from datetime import UTC, datetime

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from scheduling.models import Appointment, AppointmentStatus, appointment_event_uid

__all__ = ["appointment_event_uid"]  # the one UID rule lives with the appointment

PRODID = "-//SmartBook//Appointments//EN"
ICS_MIMETYPE = "text/calendar"


def appointment_url(appointment: Appointment) -> str:
    return f"{settings.SITE_URL}/appointments/{appointment.pk}"


def _address(email: str, name: str, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    if name:
        address.params["CN"] = vText(name)
    for key, value in params.items():
        address.params[key] = vText(value)
    return address


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def appointment_event(appointment: Appointment, *, cancelled: bool = False) -> Event:
    provider = appointment.provider
    client = appointment.client
    event = Event()
    event.add("uid", appointment_event_uid(appointment))
    event.add("sequence", appointment.sequence)
    event.add("dtstamp", _utc(timezone.now()))
    event.add("dtstart", _utc(appointment.start))
    event.add("dtend", _utc(appointment.end))
    event.add("summary", f"{appointment.service.name} with {provider.display_name}")
    event.add("description", f"SmartBook appointment. Details: {appointment_url(appointment)}")
    event.add("url", appointment_url(appointment))
    event.add("organizer", _address(provider.user.email, provider.display_name), encode=False)
    event.add(
        "attendee",
        _address(
            client.email,
            client.get_full_name(),
            ROLE="REQ-PARTICIPANT",
            PARTSTAT="DECLINED" if cancelled else "ACCEPTED",
        ),
        encode=False,
    )
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if cancelled else "OPAQUE")
    return event


def _calendar(method: str | None = None, name: str | None = None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
    return calendar


def appointment_invite(appointment: Appointment) -> bytes:
    """The attachment for an email: a REQUEST, or a CANCEL once the appointment is cancelled.
    An occurrence of a series sends the whole series, as it is now (`series_ical`)."""
    if appointment.series_id is not None:
        from notifications.series_ical import series_invite

        return series_invite(appointment.series_id)
    cancelled = appointment.status == AppointmentStatus.CANCELLED
    calendar = _calendar("CANCEL" if cancelled else "REQUEST")
    calendar.add_component(appointment_event(appointment, cancelled=cancelled))
    return calendar.to_ical()


def appointment_download(appointment: Appointment) -> bytes:
    """A single event to import by hand (no METHOD: it is not a scheduling message)."""
    cancelled = appointment.status == AppointmentStatus.CANCELLED
    calendar = _calendar("PUBLISH")
    calendar.add_component(appointment_event(appointment, cancelled=cancelled))
    return calendar.to_ical()


def feed_calendar(*, name: str, appointments: Iterable[Appointment]) -> bytes:
    calendar = _calendar("PUBLISH", name=name)
    calendar.add("refresh-interval", "PT1H", parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    series_ids = set()
    for appointment in appointments:
        if appointment.series_id is not None:
            series_ids.add(appointment.series_id)  # one event for the whole series
            continue
        calendar.add_component(appointment_event(appointment))
    if series_ids:
        from notifications.series_ical import feed_series_events, with_timezones

        for event in feed_series_events(series_ids):
            calendar.add_component(event)
        return with_timezones(calendar)
    return calendar.to_ical()
