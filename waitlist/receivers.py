"""Time freed by scheduling goes to the waitlist: scheduling's on-commit events start the
matching (a task, after the cancellation or move has committed)."""

from django.dispatch import receiver

from scheduling import events
from scheduling.models import Appointment
from waitlist import dispatch


def _freed(*, appointment_id: int, start=None, end=None) -> None:
    appointment = (
        Appointment.objects.filter(pk=appointment_id)
        .values("provider_id", "blocked_start", "blocked_end")
        .first()
    )
    if appointment is None:
        return
    dispatch.match_freed_now(
        provider_id=appointment["provider_id"],
        start=start or appointment["blocked_start"],
        end=end or appointment["blocked_end"],
    )


@receiver(events.appointment_cancelled, dispatch_uid="waitlist.cancelled")
def on_appointment_cancelled(sender, *, appointment_id, **kwargs):
    _freed(appointment_id=appointment_id)


@receiver(events.appointment_rescheduled, dispatch_uid="waitlist.rescheduled")
def on_appointment_rescheduled(sender, *, appointment_id, old_start=None, old_end=None, **kwargs):
    _freed(appointment_id=appointment_id, start=old_start, end=old_end)
