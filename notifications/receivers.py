"""Scheduling's on-commit signals, turned into notification services calls.

The booking has already committed when these run: an error here is logged (with the
traceback, for the error tracker) instead of turning the client's successful request into a 500.
"""

import functools
import logging

from django.dispatch import receiver

from notifications.models import NotificationKind
from notifications.services import appointment_event_notify
from scheduling import events

logger = logging.getLogger(__name__)


def _logged(handler):
    @functools.wraps(handler)
    def wrapper(sender, **kwargs):
        try:
            handler(sender, **kwargs)
        except Exception:
            logger.exception(
                "Notifications for %s on appointment %s failed",
                handler.__name__,
                kwargs.get("appointment_id"),
            )

    return wrapper


@receiver(events.appointment_booked, dispatch_uid="notifications.booked")
@_logged
def on_appointment_booked(sender, *, appointment_id, actor_id=None, **kwargs):
    appointment_event_notify(
        kind=NotificationKind.BOOKED, appointment_id=appointment_id, actor_id=actor_id
    )


@receiver(events.appointment_rescheduled, dispatch_uid="notifications.rescheduled")
@_logged
def on_appointment_rescheduled(
    sender, *, appointment_id, actor_id=None, old_start=None, old_end=None, **kwargs
):
    appointment_event_notify(
        kind=NotificationKind.RESCHEDULED,
        appointment_id=appointment_id,
        actor_id=actor_id,
        old_start=old_start,
        old_end=old_end,
    )


@receiver(events.appointment_cancelled, dispatch_uid="notifications.cancelled")
@_logged
def on_appointment_cancelled(sender, *, appointment_id, actor_id=None, reason="", **kwargs):
    appointment_event_notify(
        kind=NotificationKind.CANCELLED,
        appointment_id=appointment_id,
        actor_id=actor_id,
        reason=reason,
    )


@receiver(events.appointment_completed, dispatch_uid="notifications.completed")
@_logged
def on_appointment_completed(sender, *, appointment_id, actor_id=None, **kwargs):
    appointment_event_notify(
        kind=NotificationKind.COMPLETED, appointment_id=appointment_id, actor_id=actor_id
    )


@receiver(events.appointment_no_show, dispatch_uid="notifications.no_show")
@_logged
def on_appointment_no_show(sender, *, appointment_id, actor_id=None, **kwargs):
    appointment_event_notify(
        kind=NotificationKind.NO_SHOW, appointment_id=appointment_id, actor_id=actor_id
    )
