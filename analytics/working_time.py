"""Provider working time as UTC instants, and whether an appointment still fits it.

Pure (no Django imports). Takes the scheduling core's `ProviderSchedule` dataclass, so the
same input serves the availability engine and the dashboard. Working hours are wall-clock
times in the provider's zone turned into instants per local date (DESIGN.md invariant 3): a
nonexistent local time (spring-forward gap) drops the interval for that day, an ambiguous one
uses its first occurrence.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from scheduling.availability import Interval, ProviderSchedule


def _local_instant(day: date, wall, zone: ZoneInfo) -> datetime | None:
    local = datetime.combine(day, wall, tzinfo=zone)  # fold=0: first occurrence
    round_trip = local.astimezone(UTC).astimezone(zone)
    if (round_trip.replace(tzinfo=None)) != local.replace(tzinfo=None):
        return None  # the wall time does not exist on this day
    return local.astimezone(UTC)


def _fallback_working_intervals(
    schedule: ProviderSchedule, start_date: date, end_date: date
) -> list[Interval]:
    """Used only if the scheduling core offers no `working_intervals` (kept for old trees)."""
    zone = ZoneInfo(schedule.timezone)
    intervals: list[Interval] = []
    day = start_date
    while day <= end_date:
        if day not in schedule.holidays:
            for weekly in schedule.weekly_hours:
                if weekly.weekday != day.weekday():
                    continue
                start = _local_instant(day, weekly.start, zone)
                end = _local_instant(day, weekly.end, zone)
                if start is not None and end is not None and start < end:
                    intervals.append(Interval(start, end))
        day += timedelta(days=1)
    return intervals


try:  # the scheduling core's own arithmetic, so hours mean the same everywhere
    from scheduling.availability import working_intervals as _core_working_intervals
except ImportError:  # pragma: no cover - older scheduling core
    _core_working_intervals = _fallback_working_intervals


def weekly_hours_as_intervals(
    schedule: ProviderSchedule, window: Interval, *, skip_holidays: bool = True
) -> list[Interval]:
    """The provider's weekly hours clipped to `window`, as UTC intervals (time off kept)."""
    zone = ZoneInfo(schedule.timezone)
    if not skip_holidays:
        schedule = replace(schedule, holidays=frozenset())
    first = window.start.astimezone(zone).date() - timedelta(days=1)
    last = window.end.astimezone(zone).date() + timedelta(days=1)
    clipped = []
    for interval in _core_working_intervals(schedule, first, last):
        start, end = max(interval.start, window.start), min(interval.end, window.end)
        if start < end:
            clipped.append(Interval(start, end))
    return sorted(clipped, key=lambda interval: interval.start)


def subtract(intervals: Iterable[Interval], holes: Iterable[Interval]) -> list[Interval]:
    """`intervals` with every part covered by `holes` removed."""
    result = list(intervals)
    for hole in holes:
        pieces: list[Interval] = []
        for interval in result:
            if hole.end <= interval.start or hole.start >= interval.end:
                pieces.append(interval)
                continue
            if interval.start < hole.start:
                pieces.append(Interval(interval.start, hole.start))
            if hole.end < interval.end:
                pieces.append(Interval(hole.end, interval.end))
        result = pieces
    return result


def working_intervals(schedule: ProviderSchedule, window: Interval) -> list[Interval]:
    """Working time in `window`: weekly hours, minus public holidays and time off."""
    return subtract(weekly_hours_as_intervals(schedule, window), schedule.time_off)


def minutes(intervals: Iterable[Interval]) -> float:
    return sum((i.end - i.start).total_seconds() for i in intervals) / 60


@dataclass(frozen=True, slots=True)
class AppointmentTime:
    appointment_id: int
    provider_id: int
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Conflict:
    appointment_id: int
    reason: str


OUTSIDE_HOURS = "outside working hours"
HOLIDAY = "on a public holiday"
TIME_OFF = "during time off"


def appointment_conflict(appointment: AppointmentTime, schedule: ProviderSchedule) -> str | None:
    """Why an appointment no longer fits its provider's schedule, or None if it fits."""
    span = Interval(appointment.start, appointment.end)
    hours = weekly_hours_as_intervals(schedule, span, skip_holidays=False)
    # Clipped to the appointment, so it fits iff one piece covers the whole of it.
    if not any(i.start == span.start and i.end == span.end for i in hours):
        return OUTSIDE_HOURS
    zone = ZoneInfo(schedule.timezone)
    last_instant = span.end - timedelta(microseconds=1)
    local_days = {span.start.astimezone(zone).date(), last_instant.astimezone(zone).date()}
    if local_days & set(schedule.holidays):
        return HOLIDAY
    if any(off.start < span.end and span.start < off.end for off in schedule.time_off):
        return TIME_OFF
    return None


def find_conflicts(
    appointments: Iterable[AppointmentTime], schedules: dict[int, ProviderSchedule]
) -> list[Conflict]:
    conflicts = []
    for appointment in appointments:
        schedule = schedules.get(appointment.provider_id)
        if schedule is None:
            continue
        reason = appointment_conflict(appointment, schedule)
        if reason:
            conflicts.append(Conflict(appointment.appointment_id, reason))
    return conflicts
