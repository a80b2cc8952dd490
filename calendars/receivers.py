"""Scheduling's on-commit events push appointments into providers' CalDAV calendars.

Scheduling never imports this app. A receiver asks one query (does the provider have a
calendar receiving appointments?) and enqueues the retried task; an error is logged and never
reaches the booking.
"""

import logging

from django.dispatch import receiver

from calendars import services, tasks
from scheduling import events

log = logging.getLogger(__name__)


def _push(appointment_id: int) -> None:
    try:
        if not services.appointment_has_receiving_calendar(appointment_id):
            return
        tasks.push_appointment.delay(appointment_id=appointment_id)
    except Exception:  # never fail the booking: the push is retried or redone by hand
        log.exception("could not queue the calendar push of appointment %s", appointment_id)


@receiver(events.appointment_booked, dispatch_uid="calendars.booked")
@receiver(events.appointment_rescheduled, dispatch_uid="calendars.rescheduled")
@receiver(events.appointment_cancelled, dispatch_uid="calendars.cancelled")
def push_appointment_change(sender, appointment_id: int, **kwargs) -> None:
    _push(appointment_id)
