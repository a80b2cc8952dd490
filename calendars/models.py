"""Providers' connections to calendars kept elsewhere.

A connection is an ICS subscription (read only) or a CalDAV account (two-way). Its busy time
lives in providers (`BusySource`, `ExternalBusy`), below scheduling, so the snapshot reads it;
this app owns how it is fetched, the credentials, the sync state and the appointments pushed
out. The app password is stored encrypted (`calendars.crypto`) and never leaves this app.
"""

from django.db import models
from django.db.models import Q

from providers.models import BusySource, Provider
from scheduling.models import Appointment


class ConnectionKind(models.TextChoices):
    ICS = "ics", "Calendar subscription (ICS address)"
    CALDAV = "caldav", "CalDAV account"


class CalendarConnection(models.Model):
    provider = models.ForeignKey(
        Provider, on_delete=models.CASCADE, related_name="calendar_connections"
    )
    kind = models.CharField(max_length=8, choices=ConnectionKind.choices)
    name = models.CharField(max_length=200)
    url = models.URLField(max_length=2000)
    username = models.CharField(max_length=200, blank=True)
    password_encrypted = models.TextField(blank=True, editable=False)
    # Where its busy time is kept: the service deletes it with the connection, and a deleted
    # source (its provider deleted) takes the connection along.
    source = models.OneToOneField(BusySource, on_delete=models.CASCADE, related_name="connection")
    created_at = models.DateTimeField(auto_now_add=True)

    # Sync state.
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    events_imported = models.PositiveIntegerField(default=0)
    # Recurring events are expanded up to here; a full read comes before the horizon passes.
    expanded_until = models.DateTimeField(null=True, blank=True)
    # A subscription's validators from its last answer, for a conditional GET.
    feed_etag = models.CharField(max_length=500, blank=True)
    feed_last_modified = models.CharField(max_length=100, blank=True)
    # A run holds the connection until then (two workers never sync one at once).
    claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["provider", "pk"]

    def __str__(self) -> str:
        return f"{self.provider}: {self.name}"

    @property
    def is_failing(self) -> bool:
        return bool(self.last_error)


class RemoteCalendar(models.Model):
    """One calendar of a CalDAV account: whether its events count as busy, whether it
    receives SmartBook's appointments, and what the last sync saw of it."""

    connection = models.ForeignKey(
        CalendarConnection, on_delete=models.CASCADE, related_name="calendars"
    )
    url = models.URLField(max_length=2000)
    name = models.CharField(max_length=200, blank=True)
    counts_as_busy = models.BooleanField(default=True)
    receives_appointments = models.BooleanField(default=False)
    ctag = models.CharField(max_length=500, blank=True)
    sync_token = models.CharField(max_length=500, blank=True)
    # object path -> ETag of what was imported, to fetch only what changed.
    etags = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["connection", "name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "url"], name="remote_calendar_unique"),
            models.UniqueConstraint(
                fields=["connection"],
                condition=Q(receives_appointments=True),
                name="one_calendar_receives_appointments",
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.url


class PushedAppointment(models.Model):
    """A SmartBook appointment as an event in a provider's CalDAV calendar."""

    calendar = models.ForeignKey(RemoteCalendar, on_delete=models.CASCADE, related_name="pushed")
    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="+")
    href = models.CharField(max_length=2000)
    sequence = models.PositiveIntegerField(default=0)
    removed = models.BooleanField(default=False)
    pushed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["calendar", "appointment"], name="pushed_appointment_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"Appointment {self.appointment_id} in {self.calendar}"
