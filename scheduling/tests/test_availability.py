"""The pure availability core: no database, no Django."""

import ast
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from scheduling import availability
from scheduling.availability import (
    Interval,
    ProviderSchedule,
    SlotRequest,
    WeeklyInterval,
    free_intervals,
    open_slots,
    working_dates,
    working_intervals,
)

MINUTES = timedelta(minutes=1)
MONDAY = date(2026, 1, 12)


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=UTC)


def weekdays(*intervals: tuple[time, time], days=range(5)) -> tuple[WeeklyInterval, ...]:
    return tuple(WeeklyInterval(day, start, end) for day in days for start, end in intervals)


def schedule(**overrides) -> ProviderSchedule:
    values = {
        "provider_id": 7,
        "timezone": "UTC",
        "weekly_hours": weekdays((time(9), time(17))),
    }
    values.update(overrides)
    return ProviderSchedule(**values)


def request(**overrides) -> SlotRequest:
    values = {
        "duration": 30 * MINUTES,
        "step": 15 * MINUTES,
        "window": Interval(utc(12, 0), utc(13, 0)),
        "earliest_start": utc(1, 0),
        "latest_start": utc(31, 0),
    }
    values.update(overrides)
    return SlotRequest(**values)


def starts(slots) -> list[str]:
    return [slot.local_start.strftime("%H:%M") for slot in slots]


def test_module_imports_no_django():
    source = Path(availability.__file__).read_text()
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        (node.module or "").split(".")[0]
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom)
    }
    assert "django" not in imported
    code = (
        "import sys; import scheduling.availability; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('django', 'rest_framework')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    root = Path(availability.__file__).resolve().parent.parent
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_slots_start_on_the_step_grid_from_the_working_start():
    slots = open_slots(schedule(), request())
    assert starts(slots)[:3] == ["09:00", "09:15", "09:30"]
    assert starts(slots)[-1] == "16:30"
    assert len(slots) == 31
    assert all(slot.end - slot.start == 30 * MINUTES for slot in slots)


def test_a_lunch_break_splits_the_day():
    hours = weekdays((time(9), time(12)), (time(13), time(17)))
    slots = starts(open_slots(schedule(weekly_hours=hours), request()))
    assert "11:30" in slots
    assert "11:45" not in slots and "12:30" not in slots
    assert "13:00" in slots


def test_days_without_hours_have_no_slots():
    saturday = Interval(utc(17, 0), utc(18, 0))
    assert open_slots(schedule(), request(window=saturday)) == []


def test_time_off_removes_the_slots_it_touches():
    off = (Interval(utc(12, 10), utc(12, 11)),)
    slots = starts(open_slots(schedule(time_off=off), request()))
    assert "09:30" in slots and "11:00" in slots
    assert not {"10:00", "10:15", "10:30", "10:45"} & set(slots)


def test_busy_time_blocks_with_the_requested_buffers_on_both_sides():
    busy = (Interval(utc(12, 10), utc(12, 10, 30)),)
    slots = starts(
        open_slots(
            schedule(busy=busy),
            request(buffer_before=10 * MINUTES, buffer_after=5 * MINUTES),
        )
    )
    # [s - 10, s + 35) must not touch [10:00, 10:30): s <= 09:25 or s >= 10:40.
    assert "09:15" in slots and "09:30" not in slots
    assert "10:30" not in slots and "10:45" in slots


def test_adjacent_busy_interval_does_not_block():
    busy = (Interval(utc(12, 10), utc(12, 10, 30)),)
    slots = starts(open_slots(schedule(busy=busy), request()))
    assert "09:30" in slots and "10:30" in slots
    assert "09:45" not in slots and "10:15" not in slots


def test_earliest_and_latest_start_bound_the_slots():
    slots = starts(
        open_slots(schedule(), request(earliest_start=utc(12, 10, 5), latest_start=utc(12, 11)))
    )
    assert slots == ["10:15", "10:30", "10:45", "11:00"]


def test_slots_stay_inside_the_window():
    slots = open_slots(schedule(), request(window=Interval(utc(12, 10), utc(12, 11))))
    assert starts(slots) == ["10:00", "10:15", "10:30"]


def test_the_grid_stays_anchored_to_the_working_start_inside_a_window():
    hours = weekdays((time(9, 10), time(12)))
    slots = open_slots(
        schedule(weekly_hours=hours), request(window=Interval(utc(12, 10), utc(12, 12)))
    )
    assert starts(slots)[0] == "10:10"


def test_the_daily_cap_closes_a_full_day_only():
    full = schedule(daily_cap=2, appointments_per_day={MONDAY: 2})
    slots = open_slots(full, request(window=Interval(utc(12, 0), utc(14, 0))))
    assert {slot.start.date() for slot in slots} == {date(2026, 1, 13)}


def test_holidays_close_the_local_day():
    closed = schedule(holidays=frozenset({MONDAY}))
    assert open_slots(closed, request()) == []
    assert working_intervals(closed, MONDAY, MONDAY) == []


def test_working_intervals_are_per_local_date():
    tokyo = schedule(timezone="Asia/Tokyo")
    (interval,) = working_intervals(tokyo, MONDAY, MONDAY)
    assert interval == Interval(utc(12, 0), utc(12, 8))


def test_free_intervals_subtract_time_off_and_widened_busy_time():
    busy = (Interval(utc(12, 12), utc(12, 13)),)
    off = (Interval(utc(12, 15), utc(12, 18)),)
    free = free_intervals(
        schedule(busy=busy, time_off=off),
        Interval(utc(12, 0), utc(13, 0)),
        buffer_before=15 * MINUTES,
        buffer_after=30 * MINUTES,
    )
    assert free == [
        Interval(utc(12, 9), utc(12, 11, 30)),
        Interval(utc(12, 13, 15), utc(12, 15)),
    ]


def test_overlapping_busy_and_time_off_are_merged():
    busy = (
        Interval(utc(12, 10), utc(12, 11)),
        Interval(utc(12, 10, 30), utc(12, 11, 30)),
    )
    off = (Interval(utc(12, 11, 15), utc(12, 12)),)
    free = free_intervals(schedule(busy=busy, time_off=off), Interval(utc(12, 0), utc(13, 0)))
    assert free == [Interval(utc(12, 9), utc(12, 10)), Interval(utc(12, 12), utc(12, 17))]


def test_slots_are_utc_with_the_local_start_in_the_provider_zone():
    (slot, *_) = open_slots(schedule(timezone="Europe/Paris"), request())
    assert slot.start == utc(12, 8)
    assert slot.start.tzinfo is UTC
    assert slot.local_start.isoformat() == "2026-01-12T09:00:00+01:00"
    assert slot.local_end.isoformat() == "2026-01-12T09:30:00+01:00"
    assert slot.timezone == "Europe/Paris"


def test_many_busy_intervals_are_handled_by_a_sweep():
    # 2,000 busy intervals over 40 days: a quadratic loop would take seconds, a sweep is instant.
    hours = weekdays((time(0), time(23, 59)), days=range(7))
    busy = tuple(
        Interval(utc(1, 0) + index * 29 * MINUTES, utc(1, 0) + index * 29 * MINUTES + 5 * MINUTES)
        for index in range(2000)
    )
    window = Interval(utc(1, 0), utc(1, 0) + timedelta(days=40))
    slots = open_slots(
        schedule(weekly_hours=hours, busy=busy),
        request(window=window, step=5 * MINUTES, duration=20 * MINUTES),
    )
    assert len(slots) > 1000
    for slot in slots[:300]:
        assert not any(b.start < slot.end and slot.start < b.end for b in busy[:200])


def test_a_non_positive_step_is_refused():
    with pytest.raises(ValueError):
        open_slots(schedule(), request(step=timedelta(0)))


def test_working_dates_count_busy_days_and_not_days_off_in_the_viewers_zone():
    window = Interval(utc(12, 0), utc(19, 0))  # Monday to Sunday
    booked_solid = (Interval(utc(13, 9), utc(13, 17)),)
    off = (Interval(utc(14, 0), utc(15, 0)),)
    london = ZoneInfo("UTC")
    dates = working_dates(
        schedule(busy=booked_solid, time_off=off, holidays=frozenset({date(2026, 1, 15)})),
        window,
        london,
    )
    # Tuesday is fully booked but a working day; Wednesday is off, Thursday a holiday.
    assert sorted(dates) == [date(2026, 1, 12), date(2026, 1, 13), date(2026, 1, 16)]
    # Seen from Tokyo (UTC+9) the same hours (09:00-17:00 UTC) run 18:00 to 02:00.
    tokyo = working_dates(schedule(), window, ZoneInfo("Asia/Tokyo"))
    assert min(tokyo) == date(2026, 1, 12) and max(tokyo) == date(2026, 1, 17)
    # An end is not inside: work ending at midnight does not open the next day.
    to_midnight = schedule(weekly_hours=weekdays((time(16), time(23, 59))))
    assert date(2026, 1, 17) not in working_dates(to_midnight, window, london)


def test_working_dates_on_a_spring_forward_day():
    # New York's clocks go from 02:00 to 03:00 on Sunday 8 March 2026.
    new_york = schedule(
        timezone="America/New_York", weekly_hours=weekdays((time(1), time(4)), days=[6])
    )
    window = Interval(datetime(2026, 3, 8, 0, tzinfo=UTC), datetime(2026, 3, 10, 0, tzinfo=UTC))
    assert working_dates(new_york, window, ZoneInfo("America/New_York")) == {date(2026, 3, 8)}
    # The window clips: asking from 09:00 UTC (after the hours, 06:00-08:00 UTC) finds none.
    later = Interval(datetime(2026, 3, 8, 9, tzinfo=UTC), window.end)
    assert working_dates(new_york, later, ZoneInfo("America/New_York")) == set()
