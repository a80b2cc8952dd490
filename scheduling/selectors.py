"""Reads of scheduling, each bounded by a constant number of queries.

`booking_snapshot` turns the database into the pure rules engine's snapshot
(`scheduling.rules`) for many providers and a whole window at once; the booking service, the
availability API (`available_slots`), recommendation candidates, analytics and the pages all
decide from it (invariant 4: every slot offered is accepted by the booking service).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time, timedelta
from operator import attrgetter
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Exists, F, Func, OuterRef, Q, QuerySet, Subquery, TextField
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from accounts.models import Role
from accounts.principals import is_api_key
from providers.holidays import closed_dates
from providers.models import BusySource, ExternalBusy, Provider, Service, TimeOff, WorkingHours
from scheduling import rules
from scheduling.availability import (
    Interval,
    ProviderSchedule,
    SessionSeats,
    Slot,
    WeeklyInterval,
)
from scheduling.models import (
    ACTIVE_STATUSES,
    BLOCKING_STATUSES,
    Appointment,
    AppointmentStatus,
    BookingPolicy,
)

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


class _Memo(dict):
    """`memo[key]` is `make(key)`, computed once per key (`map(memo.__getitem__, keys)` runs
    in C for every key already seen)."""

    def __init__(self, make: Callable):
        super().__init__()
        self.make = make

    def __missing__(self, key):
        value = self[key] = self.make(key)
        return value


def _parse_utc_text(text: str) -> datetime:
    return datetime.fromisoformat(text + "+00:00")


def _as_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _instant_keys(
    queryset: QuerySet, fields: tuple[str, ...], instants: int
) -> tuple[list[tuple], Callable[[object], datetime]]:
    """`values_list(*fields)` where the `instants` columns after the first come as keys, and
    the function that turns a key into its UTC datetime.

    Availability reads thousands of instants, and the drivers' per-value conversion in Python
    was the largest cost in the benchmark: on SQLite and PostgreSQL the keys are UTC text,
    parsed in C, once per distinct value (a clinic's appointments start on a few thousand grid
    points), and every instant gets the same tzinfo (comparisons across tzinfo objects are
    slow too).
    """
    head, instant_fields, tail = fields[0], fields[1 : 1 + instants], fields[1 + instants :]
    if connection.vendor not in ("sqlite", "postgresql"):
        return list(queryset.values_list(*fields)), _as_utc
    texts = {f"{name}__utc": UtcIsoText(name) for name in instant_fields}
    return list(queryset.annotate(**texts).values_list(head, *texts, *tail)), _parse_utc_text


def _instant_rows(queryset: QuerySet, fields: tuple[str, ...], instants: int) -> list[tuple]:
    """`values_list(*fields)` where the `instants` columns after the first are UTC datetimes
    (see `_instant_keys`)."""
    rows, parse = _instant_keys(queryset, fields, instants)
    instant = _Memo(parse).__getitem__
    return [(row[0], *map(instant, row[1 : 1 + instants]), *row[1 + instants :]) for row in rows]


def blocking_now(now: datetime) -> Q:
    """The rows of `Appointment.with_holds` that hold a provider's time at `now`: every
    status but cancelled, holds only until they expire."""
    return Q(status__in=BLOCKING_STATUSES) | Q(
        status=AppointmentStatus.HELD, hold_expires_at__gt=now
    )


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
    now: datetime | None = None,
) -> list[ProviderSchedule]:
    """Schedules of many providers over [start, end) in at most five queries.

    `providers` defaults to the active providers offering `service` (or all active ones).
    Busy time is every appointment that holds its time, every hold still live at `now`
    (default: the current time) and every busy period imported from the providers' external
    calendars (`ExternalBusy`; it does not count towards a daily cap).
    `exclude_appointment_id` leaves one row out of busy time and day counts (an appointment
    being rescheduled does not block its own new time, nor a hold the time it holds for its
    client). Without `with_busy` neither is read (working time only: the dashboard, the
    conflict check).
    """
    provider_list = list(active_providers_for(service=service) if providers is None else providers)
    if not provider_list:
        return []
    ids = [provider.pk for provider in provider_list]
    fetch_start, fetch_end = start - FETCH_MARGIN, end + FETCH_MARGIN

    # Providers mostly share hours: equal rows give the same objects, so the working-interval
    # cache of the availability core compares them by identity.
    # The wall times come as ISO text, parsed once per distinct row rather than per value.
    weekly = _Memo(
        lambda row: WeeklyInterval(row[0], time.fromisoformat(row[1]), time.fromisoformat(row[2]))
    )
    hours: dict[int, list[WeeklyInterval]] = defaultdict(list)
    for provider_id, *row in (
        WorkingHours.objects.filter(provider_id__in=ids)
        .annotate(
            start_text=Cast("start_time", TextField()), end_text=Cast("end_time", TextField())
        )
        .values_list("provider_id", "weekday", "start_text", "end_text")
    ):
        hours[provider_id].append(weekly[tuple(row)])
    weekly_hours = _Memo(tuple)

    time_off: dict[int, list[Interval]] = defaultdict(list)
    off_rows = _instant_rows(
        TimeOff.objects.filter(provider_id__in=ids, start__lt=fetch_end, end__gt=fetch_start),
        ("provider_id", "start", "end"),
        instants=2,
    )
    for provider_id, off_start, off_end in off_rows:
        time_off[provider_id].append(Interval(off_start, off_end))

    appointments = Appointment.with_holds.filter(
        blocking_now(now or timezone.now()),
        provider_id__in=ids if with_busy else [],
        blocked_start__lt=fetch_end + FETCH_MARGIN,
        blocked_end__gt=fetch_start - FETCH_MARGIN,
    )
    if exclude_appointment_id is not None:
        appointments = appointments.exclude(pk=exclude_appointment_id)
    # Sorted by provider, then by time: each provider's busy time is one run of rows, in order.
    rows, parse = _instant_keys(
        appointments.order_by("provider_id", "blocked_start", "blocked_end"),
        ("provider_id", "start", "blocked_start", "blocked_end", "session_id", "service_id"),
        instants=3,
    )
    instant = _Memo(parse)
    busy: dict[int, tuple[Interval, ...]] = {}
    start_keys: dict[int, tuple] = {}
    sessions: dict[int, tuple[SessionSeats, ...]] = {}
    if rows:
        (
            provider_column,
            start_column,
            blocked_start_column,
            blocked_end_column,
            session_column,
            service_column,
        ) = zip(*rows, strict=True)
        # Appointments of a clinic hold a few thousand distinct intervals: build each once.
        interval = _Memo(lambda pair: Interval(instant[pair[0]], instant[pair[1]]))
        intervals = list(
            map(interval.__getitem__, zip(blocked_start_column, blocked_end_column, strict=True))
        )
        # Each provider's rows are one run of the sorted provider column: found by bisection.
        for provider_id in ids:
            first = bisect_left(provider_column, provider_id)
            last = bisect_right(provider_column, provider_id, first)
            if last <= first:
                continue
            if any(session_column[first:last]):
                busy[provider_id], start_keys[provider_id], sessions[provider_id] = _seated(
                    intervals[first:last],
                    start_column[first:last],
                    session_column[first:last],
                    service_column[first:last],
                    instant,
                )
            else:
                busy[provider_id] = tuple(intervals[first:last])
                start_keys[provider_id] = start_column[first:last]

    external = _external_busy(ids if with_busy else [], fetch_start, fetch_end)
    for provider_id, intervals in external.items():
        # Appointments and imported busy time, in one order (the arithmetic merges them).
        busy[provider_id] = tuple(
            sorted((*busy.get(provider_id, ()), *intervals), key=_interval_order)
        )

    local_dates: dict[str, _Memo] = {}  # zone -> start key -> provider-local date
    day_range: dict[str, tuple[date, date]] = {}
    holidays: dict[tuple, frozenset[date]] = {}
    schedules = []
    for provider in provider_list:
        zone_name = provider.timezone
        if zone_name not in local_dates:
            tz = ZoneInfo(zone_name)
            local_dates[zone_name] = _Memo(lambda key, tz=tz: instant[key].astimezone(tz).date())
            day_range[zone_name] = (
                fetch_start.astimezone(tz).date(),
                fetch_end.astimezone(tz).date(),
            )
        first_day, last_day = day_range[zone_name]
        calendar = (provider.country, provider.subdivision, first_day, last_day)
        if calendar not in holidays:
            holidays[calendar] = provider_holidays(
                provider=provider, first_day=first_day, last_day=last_day
            )
        # Appointments per local day matter only under a daily cap.
        per_day = (
            Counter(map(local_dates[zone_name].__getitem__, start_keys.get(provider.pk, ())))
            if provider.daily_cap is not None
            else ()
        )
        schedules.append(
            ProviderSchedule(
                provider_id=provider.pk,
                timezone=zone_name,
                weekly_hours=weekly_hours[tuple(hours[provider.pk])],
                time_off=tuple(time_off[provider.pk]),
                holidays=holidays[calendar],
                busy=busy.get(provider.pk, ()),
                daily_cap=provider.daily_cap,
                appointments_per_day=dict(per_day),
                sessions=sessions.get(provider.pk, ()),
            )
        )
    return schedules


def _seated(intervals, start_keys, session_ids, service_ids, instant) -> tuple:
    """A provider's busy rows with group sessions among them: (busy time, start keys for the
    day counts, sessions). The seats of a session are ONE busy interval (from the earliest
    held start to the latest held end of its seats) and one appointment of the day, and a
    `SessionSeats` counting them."""
    own: list[Interval] = []
    own_starts: list = []
    seats: dict[int, list] = {}
    for held, start_key, session_id, service_id in zip(
        intervals, start_keys, session_ids, service_ids, strict=True
    ):
        if session_id is None:
            own.append(held)
            own_starts.append(start_key)
        elif session_id in seats:
            entry = seats[session_id]
            entry[0] = Interval(min(entry[0].start, held.start), max(entry[0].end, held.end))
            entry[3] += 1
        else:
            seats[session_id] = [held, start_key, service_id, 1]
    found = tuple(
        SessionSeats(session_id, service_id, instant[start_key], held, taken)
        for session_id, (held, start_key, service_id, taken) in seats.items()
    )
    busy = sorted([*own, *(session.blocked for session in found)], key=_interval_order)
    return tuple(busy), (*own_starts, *(entry[1] for entry in seats.values())), found


_interval_order = attrgetter("start", "end")


def _external_busy(
    ids: list[int], fetch_start: datetime, fetch_end: datetime
) -> dict[int, list[Interval]]:
    """Each provider's imported busy time around the window (one query; none without ids)."""
    if not ids:
        return {}
    rows = _instant_rows(
        ExternalBusy.objects.filter(
            provider_id__in=ids, start__lt=fetch_end + FETCH_MARGIN, end__gt=fetch_start
        ).order_by("provider_id", "start", "end"),
        ("provider_id", "start", "end"),
        instants=2,
    )
    busy: dict[int, list[Interval]] = defaultdict(list)
    for provider_id, busy_start, busy_end in rows:
        busy[provider_id].append(Interval(busy_start, busy_end))
    return busy


def calendar_checked_at() -> Coalesce:
    """When the least recently synced of a provider's external calendars last synced (or was
    connected, if it never has), as an annotation of a provider query; None without any."""
    return Subquery(
        BusySource.objects.filter(provider_id=OuterRef("pk"))
        .annotate(checked=Coalesce("synced_at", "created_at"))
        .order_by("checked")
        .values("checked")[:1]
    )


def calendar_stale_since(
    checked_at: datetime | None, *, now: datetime, policy: BookingPolicy
) -> datetime | None:
    """Since when a provider's external calendars are stale (the policy's limit passed since
    `checked_at`), or None when they are current or there are none."""
    if checked_at is None:
        return None
    stale_at = checked_at + timedelta(minutes=policy.calendar_stale_minutes)
    return stale_at if stale_at <= now else None


def policy_facts(policy: BookingPolicy) -> rules.Policy:
    return rules.Policy(
        slot_step=timedelta(minutes=policy.slot_step_minutes),
        min_notice=timedelta(minutes=policy.min_notice_minutes),
        horizon=timedelta(days=policy.horizon_days),
        client_cutoff=timedelta(hours=policy.client_cutoff_hours),
        max_client_appointments_per_day=policy.max_client_appointments_per_day,
        offer_when_calendar_stale=policy.offer_when_calendar_stale,
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
        capacity=service.capacity,
        min_participants=service.min_participants,
        minimum_deadline=timedelta(hours=service.minimum_deadline_hours),
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
    tz = ZoneInfo(client.timezone)
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


def eligibility_annotations(service: Service) -> dict:
    """What decides whether a provider may take bookings of `service`, as annotations of a
    provider query: the booking service reads them in its locking query, the snapshot in its
    own (`eligibility`)."""
    return {
        "calendar_checked_at": calendar_checked_at(),
        "user_is_active": F("user__is_active"),
        "offers_service": Exists(
            Provider.services.through.objects.filter(
                provider_id=OuterRef("pk"), service_id=service.pk
            )
        ),
    }


def eligibility(provider: Provider) -> tuple[bool, bool, datetime | None]:
    """(may book, offers the service, when their external calendars were last checked) of a
    provider read with `eligibility_annotations`."""
    return (
        provider.is_active and provider.user_is_active,
        provider.offers_service,
        provider.calendar_checked_at,
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
    eligible: dict[int, tuple[bool, bool]] | None = None,
) -> rules.Snapshot:
    """Everything `scheduling.rules` needs to decide bookings of `service` in [start, end):
    six queries whatever the number of providers, days or imported events (five for the
    schedules, one for the client; one more when `providers` are given, to learn whether they
    may book and when their external calendars last synced, unless `eligible` already says
    so: provider id -> `eligibility`).

    `providers` defaults to the active providers offering the service. `client` None asks
    for nobody in particular (public availability). `may_override` must only be True for a
    staff actor who asked to lift the policy limits.
    """
    policy = policy or BookingPolicy.load()
    now = now or timezone.now()
    if providers is None:
        provider_list = list(
            active_providers_for(service=service).annotate(
                calendar_checked_at=calendar_checked_at()
            )
        )
        eligible = {
            provider.pk: (True, True, provider.calendar_checked_at) for provider in provider_list
        }
    else:
        provider_list = list(providers)
        if eligible is None:
            eligible = {
                provider.pk: eligibility(provider)
                for provider in Provider.objects.filter(
                    pk__in=[provider.pk for provider in provider_list]
                )
                .annotate(**eligibility_annotations(service))
                .only("pk", "is_active")
            }
    schedules = provider_schedules(
        providers=provider_list,
        start=start,
        end=end,
        exclude_appointment_id=exclude_appointment_id,
        now=now,
    )
    facts = {}
    for provider, schedule in zip(provider_list, schedules, strict=True):
        may_book, offers, checked_at = eligible.get(provider.pk, (False, False, None))
        facts[provider.pk] = rules.ProviderFacts(
            provider_id=provider.pk,
            name=str(provider),
            is_active=may_book,
            user_id=provider.user_id,
            service_ids=frozenset({service.pk}) if offers else frozenset(),
            schedule=schedule,
            calendar_stale_since=calendar_stale_since(checked_at, now=now, policy=policy),
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
    moving: Appointment | None = None,
) -> list[Slot]:
    """Open slots for `service` in [start, end) across providers, sorted by (start, provider):
    exactly the starts the booking service would accept right now (`rules.offered_slots`).

    Providers default to the active ones offering the service; given providers that are
    inactive or do not offer it are left out. With `client`, their own appointments and
    per-day limit apply too. With `moving`, the question is where that appointment may move:
    its own time is not in the way and its current start is not offered. `may_override` asks
    as staff would (policy limits lifted).
    """
    if not service.is_active:
        return []
    _, slots = slot_offer(
        service=service,
        start=start,
        end=end,
        providers=providers,
        client=client,
        now=now,
        policy=policy,
        may_override=may_override,
        moving=moving,
    )
    return slots


def slot_offer(
    *,
    service: Service,
    start: datetime,
    end: datetime,
    providers: Iterable[Provider] | None = None,
    client=None,
    now: datetime | None = None,
    policy: BookingPolicy | None = None,
    may_override: bool = False,
    moving: Appointment | None = None,
) -> tuple[rules.Snapshot, list[Slot]]:
    """The snapshot and what it offers in [start, end) (`rules.offered_slots`, or for
    `moving` `rules.offered_moves`): `available_slots` and recommendation candidates."""
    snapshot = booking_snapshot(
        service=service,
        start=start,
        end=end,
        providers=providers,
        client=client,
        now=now,
        policy=policy,
        may_override=may_override,
        exclude_appointment_id=moving.pk if moving is not None else None,
    )
    window = Interval(start, end)
    if moving is None:
        return snapshot, rules.offered_slots(snapshot, service.pk, window)
    return snapshot, rules.offered_moves(snapshot, service.pk, window, moving.start)


def client_full_days(
    *, snapshot: rules.Snapshot, start: datetime, end: datetime
) -> list[tuple[date, str]]:
    """The client's own local days touching [start, end) on which they hold as many
    appointments as the per-day limit allows, each with the words of the rule that refuses
    another (`rules.client_day_open`): the pages show the day as full instead of empty."""
    client = snapshot.client
    if client is None or end <= start:
        return []
    zone = ZoneInfo(client.timezone)
    day = start.astimezone(zone).date()
    last = (end - timedelta(microseconds=1)).astimezone(zone).date()
    full: list[tuple[date, str]] = []
    while day <= last:
        # Any instant of the local day asks the rule about that day; noon is on it whatever
        # the clock does at night.
        noon = datetime.combine(day, time(12), tzinfo=zone)
        refused = rules.client_day_open(rules.Candidate(snapshot, None, None, noon))
        if refused is not None:
            full.append((day, refused.message))
        day += timedelta(days=1)
    return full


def working_conflicts(
    *, now: datetime, provider: Provider | None = None, limit: int | None = None
) -> list[tuple[Appointment, str]]:
    """Active upcoming appointments (of `provider`, or anyone's) that the booking rules'
    working-time rule (`scheduling.rules.working_conflict`) no longer accepts, after time
    off, shorter hours or a holiday, soonest first, each with why. Five queries whatever the
    count: times of every upcoming appointment, their providers, hours and time off, then
    the conflicting rows."""
    upcoming = Appointment.objects.filter(status__in=ACTIVE_STATUSES, start__gte=now)
    if provider is not None:
        upcoming = upcoming.filter(provider=provider)
    times = list(upcoming.order_by("start", "pk").values_list("pk", "provider_id", "start", "end"))
    if not times:
        return []
    providers = list(
        Provider.objects.filter(pk__in={provider_id for _, provider_id, _, _ in times})
    )
    schedules = {
        schedule.provider_id: schedule
        for schedule in provider_schedules(
            providers=providers,
            start=now,
            end=max(end for _, _, _, end in times),
            with_busy=False,
        )
    }
    found: list[tuple[int, str]] = []
    for pk, provider_id, start, end in times:
        reason = rules.working_conflict(schedules[provider_id], Interval(start, end))
        if reason is not None:
            found.append((pk, reason))
            if limit is not None and len(found) == limit:
                break
    rows = Appointment.objects.select_related("client", "provider", "service").in_bulk(
        [pk for pk, _ in found]
    )
    return [(rows[pk], reason) for pk, reason in found]


def staff_move_slots(
    *, appointment: Appointment, start: datetime, end: datetime, now: datetime | None
) -> list[Slot]:
    """The starts a staff move of `appointment` would be accepted at (the staff pages move
    with the policy limits lifted): the rules engine's offer for its client and provider,
    its own time not in the way, its current start left out (not a move)."""
    return available_slots(
        service=appointment.service,
        start=start,
        end=end,
        providers=[appointment.provider],
        client=appointment.client,
        now=now,
        may_override=True,
        moving=appointment,
    )


def appointments_visible_to(*, user) -> QuerySet[Appointment]:
    """Appointments `user` may see: staff (`User.is_staff_member`) all, a provider theirs
    (and any they booked as a client), a client their own, an API key with appointments:read
    or appointments:write all. The one access gate: every
    "may this user see this appointment" question is answered here."""
    appointments = Appointment.objects.select_related("client", "provider", "service")
    if not user or not user.is_authenticated:
        return appointments.none()
    if user.is_staff_member:
        return appointments.all()
    if is_api_key(user):  # an integration acting for clients: all, or none without the scopes
        reaches = user.has_scope("appointments:read") or user.has_scope("appointments:write")
        return appointments.all() if reaches else appointments.none()
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


def appointment_client_past_cutoff(
    *, appointment: Appointment, policy: BookingPolicy, now: datetime
) -> bool:
    """Whether the booking service would refuse the client's own change now (the cut-off
    rule itself, so pages and the service agree to the instant)."""
    refused = rules.cutoff_refusal(
        start=appointment.start, now=now, policy=policy_facts(policy), bound=True
    )
    return refused is not None
