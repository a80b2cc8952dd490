"""Changes of attendance's own state."""

from datetime import datetime

from django.db import transaction

from attendance.models import ReminderDelivery


def reminder_delivered(appointment_id: int, at: datetime) -> None:
    """Record that a reminder of the appointment reached the client at `at` (called by
    notifications, which sits above attendance). Idempotent for the same instant."""
    with transaction.atomic():
        ReminderDelivery.objects.get_or_create(appointment_id=appointment_id, delivered_at=at)
