"""What scheduling does to an appointment row, written straight, and the event it sends
(rows themselves come from `scheduling.tests.factories.AppointmentFactory`)."""

from datetime import datetime

from scheduling import events
from scheduling.models import Appointment, AppointmentStatus
from scheduling.tests.factories import appointment_times


def book(appointment: Appointment, *, actor=None) -> None:
    events.appointment_booked.send(
        sender="scheduling",
        appointment_id=appointment.pk,
        actor_id=(actor or appointment.client).pk,
    )


def move(appointment: Appointment, *, new_start: datetime, actor=None) -> Appointment:
    """What the reschedule service does to the row, then its event."""
    old_start, old_end = appointment.start, appointment.end
    for name, value in appointment_times(service=appointment.service, start=new_start).items():
        setattr(appointment, name, value)
    appointment.sequence += 1
    appointment.save()
    events.appointment_rescheduled.send(
        sender="scheduling",
        appointment_id=appointment.pk,
        actor_id=(actor or appointment.client).pk,
        provider_id=appointment.provider_id,
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
        sender="scheduling",
        appointment_id=appointment.pk,
        actor_id=actor.pk,
        provider_id=appointment.provider_id,
        blocked_start=appointment.blocked_start,
        blocked_end=appointment.blocked_end,
        reason=reason,
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
