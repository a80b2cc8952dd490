"""Edges of the pure availability core that the broader tests let through: nested busy
time, a cap with nothing booked, a single-instant start range, time off ending at closing,
and a wall time inside the spring-forward gap that is not on a half hour."""

from dataclasses import FrozenInstanceError
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from scheduling.availability import (
    Interval,
    ProviderSchedule,
    Slot,
    SlotRequest,
    WeeklyInterval,
    blocked_intervals,
    free_intervals,
    local_to_utc,
    local_working_intervals,
    merge_intervals,
    open_slots,
    subtract,
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


# --- merge_intervals: empty, touching and overlapping pieces ----------------------------


def test_merge_drops_empty_intervals_wherever_they_sort():
    busy = [
        Interval(utc(8), utc(8)),
        Interval(utc(9), utc(10)),
        Interval(utc(12), utc(12)),
        Interval(utc(13), utc(14)),
    ]
    assert merge_intervals(busy) == [Interval(utc(9), utc(10)), Interval(utc(13), utc(14))]


def test_merge_joins_intervals_that_only_touch():
    busy = [Interval(utc(10), utc(11)), Interval(utc(9), utc(10))]
    assert merge_intervals(busy) == [Interval(utc(9), utc(11))]


def test_merge_extends_the_last_interval_only_behind_earlier_ones():
    busy = [
        Interval(utc(9), utc(9, 30)),
        Interval(utc(10), utc(10, 30)),
        Interval(utc(11), utc(12)),
        Interval(utc(11, 30), utc(13)),
        Interval(utc(12, 45), utc(13, 15)),
        Interval(utc(15), utc(16)),
        Interval(utc(15, 10), utc(15, 20)),
    ]
    assert merge_intervals(busy) == [
        Interval(utc(9), utc(9, 30)),
        Interval(utc(10), utc(10, 30)),
        Interval(utc(11), utc(13, 15)),
        Interval(utc(15), utc(16)),
    ]


# --- holidays ------------------------------------------------------------------------------


def test_a_holiday_closes_its_day_and_the_days_after_it_stay_open():
    closed_monday = schedule(holidays=frozenset({MONDAY}))
    window = Interval(utc(0), utc(0, day=15))
    days = sorted(
        {slot.local_start.date() for slot in open_slots(closed_monday, request(window=window))}
    )
    assert days == [date(2026, 1, 13), date(2026, 1, 14)]


# --- the defaults of the input types --------------------------------------------------------


def test_a_schedule_and_a_request_default_to_nothing_blocked_and_no_buffers():
    # Callers (selectors, the rules, the recommendations) iterate and add these defaults.
    bare = schedule()
    assert (bare.time_off, bare.busy, bare.holidays) == ((), (), frozenset())
    assert (bare.daily_cap, bare.appointments_per_day) == (None, {})
    assert bare.appointments_per_day is not schedule().appointments_per_day
    asked = request()
    assert (asked.buffer_before, asked.buffer_after) == (timedelta(0), timedelta(0))


def test_a_daily_cap_with_no_counts_given_offers_the_whole_day():
    offered = starts(open_slots(schedule(daily_cap=1), request()))
    assert (offered[0], offered[-1], len(offered)) == ("09:00", "16:30", 31)


# --- results are values -----------------------------------------------------------------------


def test_working_intervals_handed_out_from_the_shared_cache_cannot_be_changed():
    # The conversion is cached and shared by every caller: one caller must not alter
    # what the next one reads.
    first = local_working_intervals(schedule(), MONDAY, MONDAY)
    with pytest.raises(FrozenInstanceError):
        first[0].interval = Interval(utc(0), utc(1))
    with pytest.raises(FrozenInstanceError):
        first[0].interval.end = utc(23)
    assert local_working_intervals(schedule(), MONDAY, MONDAY)[0].interval == Interval(
        utc(9), utc(17)
    )


def test_an_offered_slot_is_the_same_value_as_one_built_by_hand():
    slot = open_slots(schedule(), request())[0]
    by_hand = Slot(
        provider_id=7,
        start=utc(9),
        end=utc(9, 30),
        local_start=utc(9).astimezone(ZoneInfo("UTC")),
        timezone="UTC",
    )
    assert slot == by_hand
    assert {slot, by_hand} == {by_hand}
    with pytest.raises(FrozenInstanceError):
        slot.start = utc(10)


# --- the spring-forward gap, to the second --------------------------------------------------


def test_a_wall_time_one_second_into_the_gap_moves_to_the_transition():
    new_york = ZoneInfo("America/New_York")
    instant = local_to_utc(date(2026, 3, 8), time(2, 0, 1), new_york)
    assert instant == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)


# --- refused requests -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("duration", "step"),
    [(timedelta(0), 15 * MINUTES), (-30 * MINUTES, 15 * MINUTES), (30 * MINUTES, -MINUTES)],
)
def test_a_request_with_a_non_positive_duration_or_step_is_refused(duration, step):
    with pytest.raises(ValueError, match="^duration and step must be positive$"):
        open_slots(schedule(), request(duration=duration, step=step))


# --- working hours exactly one slot long ------------------------------------------------------


def test_working_hours_exactly_one_slot_long_offer_that_slot():
    short_day = schedule(weekly_hours=(WeeklyInterval(0, time(9), time(9, 30)),))
    slots = open_slots(short_day, request())
    assert [(slot.start, slot.end) for slot in slots] == [(utc(9), utc(9, 30))]


# --- blocked time: empty, touching and overlapping pieces ---------------------------------


def test_an_empty_time_off_blocks_nothing_and_does_not_hide_later_time_off():
    empty_then_lunch = schedule(
        time_off=(Interval(utc(8), utc(8)), Interval(utc(10, 10), utc(10, 10))),
        busy=(Interval(utc(12), utc(13)),),
    )
    offered = starts(open_slots(empty_then_lunch, request()))
    assert "10:00" in offered  # 10:00-10:30 spans the empty time off at 10:10
    assert [start for start in offered if "11:30" < start < "13:00"] == []
    assert blocked_intervals(empty_then_lunch, timedelta(0), timedelta(0)) == [
        Interval(utc(12), utc(13))
    ]


def test_blocked_time_is_merged_and_widened_by_the_new_appointments_buffers():
    busy = (Interval(utc(10), utc(11)), Interval(utc(11), utc(12)), Interval(utc(14), utc(15)))
    time_off = (Interval(utc(14, 30), utc(16)), Interval(utc(14, 45), utc(15, 15)))
    blocked = schedule(busy=busy, time_off=time_off)
    assert blocked_intervals(blocked, timedelta(0), timedelta(0)) == [
        Interval(utc(10), utc(12)),
        Interval(utc(14), utc(16)),
    ]
    # Buffers widen busy time only: 10 minutes after the new appointment before each busy
    # start, 5 minutes before it after each busy end; time off stays as it is.
    assert blocked_intervals(blocked, 5 * MINUTES, 10 * MINUTES) == [
        Interval(utc(9, 50), utc(12, 5)),
        Interval(utc(13, 50), utc(16)),
    ]


def test_subtract_leaves_the_pieces_of_an_interval_outside_the_blocked_time():
    blocked = [Interval(utc(8), utc(9, 30)), Interval(utc(11), utc(12)), Interval(utc(16), utc(18))]
    pieces = subtract(Interval(utc(9), utc(17)), blocked, [block.end for block in blocked])
    assert list(pieces) == [Interval(utc(9, 30), utc(11)), Interval(utc(12), utc(16))]


# --- overlapping working hours --------------------------------------------------------------


def test_slots_of_overlapping_working_hours_come_sorted_by_start():
    overlapping = schedule(
        weekly_hours=(
            WeeklyInterval(0, time(9), time(11)),
            WeeklyInterval(0, time(10, 10), time(12)),
            WeeklyInterval(0, time(14), time(15)),
        )
    )
    slots = open_slots(overlapping, request(step=30 * MINUTES))
    assert starts(slots) == [
        "09:00",
        "09:30",
        "10:00",
        "10:10",
        "10:30",
        "10:40",
        "11:10",
        "14:00",
        "14:30",
    ]


# --- a notice that leaves no room on the first day ------------------------------------------


def test_a_notice_past_the_last_start_of_a_day_still_offers_the_next_day():
    window = Interval(utc(0), utc(0, day=14))
    slots = open_slots(schedule(), request(window=window, earliest_start=utc(16, 45)))
    assert slots[0].start == utc(9, day=13)
    assert {slot.local_start.date() for slot in slots} == {date(2026, 1, 13)}


# --- one buffer at a time ----------------------------------------------------------------------


def test_a_buffer_before_alone_keeps_the_new_appointment_clear_after_busy_time():
    busy = schedule(busy=(Interval(utc(10), utc(10, 30)),))
    offered = starts(open_slots(busy, request(buffer_before=10 * MINUTES)))
    # [s - 10, s + 30) must not touch [10:00, 10:30): s <= 09:30 or s >= 10:40.
    assert "09:30" in offered
    assert "10:30" not in offered and "10:45" in offered


def test_a_buffer_after_alone_keeps_the_new_appointment_clear_before_busy_time():
    busy = schedule(busy=(Interval(utc(10), utc(10, 30)),))
    offered = starts(open_slots(busy, request(buffer_after=10 * MINUTES)))
    # [s, s + 40) must not touch [10:00, 10:30): s <= 09:20 or s >= 10:30.
    assert "09:15" in offered and "09:30" not in offered
    assert "10:30" in offered
    assert free_intervals(busy, Interval(utc(0), utc(0, day=13)), buffer_after=10 * MINUTES) == [
        Interval(utc(9), utc(9, 50)),
        Interval(utc(10, 30), utc(17)),
    ]


# --- weekly hours in any order -------------------------------------------------------------------


def test_weekly_hours_given_afternoon_first_give_working_time_in_order():
    afternoon_first = schedule(
        weekly_hours=(WeeklyInterval(0, time(13), time(17)), WeeklyInterval(0, time(9), time(12)))
    )
    assert [item.interval for item in local_working_intervals(afternoon_first, MONDAY, MONDAY)] == [
        Interval(utc(9), utc(12)),
        Interval(utc(13), utc(17)),
    ]
    assert free_intervals(afternoon_first, Interval(utc(0), utc(0, day=13))) == [
        Interval(utc(9), utc(12)),
        Interval(utc(13), utc(17)),
    ]


# --- the process's own time zone does not matter --------------------------------------------------

# Kiritimati (+14) and Pago Pago (-11) are 25 hours apart: a local date read in the server's
# zone instead of the provider's can be two days off, more than the one-day margin absorbs.
FAR_ZONES = [
    # Provider in Pago Pago working Mondays 23:00-23:59; the window is that hour (Wednesday
    # already in Kiritimati).
    pytest.param(
        "Pacific/Kiritimati",
        "Pacific/Pago_Pago",
        WeeklyInterval(0, time(23), time(23, 59)),
        Interval(utc(10, day=13), utc(11, day=13)),
        ["2026-01-12T23:00:00-11:00", "2026-01-12T23:15:00-11:00"],
        [Interval(utc(10, day=13), utc(10, 59, day=13))],
        id="server-east-provider-west",
    ),
    # Provider in Kiritimati working Tuesdays 00:00-01:00; the window is that hour (still
    # Sunday in Pago Pago).
    pytest.param(
        "Pacific/Pago_Pago",
        "Pacific/Kiritimati",
        WeeklyInterval(1, time(0), time(1)),
        Interval(utc(10), utc(11)),
        ["2026-01-13T00:00:00+14:00", "2026-01-13T00:15:00+14:00", "2026-01-13T00:30:00+14:00"],
        [Interval(utc(10), utc(11))],
        id="server-west-provider-east",
    ),
]


@pytest.mark.parametrize(
    ("server_zone", "provider_zone", "hours", "window", "expected_starts", "expected_free"),
    FAR_ZONES,
)
def test_slots_follow_the_provider_zone_whatever_the_server_zone(
    server_zone, provider_zone, hours, window, expected_starts, expected_free
):
    far = schedule(timezone=provider_zone, weekly_hours=(hours,))
    # time-machine sets the process's zone (TZ) for the duration of the travel.
    with time_machine.travel(datetime(2026, 1, 5, 12, tzinfo=ZoneInfo(server_zone)), tick=False):
        offered = open_slots(far, request(window=window))
        free = free_intervals(far, window)
    assert [slot.local_start.isoformat() for slot in offered] == expected_starts
    assert free == expected_free
