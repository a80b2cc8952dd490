"""Celery tasks: thin, idempotent, acknowledged late, retried with exponential back-off."""

import logging
from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from notifications import services
from notifications.channels import TransientError
from notifications.models import NotificationSettings

RETRYABLE = (TransientError, SMTPException, OSError)
# The fan-out also retries a database that is briefly unreachable, restarting or locked.
FANOUT_RETRYABLE = (*RETRYABLE, OperationalError, InterfaceError)
FANOUT_MAX_RETRIES = 8
# The fan-out tasks' options, one place: retried on transient errors with exponential
# back-off and jitter, acknowledged late (a worker lost mid-task leaves it to another).
fanout_task = shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=FANOUT_RETRYABLE,
    retry_backoff=True,
    retry_backoff_max=services.deliveries.MAX_BACKOFF_SECONDS,
    retry_jitter=True,
    max_retries=FANOUT_MAX_RETRIES,
)

logger = logging.getLogger(__name__)


def notify_appointment_event_now(
    *, kind: str, appointment_id: int, actor_id: int | None = None, **extra
) -> list[int]:
    """The fan-out run in the request when the broker is unreachable: an error is logged,
    never raised (the event's transaction has committed; the client's request succeeded)."""
    try:
        return services.appointment_event_notify(
            kind=kind, appointment_id=appointment_id, actor_id=actor_id, **extra
        )
    except Exception:
        logger.exception("Notifications for %s on appointment %s failed", kind, appointment_id)
        return []


@fanout_task
def notify_appointment_event(
    self, kind: str, appointment_id: int, actor_id: int | None = None, **extra
) -> list[int]:
    """Inbox entries, outbox rows and reminders for one event, then the emails enqueued.

    A transient failure (the database or the mail transport briefly away) is retried with
    exponential back-off; the fan-out's writes are one transaction, so a failed try leaves
    nothing behind. Acknowledged late, so a worker lost mid-task leaves it to another.
    Idempotent by its `event_id` (the receivers give every event one; the inbox entries carry
    it in `dedupe_key`), so a retry or a redelivery after success writes nothing.
    """
    return services.appointment_event_notify(
        kind=kind, appointment_id=appointment_id, actor_id=actor_id, **extra
    )


def notify_offer_event_now(*, kind: str, offer_id: int) -> list[int]:
    """The offer's fan-out run in the request when the broker is unreachable (logged, never
    raised: the waitlist's transaction has committed)."""
    try:
        return services.offer_event_notify(kind=kind, offer_id=offer_id)
    except Exception:
        logger.exception("Notifications for %s on offer %s failed", kind, offer_id)
        return []


@fanout_task
def notify_offer_event(self, kind: str, offer_id: int) -> list[int]:
    """The inbox entry and outbox row of one waitlist offer event, then the email enqueued.
    Idempotent by (offer, kind): a retry or a redelivery after success writes nothing."""
    return services.offer_event_notify(kind=kind, offer_id=offer_id)


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


@shared_task(acks_late=True)
def act_on_no_show_risk() -> dict[str, int]:
    """Extra reminders, confirm-or-release and standby places (each safe to run twice)."""
    return services.no_show_risk_act()


def notify_standby_now(*, place_id: int) -> list[int]:
    """The standby place's fan-out run in the request when the broker is unreachable
    (logged, never raised: the waitlist's transaction has committed)."""
    try:
        return services.standby_notify(place_id=place_id)
    except Exception:
        logger.exception("Notifications for standby place %s failed", place_id)
        return []


@fanout_task
def notify_standby(self, place_id: int) -> list[int]:
    """The inbox entry and outbox row of one standby place; idempotent by the place."""
    return services.standby_notify(place_id=place_id)
