"""Background work of external calendars: thin tasks that call the services."""

from celery import shared_task
from django.utils import timezone

from calendars import caldav_sync, services
from calendars.models import CalendarConnection


@shared_task(name="calendars.tasks.sync_due_calendars")
def sync_due_calendars() -> int:
    """Beat, every 2 minutes: sync each connection whose next attempt is due."""
    due = services.connections_due(now=timezone.now())
    for connection_id in due:
        sync_calendar.delay(connection_id=connection_id)
    return len(due)


@shared_task(name="calendars.tasks.sync_calendar")
def sync_calendar(*, connection_id: int) -> None:
    try:
        services.connection_sync(connection_id=connection_id)
    except services.SyncBusy:
        return  # another run has it
    except CalendarConnection.DoesNotExist:
        return  # disconnected meanwhile


@shared_task(
    name="calendars.tasks.push_appointment",
    bind=True,
    max_retries=8,
    autoretry_for=(caldav_sync.CalDAVFailure,),
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
)
def push_appointment(self, *, appointment_id: int) -> list[str]:
    """Put an appointment into (or take it out of) its provider's CalDAV calendar; a failing
    server is retried with back-off (30 s doubling, at most an hour apart, 8 times)."""
    return services.appointment_push(appointment_id=appointment_id)
