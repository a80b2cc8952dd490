"""Reads of scheduling, each bounded by a constant number of queries.

`provider_schedules` turns the database into the pure availability core's inputs for many
providers and a whole window at once; `available_slots` is the single code path behind the
availability API, the booking service's slot check (DESIGN.md invariant 4) and the
recommendation engine's candidates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from operator import attrgetter

from django.db import connection
from django.db.models import Func, Q, QuerySet, TextField
from django.utils import timezone

from accounts.models import Role
from providers.holidays import closed_dates
from providers.models import Provider, Service, TimeOff, WorkingHours
from scheduling.availability import (
    Interval,
    ProviderSchedule,
    Slot,
    SlotRequest,
    WeeklyInterval,
    open_slots,
    zone,
)
from scheduling.models import ACTIVE_STATUSES, BLOCKING_STATUSES, Appointment, BookingPolicy

# Appointments, time off and local dates are fetched with this margin around the window:
# buffers reach outside it and a provider-local day can straddle UTC midnight.
FETCH_MARGIN = timedelta(days=1)
SLOT_ORDER = attrgetter("start", "provider_id")


class UtcIsoText(Func):
    """An instant as naive UTC ISO text, the same on both engines whatever the session's
    DateStyle, so it is parsed in C by `datetime.fromisoformat`."""

    output_field = TextField()

    def as_sqlite(self, compiler, connection, **extra_context):
        # SQLite holds instants as naive UTC text already ("2026-03-09 13:00:00[.ffffff]").
        return self.as_sql(compiler, connection, template="CAST(%(expressions)s AS text)")

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US')",
        )


def _instant_rows(queryset: QuerySet, fields: tuple[str, ...], instants: int) -> list[tuple]:
    """`values_list(*fields)` where the `instants` columns after the first are datetimes.

    Availability reads thousands of instants, and the drivers' per-value conversion in Python
    was the largest cost in the benchmark; reading them as UTC text parses them in C, and
    gives every instant the same tzinfo (comparisons across tzinfo objects are slow too).
    """
    head, instant_fields, tail = fields[0], fields[1 : 1 + instants], fields[1 + instants :]
    if connection.vendor not in ("sqlite", "postgresql"):
        return [
            (row[0], *(value.astimezone(UTC) for value in row[1 : 1 + instants]))
            + tuple(row[1 + instants :])
            for row in queryset.values_list(*fields)
        ]
    texts = {f"{name}__utc": UtcIsoText(name) for name in instant_fields}
    rows = queryset.annotate(**texts).values_list(head, *texts, *tail)
    return [
        (row[0], *(datetime.fromisoformat(text + "+00:00") for text in row[1 : 1 + instants]))
        + tuple(row[1 + instants :])
        for row in rows
    ]


def provider_holidays(*, provider: Provider, first_day: date, last_day: date) -> frozenset[date]:
    """Public holidays of the provider's country (and subdivision) between two local dates."""
    if not provider.country:
        return frozenset()
    try:
        return frozenset(
            closed_dates(
                country=provider.country,
                subdivision=provider.subdivision or "",
                start_date=first_day,
                end_date=last_day,
            )
        )
    except ValueError:  # a calendar the package no longer knows: no holidays rather than 500
        return frozenset()


def active_providers_for(*, service: Service | None) -> QuerySet[Provider]:
    providers = Provider.objects.filter(is_active=True, user__is_active=True)
    if service is not None:
        providers = providers.filter(services=service)
    return providers.order_by("pk")


def provider_schedules(
    *,
    providers: Iterable[Provider] | None = None,
    service: Service | None = None,
    start: datetime,
    end: datetime,
    exclude_appointment_id: int | None = None,
) -> list[ProviderSchedule]:
    """Schedules of many providers over [start, end) in at most four queries.

    `providers` defaults to the active providers offering `service` (or all active ones).
    `exclude_appointment_id` leaves one appointment out of busy time and day counts (an
    appointment being rescheduled does not block its own new time).
    """
    provider_list = list(active_providers_for(service=service) if providers is None else providers)
    if not provider_list:
        return []
    ids = [provider.pk for provider in provider_list]
    fetch_start, fetch_end = start - FETCH_MARGIN, end + FETCH_MARGIN

    hours: dict[int, list[WeeklyInterval]] = defaultdict(list)
    for provider_id, weekday, start_time, end_time in WorkingHours.objects.filter(
        provider_id__in=ids
    ).values_list("provider_id", "weekday", "start_time", "end_time"):
        hours[provider_id].append(WeeklyInterval(weekday, start_time, end_time))

    time_off: dict[int, list[Interval]] = defaultdict(list)
    off_rows = _instant_rows(
        TimeOff.objects.filter(provider_id__in=ids, start__lt=fetch_end, end__gt=fetch_start),
        ("provider_id", "start", "end"),
        instants=2,
    )
    for provider_id, off_start, off_end in off_rows:
        time_off[provider_id].append(Interval(off_start, off_end))

    appointments = Appointment.objects.filter(
        provider_id__in=ids,
        status__in=BLOCKING_STATUSES,
        blocked_start__lt=fetch_end + FETCH_MARGIN,
        blocked_end__gt=fetch_start - FETCH_MARGIN,
    )
    if exclude_appointment_id is not None:
        appointments = appointments.exclude(pk=exclude_appointment_id)
    busy: dict[int, list[Interval]] = defaultdict(list)
    starts: dict[int, list[datetime]] = defaultdict(list)
    appointment_rows = _instant_rows(
        appointments, ("provider_id", "start", "blocked_start", "blocked_end"), instants=3
    )
    for provider_id, appt_start, blocked_start, blocked_end in appointment_rows:
        busy[provider_id].append(Interval(blocked_start, blocked_end))
        starts[provider_id].append(appt_start)

    schedules = []
    for provider in provider_list:
        tz = zone(provider.timezone)
        first_day = fetch_start.astimezone(tz).date()
        last_day = fetch_end.astimezone(tz).date()
        per_day: dict[date, int] = defaultdict(int)
        for appt_start in starts[provider.pk]:
            per_day[appt_start.astimezone(tz).date()] += 1
        schedules.append(
            ProviderSchedule(
                provider_id=provider.pk,
                timezone=provider.timezone,
                weekly_hours=tuple(hours[provider.pk]),
                time_off=tuple(time_off[provider.pk]),
                holidays=provider_holidays(
                    provider=provider, first_day=first_day, last_day=last_day
                ),
                busy=tuple(sorted(busy[provider.pk], key=lambda interval: interval.start)),
                daily_cap=provider.daily_cap,
                appointments_per_day=dict(per_day),
            )
        )
    return schedules


def provider_busy_intervals(
    *, providers: Iterable[Provider], start: datetime, end: datetime
) -> dict[int, list[Interval]]:
    """Held time (buffers included) of each provider's non-cancelled appointments that
    overlaps [start, end), sorted; one query."""
    ids = [provider.pk for provider in providers]
    result: dict[int, list[Interval]] = {provider_id: [] for provider_id in ids}
    for provider_id, blocked_start, blocked_end in (
        Appointment.objects.filter(
            provider_id__in=ids,
            status__in=BLOCKING_STATUSES,
            blocked_start__lt=end,
            blocked_end__gt=start,
        )
        .order_by("blocked_start")
        .values_list("provider_id", "blocked_start", "blocked_end")
    ):
        result[provider_id].append(Interval(blocked_start, blocked_end))
    return result


def slot_request(
    *,
    service: Service,
    start: datetime,
    end: datetime,
    now: datetime,
    policy: BookingPolicy,
    override_policy: bool = False,
) -> SlotRequest:
    """The availability question for one service; with `override_policy` (staff only) the
    notice and horizon rules are lifted, the working hours and overlap rules are not."""
    notice = timedelta(minutes=policy.min_notice_minutes)
    horizon = timedelta(days=policy.horizon_days)
    return SlotRequest(
        duration=timedelta(minutes=service.duration_minutes),
        step=timedelta(minutes=policy.slot_step_minutes),
        window=Interval(start, end),
        earliest_start=start if override_policy else now + notice,
        latest_start=end if override_policy else now + horizon,
        buffer_before=timedelta(minutes=service.buffer_before_minutes),
        buffer_after=timedelta(minutes=service.buffer_after_minutes),
    )


def available_slots(
    *,
    service: Service,
    start: datetime,
    end: datetime,
    providers: Iterable[Provider] | None = None,
    now: datetime | None = None,
    policy: BookingPolicy | None = None,
) -> list[Slot]:
    """Open slots for `service` in [start, end) across providers, sorted by (start, provider).

    Providers default to the active ones offering the service; given providers that are
    inactive or do not offer it are left out. An inactive service has no slots.
    """
    if not service.is_active:
        return []
    policy = policy or BookingPolicy.load()
    now = now or timezone.now()
    if providers is not None:
        offering = set(service.providers.values_list("pk", flat=True))
        providers = [p for p in providers if p.is_active and p.pk in offering]
    schedules = provider_schedules(providers=providers, service=service, start=start, end=end)
    request = slot_request(service=service, start=start, end=end, now=now, policy=policy)
    slots: list[Slot] = []
    for schedule in schedules:
        slots.extend(open_slots(schedule, request))
    slots.sort(key=SLOT_ORDER)
    return slots


def appointments_visible_to(*, user) -> QuerySet[Appointment]:
    """Appointments `user` may see: staff (`User.is_staff_member`) all, a provider theirs
    (and any they booked as a client), a client their own. The one access gate: every
    "may this user see this appointment" question is answered here."""
    appointments = Appointment.objects.select_related("client", "provider", "service")
    if not user or not user.is_authenticated:
        return appointments.none()
    if user.is_staff_member:
        return appointments.all()
    if user.role == Role.PROVIDER:
        return appointments.filter(Q(provider__user=user) | Q(client=user))
    return appointments.filter(client=user)


def appointment_for_user(*, user, appointment_id: int) -> Appointment:
    """The appointment if `user` may see it (see `appointments_visible_to`).

    Raises `Appointment.DoesNotExist` for unknown ids and for others' appointments alike, so
    callers answer 404 for both and nobody learns which ids exist.
    """
    return (
        appointments_visible_to(user=user)
        .select_related("provider__user", "cancelled_by")
        .get(pk=appointment_id)
    )


def client_active_appointments_between(
    *, client, start: datetime, end: datetime, exclude_appointment_id: int | None = None
) -> int:
    appointments = Appointment.objects.filter(
        client=client, status__in=ACTIVE_STATUSES, start__gte=start, start__lt=end
    )
    if exclude_appointment_id is not None:
        appointments = appointments.exclude(pk=exclude_appointment_id)
    return appointments.count()


def appointment_client_cutoff(*, appointment: Appointment, policy: BookingPolicy) -> datetime:
    """The last moment the client may cancel or reschedule online (staff are not bound)."""
    return appointment.start - timedelta(hours=policy.client_cutoff_hours)
