"""Celery tasks of the waitlist: thin (ids in, a service called), acknowledged late,
retried with exponential back-off when the database is briefly away or busy."""

from __future__ import annotations

from datetime import datetime

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from providers.models import Provider
from waitlist import services
from waitlist.models import WaitlistEntry

RETRYABLE = (OperationalError, InterfaceError)
MAX_RETRIES = 6
MAX_BACKOFF_SECONDS = 300

_retried = {
    "bind": True,
    "acks_late": True,
    "autoretry_for": RETRYABLE,
    "retry_backoff": True,
    "retry_backoff_max": MAX_BACKOFF_SECONDS,
    "retry_jitter": True,
    "max_retries": MAX_RETRIES,
}


@shared_task(**_retried)
def match_freed_time_task(self, provider_id: int, start: str, end: str) -> list[int]:
    """Offer [start, end) of the provider to the waitlist. Idempotent: entries already
    offered something are skipped, time already held is not open."""
    provider = Provider.objects.filter(pk=provider_id).first()
    if provider is None:
        return []
    offers = services.match_freed_time(
        provider=provider,
        start=datetime.fromisoformat(start),
        end=datetime.fromisoformat(end),
        now=timezone.now(),
    )
    return [offer.pk for offer in offers]


@shared_task(**_retried)
def match_entry_task(self, entry_id: int) -> list[int]:
    entry = WaitlistEntry.objects.filter(pk=entry_id).first()
    if entry is None:
        return []
    return [offer.pk for offer in services.entry_match(entry=entry, now=timezone.now())]


@shared_task(**_retried)
def provider_schedule_changed_task(self, provider_id: int, hours_changed: bool) -> list[int]:
    """The provider's time off or hours changed: rebook the appointments it displaced and,
    for new hours, offer the time they opened to the waitlist. The displaced entries."""
    provider = Provider.objects.filter(pk=provider_id).first()
    if provider is None:
        return []
    now = timezone.now()
    entries = services.displaced_rebook(provider=provider, now=now)
    if hours_changed:
        services.match_freed_time(provider=provider, now=now)
    return [entry.pk for entry in entries]


@shared_task(**_retried)
def displaced_by_cancellation_task(self, appointment_id: int) -> int | None:
    entry = services.displaced_by_cancellation(appointment_id=appointment_id, now=timezone.now())
    return entry.pk if entry is not None else None


@shared_task(**_retried)
def sweep_waitlist(self) -> dict[str, int]:
    """The beat sweep (every few minutes): expire offers and entries past their time (their
    time goes to the next candidates), rebook appointments displaced by schedule changes
    made outside the services (the provider admin's inlines), then look for time freed
    without an event (new working hours, time off removed) for a bounded share of the
    waitlist."""
    now = timezone.now()
    return {
        "offers_expired": services.offers_expire(now=now),
        "entries_expired": services.entries_expire(now=now),
        "displaced": len(services.displaced_rebook(now=now)),
        "offers_made": services.entries_match_sweep(now=now),
    }
