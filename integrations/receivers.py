"""Scheduling's and the waitlist's on-commit events, recorded as webhook deliveries and
handed to the workers.

The event's transaction has committed: a failure here is logged, never raised into the
client's successful request. The request only asks whether an endpoint wants the event and
enqueues one task; the worker writes the deliveries and makes the HTTP calls.
"""

import logging

from django.dispatch import receiver
from django.utils import timezone

from integrations import services
from integrations.models import WebhookEvent, generate_event_id
from integrations.tasks import enqueue_event
from scheduling import events
from waitlist import events as waitlist_events

logger = logging.getLogger(__name__)


def _record(event_type: str, *, appointment_id: int, extra: dict | None = None) -> None:
    """In the request: one query, and one task when an endpoint wants the event (the worker
    renders the payload and writes the deliveries), so endpoints add no time to a booking."""
    try:
        if not services.endpoints_wanting(event_type):
            return
        enqueue_event(
            event_type=event_type,
            appointment_id=appointment_id,
            extra=extra,
            occurred_at=timezone.now(),
            event_id=generate_event_id(),
        )
    except Exception:
        logger.exception("Webhooks of %s on appointment %s failed", event_type, appointment_id)


@receiver(events.appointment_booked, dispatch_uid="integrations.booked")
def on_appointment_booked(sender, *, appointment_id, **kwargs):
    _record(WebhookEvent.BOOKED, appointment_id=appointment_id)


@receiver(events.appointment_rescheduled, dispatch_uid="integrations.rescheduled")
def on_appointment_rescheduled(sender, *, appointment_id, **kwargs):
    _record(WebhookEvent.RESCHEDULED, appointment_id=appointment_id)


@receiver(events.appointment_cancelled, dispatch_uid="integrations.cancelled")
def on_appointment_cancelled(sender, *, appointment_id, **kwargs):
    _record(WebhookEvent.CANCELLED, appointment_id=appointment_id)


@receiver(events.appointment_completed, dispatch_uid="integrations.completed")
def on_appointment_completed(sender, *, appointment_id, **kwargs):
    _record(WebhookEvent.COMPLETED, appointment_id=appointment_id)


@receiver(events.appointment_no_show, dispatch_uid="integrations.no_show")
def on_appointment_no_show(sender, *, appointment_id, **kwargs):
    _record(WebhookEvent.NO_SHOW, appointment_id=appointment_id)


@receiver(waitlist_events.offer_accepted, dispatch_uid="integrations.offer_accepted")
def on_offer_accepted(sender, *, offer, appointment, **kwargs):
    _record(WebhookEvent.OFFER_ACCEPTED, appointment_id=appointment.pk, extra={"offer": offer.pk})
