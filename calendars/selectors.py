"""Reads of external calendars: whose connections a user may see (the one gate), and the
state a provider or staff member reads."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.db.models import QuerySet
from django.utils import timezone

from calendars.models import CalendarConnection
from providers.models import Provider
from scheduling.models import BookingPolicy


def connections_of(*, user) -> QuerySet[CalendarConnection]:
    """The connections `user` may see and change: their own as a provider (nobody else's,
    staff included: staff see every connection in the admin)."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "pk", None):
        return CalendarConnection.objects.none()
    return (
        CalendarConnection.objects.filter(provider__user=user)
        .select_related("provider")
        .prefetch_related("calendars")
        .order_by("pk")
    )


def connection_for(*, user, connection_id: int) -> CalendarConnection:
    """One of `user`'s connections; CalendarConnection.DoesNotExist for unknown ids and
    others' connections alike."""
    return connections_of(user=user).get(pk=connection_id)


def provider_of(user) -> Provider | None:
    return Provider.objects.filter(user=user).first() if getattr(user, "pk", None) else None


def masked_address(url: str) -> str:
    """What is shown of an address: its host. A subscription's full address is a secret
    (anyone holding it reads the calendar), so it is never shown back."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}/…" if parts.hostname else "…"


@dataclass(frozen=True)
class ConnectionState:
    stale: bool  # not synced within the policy's limit
    stale_since: datetime | None
    words: str  # the state in plain words


def connection_state(
    connection: CalendarConnection, *, policy: BookingPolicy | None = None, now=None
) -> ConnectionState:
    policy = policy or BookingPolicy.load()
    now = now or timezone.now()
    checked = connection.last_success_at or connection.created_at
    stale_at = checked + timedelta(minutes=policy.calendar_stale_minutes)
    stale = stale_at <= now
    if connection.last_error:
        words = f"Failing: {connection.last_error}."
    elif connection.last_success_at is None:
        words = "Not synced yet."
    else:
        words = f"Synced: {connection.events_imported} busy times imported."
    if stale:
        words += " Its busy time may be out of date."
    return ConnectionState(stale=stale, stale_since=stale_at if stale else None, words=words)


def stale_connections(*, provider_ids, now=None, policy: BookingPolicy | None = None) -> list:
    """Connections of these providers not synced within the policy's limit (one query)."""
    policy = policy or BookingPolicy.load()
    now = now or timezone.now()
    limit = now - timedelta(minutes=policy.calendar_stale_minutes)
    return [
        connection
        for connection in CalendarConnection.objects.filter(provider_id__in=list(provider_ids))
        .select_related("provider")
        .order_by("provider_id", "pk")
        if (connection.last_success_at or connection.created_at) <= limit
    ]
