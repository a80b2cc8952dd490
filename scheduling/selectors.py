"""Reads of scheduling, each bounded by a constant number of queries.

`booking_snapshot` turns the database into the pure rules engine's snapshot
(`scheduling.rules`) for many providers and a whole window at once; the booking service, the
availability API (`available_slots`), recommendation candidates, analytics and the pages all
decide from it (invariant 4: every slot offered is accepted by the booking service).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from django.db import connection
from django.db.models import Exists, Func, OuterRef, Q, QuerySet, TextField
from django.utils import timezone

from accounts.models import Role
from providers.holidays import closed_dates
from providers.models import Provider, Service, TimeOff, WorkingHours
from scheduling import rules
from scheduling.availability import Interval, ProviderSchedule, Slot, WeeklyInterval, zone
from scheduling.models import ACTIVE_STATUSES, BLOCKING_STATUSES, Appointment, BookingPolicy

# Appointments, time off and local dates are fetched with this margin around the window:
# buffers reach outside it and a provider-local day can straddle UTC midnight.
FETCH_MARGIN = timedelta(days=1)
# A client-local day reaches at most 14 hours either side of UTC, plus a day of appointments.
CLIENT_DAY_MARGIN = timedelta(days=2)


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
    with_busy: bool = True,
) -> list[ProviderSchedule]:
    """Schedules of many providers over [start, end) in at most four queries.

    `providers` defaults to the active providers offering `service` (or all active ones).
    `exclude_appointment_id` leaves one appointment out of busy time and day counts (an
    appointment being rescheduled does not block its own new time). Without `with_busy`
    the appointments are not read (working time only: the dashboard, the conflict check).
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
        provider_id__in=ids if with_busy else [],
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


def policy_facts(policy: BookingPolicy) -> rules.Policy:
    return rules.Policy(
        slot_step=timedelta(minutes=policy.slot_step_minutes),
        min_notice=timedelta(minutes=policy.min_notice_minutes),
        horizon=timedelta(days=policy.horizon_days),
        client_cutoff=timedelta(hours=policy.client_cutoff_hours),
        max_client_appointments_per_day=policy.max_client_appointments_per_day,
    )


def service_facts(service: Service) -> rules.ServiceFacts:
    return rules.ServiceFacts(
        service_id=service.pk,
        name=str(service),
        is_active=service.is_active,
        duration=timedelta(minutes=service.duration_minutes),
        buffer_before=timedelta(minutes=service.buffer_before_minutes),
        buffer_after=timedelta(minutes=service.buffer_after_minutes),
        accepted_urgencies=frozenset(service.accepted_urgencies or ()),
    )


def client_facts(
    *, client, start: datetime, end: datetime, exclude_appointment_id: int | None = None
) -> rules.ClientFacts:
    """The client's held time and active bookings per client-local day around [start, end);
    one query."""
    appointments = Appointment.objects.filter(
        client=client,
        status__in=BLOCKING_STATUSES,
        start__lt=end + CLIENT_DAY_MARGIN,
        end__gt=start - CLIENT_DAY_MARGIN,
    )
    if exclude_appointment_id is not None:
        appointments = appointments.exclude(pk=exclude_appointment_id)
    tz = zone(client.timezone)
    held: list[Interval] = []
    per_day: dict[date, int] = defaultdict(int)
    for status, appt_start, appt_end in _instant_rows(
        appointments, ("status", "start", "end"), instants=2
    ):
        held.append(Interval(appt_start, appt_end))
        if status in ACTIVE_STATUSES:
            per_day[appt_start.astimezone(tz).date()] += 1
    return rules.ClientFacts(
        client_id=client.pk,
        is_active=client.is_active,
        timezone=client.timezone,
        held=rules.merged_held(held),
        active_per_day=dict(per_day),
    )


def booking_snapshot(
    *,
    service: Service,
    start: datetime,
    end: datetime,
    providers: Iterable[Provider] | None = None,
    client=None,
    now: datetime | None = None,
    policy: BookingPolicy | None = None,
    may_override: bool = False,
    exclude_appointment_id: int | None = None,
) -> rules.Snapshot:
    """Everything `scheduling.rules` needs to decide bookings of `service` in [start, end):
    five queries whatever the number of providers or days (four for the schedules, one for
    the client; one more when `providers` are given, to learn whether they may book).

    `providers` defaults to the active providers offering the service. `client` None asks
    for nobody in particular (public availability). `may_override` must only be True for a
    staff actor who asked to lift the policy limits.
    """
    policy = policy or BookingPolicy.load()
    now = now or timezone.now()
    if providers is None:
        provider_list = list(active_providers_for(service=service))
        eligible = {provider.pk: (True, True) for provider in provider_list}
    else:
        provider_list = list(providers)
        offering = Provider.services.through.objects.filter(
            provider_id=OuterRef("pk"), service_id=service.pk
        )
        eligible = {
            pk: (is_active and user_active, offers)
            for pk, is_active, user_active, offers in Provider.objects.filter(
                pk__in=[provider.pk for provider in provider_list]
            )
            .annotate(offers=Exists(offering))
            .values_list("pk", "is_active", "user__is_active", "offers")
        }
    schedules = provider_schedules(
        providers=provider_list,
        start=start,
        end=end,
        exclude_appointment_id=exclude_appointment_id,
    )
    facts = {}
    for provider, schedule in zip(provider_list, schedules, strict=True):
        may_book, offers = eligible.get(provider.pk, (False, False))
        facts[provider.pk] = rules.ProviderFacts(
            provider_id=provider.pk,
            name=str(provider),
            is_active=may_book,
            user_id=provider.user_id,
            service_ids=frozenset({service.pk}) if offers else frozenset(),
            schedule=schedule,
        )
    return rules.Snapshot(
        now=now,
        policy=policy_facts(policy),
        services={service.pk: service_facts(service)},
        providers=facts,
        client=None
        if client is None
        else client_facts(
            client=client, start=start, end=end, exclude_appointment_id=exclude_appointment_id
        ),
        may_override=may_override,
    )


def available_slots(
    *,
    service: Service,
    start: datetime,
    end: datetime,
    providers: Iterable[Provider] | None = None,
    client=None,
    now: datetime | None = None,
    policy: BookingPolicy | None = None,
    may_override: bool = False,
    exclude_appointment_id: int | None = None,
) -> list[Slot]:
    """Open slots for `service` in [start, end) across providers, sorted by (start, provider):
    exactly the starts the booking service would accept right now (`rules.offered_slots`).

    Providers default to the active ones offering the service; given providers that are
    inactive or do not offer it are left out. With `client`, their own appointments and
    per-day limit apply too. `may_override` and `exclude_appointment_id` ask as a staff move
    of that appointment would (policy limits lifted, its own time not in the way).
    """
    if not service.is_active:
        return []
    snapshot = booking_snapshot(
        service=service,
        start=start,
        end=end,
        providers=providers,
        client=client,
        now=now,
        policy=policy,
        may_override=may_override,
        exclude_appointment_id=exclude_appointment_id,
    )
    return rules.offered_slots(snapshot, service.pk, Interval(start, end))


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


def appointment_client_cutoff(*, appointment: Appointment, policy: BookingPolicy) -> datetime:
    """The last moment the client may cancel or reschedule online (staff are not bound)."""
    return rules.client_cutoff(appointment.start, policy_facts(policy))
