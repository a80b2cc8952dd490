"""Reads for recommendations: the engine's plain inputs, in a bounded number of queries.

Candidates are exactly the starts the booking service would accept for this client
(invariant 4): `scheduling.rules.offered_slots` on the rules snapshot; the same snapshot's
schedules (loaded once for the whole window, never per slot) give the provider context.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.db.models import Count, Q

from accounts.models import User
from providers.models import Provider, Service
from recommendations.engine import (
    CandidateSlot,
    ClientHistory,
    FeatureContext,
    PastAppointment,
    PopulationPatterns,
    ProviderContext,
    RecommendationRequest,
    StatedPreferences,
    TimeRange,
)
from recommendations.engine.types import NAMED_RANGES, time_of_day
from recommendations.models import (
    ClientProviderPreference,
    ModelVersion,
    ProviderWish,
    SchedulerSettings,
)
from scheduling.availability import (
    ProviderSchedule,
    merge_intervals,
    working_intervals,
)
from scheduling.models import BLOCKING_STATUSES, Appointment, BookingPolicy
from scheduling.rules import Snapshot
from scheduling.selectors import active_providers_for, provider_schedules, slot_offer

HISTORY_LIMIT = 60  # most recent past appointments that shape a client's preferences
POPULATION_SAMPLE = 3000
POPULATION_CACHE_SECONDS = 15 * 60
POPULATION_CACHE_KEY = "recommendations:population:client-zone"
SPECIALISATION_LOOKBACK = timedelta(days=180)


def client_history(*, client: User, now: datetime, half_life_days: float) -> ClientHistory:
    """The client's past appointments (not cancelled), most recent first, their starts seen in
    the client's own zone; one query."""
    rows = (
        Appointment.objects.filter(client=client, status__in=BLOCKING_STATUSES, start__lt=now)
        .order_by("-start")
        .values_list("start", "created_at", "provider_id", "service_id")
    )[:HISTORY_LIMIT]
    zone = ZoneInfo(client.timezone)
    past = []
    for start, created_at, provider_id, service_id in rows:
        local = start.astimezone(zone)
        booked_at = min(created_at, start)
        past.append(
            PastAppointment(
                weekday=local.weekday(),
                local_hour=local.hour + local.minute / 60,
                provider_id=provider_id,
                lead_time_days=(start - booked_at).total_seconds() / 86400,
                booked_at=booked_at,
                service_id=service_id,
            )
        )
    return ClientHistory(appointments=tuple(past), half_life_days=half_life_days)


def _hours(value) -> float:
    return value.hour + value.minute / 60


def stated_preferences(*, client: User) -> StatedPreferences:
    """The client's stated wishes and limits (defaults without a profile)."""
    profile = getattr(client, "profile", None)
    if profile is None:
        return StatedPreferences()

    preferred, avoided = providers_by_wish(provider_wishes(client=client))

    def days(values) -> frozenset[int]:
        return frozenset(int(d) for d in values or [] if str(d).isdigit() and 0 <= int(d) <= 6)

    return StatedPreferences(
        weekdays=days(profile.preferred_weekdays),
        times_of_day=frozenset(
            t for t in profile.preferred_times_of_day or [] if t in NAMED_RANGES
        ),
        earliest_hour=_hours(profile.earliest_time),
        latest_hour=_hours(profile.latest_time),
        avoided_weekdays=days(profile.avoided_weekdays),
        preferred_providers=frozenset(preferred),
        avoided_providers=frozenset(avoided),
        stated_at=profile.preferences_changed_at,
    )


def population_patterns() -> PopulationPatterns:
    """Weekday and time-of-day shares of recent bookings by everyone, each seen in its own
    client's zone, as a client's preferences are (cached)."""
    cached = cache.get(POPULATION_CACHE_KEY)
    if cached is not None:
        return cached
    rows = (
        Appointment.objects.filter(status__in=BLOCKING_STATUSES)
        .order_by("-start")
        .values_list("start", "client__timezone")
    )[:POPULATION_SAMPLE]
    weekdays: Counter[int] = Counter()
    periods: Counter[str] = Counter()
    for start, tz_name in rows:
        local = start.astimezone(ZoneInfo(tz_name))
        weekdays[local.weekday()] += 1
        periods[time_of_day(local.hour + local.minute / 60)] += 1
    total = sum(weekdays.values())
    patterns = PopulationPatterns(
        weekday_share={d: n / total for d, n in weekdays.items()} if total else {},
        time_of_day_share={p: n / total for p, n in periods.items()} if total else {},
    )
    cache.set(POPULATION_CACHE_KEY, patterns, POPULATION_CACHE_SECONDS)
    return patterns


@lru_cache(maxsize=4096)
def _working_ranges(
    timezone_name: str,
    weekly_hours: tuple,
    holidays: frozenset,
    first_day: date,
    last_day: date,
) -> tuple[TimeRange, ...]:
    """Working intervals as instants (scheduling's own DST-correct arithmetic), memoised:
    the same provider week is asked for again and again."""
    schedule = ProviderSchedule(
        provider_id=0, timezone=timezone_name, weekly_hours=weekly_hours, holidays=holidays
    )
    return tuple(
        TimeRange(w.start, w.end) for w in working_intervals(schedule, first_day, last_day)
    )


def _booked_seconds(work: TimeRange, busy: list[TimeRange], first: int) -> tuple[float, int]:
    """Seconds of `work` covered by the sorted, non-overlapping `busy`, scanning from index
    `first`; returns the index to resume from for the next (later) working interval."""
    index = first
    while index < len(busy) and busy[index].end <= work.start:
        index += 1
    covered, scan = 0.0, index
    while scan < len(busy) and busy[scan].start < work.end:
        overlap = min(work.end, busy[scan].end) - max(work.start, busy[scan].start)
        covered += max(0.0, overlap.total_seconds())
        scan += 1
    return covered, index


def _provider_context(
    *,
    provider: Provider,
    schedule: ProviderSchedule,
    start: datetime,
    end: datetime,
    service_share: float | None,
    services_offered: int,
) -> ProviderContext:
    tz = ZoneInfo(schedule.timezone)
    working = list(
        _working_ranges(
            schedule.timezone,
            schedule.weekly_hours,
            schedule.holidays,
            start.astimezone(tz).date(),
            end.astimezone(tz).date(),
        )
    )
    busy = [
        TimeRange(b.start, b.end) for b in merge_intervals((*schedule.busy, *schedule.time_off))
    ]
    worked: dict = defaultdict(float)
    booked: dict = defaultdict(float)
    resume = 0
    for w in working:  # sorted by start, like busy: one sweep
        if w.end <= start or w.start >= end:
            continue
        day = w.start.astimezone(tz).date()
        worked[day] += (w.end - w.start).total_seconds()
        covered, resume = _booked_seconds(w, busy, resume)
        booked[day] += covered
    total_worked = sum(worked.values())
    return ProviderContext(
        provider_id=provider.pk,
        name=provider.display_name,
        service_share=service_share,
        services_offered=services_offered,
        busy=tuple(busy),
        working=tuple(working),
        load_share=sum(booked.values()) / total_worked if total_worked else 0.0,
        day_load={day: booked[day] / seconds for day, seconds in worked.items() if seconds},
    )


def provider_contexts(
    *,
    providers: list[Provider],
    service: Service,
    start: datetime,
    end: datetime,
    now: datetime,
    schedules: list[ProviderSchedule] | None = None,
) -> dict[int, ProviderContext]:
    """Specialisation, busy and working time and load of each provider; two queries (plus
    `provider_schedules`' own when the schedules are not given)."""
    if schedules is None:
        schedules = provider_schedules(providers=providers, service=service, start=start, end=end)
    by_provider = {schedule.provider_id: schedule for schedule in schedules}
    ids = [p.pk for p in providers]
    shares = {
        row["provider_id"]: row["this"] / row["total"]
        for row in Appointment.objects.filter(
            provider_id__in=ids,
            status__in=BLOCKING_STATUSES,
            start__gte=now - SPECIALISATION_LOOKBACK,
        )
        .values("provider_id")
        .annotate(total=Count("id"), this=Count("id", filter=Q(service=service)))
        if row["total"] >= 5
    }
    offered = dict(
        Provider.services.through.objects.filter(provider_id__in=ids)
        .values("provider_id")
        .annotate(n=Count("service_id"))
        .values_list("provider_id", "n")
    )
    return {
        p.pk: _provider_context(
            provider=p,
            schedule=by_provider[p.pk],
            start=start,
            end=end,
            service_share=shares.get(p.pk),
            services_offered=offered.get(p.pk, 1),
        )
        for p in providers
        if p.pk in by_provider
    }


def shortest_service_minutes() -> int:
    durations = Service.objects.filter(is_active=True).values_list("duration_minutes", flat=True)
    return min(durations, default=30)


def bookable_providers(*, service: Service, provider: Provider | None) -> list[Provider]:
    """The providers to consider: the active ones offering the service, or just `provider`
    (whether it may be booked is the rules engine's question, asked in the snapshot)."""
    if provider is None:
        return list(active_providers_for(service=service))
    return [provider]


@dataclass
class RecommendationInputs:
    snapshot: Snapshot
    candidates: list[CandidateSlot]
    context: FeatureContext
    settings: SchedulerSettings
    providers: dict[int, Provider]


def recommendation_inputs(
    *,
    client: User,
    service: Service,
    start: datetime,
    end: datetime,
    now: datetime,
    provider: Provider | None = None,
    urgency: str = "routine",
    policy: BookingPolicy | None = None,
    settings_row: SchedulerSettings | None = None,
    moving: Appointment | None = None,
) -> RecommendationInputs:
    """Candidates (the bookable slots) and everything the engine scores them with."""
    policy = policy or BookingPolicy.load()
    settings_row = settings_row or SchedulerSettings.load()
    providers = bookable_providers(service=service, provider=provider)
    # The candidates are exactly what the booking service would accept for this client (for
    # `moving`, where it may move to).
    snapshot, slots = slot_offer(
        service=service,
        start=start,
        end=end,
        providers=providers,
        client=client,
        now=now,
        policy=policy,
        moving=moving,
    )
    schedules = [facts.schedule for facts in snapshot.providers.values()]
    before = timedelta(minutes=service.buffer_before_minutes)
    after = timedelta(minutes=service.buffer_after_minutes)
    candidates = [
        CandidateSlot(
            provider_id=s.provider_id,
            start=s.start,
            end=s.end,
            local_start=s.local_start,
            timezone=s.timezone,
            blocked_start=s.start - before,
            blocked_end=s.end + after,
            seats_left=s.seats_left,
        )
        for s in slots
    ]
    context = FeatureContext(
        request=RecommendationRequest(
            now=now,
            urgency=urgency,
            urgent_window_days=policy.urgent_window_days,
            shortest_service_minutes=shortest_service_minutes(),
            client_timezone=client.timezone,
        ),
        history=client_history(
            client=client, now=now, half_life_days=settings_row.history_half_life_days
        ),
        preferences=stated_preferences(client=client),
        population=population_patterns(),
        providers=provider_contexts(
            providers=providers,
            service=service,
            start=start,
            end=end,
            now=now,
            schedules=schedules,
        ),
    )
    return RecommendationInputs(
        snapshot=snapshot,
        candidates=candidates,
        context=context,
        settings=settings_row,
        providers={p.pk: p for p in providers},
    )


def active_model_version(*, settings_row: SchedulerSettings) -> ModelVersion | None:
    """The active model, if it was trained on enough picks to be trusted."""
    version = ModelVersion.objects.filter(is_active=True).first()
    if version is None or version.training_size < settings_row.min_training_choices:
        return None
    return version


def provider_wishes(*, client: User) -> dict[int, str]:
    """Provider id -> the client's wish about them (`ProviderWish`), one query."""
    return dict(
        ClientProviderPreference.objects.filter(client=client)
        .order_by("provider_id")
        .values_list("provider_id", "wish")
    )


def providers_by_wish(wishes: dict[int, str]) -> tuple[list[int], list[int]]:
    """The preferred and the avoided provider ids of `provider_wishes`, in id order."""
    return (
        [pk for pk, wish in wishes.items() if wish == ProviderWish.PREFER],
        [pk for pk, wish in wishes.items() if wish == ProviderWish.AVOID],
    )
