"""Reactions to scheduling events: inbox entries, outbox rows, reminder rows."""

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from notifications.channels import InAppChannel
from notifications.messages import appointment_in_app
from notifications.models import Notification, NotificationKind
from notifications.services.deliveries import email_deliveries_create, email_deliveries_enqueue
from notifications.services.preferences import wants_email
from notifications.services.reminders import reminders_sync
from scheduling.models import Appointment

# Who gets an email for each event; both always get the in-app notification. The provider
# who marked an appointment completed or absent needs no email about it.
EMAIL_RECIPIENTS = {
    NotificationKind.BOOKED: ("client", "provider"),
    NotificationKind.RESCHEDULED: ("client", "provider"),
    NotificationKind.CANCELLED: ("client", "provider"),
    NotificationKind.COMPLETED: ("client",),
    NotificationKind.NO_SHOW: ("client",),
}


def jsonable(extra: dict[str, Any]) -> dict[str, Any]:
    """Event details as JSON can hold them: instants as ISO text, absent values dropped."""
    return {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in extra.items()
        if value is not None
    }


def appointment_load(*, appointment_id: int) -> Appointment | None:
    return (
        Appointment.objects.select_related("client__profile", "provider__user__profile", "service")
        .filter(pk=appointment_id)
        .first()
    )


def appointment_event_notify(
    *,
    kind: str,
    appointment_id: int,
    actor_id: int | None = None,
    event_id: str | None = None,
    **extra: Any,
) -> list[int]:
    """Tell the client and the provider about an event; returns the enqueued delivery ids.

    Called after the scheduling transaction committed, so the tasks see the rows. With an
    `event_id`, a second call for the same event writes and sends nothing (a redelivered
    task): the inbox entries and outbox rows carry keys made from it.
    """
    appointment = appointment_load(appointment_id=appointment_id)
    if appointment is None:
        return []
    if extra.get("series_quiet"):
        # Another occurrence's message tells of this change of the series (one email per
        # change, with the series' invite); this one's reminders still follow its time.
        reminders_sync(appointment=appointment)
        return []
    context = jsonable({"actor_id": actor_id, **extra})
    recipients = {"client": appointment.client, "provider": appointment.provider.user}
    messages, emails = [], []
    for role, user in recipients.items():
        message = appointment_in_app(
            kind=kind, appointment=appointment, recipient=user, extra=context
        )
        message.dedupe_key = f"event:{event_id}:{user.pk}" if event_id else None
        messages.append(message)
        if role in EMAIL_RECIPIENTS.get(kind, ()) and wants_email(user):
            emails.append(
                {
                    "recipient": user,
                    "kind": kind,
                    "subject": message.subject,
                    "appointment": appointment,
                    "context": context,
                    "dedupe_key": message.dedupe_key,
                }
            )
    # Runs after every booking: one INSERT per table, whatever the number of recipients.
    try:
        with transaction.atomic():
            InAppChannel().send_many(messages)
            delivery_ids = email_deliveries_create(emails=emails) if emails else []
            reminders_sync(appointment=appointment)
    except IntegrityError:
        if event_id and Notification.objects.filter(dedupe_key=messages[0].dedupe_key).exists():
            return []  # this event was fanned out already
        raise
    email_deliveries_enqueue(delivery_ids=delivery_ids)
    return delivery_ids
