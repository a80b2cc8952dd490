"""Property-based tests (hypothesis) of the availability core and of invariants 1 and 4."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.tests.factories import UserFactory
from providers.models import WorkingHours
from providers.tests.factories import ProviderFactory, ServiceFactory
from scheduling.availability import (
    Interval,
    ProviderSchedule,
    SlotRequest,
    WeeklyInterval,
    open_slots,
    working_intervals,
)
from scheduling.errors import SlotUnavailable
from scheduling.models import BLOCKING_STATUSES, Appointment, BookingPolicy
from scheduling.selectors import available_slots
from scheduling.services import appointment_book
from scheduling.tests.support import rolled_back

ZONES = ["UTC", "America/New_York", "Europe/London", "Asia/Kolkata", "Australia/Lord_Howe"]
# Days around DST changes, and ordinary days.
BASE_DATES = [date(2026, 3, 7), date(2026, 3, 28), date(2026, 10, 24), date(2026, 10, 31)]
BASE_DATES += [date(2026, 4, 4), date(2026, 6, 15)]
MIN = timedelta(minutes=1)

# Derandomized: CI runs the same examples every time (a failure reproduces, never flickers).
# To explore, raise max_examples and drop derandomize locally: 36 000 random examples passed.
PROPERTY_SETTINGS = settings(max_examples=60, deadline=None, database=None, derandomize=True)


@st.composite
def day_hours(draw, weekday: int) -> list[WeeklyInterval]:
    intervals = []
    cursor = draw(st.integers(0, 14 * 4)) * 15
    for _ in range(draw(st.integers(0, 2))):
        length = draw(st.integers(2, 20)) * 15
        if cursor + length >= 24 * 60:
            break
        start = time(cursor // 60, cursor % 60)
        end = time((cursor + length) // 60, (cursor + length) % 60)
        intervals.append(WeeklyInterval(weekday, start, end))
        cursor += length + draw(st.integers(1, 12)) * 15
    return intervals


@st.composite
def intervals_near(draw, base: datetime, count: int) -> tuple[Interval, ...]:
    result = []
    for _ in range(draw(st.integers(0, count))):
        start = base + draw(st.integers(0, 4 * 24 * 12)) * 5 * MIN
        result.append(Interval(start, start + draw(st.integers(1, 36)) * 5 * MIN))
    return tuple(result)


@st.composite
def scenarios(draw):
    tz = draw(st.sampled_from(ZONES))
    base_date = draw(st.sampled_from(BASE_DATES))
    base = datetime.combine(base_date, time(0), tzinfo=UTC)
    hours = tuple(item for weekday in range(7) for item in draw(day_hours(weekday)))
    schedule = ProviderSchedule(
        provider_id=1,
        timezone=tz,
        weekly_hours=hours,
        time_off=draw(intervals_near(base, 3)),
        busy=draw(intervals_near(base, 12)),
    )
    window_start = base + draw(st.integers(0, 24)) * timedelta(hours=1)
    window = Interval(window_start, window_start + draw(st.integers(6, 72)) * timedelta(hours=1))
    request = SlotRequest(
        duration=draw(st.sampled_from([15, 20, 30, 45, 60, 90])) * MIN,
        step=draw(st.sampled_from([5, 10, 15, 30])) * MIN,
        window=window,
        earliest_start=window.start + draw(st.integers(0, 24)) * timedelta(hours=1),
        latest_start=window.start + draw(st.integers(12, 96)) * timedelta(hours=1),
        buffer_before=draw(st.integers(0, 6)) * 5 * MIN,
        buffer_after=draw(st.integers(0, 6)) * 5 * MIN,
    )
    return schedule, request


def in_repeated_hour(local: datetime) -> bool:
    """True for a wall time that occurs twice (the autumn clock change)."""
    return local.replace(fold=0).utcoffset() != local.replace(fold=1).utcoffset()


def clocks_change_during(local_start: datetime, local_end: datetime) -> bool:
    """True when the wall clock is turned forward or back within [start, end], or the times
    fall in the repeated hour: then wall-clock readings are not elapsed time."""
    return (
        local_start.utcoffset() != local_end.utcoffset()
        or in_repeated_hour(local_start)
        or in_repeated_hour(local_end)
    )


def overlaps(a_start, a_end, b_start, b_end) -> bool:
    return a_start < b_end and b_start < a_end


@PROPERTY_SETTINGS
@given(scenarios())
def test_every_offered_slot_is_inside_hours_outside_time_off_and_busy_time(scenario):
    schedule, request = scenario
    tz = ZoneInfo(schedule.timezone)
    slots = open_slots(schedule, request)
    first = request.window.start.astimezone(tz).date() - timedelta(days=1)
    last = request.window.end.astimezone(tz).date() + timedelta(days=1)
    working = working_intervals(schedule, first, last)
    for slot in slots:
        assert slot.end - slot.start == request.duration
        assert request.window.start <= slot.start and slot.end <= request.window.end
        assert request.earliest_start <= slot.start <= request.latest_start
        # inside a working interval, counted from its start on the step grid
        (home,) = [w for w in working if w.start <= slot.start and slot.end <= w.end]
        assert (slot.start - home.start) % request.step == timedelta(0)
        # the provider's own wall clock agrees: a weekly interval of that local weekday.
        # Not across a clock change (a slot ending as the clocks spring forward reads 02:00
        # for a 01:00 closing; in the repeated hour the clock reads an hour early): the DST
        # tests pin those days down.
        local_start, local_end = slot.start.astimezone(tz), slot.end.astimezone(tz)
        assert clocks_change_during(local_start, local_end) or any(
            weekly.weekday == home.start.astimezone(tz).weekday()
            and weekly.start <= local_start.time()
            and (local_end.time() <= weekly.end or local_end.date() > local_start.date())
            for weekly in schedule.weekly_hours
        )
        for off in schedule.time_off:
            assert not overlaps(slot.start, slot.end, off.start, off.end)
        widened = (slot.start - request.buffer_before, slot.end + request.buffer_after)
        for busy in schedule.busy:
            assert not overlaps(*widened, busy.start, busy.end)
    assert slots == sorted(slots, key=lambda slot: slot.start)
    assert len({slot.start for slot in slots}) == len(slots)


@pytest.mark.django_db
@settings(
    max_examples=12,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    hours=st.lists(
        st.tuples(st.integers(7 * 4, 16 * 4), st.integers(4, 16)), min_size=1, max_size=2
    ),
    duration=st.sampled_from([15, 30, 45]),
    buffer_before=st.sampled_from([0, 5, 15]),
    buffer_after=st.sampled_from([0, 10, 20]),
    step=st.sampled_from([15, 30]),
)
def test_booking_every_offered_slot_in_turn_never_double_books(
    hours, duration, buffer_before, buffer_after, step
):
    import time_machine

    with rolled_back(), time_machine.travel(datetime(2026, 3, 2, tzinfo=UTC), tick=False):
        policy = BookingPolicy.load()
        policy.slot_step_minutes = step
        policy.max_client_appointments_per_day = None
        policy.save()
        service = ServiceFactory(
            duration_minutes=duration,
            buffer_before_minutes=buffer_before,
            buffer_after_minutes=buffer_after,
        )
        provider = ProviderFactory(timezone="America/New_York", services=[service], hours=[])
        for start_quarter, length in hours:
            start = time(start_quarter // 4, start_quarter % 4 * 15)
            end_minutes = min(start_quarter * 15 + length * 15, 23 * 60 + 45)
            WorkingHours.objects.create(
                provider=provider,
                weekday=6,  # Sunday 2026-03-08, the day New York springs forward
                start_time=start,
                end_time=time(end_minutes // 60, end_minutes % 60),
            )
        window = (datetime(2026, 3, 8, tzinfo=UTC), datetime(2026, 3, 10, tzinfo=UTC))
        offered = available_slots(service=service, start=window[0], end=window[1])
        client = UserFactory()
        for slot in offered:
            still_offered = slot in available_slots(service=service, start=window[0], end=window[1])
            try:
                appointment_book(
                    client=client, provider=provider, service=service, start=slot.start
                )
            except SlotUnavailable:
                assert not still_offered  # refused only when no longer offered
            else:
                assert still_offered  # and a slot offered right now always books
                client = UserFactory()
        # Whatever was tried in order is booked or blocked: nothing offered is left over.
        assert available_slots(service=service, start=window[0], end=window[1]) == []
        held = sorted(
            Appointment.objects.filter(provider=provider, status__in=BLOCKING_STATUSES).values_list(
                "blocked_start", "blocked_end"
            )
        )
        for (_, earlier_end), (later_start, _) in zip(held, held[1:], strict=False):
            assert earlier_end <= later_start
        assert bool(held) == bool(offered)
