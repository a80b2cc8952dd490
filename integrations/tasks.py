"""Celery tasks of the webhooks: thin, taking ids.

`record_webhook_event` writes an event's deliveries on a worker (acknowledged late, retried
on database errors, idempotent per event id); from then on the retries are the deliveries'
own (`next_attempt_at`, sent by `send_due_webhooks` every minute), not Celery's: a lost
delivery task loses nothing.
"""

import logging
from datetime import datetime

from celery import shared_task
from django.db import DatabaseError
from kombu.exceptions import OperationalError as KombuOperationalError

from integrations import services

logger = logging.getLogger(__name__)


def enqueue_deliveries(delivery_ids: list[int]) -> None:
    """One task per delivery; with the broker away they wait for the beat's due-sender."""
    for delivery_id in delivery_ids:
        try:
            deliver_webhook.delay(delivery_id)
        except (KombuOperationalError, ConnectionError, OSError) as exc:
            logger.warning(
                "Could not enqueue webhook delivery %s (%s); the due-sender will send it.",
                delivery_id,
                exc,
            )
            return


def enqueue_event(
    *, event_type: str, appointment_id: int, extra: dict | None, occurred_at, event_id: str
) -> None:
    """One task for the event; with the broker away the deliveries are written here and the
    due-sender sends them."""
    arguments = {
        "event_type": event_type,
        "appointment_id": appointment_id,
        "extra": extra,
        "occurred_at": occurred_at.isoformat(),
        "event_id": event_id,
    }
    try:
        record_webhook_event.delay(**arguments)
    except (KombuOperationalError, ConnectionError, OSError) as exc:
        logger.warning("Could not enqueue webhook event %s (%s); recorded here.", event_id, exc)
        services.webhook_event_record(
            event_type=event_type,
            appointment_id=appointment_id,
            extra=extra,
            now=occurred_at,
            event_id=event_id,
        )


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def record_webhook_event(
    *, event_type: str, appointment_id: int, extra: dict | None, occurred_at: str, event_id: str
) -> int:
    """Write the event's deliveries (idempotent per event id) and send them."""
    delivery_ids = services.webhook_event_record(
        event_type=event_type,
        appointment_id=appointment_id,
        extra=extra,
        now=datetime.fromisoformat(occurred_at),
        event_id=event_id,
    )
    enqueue_deliveries(delivery_ids)
    return len(delivery_ids)


@shared_task(acks_late=True, ignore_result=True)
def deliver_webhook(delivery_id: int) -> str:
    outcome = services.delivery_send(delivery_id=delivery_id)
    if outcome.next_in_line is not None:
        enqueue_deliveries([outcome.next_in_line])
    return outcome.status


@shared_task(acks_late=True, ignore_result=True)
def send_due_webhooks() -> int:
    return services.deliveries_send_due()
