"""Recurring series, the pure half (no Django): which starts a rule gives, and what the one
rules engine (`scheduling.rules`) says of each.

- `occurrence_starts` turns a first provider-local start and a `Recurrence` (every week,
  every two weeks, every month on the same weekday; a count or a last date) into UTC
  instants, each at the same wall-clock time in the provider's zone (`local_to_utc`: 09:00
  stays 09:00 across DST; a time the spring-forward gap skips moves to the transition).
- `series_check` asks `rules.refusal` of every occurrence from one snapshot covering the
  whole series, counting each accepted occurrence as booked before asking of the next (so two
  occurrences, or an occurrence and a chosen alternative, never take the same time or break
  a per-day limit together), and gives the refused ones alternatives from `offered_slots`:
  the closest offered starts that day, else on the nearest day that has any.
"""

from __future__ import annotations

from bisect import insort
from calendar import monthrange
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from operator import attrgetter
from zoneinfo import ZoneInfo

from scheduling import rules
from scheduling.availability import Interval, Slot, local_to_utc


class Frequency(StrEnum):
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"  # the same weekday of the month (2nd Tuesday; 5th means the last)


@dataclass(frozen=True, slots=True)
class Recurrence:
    frequency: Frequency
    count: int | None = None  # how many occurrences, the first included
    until: date | None = None  # the last provider-local date an occurrence may fall on


@dataclass(frozen=True, slots=True)
class OccurrenceCheck:
    """One occurrence as the rules see it: the start its rule gave (`original_start`), the
    start asked for (the same, or an alternative the client chose), why it is refused (None:
    it can be booked) and, when refused, where it could go instead."""

    index: int
    original_start: datetime
    start: datetime
    refusal: rules.Refusal | None
    alternatives: tuple[Slot, ...] = ()

    @property
    def available(self) -> bool:
        return self.refusal is None


# A monthly series on the 5th weekday of a month falls on the last one (not every month
# has a 5th): the ordinal -1, as RFC 5545's BYDAY=-1TU.
LAST = -1


def month_ordinal(day: date) -> int:
    """Which weekday of its month `day` is: 1 to 4, or LAST for a 5th."""
    ordinal = (day.day - 1) // 7 + 1
    return LAST if ordinal == 5 else ordinal


def _nth_weekday(year: int, month: int, weekday: int, ordinal: int) -> date:
    days = monthrange(year, month)[1]
    if ordinal == LAST:
        last = date(year, month, days)
        return last - timedelta(days=(last.weekday() - weekday) % 7)
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (ordinal - 1))


def occurrence_dates(first: date, recurrence: Recurrence, *, limit: int) -> list[date]:
    """The provider-local dates of the series, the first included: at most `limit`, at
    most `count`, none after `until`."""
    most = limit if recurrence.count is None else min(limit, recurrence.count)
    dates: list[date] = []
    index = 0
    while len(dates) < most:
        if recurrence.frequency == Frequency.MONTHLY:
            month = first.month - 1 + index
            day = _nth_weekday(
                first.year + month // 12, month % 12 + 1, first.weekday(), month_ordinal(first)
            )
        else:
            weeks = 2 if recurrence.frequency == Frequency.BIWEEKLY else 1
            day = first + timedelta(weeks=weeks * index)
        if recurrence.until is not None and day > recurrence.until:
            break
        dates.append(day)
        index += 1
    return dates


def occurrence_starts(
    first_local: datetime, recurrence: Recurrence, *, limit: int
) -> list[datetime]:
    """The UTC starts of the series whose first start is `first_local` (aware, in the
    provider's zone): every occurrence at the same local wall-clock time."""
    tz = first_local.tzinfo
    if not isinstance(tz, ZoneInfo):
        raise ValueError("The first start must be in the provider's IANA zone.")
    wall = first_local.time().replace(tzinfo=None)
    return [
        local_to_utc(day, wall, tz)
        for day in occurrence_dates(first_local.date(), recurrence, limit=limit)
    ]


# --- asking the rules ----------------------------------------------------------------------

_order = attrgetter("start", "end")


def with_booked(
    snapshot: rules.Snapshot, provider_id: int, service_id: int, start: datetime
) -> rules.Snapshot:
    """The snapshot as if `start` were booked: the provider's busy time and day count, the
    client's held time and day count, as the loader would have read them."""
    service = snapshot.services[service_id]
    provider = snapshot.providers[provider_id]
    schedule = provider.schedule
    end = start + service.duration
    blocked = Interval(start - service.buffer_before, end + service.buffer_after)
    busy = list(schedule.busy)
    insort(busy, blocked, key=_order)
    per_day = schedule.appointments_per_day
    if schedule.daily_cap is not None:
        day = start.astimezone(ZoneInfo(schedule.timezone)).date()
        per_day = {**per_day, day: per_day.get(day, 0) + 1}
    schedule = replace(schedule, busy=tuple(busy), appointments_per_day=per_day)
    providers = {**snapshot.providers, provider_id: replace(provider, schedule=schedule)}
    client = snapshot.client
    if client is not None:
        day = start.astimezone(ZoneInfo(client.timezone)).date()
        client = replace(
            client,
            held=rules.merged_held((*client.held, Interval(start, end))),
            active_per_day={**client.active_per_day, day: client.active_per_day.get(day, 0) + 1},
        )
    return replace(snapshot, providers=providers, client=client)


def alternatives(
    snapshot: rules.Snapshot,
    provider_id: int,
    service_id: int,
    wanted: datetime,
    *,
    limit: int = 3,
    search_days: int = 3,
) -> tuple[Slot, ...]:
    """The offered starts closest to `wanted` on its provider-local day; if that day offers
    none, those closest to the same wall-clock time on the nearest day that offers any
    (earlier first on a tie) within `search_days`."""
    tz = ZoneInfo(snapshot.providers[provider_id].schedule.timezone)
    wanted_local = wanted.astimezone(tz)
    wanted_day, wanted_wall = wanted_local.date(), wanted_local.time().replace(tzinfo=None)
    for distance in range(search_days + 1):
        shift = timedelta(days=distance)
        for day in sorted({wanted_day - shift, wanted_day + shift}):
            window = Interval(
                local_to_utc(day, time(0), tz), local_to_utc(day + timedelta(days=1), time(0), tz)
            )
            slots = rules.offered_slots(snapshot, service_id, window, provider_ids={provider_id})
            if slots:
                # On another day, the closest to the same wall-clock time.
                target = local_to_utc(day, wanted_wall, tz)
                closest = sorted(slots, key=lambda slot: (abs(slot.start - target), slot.start))
                return tuple(sorted(closest[:limit], key=attrgetter("start")))
    return ()


def series_check(
    snapshot: rules.Snapshot,
    *,
    provider_id: int,
    service_id: int,
    starts: Iterable[datetime],
    replacements: Mapping[datetime, datetime] | None = None,
    first_snapshot: rules.Snapshot | None = None,
) -> list[OccurrenceCheck]:
    """Each occurrence of the series (its rule's `starts`, or the replacement the client
    chose for one) as `rules.refusal` answers it, in order, each accepted one counted as
    booked before the next is asked. `first_snapshot`, when given, decides the first
    occurrence (a series starts within the normal horizon; the later ones may reach the
    series' own)."""
    replacements = replacements or {}
    checks: list[OccurrenceCheck] = []
    for index, original in enumerate(starts):
        start = replacements.get(original, original)
        asked = first_snapshot if index == 0 and first_snapshot is not None else snapshot
        refused = rules.refusal(asked, provider_id, service_id, start)
        if refused is None:
            snapshot = with_booked(snapshot, provider_id, service_id, start)
            checks.append(OccurrenceCheck(index, original, start, None))
            continue
        found = ()
        if refused.kind != rules.RefusalKind.NOT_FOUND:
            found = alternatives(asked, provider_id, service_id, start)
        checks.append(OccurrenceCheck(index, original, start, refused, found))
    return checks


# --- the series' own rules ------------------------------------------------------------------


RULE = rules.RefusalKind.RULE


@dataclass(frozen=True, slots=True)
class SeriesPolicy:
    enabled: bool
    max_occurrences: int
    horizon: timedelta  # how far ahead a series' later occurrences may reach
    excluded_service_ids: frozenset[int] = frozenset()


def series_refusal(
    policy: SeriesPolicy,
    *,
    service_id: int,
    service_name: str,
    recurrence: Recurrence,
    generated: int,
) -> rules.Refusal | None:
    """Whether this series may be asked for at all (each occurrence is then the rules
    engine's question); `generated` is how many starts the rule gave, at most one more than
    the policy's longest series."""
    if not policy.enabled:
        return rules.Refusal(
            "series_enabled", "frequency", "Repeating appointments are not offered.", RULE
        )
    if service_id in policy.excluded_service_ids:
        return rules.Refusal(
            "series_service",
            "service",
            f"{service_name} cannot be booked as a repeating series.",
            RULE,
        )
    most = policy.max_occurrences
    if recurrence.count is not None and not 2 <= recurrence.count <= most:
        return rules.Refusal(
            "series_length", "count", f"A series holds from 2 to {most} appointments.", RULE
        )
    if recurrence.count is None and generated > most:
        return rules.Refusal(
            "series_length",
            "until",
            f"That end date gives more than {most} appointments, the most one series may hold; "
            "choose an earlier end date.",
            RULE,
        )
    if generated < 2:
        return rules.Refusal(
            "series_length",
            "until",
            "That end date leaves a single appointment: choose a later end date.",
            RULE,
        )
    return None
