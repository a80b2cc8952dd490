"""Celery tasks of the webhooks: thin, taking ids.

Their retries are the deliveries' own (`next_attempt_at`, sent by `send_due_webhooks` every
minute), not Celery's: a lost task message loses nothing.
"""

import logging

from celery import shared_task
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


@shared_task(acks_late=True, ignore_result=True)
def deliver_webhook(delivery_id: int) -> str:
    outcome = services.delivery_send(delivery_id=delivery_id)
    if outcome.next_in_line is not None:
        enqueue_deliveries([outcome.next_in_line])
    return outcome.status


@shared_task(acks_late=True, ignore_result=True)
def send_due_webhooks() -> int:
    return services.deliveries_send_due()
