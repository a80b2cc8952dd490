"""Celery tasks: thin, idempotent, acknowledged late, retried with exponential back-off."""

import logging
from smtplib import SMTPException

from celery import shared_task
from django.conf import settings

from notifications import services
from notifications.channels import TransientError
from notifications.models import NotificationSettings

RETRYABLE = (TransientError, SMTPException, OSError)

logger = logging.getLogger(__name__)


def notify_appointment_event_now(
    *, kind: str, appointment_id: int, actor_id: int | None = None, **extra
) -> list[int]:
    """The fan-out of one scheduling event; an error is logged, never raised (the event's
    transaction has committed, and retrying a bug would only repeat it)."""
    try:
        return services.appointment_event_notify(
            kind=kind, appointment_id=appointment_id, actor_id=actor_id, **extra
        )
    except Exception:
        logger.exception("Notifications for %s on appointment %s failed", kind, appointment_id)
        return []


@shared_task(acks_late=True)
def notify_appointment_event(
    kind: str, appointment_id: int, actor_id: int | None = None, **extra
) -> list[int]:
    """Inbox entries, outbox rows and reminders for one event, then the emails enqueued.

    Acknowledged late, so a worker lost mid-task leaves it to another; idempotent by its
    `event_id` (the receivers give every event one), so a second run writes nothing.
    """
    return notify_appointment_event_now(
        kind=kind, appointment_id=appointment_id, actor_id=actor_id, **extra
    )


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=RETRYABLE,
    retry_backoff=True,
    retry_backoff_max=services.deliveries.MAX_BACKOFF_SECONDS,
    retry_jitter=True,
    max_retries=settings.NOTIFICATIONS_EMAIL_MAX_RETRIES,
)
def send_appointment_email(self, delivery_id: int) -> str:
    def final_attempt() -> bool:
        # Staff may lower the retry count below the deployment's ceiling. Asked only when a
        # send fails, so a successful send does not read the settings row.
        allowed = min(self.max_retries, NotificationSettings.load().max_email_retries)
        return self.request.retries >= allowed

    return services.email_delivery_send(delivery_id=delivery_id, final_attempt=final_attempt)


@shared_task(acks_late=True)
def send_due_reminders() -> dict[str, int]:
    sent = services.reminders_send_due()
    redriven = services.email_deliveries_redrive()
    return {"reminders_sent": sent, "emails_redriven": redriven}


@shared_task(acks_late=True)
def send_provider_digests() -> int:
    return services.provider_digests_send()
