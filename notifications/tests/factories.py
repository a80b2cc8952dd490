"""Appointments written straight with the ORM, and the events scheduling would send."""

from datetime import datetime, timedelta

from scheduling import events
from scheduling.models import Appointment, AppointmentStatus


def appointment_at(*, client, provider, service, start: datetime, **fields) -> Appointment:
    end = start + timedelta(minutes=service.duration_minutes)
    return Appointment.objects.create(
        client=client,
        provider=provider,
        service=service,
        start=start,
        end=end,
        blocked_start=start - timedelta(minutes=service.buffer_before_minutes),
        blocked_end=end + timedelta(minutes=service.buffer_after_minutes),
        **fields,
    )


def book(appointment: Appointment, *, actor=None) -> None:
    events.appointment_booked.send(
        sender="scheduling",
        appointment_id=appointment.pk,
        actor_id=(actor or appointment.client).pk,
    )


def move(appointment: Appointment, *, new_start: datetime, actor=None) -> Appointment:
    """What the reschedule service does to the row, then its event."""
    old_start, old_end = appointment.start, appointment.end
    duration = appointment.end - appointment.start
    appointment.start, appointment.end = new_start, new_start + duration
    appointment.blocked_start, appointment.blocked_end = appointment.start, appointment.end
    appointment.sequence += 1
    appointment.save()
    events.appointment_rescheduled.send(
        sender="scheduling",
        appointment_id=appointment.pk,
        actor_id=(actor or appointment.client).pk,
        old_start=old_start,
        old_end=old_end,
    )
    return appointment


def cancel(appointment: Appointment, *, actor, reason: str = "") -> Appointment:
    appointment.status = AppointmentStatus.CANCELLED
    appointment.cancelled_by = actor
    appointment.cancellation_reason = reason
    appointment.save()
    events.appointment_cancelled.send(
        sender="scheduling", appointment_id=appointment.pk, actor_id=actor.pk, reason=reason
    )
    return appointment


def close(appointment: Appointment, *, status: str, actor) -> Appointment:
    appointment.status = status
    appointment.save()
    signal = (
        events.appointment_completed
        if status == AppointmentStatus.COMPLETED
        else events.appointment_no_show
    )
    signal.send(sender="scheduling", appointment_id=appointment.pk, actor_id=actor.pk)
    return appointment
