"""The availability arithmetic: pure, no Django imports (tested and benchmarked alone).

Inputs are plain dataclasses built by `scheduling.selectors`; outputs are `Slot`s in UTC
with the provider-local start. Working hours are wall-clock times in the provider's IANA zone,
turned into instants per local date with zoneinfo (DESIGN.md invariant 3):

- a nonexistent local time (the hour skipped when clocks go forward) is moved forward to the
  instant of the transition, so a working interval covers exactly the wall-clock times that
  exist between its start and end (an interval wholly inside the gap disappears);
- an ambiguous local time (the hour repeated when clocks go back) uses its first occurrence
  (fold=0).

Every function is a sort plus a sweep: blocked time is merged once and looked up with bisect,
slots are generated per free piece on the step grid, never as slots x busy comparisons. The
grid of a working interval (starts, ends and local starts) is computed once per zone and
shared by every provider working those hours; its slots, immutable values, are built once per
provider and handed out as slices.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from operator import attrgetter
from zoneinfo import ZoneInfo


# `slots` only saves memory (the caches hold these values by the thousand): no behaviour to test.
@dataclass(frozen=True, slots=True)  # pragma: no mutate
class Interval:
    """Half-open [start, end) of aware datetimes."""

    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)  # pragma: no mutate
class WeeklyInterval:
    weekday: int  # 0 = Monday, as datetime.weekday()
    start: time
    end: time


@dataclass(frozen=True, slots=True)  # pragma: no mutate
class SessionSeats:
    """A provider's group session with at least one seat held: its time (buffers included,
    once for all its seats) and how many seats are held (live holds included)."""

    session_id: int
    service_id: int
    start: datetime
    blocked: Interval
    taken: int


@dataclass(frozen=True, slots=True)  # pragma: no mutate
class ProviderSchedule:
    provider_id: int
    timezone: str
    weekly_hours: tuple[WeeklyInterval, ...]
    time_off: tuple[Interval, ...] = ()
    holidays: frozenset[date] = frozenset()  # provider-local dates closed for public holidays
    busy: tuple[Interval, ...] = ()  # held time of existing appointments, buffers included
    daily_cap: int | None = None  # pragma: no mutate
    # provider-local date -> number of non-cancelled appointments that day (consulted, and
    # filled by the snapshot loader, only when there is a daily cap)
    appointments_per_day: dict[date, int] = field(default_factory=dict)
    # Group sessions with seats held; each is also ONE interval of `busy` (its `blocked`).
    sessions: tuple[SessionSeats, ...] = ()


@dataclass(frozen=True, slots=True)  # pragma: no mutate
class SlotRequest:
    duration: timedelta
    step: timedelta
    window: Interval  # the asked-for window
    earliest_start: datetime  # now + minimum notice
    latest_start: datetime  # now + horizon
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)


@dataclass(frozen=True, slots=True)
class Slot:
    provider_id: int
    start: datetime  # UTC
    end: datetime  # UTC
    local_start: datetime  # aware, in the provider's zone
    timezone: str
    # Seats still free at this time, for a group service (None: a private appointment).
    seats_left: int | None = None

    @property
    def local_end(self) -> datetime:
        return self.end.astimezone(self.local_start.tzinfo)


@dataclass(frozen=True, slots=True)  # pragma: no mutate
class WorkingInterval:
    """A working interval as instants, with the provider-local date it belongs to."""

    local_date: date
    interval: Interval


def local_to_utc(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of a provider-local wall-clock time (invariant 3 rules for DST)."""
    local = datetime.combine(day, wall, tzinfo=tz)  # fold=0: first occurrence if ambiguous
    instant = local.astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) == local.replace(tzinfo=None):
        return instant
    # Nonexistent: fold=0 read the wall time with the offset from before the jump, so
    # `instant` lies after the transition and fold=1 (the offset after the jump, which is
    # larger in a gap) lies before it (PEP 495). Find the transition.
    before = local.replace(fold=1).astimezone(UTC)
    after = instant
    offset_before = before.astimezone(tz).utcoffset()
    while after - before > timedelta(seconds=1):
        middle = before + (after - before) / 2
        if middle.astimezone(tz).utcoffset() == offset_before:
            before = middle
        else:
            after = middle
    # Transitions fall on whole seconds and `after` lies less than one second past it.
    return after.replace(microsecond=0)


def _dates(start_date: date, end_date: date) -> Iterable[date]:
    day = start_date
    while day <= end_date:
        yield day
        day += timedelta(days=1)


def local_working_intervals(
    schedule: ProviderSchedule, start_date: date, end_date: date
) -> tuple[WorkingInterval, ...]:
    """Working intervals for each provider-local date in [start_date, end_date], as instants."""
    return _local_working_intervals(
        schedule.timezone, schedule.weekly_hours, schedule.holidays, start_date, end_date
    )


# Providers of a clinic mostly share zones and hours: the conversion is computed once each.
@lru_cache(maxsize=2048)  # pragma: no mutate
def _local_working_intervals(
    timezone: str,
    weekly_hours: tuple[WeeklyInterval, ...],
    holidays: frozenset[date],
    start_date: date,
    end_date: date,
) -> tuple[WorkingInterval, ...]:
    tz = ZoneInfo(timezone)
    by_weekday: dict[int, list[WeeklyInterval]] = {}
    for weekly in weekly_hours:
        by_weekday.setdefault(weekly.weekday, []).append(weekly)
    for intervals in by_weekday.values():
        intervals.sort(key=lambda weekly: weekly.start)
    result: list[WorkingInterval] = []
    for day in _dates(start_date, end_date):
        if day in holidays:
            continue
        for weekly in by_weekday.get(day.weekday(), ()):
            start = local_to_utc(day, weekly.start, tz)
            end = local_to_utc(day, weekly.end, tz)
            if end > start:
                result.append(WorkingInterval(day, Interval(start, end)))
    return tuple(result)


def working_intervals(
    schedule: ProviderSchedule, start_date: date, end_date: date
) -> list[Interval]:
    """UTC working intervals of each provider-local date from start_date to end_date inclusive,
    holidays removed."""
    return [item.interval for item in local_working_intervals(schedule, start_date, end_date)]


def merge_intervals(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, non-overlapping union (touching intervals are joined)."""
    merged: list[Interval] = []
    for interval in sorted(intervals, key=lambda item: item.start):
        if interval.end <= interval.start:
            continue
        if merged and interval.start <= merged[-1].end:
            merged[-1] = Interval(merged[-1].start, max(merged[-1].end, interval.end))
        else:
            merged.append(interval)
    return merged


_starts = attrgetter("start")
_bounds = attrgetter("start", "end")
# Earlier than any instant: the "end so far" before the first interval of a sweep.
_BEFORE_ALL = datetime.min.replace(tzinfo=UTC)


def _blocked_bounds(
    schedule: ProviderSchedule, buffer_before: timedelta, buffer_after: timedelta
) -> tuple[list[datetime], list[datetime]]:
    """Starts and ends of the merged blocked time (see `blocked_intervals`), as two sorted
    lists: no Interval is built, and busy time is only widened when a buffer asks for it."""
    bounds = list(map(_bounds, schedule.busy))
    if buffer_before or buffer_after:
        bounds = [(start - buffer_after, end + buffer_before) for start, end in bounds]
    bounds.extend(map(_bounds, schedule.time_off))
    bounds.sort()
    merged_starts: list[datetime] = []
    merged_ends: list[datetime] = []
    last_end = _BEFORE_ALL
    for start, end in bounds:
        if end <= start:
            continue
        if start <= last_end:
            merged_ends[-1] = last_end = max(last_end, end)
        else:
            merged_starts.append(start)
            merged_ends.append(end)
            last_end = end
    return merged_starts, merged_ends


def blocked_intervals(
    schedule: ProviderSchedule, buffer_before: timedelta, buffer_after: timedelta
) -> list[Interval]:
    """Time a new appointment's own time [start, end) must avoid: time off, and busy time
    widened so that the new appointment's buffers do not touch it either."""
    starts, ends = _blocked_bounds(schedule, buffer_before, buffer_after)
    return list(map(Interval, starts, ends))


def _free_pieces(
    start: datetime, end: datetime, blocked_starts: list[datetime], blocked_ends: list[datetime]
) -> list[tuple[datetime, datetime]]:
    """(start, end) pieces of [start, end) outside the merged, sorted blocked time (none when
    the range is empty)."""
    pieces = []
    cursor = start
    # The blocks ending after `start` and starting before `end`, in order.
    for index in range(bisect_right(blocked_ends, start), bisect_left(blocked_starts, end)):
        if blocked_starts[index] > cursor:
            pieces.append((cursor, blocked_starts[index]))
        cursor = blocked_ends[index]
    if cursor < end:
        pieces.append((cursor, end))
    return pieces


def subtract(interval: Interval, blocked: list[Interval], blocked_ends: list[datetime]):
    """Pieces of `interval` outside the merged, sorted `blocked` (ends given for bisect)."""
    blocked_starts = [block.start for block in blocked]
    for start, end in _free_pieces(interval.start, interval.end, blocked_starts, blocked_ends):
        yield Interval(start, end)


# One day of margin on each side of the window's local dates: where clocks were set back
# across midnight, a local date's hours can lie outside the dates the window's ends read.
# A wider margin only adds days that the window then clips away, so its size is not mutated.
_DATE_MARGIN = timedelta(days=1)  # pragma: no mutate


def _local_date_range(window: Interval, tz: ZoneInfo) -> tuple[date, date]:
    first = window.start.astimezone(tz).date() - _DATE_MARGIN
    last = window.end.astimezone(tz).date() + _DATE_MARGIN
    return first, last


def free_intervals(
    schedule: ProviderSchedule,
    window: Interval,
    buffer_before: timedelta = timedelta(0),
    buffer_after: timedelta = timedelta(0),
) -> list[Interval]:
    """Working time inside `window`, outside time off and holidays, where an appointment
    with the given buffers could sit without its widened time touching a busy interval."""
    tz = ZoneInfo(schedule.timezone)
    blocked_starts, blocked_ends = _blocked_bounds(schedule, buffer_before, buffer_after)
    result: list[Interval] = []
    for item in local_working_intervals(schedule, *_local_date_range(window, tz)):
        clipped_start = max(item.interval.start, window.start)
        clipped_end = min(item.interval.end, window.end)
        result.extend(
            Interval(start, end)
            for start, end in _free_pieces(clipped_start, clipped_end, blocked_starts, blocked_ends)
        )
    return result


def working_dates(schedule: ProviderSchedule, window: Interval, zone: ZoneInfo) -> set[date]:
    """The dates, in the viewer's `zone`, on which the provider works some time inside
    `window`: weekly hours, holidays and time off applied, busy time not (a working day that
    is fully booked is still a working day; a day off is closed)."""
    dates: set[date] = set()
    for piece in free_intervals(replace(schedule, busy=()), window):
        last = (piece.end - _INSTANT).astimezone(zone).date()
        dates.update(_dates(piece.start.astimezone(zone).date(), last))
    return dates


_INSTANT = timedelta(microseconds=1)  # an end is not inside its interval


# One grid per zone and working interval, shared by the providers working those hours (and
# by later requests): the starts, their ends and their local starts, computed once.
@lru_cache(maxsize=8192)  # pragma: no mutate
def _grid(
    timezone: str, start: datetime, end: datetime, step: timedelta, duration: timedelta
) -> tuple[tuple[datetime, ...], tuple[datetime, ...], tuple[datetime, ...]]:
    """Starts on the step grid from `start` with their slot inside [start, end)."""
    tz = ZoneInfo(timezone)
    # Negative when not even one slot fits: the range is then empty.
    count = (end - duration - start) // step + 1
    starts = tuple(start + index * step for index in range(count))
    return (
        starts,
        tuple(slot_start + duration for slot_start in starts),
        tuple(slot_start.astimezone(tz) for slot_start in starts),
    )


# `Slot` is frozen, so its generated __init__ goes through object.__setattr__ once per
# field; the grid's slots are filled directly (the same fields and values; equality,
# hashing and immutability are unchanged).
_new_object = object.__new__
_set_provider_id = Slot.provider_id.__set__
_set_start = Slot.start.__set__
_set_end = Slot.end.__set__
_set_local_start = Slot.local_start.__set__
_set_timezone = Slot.timezone.__set__
_set_seats_left = Slot.seats_left.__set__


# Every slot of one provider's working interval on the grid, in order. A slot is an immutable
# value, so the same objects serve every later request about those hours: open_slots hands
# out slices of this tuple instead of building up to hundreds of thousands of slots per
# request. Bounded: a clinic of 200 providers asking 30 days holds about 12,000 entries
# (about 100,000 slots, some 15 MB); the least recently used go first.
@lru_cache(maxsize=32768)  # pragma: no mutate
def _grid_slots(
    provider_id: int,
    timezone: str,
    start: datetime,
    end: datetime,
    step: timedelta,
    duration: timedelta,
) -> tuple[Slot, ...]:
    grid_starts, grid_ends, grid_local_starts = _grid(timezone, start, end, step, duration)
    slots = []
    # Three tuples of one grid, equal in length by construction: `strict` cannot matter.
    for slot_start, slot_end, local_start in zip(
        grid_starts,
        grid_ends,
        grid_local_starts,
        strict=True,  # pragma: no mutate
    ):
        slot = _new_object(Slot)
        _set_provider_id(slot, provider_id)
        _set_start(slot, slot_start)
        _set_end(slot, slot_end)
        _set_local_start(slot, local_start)
        _set_timezone(slot, timezone)
        _set_seats_left(slot, None)
        slots.append(slot)
    return tuple(slots)


# A provider's working intervals over a range of local dates, each with its grid's slots:
# one cache lookup per provider and request rather than one per working interval.
@lru_cache(maxsize=4096)  # pragma: no mutate
def _working_grids(
    provider_id: int,
    timezone: str,
    weekly_hours: tuple[WeeklyInterval, ...],
    holidays: frozenset[date],
    start_date: date,
    end_date: date,
    step: timedelta,
    duration: timedelta,
) -> tuple[tuple[date, datetime, datetime, tuple, tuple, tuple[Slot, ...]], ...]:
    """(local date, start, end, grid starts, grid ends, grid slots) per working interval."""
    return tuple(
        (
            item.local_date,
            item.interval.start,
            item.interval.end,
            *_grid(timezone, item.interval.start, item.interval.end, step, duration)[:2],
            _grid_slots(
                provider_id, timezone, item.interval.start, item.interval.end, step, duration
            ),
        )
        for item in _local_working_intervals(timezone, weekly_hours, holidays, start_date, end_date)
    )


def open_slots(schedule: ProviderSchedule, request: SlotRequest) -> list[Slot]:
    """Bookable slots of one provider, sorted by start.

    A slot starts on the step grid counted from its working interval's start (09:00, 09:15,
    ... in local time), lies inside working hours and outside time off, its time widened by
    the requested buffers overlaps no busy interval, its start is within
    [earliest_start, latest_start], it lies inside the window, and its local day is under the
    provider's daily cap.
    """
    if request.duration <= timedelta(0) or request.step <= timedelta(0):
        raise ValueError("duration and step must be positive")
    tz = ZoneInfo(schedule.timezone)
    window = request.window
    step, duration = request.step, request.duration
    lowest_start = max(window.start, request.earliest_start)
    # The last start the window and latest_start allow.
    last_start = min(window.end - duration, request.latest_start)
    if last_start < lowest_start:
        return []
    blocked_starts, blocked_ends = _blocked_bounds(
        schedule, request.buffer_before, request.buffer_after
    )
    provider_id, tz_name = schedule.provider_id, schedule.timezone
    daily_cap, per_day = schedule.daily_cap, schedule.appointments_per_day
    slots: list[Slot] = []
    extend = slots.extend
    # Sorting slots that are already in order changes nothing: starting with "sort anyway"
    # would give the same slots, only more slowly.
    needs_sort = False  # pragma: no mutate
    previous_end = _BEFORE_ALL
    grids = _working_grids(
        provider_id,
        tz_name,
        schedule.weekly_hours,
        schedule.holidays,
        *_local_date_range(window, tz),
        step,
        duration,
    )
    for local_date, anchor, working_end, grid_starts, grid_ends, grid in grids:
        # Grid indexes [first_index, end_index) that notice, horizon and window allow.
        first_index = bisect_left(grid_starts, lowest_start)
        end_index = bisect_right(grid_starts, last_start)
        if end_index <= first_index:
            continue
        if daily_cap is not None and per_day.get(local_date, 0) >= daily_cap:
            continue
        # Hours that only touch the previous ones keep the slots in order (so `<=` would
        # merely sort sorted slots).
        if anchor < previous_end:  # pragma: no mutate
            needs_sort = True  # overlapping working hours
        previous_end = max(previous_end, working_end)
        # Sweep the free pieces of the working interval between the blocks ending after its
        # start and starting before its end; each piece [cursor, block start) takes the grid
        # slots starting at or after the cursor and ending by the block's start.
        cursor = anchor
        for index in range(
            bisect_right(blocked_ends, anchor), bisect_left(blocked_starts, working_end)
        ):
            # Searched within [first_index, end_index): bisect's bounds do the clamping.
            lower = bisect_left(grid_starts, cursor, first_index, end_index)
            upper = bisect_right(grid_ends, blocked_starts[index], lower, end_index)
            if upper > lower:
                extend(grid[lower:upper])
            cursor = blocked_ends[index]
        # The last piece runs to the working end, where the grid ends: every grid slot from
        # the cursor on fits.
        extend(grid[bisect_left(grid_starts, cursor, first_index, end_index) : end_index])
    if needs_sort:
        slots.sort(key=_starts)
    return slots
