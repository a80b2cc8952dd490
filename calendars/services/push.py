"""Appointments out: each appointment of a provider with a receiving CalDAV calendar is put
there (stable UID and path, the appointment's SEQUENCE) and taken out on cancel, by the
retried task `calendars.tasks.push_appointment`."""

from django.db import transaction
from django.utils import timezone

from calendars import caldav_sync, ical
from calendars.models import ConnectionKind, PushedAppointment, RemoteCalendar
from calendars.services.sync import dav_client_for
from scheduling.models import ACTIVE_STATUSES, Appointment

PUSH_UPCOMING_LIMIT = 500


def push_upcoming(provider_id: int) -> None:
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
        dav_client = dav_client_for(calendar.connection)
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
