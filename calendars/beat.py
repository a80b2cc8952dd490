"""The periodic sync of external calendars, stored in django-celery-beat's tables so staff
can edit it (as `notifications.beat` does for the other entries)."""

SYNC_TASK_NAME = "Sync providers' external calendars"


def ensure_calendar_beat(*, interval_model, task_model) -> None:
    """Create the entry if missing; never overwrite what staff changed. Idempotent. Takes the
    model classes so a data migration can pass its historical models."""
    every_2_minutes, _ = interval_model.objects.get_or_create(every=2, period="minutes")
    task_model.objects.get_or_create(
        name=SYNC_TASK_NAME,
        defaults={
            "task": "calendars.tasks.sync_due_calendars",
            "interval": every_2_minutes,
            "description": "Syncs each external calendar whose next attempt is due (every 5 "
            "minutes, later after failures).",
        },
    )
