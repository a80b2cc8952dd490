"""Scheduling's and the waitlist's on-commit signals, handed to a worker as one notification task
per event.

The booking has already committed when these run. The request only enqueues the task: the
fan-out (inbox entries, outbox rows, reminders, then the emails) runs on a worker, off the
booking's critical path. If the broker cannot be reached, the fan-out runs here instead:
its outbox rows stay pending and the reminder sweep sends them once the broker is back.
Errors are logged (with the traceback, for the error tracker) instead of turning the client's
successful request into a 500.
"""

import logging
import uuid

from django.dispatch import receiver
from kombu.exceptions import OperationalError as KombuOperationalError

from notifications.models import NotificationKind
from notifications.services.events import jsonable
from notifications.tasks import (
    notify_appointment_event,
    notify_appointment_event_now,
    notify_offer_event,
    notify_offer_event_now,
    notify_standby,
    notify_standby_now,
)
from scheduling import events
from waitlist import events as waitlist_events

logger = logging.getLogger(__name__)


def _hand_off(kind: str, *, appointment_id, actor_id=None, **extra) -> None:
    # Task arguments travel as JSON: instants as ISO text (the messages parse them back).
    arguments = {
        "kind": kind,
        "appointment_id": appointment_id,
        "actor_id": actor_id,
        "event_id": uuid.uuid4().hex,  # makes a redelivered task a no-op
        **jsonable(extra),
    }
    try:
        notify_appointment_event.delay(**arguments)
    except (KombuOperationalError, ConnectionError, OSError) as exc:
        logger.warning(
            "Could not enqueue the %s notifications of appointment %s (%s); sending them now.",
            kind,
            appointment_id,
            exc,
        )
        notify_appointment_event_now(**arguments)


def _series(kwargs) -> dict:
    """A series' details of an event (`scheduling.series`): which series, how many
    occurrences the change touched, and whether another occurrence's message covers this
    one (`series_quiet`: its reminders are kept in step, nothing is sent)."""
    if kwargs.get("series_id") is None:
        return {}
    return {
        "series_id": kwargs["series_id"],
        "series_count": kwargs.get("series_count"),
        "series_quiet": kwargs.get("series_quiet") or None,
    }


@receiver(events.appointment_booked, dispatch_uid="notifications.booked")
def on_appointment_booked(sender, *, appointment_id, actor_id=None, **kwargs):
    _hand_off(
        NotificationKind.BOOKED, appointment_id=appointment_id, actor_id=actor_id, **_series(kwargs)
    )


@receiver(events.appointment_rescheduled, dispatch_uid="notifications.rescheduled")
def on_appointment_rescheduled(
    sender, *, appointment_id, actor_id=None, old_start=None, old_end=None, **kwargs
):
    _hand_off(
        NotificationKind.RESCHEDULED,
        appointment_id=appointment_id,
        actor_id=actor_id,
        old_start=old_start,
        old_end=old_end,
        **_series(kwargs),
    )


@receiver(events.appointment_cancelled, dispatch_uid="notifications.cancelled")
def on_appointment_cancelled(sender, *, appointment_id, actor_id=None, reason="", **kwargs):
    _hand_off(
        NotificationKind.CANCELLED,
        appointment_id=appointment_id,
        actor_id=actor_id,
        reason=reason,
        **_series(kwargs),
    )


@receiver(events.appointment_completed, dispatch_uid="notifications.completed")
def on_appointment_completed(sender, *, appointment_id, actor_id=None, **kwargs):
    _hand_off(NotificationKind.COMPLETED, appointment_id=appointment_id, actor_id=actor_id)


@receiver(events.appointment_no_show, dispatch_uid="notifications.no_show")
def on_appointment_no_show(sender, *, appointment_id, actor_id=None, **kwargs):
    _hand_off(NotificationKind.NO_SHOW, appointment_id=appointment_id, actor_id=actor_id)


# --- the waitlist's offers ----------------------------------------------------------------
# `offer_accepted` has no receiver: the booking (or move) it made sends scheduling's
# `appointment_booked` / `appointment_rescheduled`, whose confirmation is the answer.


def _hand_off_offer(kind: str, *, offer) -> None:
    try:
        notify_offer_event.delay(kind=kind, offer_id=offer.pk)
    except (KombuOperationalError, ConnectionError, OSError) as exc:
        logger.warning(
            "Could not enqueue the %s notification of offer %s (%s); sending it now.",
            kind,
            offer.pk,
            exc,
        )
        notify_offer_event_now(kind=kind, offer_id=offer.pk)


@receiver(waitlist_events.offer_made, dispatch_uid="notifications.offer_made")
def on_offer_made(sender, *, offer, **kwargs):
    _hand_off_offer(NotificationKind.WAITLIST, offer=offer)


@receiver(waitlist_events.offer_gone, dispatch_uid="notifications.offer_gone")
def on_offer_gone(sender, *, offer, **kwargs):
    _hand_off_offer(NotificationKind.OFFER_GONE, offer=offer)


@receiver(waitlist_events.offer_expired, dispatch_uid="notifications.offer_expired")
def on_offer_expired(sender, *, offer, **kwargs):
    _hand_off_offer(NotificationKind.OFFER_EXPIRED, offer=offer)


@receiver(waitlist_events.standby_placed, dispatch_uid="notifications.standby_placed")
def on_standby_placed(sender, *, place, **kwargs):
    try:
        notify_standby.delay(place_id=place.pk)
    except (KombuOperationalError, ConnectionError, OSError) as exc:
        logger.warning(
            "Could not enqueue the notification of standby place %s (%s); sending it now.",
            place.pk,
            exc,
        )
        notify_standby_now(place_id=place.pk)
