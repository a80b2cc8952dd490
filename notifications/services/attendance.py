"""Acting on a high no-show risk, the notifications' part: the one extra reminder of each
high-risk appointment (with its "I'm coming" / "I can't make it" links and, under
confirm-or-release, the deadline), releasing the unconfirmed ones whose client was told, and
telling a client of their standby place.

Attendance decides (`attendance.actions`); this module tells, and keeps the record of what
each client was told (`ExtraReminder`), which is what a release is held to. Once per
appointment: the `ExtraReminder` row is the claim, and the inbox entry and the outbox row
carry the key `extra-reminder:<appointment id>`; a standby place is told once by
`standby:<place id>`.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from attendance import actions as attendance_actions
from attendance.services import reminder_delivered
from notifications.attendance_messages import extra_reminder_in_app, standby_in_app
from notifications.channels import InAppChannel
from notifications.models import ExtraReminder, Notification, NotificationKind
from notifications.services.deliveries import email_deliveries_enqueue, email_delivery_create
from notifications.services.preferences import wants_email, wants_reminders
from scheduling.models import Appointment, BookingPolicy
from waitlist.models import StandbyPlace, StandbyStatus

logger = logging.getLogger(__name__)

BATCH_SIZE = 200


def extra_reminder_key(appointment_id: int) -> str:
    return f"extra-reminder:{appointment_id}"


def standby_key(place_id: int) -> str:
    return f"standby:{place_id}"


def _extra_reminder_send_one(
    appointment: Appointment, *, now: datetime, policy: BookingPolicy
) -> tuple[bool, int | None]:
    """Claim and tell one extra reminder: (claimed by us, email delivery id or None)."""
    confirm_by = attendance_actions.confirm_deadline(appointment, now=now, policy=policy)
    key = extra_reminder_key(appointment.pk)
    try:
        with transaction.atomic():
            # The claim: of two overlapping sweeps only one inserts the row.
            ExtraReminder.objects.create(
                appointment=appointment, sent_at=now, confirm_by=confirm_by
            )
            message = extra_reminder_in_app(appointment=appointment, confirm_by=confirm_by)
            message.dedupe_key = key
            InAppChannel().send(message)
            delivery = None
            if wants_email(appointment.client):
                delivery = email_delivery_create(
                    recipient=appointment.client,
                    kind=NotificationKind.EXTRA_REMINDER,
                    subject=message.subject,
                    appointment=appointment,
                    context={"confirm_by": confirm_by.isoformat() if confirm_by else None},
                    dedupe_key=key,
                )
            reminder_delivered(appointment_id=appointment.pk, at=now)
    except IntegrityError:
        return False, None
    return True, (delivery.pk if delivery is not None else None)


def extra_reminders_send_due(*, now: datetime | None = None) -> int:
    """Send the extra reminder of every high-risk appointment starting within the policy's
    `extra_reminder_hours_before` that has none and is not confirmed; safe to run twice at
    once. How many were sent."""
    now = now or timezone.now()
    policy = BookingPolicy.load()
    due = (
        attendance_actions.extra_reminders_due(now=now, policy=policy)
        .filter(extra_reminder=None)
        .select_related("client__profile", "provider__user", "service")
        .order_by("start")[:BATCH_SIZE]
    )
    sent, delivery_ids = 0, []
    for appointment in due:
        if not wants_reminders(appointment.client):
            continue  # opted out of reminders: no extra one either, so never released
        claimed, delivery_id = _extra_reminder_send_one(appointment, now=now, policy=policy)
        sent += claimed
        if delivery_id is not None:
            delivery_ids.append(delivery_id)
    email_deliveries_enqueue(delivery_ids=delivery_ids)
    return sent


def deadlines_told(*, appointment_ids) -> dict[int, datetime | None]:
    """The confirm-by deadline each appointment's extra reminder told its client."""
    return dict(
        ExtraReminder.objects.filter(appointment_id__in=list(appointment_ids)).values_list(
            "appointment_id", "confirm_by"
        )
    )


def unconfirmed_release(*, now: datetime | None = None) -> list[int]:
    """Confirm-or-release: release the due appointments (`attendance.actions`) whose client
    was told a deadline that has passed. The released appointments' clients are told by the
    cancellation's own email and inbox entry, with its plain reason."""
    now = now or timezone.now()
    due = list(attendance_actions.releases_due(now=now).values_list("pk", flat=True))
    if not due:
        return []
    return attendance_actions.appointments_release(
        now=now, told=deadlines_told(appointment_ids=due)
    )


def standby_notify(*, place_id: int) -> list[int]:
    """Tell a client of their standby place (inbox, and email); once per place. The
    enqueued delivery ids."""
    place = (
        StandbyPlace.objects.select_related(
            "entry__client__profile", "appointment__provider", "appointment__service"
        )
        .filter(pk=place_id, status=StandbyStatus.WAITING)
        .first()
    )
    if place is None:
        return []
    client = place.entry.client
    key = standby_key(place.pk)
    message = standby_in_app(place=place)
    message.dedupe_key = key
    try:
        with transaction.atomic():
            InAppChannel().send(message)
            delivery = None
            if wants_email(client):
                delivery = email_delivery_create(
                    recipient=client,
                    kind=NotificationKind.STANDBY,
                    subject=message.subject,
                    context={"standby_id": place.pk},
                    dedupe_key=key,
                )
    except IntegrityError:
        if Notification.objects.filter(dedupe_key=key).exists():
            return []  # told already
        raise
    ids = [delivery.pk] if delivery is not None else []
    email_deliveries_enqueue(delivery_ids=ids)
    return ids


def no_show_risk_act(*, now: datetime | None = None) -> dict[str, int]:
    """The beat sweep of acting on the risk, in order: extra reminders (which tell the
    deadlines), releases (held to them), standby places."""
    now = now or timezone.now()
    return {
        "extra_reminders": extra_reminders_send_due(now=now),
        "released": len(unconfirmed_release(now=now)),
        "standby_places": attendance_actions.standby_places_give(now=now),
    }
