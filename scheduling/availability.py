"""The availability arithmetic: pure, no Django imports (tested and benchmarked alone).

Inputs are plain dataclasses built by `scheduling.selectors`; outputs are `Slot`s in UTC
with the provider-local start. Working hours are wall-clock times in the provider's IANA zone,
turned into instants per local date with zoneinfo (DESIGN.md invariant 3).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta


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
