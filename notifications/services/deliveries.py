"""The email outbox: create a delivery row, enqueue it, send it, retry it, re-drive it."""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from notifications.channels import EmailChannel, Message, PermanentError, TransientError
from notifications.models import DeliveryStatus, EmailDelivery, NotificationKind
from scheduling.models import AppointmentStatus

logger = logging.getLogger(__name__)

# A send in flight holds the row this long; a crashed worker's lease simply expires.
SEND_LEASE = timedelta(minutes=2)
# Pending rows this far past their expected attempt are re-driven by the sweep.
STALE_AFTER = timedelta(minutes=5)
# The longest back-off between two attempts (matches the task's retry_backoff_max).
MAX_BACKOFF_SECONDS = 600


def _delivery_values(
    *, recipient, kind: str, subject: str, appointment, context: dict[str, Any] | None
) -> dict[str, Any]:
    return {
        "recipient": recipient,
        "to_email": recipient.email,
        "kind": kind,
        "subject": subject[:200],
        "appointment": appointment,
        "context": context or {},
        "next_attempt_at": timezone.now(),
    }


def email_delivery_create(
    *,
    recipient,
    kind: str,
    subject: str,
    appointment=None,
    context: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
) -> EmailDelivery | None:
    """Write the outbox row. With a `dedupe_key` a second call returns None (already queued)."""
    values = _delivery_values(
        recipient=recipient, kind=kind, subject=subject, appointment=appointment, context=context
    )
    if dedupe_key is None:
        return EmailDelivery.objects.create(**values)
    delivery, created = EmailDelivery.objects.get_or_create(dedupe_key=dedupe_key, defaults=values)
    return delivery if created else None


def email_deliveries_create(*, emails: list[dict[str, Any]]) -> list[int]:
    """Write several outbox rows in one INSERT; returns their ids.

    Each item holds `email_delivery_create`'s arguments: recipient, kind, subject, and
    optionally appointment, context and dedupe_key. A key already used raises IntegrityError
    (the caller's transaction decides what that means).
    """
    rows = EmailDelivery.objects.bulk_create(
        EmailDelivery(
            **_delivery_values(
                recipient=email["recipient"],
                kind=email["kind"],
                subject=email["subject"],
                appointment=email.get("appointment"),
                context=email.get("context"),
            ),
            dedupe_key=email.get("dedupe_key"),
        )
        for email in emails
    )
    return [row.pk for row in rows]


def email_delivery_enqueue(*, delivery_id: int) -> bool:
    """Start the send task; a broker that is down must not break the caller's request.

    The row stays pending and the reminder sweep re-drives it once the broker is back.
    """
    from kombu.exceptions import OperationalError as KombuOperationalError

    from notifications.tasks import send_appointment_email

    try:
        send_appointment_email.delay(delivery_id)
    except (KombuOperationalError, ConnectionError, OSError) as exc:
        logger.warning(
            "Could not enqueue email delivery %s (%s); the sweep will retry it.", delivery_id, exc
        )
        return False
    return True


def email_deliveries_enqueue(*, delivery_ids: list[int]) -> None:
    for delivery_id in delivery_ids:
        email_delivery_enqueue(delivery_id=delivery_id)


def _claim(delivery_id: int, now: datetime) -> bool:
    return (
        EmailDelivery.objects.filter(id=delivery_id, status=DeliveryStatus.PENDING)
        .filter(Q(locked_until=None) | Q(locked_until__lt=now))
        .update(locked_until=now + SEND_LEASE, updated_at=now)
        == 1
    )


def _build_message(delivery: EmailDelivery) -> Message | None:
    from notifications.messages import appointment_email, digest_email
    from notifications.models import OFFER_KINDS
    from notifications.offer_messages import offer_email
    from notifications.selectors import provider_day_schedule
    from waitlist.models import Offer, OfferStatus

    if delivery.kind == NotificationKind.DIGEST:
        provider = delivery.recipient.provider
        day = datetime.fromisoformat(delivery.context["day"]).date()
        return digest_email(
            provider=provider,
            day=day,
            appointments=provider_day_schedule(provider=provider, day=day),
            to_email=delivery.to_email,
        )
    if delivery.kind == NotificationKind.STANDBY:
        from notifications.attendance_messages import standby_email
        from waitlist.models import StandbyPlace, StandbyStatus

        place = StandbyPlace.objects.filter(
            pk=delivery.context.get("standby_id"), status=StandbyStatus.WAITING
        ).first()
        return standby_email(place=place, to_email=delivery.to_email) if place else None
    if delivery.kind in OFFER_KINDS:
        offer = Offer.objects.filter(pk=delivery.context.get("offer_id")).first()
        if offer is None or (
            delivery.kind == NotificationKind.WAITLIST and offer.status != OfferStatus.PENDING
        ):
            return None  # answered or gone before the send: its links would not work
        return offer_email(kind=delivery.kind, offer=offer, to_email=delivery.to_email)
    appointment = delivery.appointment
    if appointment is None:
        return None
    if (
        appointment.status == AppointmentStatus.CANCELLED
        and delivery.kind != NotificationKind.CANCELLED
    ):
        # An invite sent after the cancellation would put the event back in calendars.
        return None
    if delivery.kind == NotificationKind.EXTRA_REMINDER:
        from notifications.attendance_messages import extra_reminder_email

        if not appointment.is_active or appointment.start <= timezone.now():
            return None  # its links would not work any more
        confirm_by = delivery.context.get("confirm_by")
        return extra_reminder_email(
            appointment=appointment,
            confirm_by=datetime.fromisoformat(confirm_by) if confirm_by else None,
            to_email=delivery.to_email,
        )
    return appointment_email(
        kind=delivery.kind,
        appointment=appointment,
        recipient=delivery.recipient,
        extra=delivery.context,
        to_email=delivery.to_email,
    )


def email_delivery_send(
    *, delivery_id: int, final_attempt: bool | Callable[[], bool] = False
) -> str:
    """Send one outbox row once. Raises TransientError to ask for a retry (unless final).

    `final_attempt` may be a callable: it is only asked when a send fails transiently.
    Returns the resulting status (or "busy" if another worker holds the row).
    """
    now = timezone.now()
    if not _claim(delivery_id, now):
        status = EmailDelivery.objects.filter(id=delivery_id).values_list("status", flat=True)
        return status.first() or "missing"
    delivery = EmailDelivery.objects.select_related(
        "recipient",
        "appointment__client",
        "appointment__provider__user",
        "appointment__service",
    ).get(id=delivery_id)
    delivery.attempts += 1
    try:
        message = _build_message(delivery)
    except Exception as exc:  # a bug in a template or its data: retrying would not help
        logger.exception("Email delivery %s could not be rendered", delivery.pk)
        _finish(delivery, DeliveryStatus.FAILED, error=f"Could not render the email: {exc!r}")
        return DeliveryStatus.FAILED
    if message is None:
        _finish(
            delivery,
            DeliveryStatus.SKIPPED,
            error="The appointment was cancelled or removed, or the offer is no longer open.",
        )
        return DeliveryStatus.SKIPPED
    try:
        EmailChannel().send(message)
    except PermanentError as exc:
        _finish(delivery, DeliveryStatus.FAILED, error=str(exc))
        return DeliveryStatus.FAILED
    except TransientError as exc:
        if final_attempt() if callable(final_attempt) else final_attempt:
            _finish(delivery, DeliveryStatus.FAILED, error=f"Gave up after retries: {exc}")
            return DeliveryStatus.FAILED
        backoff = min(2 ** (delivery.attempts - 1), MAX_BACKOFF_SECONDS)
        delivery.last_error = str(exc)
        delivery.locked_until = None
        delivery.next_attempt_at = timezone.now() + timedelta(seconds=backoff)
        delivery.save(update_fields=["attempts", "last_error", "locked_until", "next_attempt_at"])
        raise
    delivery.sent_at = timezone.now()
    _finish(delivery, DeliveryStatus.SENT, error="")
    return DeliveryStatus.SENT


def _finish(delivery: EmailDelivery, status: str, *, error: str) -> None:
    delivery.status = status
    delivery.last_error = error or delivery.last_error
    delivery.locked_until = None
    delivery.save(
        update_fields=["status", "attempts", "last_error", "locked_until", "sent_at", "updated_at"]
    )
    if status == DeliveryStatus.FAILED:
        logger.error("Email delivery %s failed for good: %s", delivery.pk, error)


def email_deliveries_redrive(*, now: datetime | None = None) -> int:
    """Re-enqueue pending rows whose task was lost (broker down when booked, worker gone)."""
    now = now or timezone.now()
    stale = list(
        EmailDelivery.objects.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__lt=now - STALE_AFTER
        )
        .filter(Q(locked_until=None) | Q(locked_until__lt=now))
        .values_list("id", "next_attempt_at")[:500]
    )
    redriven = []
    for delivery_id, next_attempt_at in stale:
        # Move the mark forward first, so an overlapping sweep does not enqueue it again.
        if EmailDelivery.objects.filter(id=delivery_id, next_attempt_at=next_attempt_at).update(
            next_attempt_at=now
        ):
            redriven.append(delivery_id)
    email_deliveries_enqueue(delivery_ids=redriven)
    return len(redriven)


@transaction.atomic
def _reset_for_retry(delivery_ids: list[int]) -> list[int]:
    now = timezone.now()
    ids = list(
        EmailDelivery.objects.select_for_update()
        .filter(id__in=delivery_ids, status__in=[DeliveryStatus.FAILED, DeliveryStatus.PENDING])
        .values_list("id", flat=True)
    )
    EmailDelivery.objects.filter(id__in=ids).update(
        status=DeliveryStatus.PENDING, locked_until=None, next_attempt_at=now, updated_at=now
    )
    return ids


def email_deliveries_retry(*, delivery_ids: list[int]) -> int:
    """Staff action: send failed (or stuck) deliveries again. Sent ones are left alone."""
    ids = _reset_for_retry(delivery_ids)
    email_deliveries_enqueue(delivery_ids=ids)
    return len(ids)
