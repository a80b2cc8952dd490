"""Provider working time for the dashboard's figures. Pure (no Django imports).

Working time is the scheduling core's own (`free_intervals` of a schedule loaded without busy
time): the hours, DST rules, holidays and time off the booking engine uses (invariant 3).
"""

from __future__ import annotations

from collections.abc import Iterable

from scheduling.availability import Interval, ProviderSchedule, free_intervals


def working_intervals(schedule: ProviderSchedule, window: Interval) -> list[Interval]:
    """Working time in `window`: weekly hours, minus public holidays and time off."""
    return free_intervals(schedule, window)


def minutes(intervals: Iterable[Interval]) -> float:
    return sum((i.end - i.start).total_seconds() for i in intervals) / 60
