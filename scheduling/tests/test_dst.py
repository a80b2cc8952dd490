"""Daylight saving time: a 09:00 start stays 09:00 local on both sides of every change."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from providers.models import WorkingHours
from providers.tests.factories import ProviderFactory, ServiceFactory
from scheduling.availability import (
    Interval,
    ProviderSchedule,
    SlotRequest,
    WeeklyInterval,
    local_to_utc,
    open_slots,
    working_intervals,
)
from scheduling.services import appointment_book

EVERY_DAY = range(7)


def schedule(tz: str, start: time = time(9), end: time = time(17)) -> ProviderSchedule:
    return ProviderSchedule(
        provider_id=1,
        timezone=tz,
        weekly_hours=tuple(WeeklyInterval(day, start, end) for day in EVERY_DAY),
    )


def local_starts(night: ProviderSchedule, interval: Interval, *, step: timedelta) -> list[str]:
    """The local starts (with their UTC offsets) of 30-minute slots over a whole interval."""
    request = SlotRequest(
        duration=timedelta(minutes=30),
        step=step,
        window=interval,
        earliest_start=interval.start,
        latest_start=interval.end,
    )
    return [slot.local_start.strftime("%H:%M%z") for slot in open_slots(night, request)]


def first_slot_utc(tz: str, day: date, start: time = time(9)) -> str:
    window = Interval(
        datetime.combine(day, time(0), tzinfo=UTC) - timedelta(hours=14),
        datetime.combine(day, time(0), tzinfo=UTC) + timedelta(hours=38),
    )
    request = SlotRequest(
        duration=timedelta(minutes=30),
        step=timedelta(minutes=15),
        window=window,
        earliest_start=window.start,
        latest_start=window.end,
    )
    slots = [
        slot for slot in open_slots(schedule(tz, start), request) if slot.local_start.date() == day
    ]
    assert slots[0].local_start.time() == start
    return slots[0].start.strftime("%Y-%m-%dT%H:%MZ")


@pytest.mark.parametrize(
    ("tz", "day", "start", "expected_utc"),
    [
        # New York springs forward on Sunday 2026-03-08 and falls back on Sunday 2026-11-01.
        ("America/New_York", date(2026, 3, 6), time(9), "2026-03-06T14:00Z"),
        ("America/New_York", date(2026, 3, 7), time(9), "2026-03-07T14:00Z"),
        ("America/New_York", date(2026, 3, 8), time(9), "2026-03-08T13:00Z"),
        ("America/New_York", date(2026, 3, 9), time(9), "2026-03-09T13:00Z"),
        ("America/New_York", date(2026, 10, 31), time(9), "2026-10-31T13:00Z"),
        ("America/New_York", date(2026, 11, 1), time(9), "2026-11-01T14:00Z"),
        ("America/New_York", date(2026, 11, 2), time(9), "2026-11-02T14:00Z"),
        # London: 2026-03-29 and 2026-10-25.
        ("Europe/London", date(2026, 3, 28), time(9), "2026-03-28T09:00Z"),
        ("Europe/London", date(2026, 3, 29), time(9), "2026-03-29T08:00Z"),
        ("Europe/London", date(2026, 3, 30), time(9), "2026-03-30T08:00Z"),
        ("Europe/London", date(2026, 10, 24), time(9), "2026-10-24T08:00Z"),
        ("Europe/London", date(2026, 10, 25), time(9), "2026-10-25T09:00Z"),
        ("Europe/London", date(2026, 10, 26), time(9), "2026-10-26T09:00Z"),
        # A schedule starting 13:00 (Cal.com #30021).
        ("America/New_York", date(2026, 3, 6), time(13), "2026-03-06T18:00Z"),
        ("America/New_York", date(2026, 3, 9), time(13), "2026-03-09T17:00Z"),
        ("America/New_York", date(2026, 10, 30), time(13), "2026-10-30T17:00Z"),
        ("America/New_York", date(2026, 11, 2), time(13), "2026-11-02T18:00Z"),
        ("Europe/London", date(2026, 3, 27), time(13), "2026-03-27T13:00Z"),
        ("Europe/London", date(2026, 3, 30), time(13), "2026-03-30T12:00Z"),
        # No DST: India stays at +05:30 all year.
        ("Asia/Kolkata", date(2026, 3, 6), time(9), "2026-03-06T03:30Z"),
        ("Asia/Kolkata", date(2026, 3, 9), time(9), "2026-03-09T03:30Z"),
        ("Asia/Kolkata", date(2026, 11, 2), time(9), "2026-11-02T03:30Z"),
    ],
)
def test_first_slot_is_the_local_start_on_both_sides_of_dst(tz, day, start, expected_utc):
    assert first_slot_utc(tz, day, start) == expected_utc


def test_every_slot_of_a_dst_day_keeps_local_wall_clock_times():
    for day in (date(2026, 3, 8), date(2026, 11, 1)):
        (interval,) = working_intervals(schedule("America/New_York"), day, day)
        tz = ZoneInfo("America/New_York")
        assert interval.start.astimezone(tz).time() == time(9)
        assert interval.end.astimezone(tz).time() == time(17)
        assert interval.end - interval.start == timedelta(hours=8)


def test_working_interval_containing_the_nonexistent_hour_is_shortened():
    # 01:00-04:00 on 2026-03-08 in New York: 02:00-02:59 does not exist, 2 real hours remain.
    night = schedule("America/New_York", time(1), time(4))
    (interval,) = working_intervals(night, date(2026, 3, 8), date(2026, 3, 8))
    assert interval == Interval(
        datetime(2026, 3, 8, 6, tzinfo=UTC), datetime(2026, 3, 8, 8, tzinfo=UTC)
    )
    local = local_starts(night, interval, step=timedelta(minutes=30))
    assert local == ["01:00-0500", "01:30-0500", "03:00-0400", "03:30-0400"]


def test_a_start_inside_the_gap_moves_forward_to_the_transition():
    tz = ZoneInfo("America/New_York")
    assert local_to_utc(date(2026, 3, 8), time(2, 30), tz) == datetime(2026, 3, 8, 7, tzinfo=UTC)
    gap_only = schedule("America/New_York", time(2), time(2, 45))
    assert working_intervals(gap_only, date(2026, 3, 8), date(2026, 3, 8)) == []
    assert len(working_intervals(gap_only, date(2026, 3, 9), date(2026, 3, 9))) == 1


def test_an_ambiguous_start_uses_the_first_occurrence():
    tz = ZoneInfo("America/New_York")
    # 01:30 happens twice on 2026-11-01: first at 05:30 UTC (EDT), then at 06:30 UTC (EST).
    assert local_to_utc(date(2026, 11, 1), time(1, 30), tz) == datetime(
        2026, 11, 1, 5, 30, tzinfo=UTC
    )
    night = schedule("America/New_York", time(1), time(3))
    (interval,) = working_intervals(night, date(2026, 11, 1), date(2026, 11, 1))
    # 01:00 EDT to 03:00 EST: the repeated hour is worked, three real hours.
    assert interval.end - interval.start == timedelta(hours=3)


@pytest.mark.django_db
def test_availability_api_gives_09_00_local_across_the_new_york_change(api_client):
    service = ServiceFactory(duration_minutes=30)
    provider = ProviderFactory(timezone="America/New_York", services=[service])
    with time_machine.travel(datetime(2026, 3, 2, 12, tzinfo=UTC), tick=False):
        response = api_client.get(
            f"/api/providers/{provider.pk}/availability",
            {"service": service.pk, "start": "2026-03-06T00:00:00Z", "end": "2026-03-10T00:00:00Z"},
        )
    assert response.status_code == 200
    slots = response.json()["slots"]
    by_day: dict[str, dict] = {}
    for slot in slots:
        by_day.setdefault(slot["local_start"][:10], slot)
    assert by_day["2026-03-06"]["start"] == "2026-03-06T14:00:00Z"
    assert by_day["2026-03-06"]["local_start"] == "2026-03-06T09:00:00-05:00"
    assert by_day["2026-03-09"]["start"] == "2026-03-09T13:00:00Z"
    assert by_day["2026-03-09"]["local_start"] == "2026-03-09T09:00:00-04:00"
    assert by_day["2026-03-09"]["timezone"] == "America/New_York"


@pytest.mark.django_db
def test_booking_09_00_local_after_the_london_change(client_user):
    service = ServiceFactory(duration_minutes=30)
    provider = ProviderFactory(timezone="Europe/London", services=[service])
    WorkingHours.objects.filter(provider=provider).delete()
    WorkingHours.objects.create(provider=provider, weekday=6, start_time=time(9), end_time=time(17))
    with time_machine.travel(datetime(2026, 3, 20, 12, tzinfo=UTC), tick=False):
        appointment = appointment_book(
            client=client_user,
            provider=provider,
            service=service,
            start=datetime(2026, 3, 29, 8, tzinfo=UTC),
        )
    assert appointment.start.astimezone(ZoneInfo("Europe/London")).time() == time(9)


# Spring-forward gaps: (zone, local date, first missing wall time, gap length, transition).
GAPS = [
    ("America/New_York", date(2026, 3, 8), time(2), timedelta(hours=1), (2026, 3, 8, 7, 0)),
    ("Europe/London", date(2026, 3, 29), time(1), timedelta(hours=1), (2026, 3, 29, 1, 0)),
    ("Australia/Sydney", date(2026, 10, 4), time(2), timedelta(hours=1), (2026, 10, 3, 16, 0)),
    # Half-hour change, and a gap at midnight (Chile springs forward at 24:00 Saturday).
    (
        "Australia/Lord_Howe",
        date(2026, 10, 4),
        time(2),
        timedelta(minutes=30),
        (2026, 10, 3, 15, 30),
    ),
    ("America/Santiago", date(2026, 9, 6), time(0), timedelta(hours=1), (2026, 9, 6, 4, 0)),
]


@pytest.mark.parametrize(("tz", "day", "gap_start", "gap", "transition"), GAPS)
def test_every_wall_time_in_a_gap_moves_to_the_transition_to_the_second(
    tz, day, gap_start, gap, transition
):
    zone = ZoneInfo(tz)
    expected = datetime(*transition, tzinfo=UTC)
    first = datetime.combine(day, gap_start)
    # Every 97 seconds through the gap, and its last second.
    walls = [first + timedelta(seconds=second) for second in range(0, int(gap.total_seconds()), 97)]
    walls.append(first + gap - timedelta(seconds=1))
    for wall in walls:
        assert local_to_utc(day, wall.time(), zone) == expected, wall
    # The wall times either side of the gap are read as they are.
    after, before = first + gap, first - timedelta(seconds=1)
    assert local_to_utc(after.date(), after.time(), zone) == expected
    assert local_to_utc(before.date(), before.time(), zone) == expected - timedelta(seconds=1)


def test_sydney_slots_across_the_repeated_hour_keep_their_offsets():
    # Sunday 5 April 2026: 03:00 AEDT goes back to 02:00 AEST, so 02:00-02:59 happens twice.
    night = schedule("Australia/Sydney", time(1), time(4))
    (interval,) = working_intervals(night, date(2026, 4, 5), date(2026, 4, 5))
    assert interval == Interval(
        datetime(2026, 4, 4, 14, tzinfo=UTC), datetime(2026, 4, 4, 18, tzinfo=UTC)
    )
    local = local_starts(night, interval, step=timedelta(minutes=30))
    assert local == [
        "01:00+1100",
        "01:30+1100",
        "02:00+1100",
        "02:30+1100",
        "02:00+1000",
        "02:30+1000",
        "03:00+1000",
        "03:30+1000",
    ]


@pytest.mark.parametrize(
    ("tz", "day", "start", "end", "expected_local"),
    [
        # Sydney skips 02:00-02:59 on 4 October 2026: 01:00-04:00 is two real hours.
        ("Australia/Sydney", date(2026, 10, 4), time(1), time(4), ["01:00+1000", "03:00+1100"]),
        # Lord Howe skips 02:00-02:29: 01:00-03:00 is an hour and a half.
        (
            "Australia/Lord_Howe",
            date(2026, 10, 4),
            time(1),
            time(3),
            ["01:00+1030", "02:30+1100"],
        ),
        # Santiago skips 00:00-00:59 on 6 September 2026: a 00:00 start opens at 01:00.
        ("America/Santiago", date(2026, 9, 6), time(0), time(2), ["01:00-0300"]),
        # Kolkata has no change: the same hours are the same instants every day.
        (
            "Asia/Kolkata",
            date(2026, 10, 4),
            time(1),
            time(4),
            ["01:00+0530", "02:00+0530", "03:00+0530"],
        ),
    ],
)
def test_hourly_slots_of_a_spring_forward_night(tz, day, start, end, expected_local):
    night = schedule(tz, start, end)
    (interval,) = working_intervals(night, day, day)
    local = local_starts(night, interval, step=timedelta(hours=1))
    assert local == expected_local
