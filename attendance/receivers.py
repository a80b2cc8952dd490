"""Scoring on scheduling's on-commit booking events (`scheduling/events.py`).

The booking has committed when these run; the request only enqueues the scoring task. If the
broker cannot be reached, or scoring fails, the error is logged and the booking's answer is
unchanged: the daily re-scoring catches the appointment up.
"""

import logging

from django.dispatch import receiver
from kombu.exceptions import OperationalError as KombuOperationalError

from attendance.tasks import score_appointment
from scheduling import events

logger = logging.getLogger(__name__)


def _score(appointment_id: int) -> None:
    try:
        score_appointment.delay(appointment_id=appointment_id)
    except (KombuOperationalError, ConnectionError, OSError) as exc:
        logger.warning("Could not enqueue scoring appointment %s (%s).", appointment_id, exc)
    except Exception:  # noqa: BLE001 (in-process tasks: a scoring error never fails a booking)
        logger.exception("Scoring appointment %s failed.", appointment_id)


@receiver(events.appointment_booked, dispatch_uid="attendance.booked")
def on_appointment_booked(sender, *, appointment_id, **kwargs):
    _score(appointment_id)


@receiver(events.appointment_rescheduled, dispatch_uid="attendance.rescheduled")
def on_appointment_rescheduled(sender, *, appointment_id, **kwargs):
    _score(appointment_id)
