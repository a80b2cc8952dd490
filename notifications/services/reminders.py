"""Reminder rows: scheduled from the appointment's time, sent once each by the sweep."""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from attendance.services import reminder_delivered
from notifications.channels import InAppChannel
from notifications.messages import appointment_in_app
from notifications.models import NotificationKind, NotificationSettings, Reminder
from notifications.services.deliveries import email_deliveries_enqueue, email_delivery_create
from notifications.services.preferences import reminder_leads, wants_email
from scheduling.models import ACTIVE_STATUSES, Appointment


def reminders_sync(*, appointment: Appointment, now: datetime | None = None) -> None:
    """Make the pending reminders match the appointment as it is now.

    Pending reminders for another sequence (a reschedule), another time or an inactive
    appointment are cancelled; the missing ones for the current time are created. Reminders
    whose moment has already passed are not created (a late booking gets no 24 h reminder).
    Bounded queries: this runs after every booking, so no query per reminder.
    """
    now = now or timezone.now()
    desired: dict[tuple[int, int], datetime] = {}
    if appointment.status in ACTIVE_STATUSES and (
        # `>=` would be equivalent: a start at `now` puts every due_at in the past.
        appointment.start > now  # pragma: no mutate
    ):
        defaults = NotificationSettings.load()
        for user in (appointment.client, appointment.provider.user):
            for lead in reminder_leads(user, defaults=defaults):
                due_at = appointment.start - timedelta(minutes=lead)
                if due_at > now:
                    desired[(user.pk, lead)] = due_at

    current: dict[tuple[int, int], Reminder] = {}
    stale: list[int] = []
    for reminder in Reminder.objects.filter(appointment=appointment, sent_at=None):
        key = (reminder.recipient_id, reminder.lead_minutes)
        if reminder.sequence == appointment.sequence:
            current[key] = reminder
        if reminder.cancelled_at is None and (
            reminder.sequence != appointment.sequence or desired.get(key) != reminder.due_at
        ):
            stale.append(reminder.pk)
    if stale:
        Reminder.objects.filter(pk__in=stale, sent_at=None).update(cancelled_at=now)

    missing = []
    for (user_id, lead), due_at in desired.items():
        reminder = current.get((user_id, lead))
        if reminder is None:
            missing.append(
                Reminder(
                    appointment=appointment,
                    recipient_id=user_id,
                    lead_minutes=lead,
                    sequence=appointment.sequence,
                    due_at=due_at,
                )
            )
        elif reminder.cancelled_at is not None or reminder.due_at != due_at:
            # Same sequence but a new time (a move that did not bump the sequence).
            Reminder.objects.filter(pk=reminder.pk, sent_at=None).update(
                due_at=due_at, cancelled_at=None
            )
    # A reminder already sent for this sequence is in neither list: it is never sent twice.
    # ignore_conflicts: a concurrent sync may have created the same row first.
    Reminder.objects.bulk_create(missing, ignore_conflicts=True)


def _still_relevant(reminder: Reminder, now: datetime) -> bool:
    appointment = reminder.appointment
    return (
        appointment.status in ACTIVE_STATUSES
        and appointment.sequence == reminder.sequence
        and appointment.start > now
        and appointment.start - timedelta(minutes=reminder.lead_minutes) == reminder.due_at
    )


def _reminder_send_one(reminder: Reminder, now: datetime) -> tuple[bool, int | None]:
    """Claim and record one reminder: (claimed by us, email delivery id to enqueue or None)."""
    with transaction.atomic():
        if not _still_relevant(reminder, now):
            Reminder.objects.filter(id=reminder.id, sent_at=None, cancelled_at=None).update(
                cancelled_at=now
            )
            return False, None
        # The claim: of two overlapping sweeps only one sees its update change a row.
        if Reminder.objects.filter(id=reminder.id, sent_at=None).update(sent_at=now) != 1:
            return False, None
        extra = {"lead_minutes": reminder.lead_minutes}
        message = appointment_in_app(
            kind=NotificationKind.REMINDER,
            appointment=reminder.appointment,
            recipient=reminder.recipient,
            extra=extra,
        )
        InAppChannel().send(message)
        if reminder.recipient_id == reminder.appointment.client_id:
            # A feature of the no-show model (attendance sits below and cannot ask us).
            reminder_delivered(appointment_id=reminder.appointment_id, at=now)
        if not wants_email(reminder.recipient):
            return True, None
        delivery = email_delivery_create(
            recipient=reminder.recipient,
            kind=NotificationKind.REMINDER,
            subject=message.subject,
            appointment=reminder.appointment,
            context=extra,
            dedupe_key=f"reminder:{reminder.id}",
        )
        return True, (delivery.pk if delivery else None)


def reminders_send_due(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Send every reminder that is due; safe to run twice at once. Returns how many were sent."""
    now = now or timezone.now()
    due = list(
        Reminder.objects.filter(sent_at=None, cancelled_at=None, due_at__lte=now)
        .select_related(
            "recipient__profile",
            "appointment__client",
            "appointment__provider__user",
            "appointment__service",
        )
        .order_by("due_at")[:batch_size]
    )
    sent = 0
    delivery_ids = []
    for reminder in due:
        claimed, delivery_id = _reminder_send_one(reminder, now)
        sent += claimed
        if delivery_id is not None:
            delivery_ids.append(delivery_id)
    email_deliveries_enqueue(delivery_ids=delivery_ids)
    return sent
