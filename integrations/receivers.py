"""Scheduling's and the waitlist's on-commit events, recorded as webhook deliveries and
handed to the workers.

The event's transaction has committed: a failure here is logged, never raised into the
client's successful request. The request writes the deliveries and enqueues one task each;
the HTTP calls run on a worker.
"""

import logging

from django.dispatch import receiver

from integrations import services
from integrations.models import WebhookEvent
from integrations.tasks import enqueue_deliveries
from scheduling import events
from waitlist import events as waitlist_events

logger = logging.getLogger(__name__)


def _record(event_type: str, *, appointment_id: int, extra: dict | None = None) -> None:
    try:
        delivery_ids = services.webhook_event_record(
            event_type=event_type, appointment_id=appointment_id, extra=extra
        )
    except Exception:
        logger.exception("Webhooks of %s on appointment %s failed", event_type, appointment_id)
        return
    enqueue_deliveries(delivery_ids)


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
