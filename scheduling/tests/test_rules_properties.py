"""Property tests of the one booking-rules engine (`scheduling.rules`), pure: no database.

On random calendars (zones with DST changes, hours with breaks, time off, holidays, busy
time, day caps), random clients (held time, bookings per day, the provider's own account,
deactivated) and random policies (step, notice, horizon, per-day limit, staff override):

- every slot `offered_slots` returns is accepted by `refusal` at that instant;
- every start `refusal` accepts is offered (the two are the same set);
- every refusal is explained by exactly one rule: the rule it names refuses, every rule
  before it in `RULES` accepts.
"""

import os
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduling import rules
from scheduling.availability import Interval, ProviderSchedule, SessionSeats, WeeklyInterval

ZONES = ["UTC", "America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata"]
# Days around DST changes, and ordinary days.
BASE_DATES = [date(2026, 3, 7), date(2026, 3, 28), date(2026, 10, 24), date(2026, 10, 31)]
BASE_DATES += [date(2026, 4, 4), date(2026, 6, 15)]
MIN = timedelta(minutes=1)
SERVICE_ID = 7
CLIENT_ID = 1000

# Derandomized: CI runs the same examples every time (a failure reproduces, never flickers).
# The mutation run (proof/mutation.sh) asks for fewer, to keep one run per mutant short.
RULES_EXAMPLES = int(os.environ.get("SMARTBOOK_RULES_EXAMPLES", "2000"))
RULES_SETTINGS = settings(
    max_examples=RULES_EXAMPLES, deadline=None, database=None, derandomize=True
)


def mostly(value: bool) -> st.SearchStrategy[bool]:
    """`value` nine times in ten (plain booleans would be False half the time)."""
    return st.sampled_from([value] * 9 + [not value])


@st.composite
def weekly_hours(draw) -> tuple[WeeklyInterval, ...]:
    hours = []
    for weekday in range(7):
        # Mostly office hours, sometimes from midnight (local days straddling UTC midnight).
        cursor = draw(st.sampled_from([6, 7, 8, 9, 12, 0])) * 60 + draw(st.integers(0, 3)) * 15
        for _ in range(draw(st.sampled_from([1, 2, 1, 0]))):
            length = draw(st.integers(2, 40)) * 15
            if cursor + length >= 24 * 60:
                break
            hours.append(
                WeeklyInterval(
                    weekday,
                    time(cursor // 60, cursor % 60),
                    time((cursor + length) // 60, (cursor + length) % 60),
                )
            )
            cursor += length + draw(st.integers(1, 12)) * 15
    return tuple(hours)


@st.composite
def intervals_near(draw, base: datetime, count: int) -> tuple[Interval, ...]:
    result = []
    for _ in range(draw(st.integers(0, count))):
        start = base + draw(st.integers(0, 3 * 24 * 12)) * 5 * MIN
        result.append(Interval(start, start + draw(st.integers(1, 36)) * 5 * MIN))
    return tuple(sorted(result, key=lambda interval: interval.start))


@st.composite
def group_sessions(draw, base: datetime, service: rules.ServiceFacts) -> tuple:
    """Sessions with seats held (of this group service, sometimes of another), mostly on
    whole hours so that some lie on the provider's grid and can be joined."""
    found = []
    for index in range(draw(st.integers(0, 2))):
        start = base + draw(st.integers(0, 72)) * timedelta(hours=1)
        start += draw(st.sampled_from([0, 0, 0, 30])) * MIN
        blocked = Interval(
            start - service.buffer_before, start + service.duration + service.buffer_after
        )
        found.append(
            SessionSeats(
                session_id=index + 1,
                service_id=draw(st.sampled_from([SERVICE_ID] * 4 + [99])),
                start=start,
                blocked=blocked,
                taken=draw(st.integers(1, service.capacity + 1)),
            )
        )
    return tuple(found)


@st.composite
def provider_facts(
    draw, provider_id: int, base: datetime, service: rules.ServiceFacts
) -> rules.ProviderFacts:
    tz = draw(st.sampled_from(ZONES))
    base_day = base.date()
    sessions = draw(group_sessions(base, service)) if service.is_group else ()
    schedule = ProviderSchedule(
        provider_id=provider_id,
        timezone=tz,
        weekly_hours=draw(weekly_hours()),
        time_off=draw(intervals_near(base, 2)),
        holidays=frozenset(
            draw(st.sampled_from([[], [], [], [base_day], [base_day + timedelta(days=1)]]))
        ),
        # Each session is one interval of busy time, as the loader gives it.
        busy=(*draw(intervals_near(base, 8)), *(session.blocked for session in sessions)),
        sessions=sessions,
        daily_cap=draw(st.none() | st.integers(1, 4)),
        appointments_per_day={
            base_day + timedelta(days=n): draw(st.integers(0, 4)) for n in range(-1, 4)
        },
    )
    return rules.ProviderFacts(
        provider_id=provider_id,
        name=f"Provider {provider_id}",
        is_active=draw(mostly(True)),
        # Sometimes the client is this provider's own account.
        user_id=draw(st.sampled_from([500 + provider_id] * 9 + [CLIENT_ID])),
        service_ids=frozenset({SERVICE_ID} if draw(mostly(True)) else {99}),
        schedule=schedule,
        # Sometimes an external calendar of theirs is stale.
        calendar_stale_since=draw(st.sampled_from([None, None, None, base])),
    )


@st.composite
def snapshots(draw):
    base = datetime.combine(draw(st.sampled_from(BASE_DATES)), time(0), tzinfo=UTC)
    capacity = draw(st.sampled_from([1, 1, 3]))  # a third of the cases: a group service
    service = rules.ServiceFacts(
        service_id=SERVICE_ID,
        name="Consultation",
        is_active=draw(mostly(True)),
        duration=draw(st.sampled_from([15, 20, 30, 45, 60])) * MIN,
        buffer_before=draw(st.integers(0, 4)) * 5 * MIN,
        buffer_after=draw(st.integers(0, 4)) * 5 * MIN,
        accepted_urgencies=frozenset({"routine"}),
        capacity=capacity,
        min_participants=draw(st.sampled_from([1, 2])) if capacity > 1 else 1,
        minimum_deadline=draw(st.integers(0, 12)) * timedelta(hours=1),
    )
    providers = {
        pid: draw(provider_facts(pid, base, service))
        for pid in range(1, draw(st.integers(1, 3)) + 1)
    }
    client = None
    if draw(mostly(True)):
        client_zone = draw(st.sampled_from(ZONES))
        client = rules.ClientFacts(
            client_id=CLIENT_ID,
            is_active=draw(mostly(True)),
            timezone=client_zone,
            held=rules.merged_held(draw(intervals_near(base, 4))),
            active_per_day={
                base.date() + timedelta(days=n): draw(st.integers(0, 3)) for n in range(-1, 4)
            },
        )
    policy = rules.Policy(
        slot_step=draw(st.sampled_from([5, 10, 15, 20, 30])) * MIN,
        min_notice=draw(st.integers(0, 8)) * 30 * MIN,
        horizon=timedelta(days=draw(st.integers(1, 3))),
        client_cutoff=timedelta(hours=24),
        max_client_appointments_per_day=draw(st.none() | st.integers(1, 3)),
        offer_when_calendar_stale=draw(mostly(True)),
    )
    # `now` anywhere on the first day, to the second (not only on a grid point).
    now = base + draw(st.integers(0, 24 * 3600 - 1)) * timedelta(seconds=1)
    snapshot = rules.Snapshot(
        now=now,
        policy=policy,
        services={SERVICE_ID: service},
        providers=providers,
        client=client,
        may_override=draw(mostly(False)),
    )
    window_start = base + draw(st.integers(0, 30)) * timedelta(hours=1)
    window = Interval(window_start, window_start + draw(st.integers(4, 40)) * timedelta(hours=1))
    if service.is_group and draw(mostly(True)):
        snapshot = draw(with_session_at_an_offered_time(snapshot, window))
    return snapshot, window


@st.composite
def with_session_at_an_offered_time(draw, snapshot: rules.Snapshot, window: Interval):
    """The snapshot with one more session, at a time it offers: one that can be joined
    (unless full, or now refused by the client's own rules)."""
    offered = rules.offered_slots(snapshot, SERVICE_ID, window)
    if not offered:
        return snapshot
    slot = draw(st.sampled_from(offered))
    service = snapshot.services[SERVICE_ID]
    session = SessionSeats(
        session_id=9,
        service_id=SERVICE_ID,
        start=slot.start,
        blocked=Interval(slot.start - service.buffer_before, slot.end + service.buffer_after),
        taken=draw(st.integers(1, service.capacity + 1)),
    )
    provider = snapshot.providers[slot.provider_id]
    schedule = replace(
        provider.schedule,
        busy=(*provider.schedule.busy, session.blocked),
        sessions=(*provider.schedule.sessions, session),
    )
    providers = {**snapshot.providers, slot.provider_id: replace(provider, schedule=schedule)}
    return replace(snapshot, providers=providers)


def probe_starts(snapshot: rules.Snapshot, window: Interval) -> list[datetime]:
    """Every 5-minute start in the window, and the instants just either side of `now`."""
    starts = []
    cursor = window.start
    while cursor < window.end:
        starts.append(cursor)
        cursor += 5 * MIN
    return starts + [snapshot.now, snapshot.now + timedelta(seconds=1)]


def assert_explained_by_one_rule(snapshot, provider_id, start, refused):
    candidate = rules.Candidate(
        snapshot, snapshot.providers.get(provider_id), snapshot.services.get(SERVICE_ID), start
    )
    names = [rule.__name__ for rule in rules.RULES]
    assert refused.rule in names
    position = names.index(refused.rule)
    for earlier in rules.RULES[:position]:
        assert earlier(candidate) is None
    assert rules.RULES[position](candidate) == refused
    assert refused.field and refused.message


@RULES_SETTINGS
@given(snapshots())
def test_offered_slots_are_exactly_the_starts_refusal_accepts(case):
    snapshot, window = case
    offered = rules.offered_slots(snapshot, SERVICE_ID, window)
    offered_keys = {(slot.provider_id, slot.start) for slot in offered}
    assert len(offered_keys) == len(offered)
    assert offered == sorted(offered, key=lambda slot: (slot.start, slot.provider_id))
    service = snapshot.services[SERVICE_ID]
    for slot in offered:
        assert rules.refusal(snapshot, slot.provider_id, SERVICE_ID, slot.start) is None
        assert window.start <= slot.start and slot.end <= window.end
        session = rules.session_at(
            snapshot.providers[slot.provider_id].schedule, SERVICE_ID, slot.start
        )
        if not service.is_group:
            assert slot.seats_left is None
        elif session is None:
            assert slot.seats_left == service.capacity
        else:
            assert slot.seats_left == service.capacity - session.taken > 0
    duration = snapshot.services[SERVICE_ID].duration
    for provider_id in snapshot.providers:
        for start in probe_starts(snapshot, window):
            if start + duration > window.end:
                continue  # offered_slots only answers for slots inside its window
            refused = rules.refusal(snapshot, provider_id, SERVICE_ID, start)
            if refused is None:
                assert (provider_id, start) in offered_keys
            else:
                assert (provider_id, start) not in offered_keys
                assert_explained_by_one_rule(snapshot, provider_id, start, refused)


# --- the same promise through the database: what is offered books --------------------------


@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    zones=st.lists(st.sampled_from(ZONES), min_size=1, max_size=2),
    client_zone=st.sampled_from(ZONES),
    step=st.sampled_from([15, 20, 30]),
    notice_hours=st.integers(0, 6),
    per_day_limit=st.none() | st.integers(1, 2),
    daily_cap=st.none() | st.integers(1, 3),
    own_hours=st.lists(st.integers(0, 40), max_size=3, unique=True),
    buffers=st.tuples(st.sampled_from([0, 10]), st.sampled_from([0, 5, 15])),
)
def test_every_slot_offered_by_availability_and_recommendation_books(
    zones, client_zone, step, notice_hours, per_day_limit, daily_cap, own_hours, buffers
):
    import time_machine

    from accounts.tests.factories import UserFactory
    from providers.tests.factories import ProviderFactory, ServiceFactory
    from recommendations.selectors import recommendation_inputs
    from scheduling.errors import SchedulingError
    from scheduling.models import BookingPolicy
    from scheduling.selectors import available_slots
    from scheduling.services import appointment_book
    from scheduling.tests.factories import AppointmentFactory
    from scheduling.tests.support import rolled_back

    now = datetime(2026, 3, 6, 15, 7, 30, tzinfo=UTC)  # New York springs forward on the 8th
    with rolled_back(), time_machine.travel(now, tick=False):
        policy = BookingPolicy.load()
        policy.slot_step_minutes = step
        policy.min_notice_minutes = notice_hours * 60
        policy.max_client_appointments_per_day = per_day_limit
        policy.save()
        service = ServiceFactory(
            duration_minutes=30, buffer_before_minutes=buffers[0], buffer_after_minutes=buffers[1]
        )
        providers = [
            ProviderFactory(timezone=tz, services=[service], daily_cap=daily_cap) for tz in zones
        ]
        client = UserFactory(timezone=client_zone)
        for hours in own_hours:  # the client's own bookings with the first provider
            AppointmentFactory(
                client=client,
                provider=providers[0],
                service=service,
                start=now + timedelta(hours=hours, minutes=53),
            )
        window = Interval(now, now + timedelta(days=5))
        offered = available_slots(
            service=service, start=window.start, end=window.end, client=client
        )
        candidates = recommendation_inputs(
            client=client, service=service, start=window.start, end=window.end, now=now
        ).candidates
        assert [(c.provider_id, c.start) for c in candidates] == [
            (slot.provider_id, slot.start) for slot in offered
        ]
        assert offered  # Friday, Monday and Tuesday are working days in every zone drawn
        by_id = {provider.pk: provider for provider in providers}
        sample = offered[:: max(1, len(offered) // 12)] + offered[-1:]
        for slot in sample:
            with rolled_back():
                appointment_book(
                    client=client,
                    provider=by_id[slot.provider_id],
                    service=service,
                    start=slot.start,
                )
        # And a start that is not offered is refused, naming its field.
        offered_keys = {(slot.provider_id, slot.start) for slot in offered}
        for minutes in range(0, 5 * 24 * 60, 97):
            start = (now + timedelta(minutes=minutes)).replace(second=0)
            provider = providers[minutes % len(providers)]
            if (provider.pk, start) in offered_keys or start + timedelta(minutes=30) > window.end:
                continue  # offered, or not inside the asked window
            with rolled_back():
                try:
                    appointment_book(client=client, provider=provider, service=service, start=start)
                except SchedulingError as refused:
                    assert refused.field in {"start", "provider", "service", "client"}
                else:
                    raise AssertionError(f"{start} booked but was not offered")
