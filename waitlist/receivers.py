"""Time freed by scheduling goes to the waitlist: scheduling's on-commit events start the
matching (a task, after the cancellation or move has committed). A provider's changed
schedule (providers' on-commit events) and a cancellation by the clinic start the rebooking
of the clients it displaced."""

from django.dispatch import receiver

from providers import events as provider_events
from scheduling import events
from waitlist import dispatch


@receiver(events.appointment_cancelled, dispatch_uid="waitlist.cancelled")
def on_appointment_cancelled(
    sender,
    *,
    appointment_id,
    provider_id,
    blocked_start,
    blocked_end,
    actor_id=None,
    reason="",
    **kwargs,
):
    # The event carries the freed time: no query in the client's request.
    dispatch.match_freed_now(provider_id=provider_id, start=blocked_start, end=blocked_end)
    if actor_id is not None and reason:  # who cancelled is the rebooking service's question
        dispatch.displaced_by_cancellation_now(appointment_id=appointment_id)


@receiver(events.appointment_rescheduled, dispatch_uid="waitlist.rescheduled")
def on_appointment_rescheduled(sender, *, provider_id, old_start, old_end, **kwargs):
    dispatch.match_freed_now(provider_id=provider_id, start=old_start, end=old_end)


@receiver(provider_events.time_off_added, dispatch_uid="waitlist.time_off_added")
def on_time_off_added(sender, *, provider_id, **kwargs):
    dispatch.provider_schedule_changed_now(provider_id=provider_id, hours_changed=False)


@receiver(provider_events.working_hours_changed, dispatch_uid="waitlist.working_hours_changed")
def on_working_hours_changed(sender, *, provider_id, **kwargs):
    dispatch.provider_schedule_changed_now(provider_id=provider_id, hours_changed=True)


@receiver(provider_events.time_off_removed, dispatch_uid="waitlist.time_off_removed")
def on_time_off_removed(sender, *, provider_id, start, end, **kwargs):
    dispatch.match_freed_now(provider_id=provider_id, start=start, end=end)
