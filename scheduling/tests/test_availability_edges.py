"""Edges of the pure availability core that the broader tests let through: nested busy
time, a cap with nothing booked, a single-instant start range, time off ending at closing,
and a wall time inside the spring-forward gap that is not on a half hour."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scheduling.availability import (
    Interval,
    ProviderSchedule,
    SlotRequest,
    WeeklyInterval,
    free_intervals,
    local_to_utc,
    merge_intervals,
    open_slots,
)

MINUTES = timedelta(minutes=1)
MONDAY = date(2026, 1, 12)


def utc(hour: int, minute: int = 0, *, day: int = 12) -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=UTC)


def schedule(**overrides) -> ProviderSchedule:
    values = {
        "provider_id": 7,
        "timezone": "UTC",
        "weekly_hours": tuple(WeeklyInterval(day, time(9), time(17)) for day in range(5)),
    }
    values.update(overrides)
    return ProviderSchedule(**values)


def request(**overrides) -> SlotRequest:
    values = {
        "duration": 30 * MINUTES,
        "step": 15 * MINUTES,
        "window": Interval(utc(0), utc(0, day=13)),
        "earliest_start": utc(0),
        "latest_start": utc(0, day=31),
    }
    values.update(overrides)
    return SlotRequest(**values)


def starts(slots) -> list[str]:
    return [slot.local_start.strftime("%H:%M") for slot in slots]


# --- merge_intervals: an interval nested inside a longer one ---------------------------


def test_merge_keeps_the_longer_end_when_a_busy_interval_is_nested_in_another():
    busy = [
        Interval(utc(9), utc(9, 30)),
        Interval(utc(11), utc(12)),
        Interval(utc(11, 15), utc(11, 30)),
    ]
    assert merge_intervals(busy) == [Interval(utc(9), utc(9, 30)), Interval(utc(11), utc(12))]


def test_no_slot_is_offered_inside_the_longer_of_two_nested_busy_intervals():
    busy = (
        Interval(utc(9), utc(9, 30)),
        Interval(utc(11), utc(12)),
        Interval(utc(11, 15), utc(11, 30)),
    )
    offered = starts(open_slots(schedule(busy=busy), request()))
    assert "11:30" not in offered
    assert "11:45" not in offered
    # The free time around them is still offered, on the grid.
    assert offered[:7] == ["09:30", "09:45", "10:00", "10:15", "10:30", "12:00", "12:15"]


# --- the provider's daily cap ------------------------------------------------------------


def test_a_daily_cap_of_one_on_a_day_with_no_appointments_offers_the_whole_day():
    capped = schedule(daily_cap=1, appointments_per_day={})
    offered = starts(open_slots(capped, request()))
    assert offered[0] == "09:00" and offered[-1] == "16:30"
    assert len(offered) == 31


def test_a_daily_cap_of_one_closes_only_the_day_that_has_one():
    capped = schedule(daily_cap=1, appointments_per_day={MONDAY: 1})
    window = Interval(utc(0), utc(0, day=14))
    days = {slot.local_start.date() for slot in open_slots(capped, request(window=window))}
    assert days == {date(2026, 1, 13)}


# --- a start range of a single instant ---------------------------------------------------


def test_earliest_and_latest_start_equal_offer_exactly_that_start():
    only = utc(10)
    slots = open_slots(schedule(), request(earliest_start=only, latest_start=only))
    assert [slot.start for slot in slots] == [only]


def test_latest_start_before_earliest_offers_nothing():
    slots = open_slots(
        schedule(), request(earliest_start=utc(10), latest_start=utc(10) - timedelta(seconds=1))
    )
    assert slots == []


# --- time off up to closing --------------------------------------------------------------


def test_time_off_ending_exactly_at_closing_leaves_no_empty_piece():
    afternoon_off = schedule(time_off=(Interval(utc(14), utc(17)),))
    free = free_intervals(afternoon_off, Interval(utc(0), utc(23, 59)))
    assert free == [Interval(utc(9), utc(14))]


def test_time_off_from_opening_leaves_no_empty_piece_either():
    morning_off = schedule(time_off=(Interval(utc(9), utc(12)),))
    free = free_intervals(morning_off, Interval(utc(0), utc(23, 59)))
    assert free == [Interval(utc(12), utc(17))]


# --- the spring-forward gap ---------------------------------------------------------------


def test_a_wall_time_in_the_gap_off_the_half_hour_moves_to_the_transition_to_the_second():
    new_york = ZoneInfo("America/New_York")
    # Sunday 8 March 2026: 02:00 EST jumps to 03:00 EDT, at 07:00 UTC; 02:10 does not exist.
    instant = local_to_utc(date(2026, 3, 8), time(2, 10), new_york)
    assert instant == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    assert instant.microsecond == 0
    assert instant.astimezone(new_york).time() == time(3, 0)


def test_a_wall_time_just_after_the_gap_is_converted_as_it_reads():
    new_york = ZoneInfo("America/New_York")
    instant = local_to_utc(date(2026, 3, 8), time(3, 10), new_york)
    assert instant == datetime(2026, 3, 8, 7, 10, tzinfo=UTC)
