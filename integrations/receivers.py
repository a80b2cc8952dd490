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


# Each appointment event of scheduling and its webhook type.
APPOINTMENT_EVENTS = {
    events.appointment_booked: WebhookEvent.BOOKED,
    events.appointment_rescheduled: WebhookEvent.RESCHEDULED,
    events.appointment_cancelled: WebhookEvent.CANCELLED,
    events.appointment_confirmed: WebhookEvent.CONFIRMED,
    events.appointment_completed: WebhookEvent.COMPLETED,
    events.appointment_no_show: WebhookEvent.NO_SHOW,
}


def _appointment_receiver(event_type: str):
    def receive(sender, *, appointment_id, **kwargs):
        _record(event_type, appointment_id=appointment_id)

    return receive


for _signal, _event_type in APPOINTMENT_EVENTS.items():
    _signal.connect(
        _appointment_receiver(_event_type), dispatch_uid=f"integrations.{_event_type}", weak=False
    )


@receiver(waitlist_events.offer_accepted, dispatch_uid="integrations.offer_accepted")
def on_offer_accepted(sender, *, offer, appointment, **kwargs):
    _record(WebhookEvent.OFFER_ACCEPTED, appointment_id=appointment.pk, extra={"offer": offer.pk})
