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
slots are generated per free piece on the step grid, never as slots x busy comparisons.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from operator import attrgetter
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class Interval:
    """Half-open [start, end) of aware datetimes."""

    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class WeeklyInterval:
    weekday: int  # 0 = Monday, as datetime.weekday()
    start: time
    end: time


@dataclass(frozen=True, slots=True)
class ProviderSchedule:
    provider_id: int
    timezone: str
    weekly_hours: tuple[WeeklyInterval, ...]
    time_off: tuple[Interval, ...] = ()
    holidays: frozenset[date] = frozenset()  # provider-local dates closed for public holidays
    busy: tuple[Interval, ...] = ()  # held time of existing appointments, buffers included
    daily_cap: int | None = None
    # provider-local date -> number of non-cancelled appointments that day
    appointments_per_day: dict[date, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
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

    @property
    def local_end(self) -> datetime:
        return self.end.astimezone(self.local_start.tzinfo)


@dataclass(frozen=True, slots=True)
class WorkingInterval:
    """A working interval as instants, with the provider-local date it belongs to."""

    local_date: date
    interval: Interval


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_to_utc(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of a provider-local wall-clock time (invariant 3 rules for DST)."""
    local = datetime.combine(day, wall, tzinfo=tz)  # fold=0: first occurrence if ambiguous
    instant = local.astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) == local.replace(tzinfo=None):
        return instant
    # Nonexistent: fold=0 read the wall time with the offset from before the jump, so
    # `instant` lies after the transition and fold=1 lies before it. Find the transition.
    before = local.replace(fold=1).astimezone(UTC)
    after = instant
    if before > after:  # defensive: zoneinfo's contract says this cannot happen for a gap
        before, after = after, before
    offset_before = before.astimezone(tz).utcoffset()
    while after - before > timedelta(seconds=1):
        middle = before + (after - before) / 2
        if middle.astimezone(tz).utcoffset() == offset_before:
            before = middle
        else:
            after = middle
    return after.replace(microsecond=0) if after.microsecond else after


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
@lru_cache(maxsize=2048)
def _local_working_intervals(
    timezone: str,
    weekly_hours: tuple[WeeklyInterval, ...],
    holidays: frozenset[date],
    start_date: date,
    end_date: date,
) -> tuple[WorkingInterval, ...]:
    tz = zone(timezone)
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
            if interval.end > merged[-1].end:
                merged[-1] = Interval(merged[-1].start, interval.end)
        else:
            merged.append(interval)
    return merged


def blocked_intervals(
    schedule: ProviderSchedule, buffer_before: timedelta, buffer_after: timedelta
) -> list[Interval]:
    """Time a new appointment's own time [start, end) must avoid: time off, and busy time
    widened so that the new appointment's buffers do not touch it either."""
    widened = (
        Interval(busy.start - buffer_after, busy.end + buffer_before) for busy in schedule.busy
    )
    return merge_intervals([*schedule.time_off, *widened])


def subtract(interval: Interval, blocked: list[Interval], blocked_ends: list[datetime]):
    """Pieces of `interval` outside the merged, sorted `blocked` (ends given for bisect)."""
    cursor = interval.start
    index = bisect_right(blocked_ends, cursor)  # first block ending after the cursor
    while index < len(blocked) and blocked[index].start < interval.end:
        block = blocked[index]
        if block.start > cursor:
            yield Interval(cursor, block.start)
        cursor = max(cursor, block.end)
        index += 1
    if cursor < interval.end:
        yield Interval(cursor, interval.end)


def _local_date_range(window: Interval, tz: ZoneInfo) -> tuple[date, date]:
    # One day of margin on each side: a local day's hours can reach across UTC midnight.
    first = window.start.astimezone(tz).date() - timedelta(days=1)
    last = window.end.astimezone(tz).date() + timedelta(days=1)
    return first, last


def free_intervals(
    schedule: ProviderSchedule,
    window: Interval,
    buffer_before: timedelta = timedelta(0),
    buffer_after: timedelta = timedelta(0),
) -> list[Interval]:
    """Working time inside `window`, outside time off and holidays, where an appointment
    with the given buffers could sit without its widened time touching a busy interval."""
    tz = zone(schedule.timezone)
    blocked = blocked_intervals(schedule, buffer_before, buffer_after)
    blocked_ends = [block.end for block in blocked]
    result: list[Interval] = []
    for item in local_working_intervals(schedule, *_local_date_range(window, tz)):
        clipped = Interval(
            max(item.interval.start, window.start), min(item.interval.end, window.end)
        )
        if clipped.end > clipped.start:
            result.extend(subtract(clipped, blocked, blocked_ends))
    return result


def _first_grid_point(anchor: datetime, lower: datetime, step: timedelta) -> datetime:
    if lower <= anchor:
        return anchor
    steps = -((anchor - lower) // step)  # ceil((lower - anchor) / step)
    return anchor + steps * step


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
    tz = zone(schedule.timezone)
    window = request.window
    lowest_start = max(window.start, request.earliest_start)
    if lowest_start > request.latest_start or lowest_start >= window.end:
        return []
    blocked = blocked_intervals(schedule, request.buffer_before, request.buffer_after)
    blocked_ends = [block.end for block in blocked]
    step, duration = request.step, request.duration
    provider_id, tz_name = schedule.provider_id, schedule.timezone
    slots: list[Slot] = []
    for item in local_working_intervals(schedule, *_local_date_range(window, tz)):
        working = item.interval
        if working.end <= lowest_start or working.start >= window.end:
            continue
        if schedule.daily_cap is not None and (
            schedule.appointments_per_day.get(item.local_date, 0) >= schedule.daily_cap
        ):
            continue
        upper_end = min(working.end, window.end)
        for piece in subtract(working, blocked, blocked_ends):
            first = _first_grid_point(working.start, max(piece.start, lowest_start), step)
            # The last start: within the piece and window, and not after latest_start.
            last = min(min(piece.end, upper_end) - duration, request.latest_start)
            if last < first:
                continue
            slots.extend(
                Slot(provider_id, start, start + duration, start.astimezone(tz), tz_name)
                for start in (first + index * step for index in range((last - first) // step + 1))
            )
    slots.sort(key=attrgetter("start"))  # already in order; cheap insurance
    return slots
