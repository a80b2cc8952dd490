"""Reads of the waitlist: a client's own entries and offers (the one access gate: others'
answer DoesNotExist, which the API turns into 404), the dashboard's refill figures, the
appointments a provider's changed schedule displaced (`working_conflicts`, which the
analytics conflicts page reads too) and the staff's view of their rebooking."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from statistics import median

from django.db.models import Prefetch, QuerySet

from accounts.models import User
from scheduling.models import (
    BLOCKING_STATUSES,
    Appointment,
    AppointmentChange,
    AppointmentStatus,
)
from waitlist.models import (
    EntryKind,
    EntryStatus,
    Offer,
    OfferStatus,
    StandbyPlace,
    StandbyStatus,
    WaitlistEntry,
)


def entries_of_client(*, client: User) -> QuerySet[WaitlistEntry]:
    return (
        WaitlistEntry.objects.filter(client=client)
        .select_related("service", "provider")
        .prefetch_related("ranges")
    )


def entry_for_client(*, client: User, entry_id: int) -> WaitlistEntry:
    """The client's own entry; DoesNotExist for unknown ids and others' entries alike."""
    return entries_of_client(client=client).get(pk=entry_id)


def offers_of_client(*, client: User) -> QuerySet[Offer]:
    return Offer.objects.filter(entry__client=client).select_related("entry", "provider", "service")


def offer_for_client(*, client: User, offer_id: int) -> Offer:
    """The client's own offer; DoesNotExist for unknown ids and others' offers alike."""
    return offers_of_client(client=client).get(pk=offer_id)


def standby_places_of_client(*, client: User) -> QuerySet[StandbyPlace]:
    """The client's waiting standby places, soonest first."""
    return (
        StandbyPlace.objects.filter(entry__client=client, status=StandbyStatus.WAITING)
        .select_related("appointment__service", "appointment__provider")
        .order_by("appointment__start")
    )


@dataclass(frozen=True, slots=True)
class RefillFigures:
    """Provider time freed ahead of time (cancelled or moved away before it started) in a
    period, and how much of it was booked again before it passed."""

    freed_minutes: float
    refilled_minutes: float
    median_minutes_to_refill: float | None
    offers_accepted: int

    @property
    def share_refilled(self) -> float | None:
        return self.refilled_minutes / self.freed_minutes if self.freed_minutes else None


def _overlap_minutes(a: tuple[datetime, datetime], b: tuple[datetime, datetime]) -> float:
    return max(0.0, (min(a[1], b[1]) - max(a[0], b[0])).total_seconds() / 60)


def freed_time_refill(*, start: datetime, end: datetime) -> RefillFigures:
    """Freed time is each appointment cancelled, or moved away, in [start, end) before it
    started: its provider's [start, end). It counts as refilled where an appointment of that
    provider booked (or moved there) after it was freed covers it; the time to refill is from
    the freeing to the first such booking. Four queries."""
    freed: list[tuple[int, datetime, datetime, datetime]] = [
        (provider_id, s, e, at)
        for provider_id, s, e, at in Appointment.objects.filter(
            status=AppointmentStatus.CANCELLED, cancelled_at__gte=start, cancelled_at__lt=end
        ).values_list("provider_id", "start", "end", "cancelled_at")
        if at < s
    ]
    freed += [
        (provider_id, s, e, at)
        for provider_id, s, e, at in AppointmentChange.objects.filter(
            changed_at__gte=start, changed_at__lt=end
        ).values_list("appointment__provider_id", "old_start", "old_end", "changed_at")
        if at < s
    ]
    if not freed:
        return RefillFigures(0.0, 0.0, None, 0)
    providers = {row[0] for row in freed}
    first = min(row[1] for row in freed)
    last = max(row[2] for row in freed)
    # What filled provider time after the freeing: a booking made, or an appointment moved in.
    fills: list[tuple[int, datetime, datetime, datetime]] = list(
        Appointment.objects.filter(
            provider_id__in=providers,
            status__in=BLOCKING_STATUSES,
            start__lt=last,
            end__gt=first,
            created_at__gte=start,
        ).values_list("provider_id", "start", "end", "created_at")
    )
    fills += list(
        AppointmentChange.objects.filter(
            appointment__provider_id__in=providers,
            appointment__status__in=BLOCKING_STATUSES,
            new_start__lt=last,
            new_end__gt=first,
            changed_at__gte=start,
        ).values_list("appointment__provider_id", "new_start", "new_end", "changed_at")
    )
    freed_minutes = refilled = 0.0
    waits: list[float] = []
    for provider_id, s, e, freed_at in freed:
        freed_minutes += (e - s).total_seconds() / 60
        covering = [
            f for f in fills if f[0] == provider_id and f[3] > freed_at and f[1] < e and f[2] > s
        ]
        if not covering:
            continue
        refilled += min(
            (e - s).total_seconds() / 60,
            sum(_overlap_minutes((s, e), (f[1], f[2])) for f in covering),
        )
        waits.append((min(f[3] for f in covering) - freed_at).total_seconds() / 60)
    accepted = Offer.objects.filter(
        status=OfferStatus.ACCEPTED, responded_at__gte=start, responded_at__lt=end
    ).count()
    return RefillFigures(
        freed_minutes=freed_minutes,
        refilled_minutes=refilled,
        median_minutes_to_refill=median(waits) if waits else None,
        offers_accepted=accepted,
    )


# --- displaced appointments -------------------------------------------------------------


class DisplacedState:
    """Where a displaced client's rebooking stands, in the staff's words."""

    MOVED = "moved"
    OFFERED = "offered, pending"
    NOT_ANSWERED = "not answered"
    DECLINED = "declined"
    WAITING = "no time found yet"
    CLOSED = "closed"


def displaced_state(entry: WaitlistEntry) -> str:
    """The state of a displaced entry from its status and its latest offer (with the
    entry's offers prefetched, newest first: no query)."""
    if entry.status == EntryStatus.FULFILLED:
        return DisplacedState.MOVED
    if entry.status != EntryStatus.ACTIVE:
        return DisplacedState.CLOSED
    latest = next(iter(entry.offers.all()), None)
    if latest is None or latest.status == OfferStatus.GONE:
        return DisplacedState.WAITING
    return {
        OfferStatus.PENDING: DisplacedState.OFFERED,
        OfferStatus.DECLINED: DisplacedState.DECLINED,
        OfferStatus.EXPIRED: DisplacedState.NOT_ANSWERED,
    }.get(latest.status, DisplacedState.WAITING)


def displaced_entries() -> QuerySet[WaitlistEntry]:
    """Every displaced entry with what the staff's list shows, in a fixed number of
    queries."""
    return (
        WaitlistEntry.objects.filter(kind=EntryKind.DISPLACED)
        .select_related("client", "service", "provider", "displaced_appointment__provider")
        .prefetch_related(
            Prefetch(
                "offers",
                queryset=Offer.objects.select_related("provider").order_by("-created_at", "-pk"),
            )
        )
    )
