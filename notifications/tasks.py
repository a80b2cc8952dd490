"""Celery tasks: thin, idempotent, acknowledged late, retried with exponential back-off."""

from smtplib import SMTPException

from celery import shared_task
from django.conf import settings

from notifications import services
from notifications.channels import TransientError
from notifications.models import NotificationSettings

RETRYABLE = (TransientError, SMTPException, OSError)


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
    # Staff may lower the retry count below the deployment's ceiling.
    allowed = min(self.max_retries, NotificationSettings.load().max_email_retries)
    return services.email_delivery_send(
        delivery_id=delivery_id, final_attempt=self.request.retries >= allowed
    )


@shared_task(acks_late=True)
def send_due_reminders() -> dict[str, int]:
    sent = services.reminders_send_due()
    redriven = services.email_deliveries_redrive()
    return {"reminders_sent": sent, "emails_redriven": redriven}


@shared_task(acks_late=True)
def send_provider_digests() -> int:
    return services.provider_digests_send()
