"""Time freed by scheduling goes to the waitlist: scheduling's on-commit events start the
matching (a task, after the cancellation or move has committed). A provider's changed
schedule (providers' on-commit events) and a cancellation by the clinic start the rebooking
of the clients it displaced."""

from django.dispatch import receiver

from providers import events as provider_events
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
def on_appointment_cancelled(sender, *, appointment_id, actor_id=None, reason="", **kwargs):
    _freed(appointment_id=appointment_id)
    if actor_id is not None and reason:  # who cancelled is the rebooking service's question
        dispatch.displaced_by_cancellation_now(appointment_id=appointment_id)


@receiver(events.appointment_rescheduled, dispatch_uid="waitlist.rescheduled")
def on_appointment_rescheduled(sender, *, appointment_id, old_start=None, old_end=None, **kwargs):
    _freed(appointment_id=appointment_id, start=old_start, end=old_end)


@receiver(provider_events.time_off_added, dispatch_uid="waitlist.time_off_added")
def on_time_off_added(sender, *, provider_id, **kwargs):
    dispatch.provider_schedule_changed_now(provider_id=provider_id, hours_changed=False)


@receiver(provider_events.working_hours_changed, dispatch_uid="waitlist.working_hours_changed")
def on_working_hours_changed(sender, *, provider_id, **kwargs):
    dispatch.provider_schedule_changed_now(provider_id=provider_id, hours_changed=True)
