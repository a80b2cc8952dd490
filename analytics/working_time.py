"""Provider working time as UTC instants, and whether an appointment still fits it.

Pure (no Django imports). Built on the scheduling core (`ProviderSchedule`,
`working_intervals`), so the dashboard's working minutes and the conflict check use exactly
the hours, DST rules and holidays the booking engine uses (DESIGN.md invariant 3).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from scheduling.availability import Interval, ProviderSchedule
from scheduling.availability import working_intervals as core_working_intervals


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
    for interval in core_working_intervals(schedule, first, last):
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


def _inside_hours(span: Interval, hours: list[Interval], hour_starts: list[datetime]) -> bool:
    """Whether one working interval (sorted, non-overlapping) covers the whole span."""
    index = bisect_right(hour_starts, span.start) - 1
    return index >= 0 and hours[index].start <= span.start and span.end <= hours[index].end


def _reason(
    appointment: AppointmentTime,
    schedule: ProviderSchedule,
    hours: list[Interval],
    hour_starts: list[datetime],
) -> str | None:
    span = Interval(appointment.start, appointment.end)
    if not _inside_hours(span, hours, hour_starts):
        return OUTSIDE_HOURS
    zone = ZoneInfo(schedule.timezone)
    last_instant = span.end - timedelta(microseconds=1)
    local_days = {span.start.astimezone(zone).date(), last_instant.astimezone(zone).date()}
    if local_days & schedule.holidays:
        return HOLIDAY
    if any(off.start < span.end and span.start < off.end for off in schedule.time_off):
        return TIME_OFF
    return None


def find_conflicts(
    appointments: Iterable[AppointmentTime], schedules: dict[int, ProviderSchedule]
) -> list[Conflict]:
    """Appointments that no longer fit their provider's schedule, in the order given, with
    why: outside the weekly hours, on a public holiday, or overlapping time off. The hours
    are expanded once per provider, then each appointment is a binary search."""
    appointments = list(appointments)
    by_provider: dict[int, list[AppointmentTime]] = defaultdict(list)
    for appointment in appointments:
        by_provider[appointment.provider_id].append(appointment)
    reasons: dict[int, str] = {}
    for provider_id, items in by_provider.items():
        schedule = schedules.get(provider_id)
        if schedule is None:
            continue
        window = Interval(min(a.start for a in items), max(a.end for a in items))
        hours = weekly_hours_as_intervals(schedule, window, skip_holidays=False)
        hour_starts = [interval.start for interval in hours]
        for appointment in items:
            reason = _reason(appointment, schedule, hours, hour_starts)
            if reason:
                reasons[appointment.appointment_id] = reason
    return [
        Conflict(a.appointment_id, reasons[a.appointment_id])
        for a in appointments
        if a.appointment_id in reasons
    ]
