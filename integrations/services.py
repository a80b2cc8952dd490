"""Webhooks: events recorded as deliveries, and deliveries sent at least once.

A delivery is claimed in a short transaction (`select_for_update(skip_locked=True)`: two
workers never send one delivery at once), which counts the attempt and sets the time of the
next one (its back-off), then sent outside any transaction, then its result recorded. A
worker lost mid-send leaves the delivery due again at that time, so the beat's
`send_due_webhooks` sends it: at least once, never lost with a Celery message.

For one appointment and one endpoint, events arrive in order: a delivery is not sent while
an earlier one of the same appointment to the same endpoint is still pending.
"""

import json
import logging
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from accounts.selectors import staff_members
from integrations import http
from integrations.models import (
    TEST_EVENT,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    generate_event_id,
    generate_secret,
)

logger = logging.getLogger(__name__)

# Seconds to wait after the 1st, 2nd, ... failed attempt; the last repeats until given up.
BACKOFF_SECONDS = [30, 120, 600, 3600, 6 * 3600, 12 * 3600]
MAX_ATTEMPTS = 9  # the last one about 43 hours after the first
JITTER = 0.2


def backoff_delay(attempt: int) -> timedelta:
    """How long after failed attempt number `attempt` (1-based) the next one is due, with
    jitter (±20%) so that many deliveries failing together do not come back together."""
    base = BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS)) - 1]
    return timedelta(seconds=base * random.uniform(1 - JITTER, 1 + JITTER))


# --- endpoints ------------------------------------------------------------------------------


def endpoint_save(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Create or change an endpoint (its secret is made when the row is)."""
    with transaction.atomic():
        endpoint.full_clean()
        endpoint.save()
    return endpoint


def endpoint_create(*, url: str, events: list[str], description: str = "") -> WebhookEndpoint:
    return endpoint_save(
        endpoint=WebhookEndpoint(url=url, events=list(events), description=description)
    )


def endpoint_rotate_secret(*, endpoint: WebhookEndpoint, now: datetime | None = None) -> str:
    """A new secret, returned once; the old one still signs for the overlap period."""
    now = now or timezone.now()
    overlap = timedelta(hours=settings.WEBHOOK_ROTATION_OVERLAP_HOURS)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_expires_at = now + overlap
        endpoint.secret = generate_secret()
        endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
    return endpoint.secret


def endpoint_enable(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Active again, with its failure history cleared; its pending deliveries resume."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        is_active=True, disabled_at=None, disabled_reason="", failing_since=None
    )
    endpoint.refresh_from_db()
    return endpoint


def _staff_emails() -> list[str]:
    return [email for email in staff_members().values_list("email", flat=True) if email]


def _endpoint_disable(*, endpoint_id: int, reason: str, now: datetime) -> bool:
    with transaction.atomic():
        endpoint = (
            WebhookEndpoint.objects.select_for_update()
            .filter(pk=endpoint_id, is_active=True)
            .first()
        )
        if endpoint is None:
            return False
        endpoint.is_active = False
        endpoint.disabled_at = now
        endpoint.disabled_reason = reason
        endpoint.save(update_fields=["is_active", "disabled_at", "disabled_reason"])
    recipients = _staff_emails()
    if recipients:
        send_mail(
            subject=f"Webhook endpoint disabled: {endpoint}",
            message=(
                f"The webhook endpoint {endpoint.url} has been disabled.\n\n{reason}\n\n"
                "Its pending deliveries are kept. Once the receiver works again, use "
                '"enable again" in the admin (Integrations > Webhook endpoints) and they '
                "will be sent."
            ),
            from_email=None,
            recipient_list=recipients,
        )
    logger.warning("Webhook endpoint %s disabled: %s", endpoint_id, reason)
    return True


# --- events ---------------------------------------------------------------------------------


def _jsonable(value):
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _payload(*, event_type: str, event_id: str, now: datetime, data: dict) -> dict:
    return {
        "type": event_type,
        "id": event_id,
        "timestamp": now.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "data": _jsonable(data),
    }


def _appointment_data(appointment_id: int) -> dict | None:
    from scheduling.api.serializers import AppointmentSerializer
    from scheduling.models import Appointment

    appointment = (
        Appointment.objects.select_related("client", "provider", "service")
        .filter(pk=appointment_id)
        .first()
    )
    if appointment is None:
        return None
    return {"appointment": AppointmentSerializer(appointment).data}


def endpoints_wanting(event_type: str) -> list[WebhookEndpoint]:
    """The active endpoints subscribed to `event_type`: one query."""
    return [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(is_active=True).only("id", "events")
        if endpoint.wants(event_type)
    ]


def webhook_event_record(
    *,
    event_type: str,
    appointment_id: int,
    extra: dict | None = None,
    now: datetime | None = None,
    event_id: str | None = None,
) -> list[int]:
    """The deliveries of one event, one per active endpoint that wants it (their ids).

    One query when no endpoint wants it; otherwise the payload is rendered once and the
    deliveries written in one statement, due now. Idempotent for a given `event_id` (a
    retried task writes no second delivery: one per endpoint and event id).
    """
    endpoints = endpoints_wanting(event_type)
    if not endpoints:
        return []
    data = _appointment_data(appointment_id)
    if data is None:
        return []
    now = now or timezone.now()
    event_id = event_id or generate_event_id()
    payload = _payload(
        event_type=event_type, event_id=event_id, now=now, data={**data, **(extra or {})}
    )
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                endpoint=endpoint,
                event_id=event_id,
                event_type=event_type,
                appointment_id=appointment_id,
                payload=payload,
                created_at=now,
                next_attempt_at=now,
            )
            for endpoint in endpoints
        ],
        ignore_conflicts=True,
    )
    return list(
        WebhookDelivery.objects.filter(event_id=event_id, status=DeliveryStatus.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def endpoint_send_test(*, endpoint: WebhookEndpoint, now: datetime | None = None) -> int:
    """A `webhook.test` delivery to `endpoint`, due now (its id)."""
    now = now or timezone.now()
    event_id = generate_event_id()
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_id=event_id,
        event_type=TEST_EVENT,
        payload=_payload(
            event_type=TEST_EVENT,
            event_id=event_id,
            now=now,
            data={"endpoint": endpoint.pk, "message": "A test event from SmartBook."},
        ),
        created_at=now,
        next_attempt_at=now,
    )
    return delivery.pk


def delivery_resend(*, delivery: WebhookDelivery, now: datetime | None = None) -> WebhookDelivery:
    """Pending again and due now (staff's "send again"), with a fresh series of attempts:
    one that had been given up is retried as a new delivery would be."""
    now = now or timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.PENDING, next_attempt_at=now, delivered_at=None, attempts=0
    )
    delivery.refresh_from_db()
    return delivery


# --- sending --------------------------------------------------------------------------------


def _earlier_pending():
    """Deliveries waiting for an earlier one: same endpoint, same appointment, still pending."""
    return WebhookDelivery.objects.filter(
        endpoint_id=OuterRef("endpoint_id"),
        appointment_id=OuterRef("appointment_id"),
        status=DeliveryStatus.PENDING,
        pk__lt=OuterRef("pk"),
    )


def _due(now: datetime):
    return (
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__lte=now, endpoint__is_active=True
        )
        .exclude(Q(appointment_id__isnull=False) & Q(Exists(_earlier_pending())))
        .order_by("next_attempt_at", "pk")
    )


def _claim(now: datetime, *, delivery_id: int | None = None, size: int = 1):
    """Take due deliveries (this one, or up to `size` of the soonest) for one attempt each:
    not locked by another worker (skipped, never waited for) and not waiting for an earlier
    one. Their attempts are counted and the next ones scheduled in the same transaction."""
    with transaction.atomic():
        due = _due(now).select_related("endpoint").select_for_update(skip_locked=True, of=("self",))
        if delivery_id is not None:
            due = due.filter(pk=delivery_id)
        claimed = list(due[:size])
        for delivery in claimed:
            delivery.attempts += 1
            delivery.next_attempt_at = now + backoff_delay(delivery.attempts)
        if claimed:
            WebhookDelivery.objects.bulk_update(claimed, ["attempts", "next_attempt_at"])
    return claimed


def signed_request(
    *, delivery: WebhookDelivery, endpoint: WebhookEndpoint, now: datetime
) -> tuple[bytes, dict[str, str]]:
    """The body and the Standard Webhooks headers of one attempt (signed with every secret
    in use: both during a rotation's overlap)."""
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True)
    signatures = " ".join(
        Webhook(secret).sign(delivery.event_id, now, body)
        for secret in endpoint.signing_secrets(now=now)
    )
    headers = {
        "webhook-id": delivery.event_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signatures,
    }
    return body.encode(), headers


@dataclass(frozen=True)
class Outcome:
    status: str  # delivered, retrying, failed, or skipped (not due, taken, or waiting)
    next_in_line: int | None = None


def delivery_send(
    *, delivery_id: int, now: datetime | None = None, find_next: bool = True
) -> Outcome:
    """One attempt of one delivery, if it is due. With `find_next`, the outcome names the
    delivery whose turn has come (a task sends it next; the due-sender finds it itself)."""
    now = now or timezone.now()
    claimed = _claim(now, delivery_id=delivery_id)
    if not claimed:
        return Outcome("skipped")
    outcome = _attempt(claimed[0], now=now)
    if find_next and outcome.status in ("delivered", "failed"):
        return Outcome(outcome.status, next_in_line=_next_in_line(claimed[0]))
    return outcome


def _attempt(delivery: WebhookDelivery, *, now: datetime) -> Outcome:
    """Send one claimed delivery and record what happened."""
    endpoint = delivery.endpoint
    body, headers = signed_request(delivery=delivery, endpoint=endpoint, now=now)
    try:
        response = http.post(endpoint.url, body=body, headers=headers)
    except http.RequestFailed as failure:
        return _record_failure(delivery=delivery, endpoint=endpoint, failure=failure, now=now)
    return _record_success(delivery=delivery, endpoint=endpoint, response=response)


def _next_in_line(delivery: WebhookDelivery) -> int | None:
    if delivery.appointment_id is None:
        return None
    return (
        WebhookDelivery.objects.filter(
            endpoint_id=delivery.endpoint_id,
            appointment_id=delivery.appointment_id,
            status=DeliveryStatus.PENDING,
            pk__gt=delivery.pk,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )


def _record_success(
    *, delivery: WebhookDelivery, endpoint: WebhookEndpoint, response: http.Response
) -> Outcome:
    finished = timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.DELIVERED,
        delivered_at=finished,
        next_attempt_at=None,
        last_status_code=response.status,
        last_duration_ms=response.duration_ms,
        last_error="",
    )
    if endpoint.failing_since is not None:
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
    return Outcome("delivered")


def _record_failure(
    *,
    delivery: WebhookDelivery,
    endpoint: WebhookEndpoint,
    failure: http.RequestFailed,
    now: datetime,
) -> Outcome:
    given_up = delivery.attempts >= MAX_ATTEMPTS
    changes = {
        "last_status_code": failure.status,
        "last_duration_ms": failure.duration_ms,
        "last_error": failure.message,
    }
    if given_up:
        changes.update(status=DeliveryStatus.FAILED, next_attempt_at=None)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**changes)
    # The endpoint was read with the claim: its run of failures starts now unless it had.
    failing_since = endpoint.failing_since or now
    if endpoint.failing_since is None:
        WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(
            failing_since=now
        )
    limit = timedelta(hours=settings.WEBHOOK_DISABLE_AFTER_HOURS)
    if now - failing_since >= limit:
        _endpoint_disable(
            endpoint_id=endpoint.pk,
            reason=(
                f"Every attempt since {failing_since:%Y-%m-%d %H:%M} UTC failed, for more than "
                f"{settings.WEBHOOK_DISABLE_AFTER_HOURS} hours; the last error: "
                f"{failure.message}."
            ),
            now=now,
        )
    return Outcome("failed" if given_up else "retrying")


def deliveries_send_due(*, now: datetime | None = None, limit: int = 1000, batch: int = 20) -> int:
    """Attempt every due delivery (at most `limit` attempts), soonest first; how many.

    Claimed `batch` at a time (rows another worker holds are skipped), so several workers
    share the queue. Deliveries whose turn comes during the run (the one before them
    delivered or given up) are sent in the same run.
    """
    attempted = 0
    while attempted < limit:
        current = now or timezone.now()
        claimed = _claim(current, size=min(batch, limit - attempted))
        if not claimed:
            break
        for delivery in claimed:
            _attempt(delivery, now=current)
        attempted += len(claimed)
    return attempted
