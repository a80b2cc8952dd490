"""Plain inputs and outputs of the scoring engine (no Django: built by the selectors)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

URGENCIES = ("routine", "soon", "urgent")
TIMES_OF_DAY = ("morning", "afternoon", "evening")
# A named range a client may prefer besides the three parts of the day: [start, end) hours.
NAMED_RANGES: dict[str, tuple[float, float]] = {
    "morning": (0.0, 12.0),
    "lunchtime": (12.0, 14.0),
    "afternoon": (12.0, 17.0),
    "evening": (17.0, 24.0),
}


def time_of_day(hour: float) -> str:
    """Morning before 12:00, afternoon 12:00-17:00, evening after (as in the profile)."""
    if hour < 12:
        return "morning"
    if hour < 17:
        return "afternoon"
    return "evening"


@dataclass(frozen=True, slots=True)
class TimeRange:
    """Half-open [start, end) of aware datetimes."""

    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class CandidateSlot:
    """One bookable slot. `blocked_*` is the provider time it holds, buffers included."""

    provider_id: int
    start: datetime  # UTC
    end: datetime  # UTC
    local_start: datetime  # aware, provider's zone
    timezone: str
    blocked_start: datetime
    blocked_end: datetime
    seats_left: int | None = None  # a group service's seats still free (None: private)


@dataclass(frozen=True, slots=True)
class PastAppointment:
    """One past appointment, its start seen in the client's zone (their "Tuesday mornings" are
    their own, whichever zone the provider works in)."""

    weekday: int  # 0 = Monday, in the client's zone
    local_hour: float  # in the client's zone, e.g. 9.5 for 09:30
    provider_id: int
    lead_time_days: float  # from booking to start
    booked_at: datetime
    service_id: int | None = None


@dataclass(frozen=True, slots=True)
class ClientHistory:
    appointments: tuple[PastAppointment, ...] = ()
    half_life_days: float = 120.0  # an appointment booked this long ago counts half


@dataclass(frozen=True, slots=True)
class StatedPreferences:
    weekdays: frozenset[int] = frozenset()  # 0-6
    times_of_day: frozenset[str] = frozenset()  # names of NAMED_RANGES
    # Hard limits, in the client's zone: nothing starting before `earliest_hour`, ending
    # after `latest_hour` or on an avoided weekday is recommended.
    earliest_hour: float = 7.0
    latest_hour: float = 21.0
    avoided_weekdays: frozenset[int] = frozenset()
    preferred_providers: frozenset[int] = frozenset()  # favoured (provider continuity)
    avoided_providers: frozenset[int] = frozenset()  # never recommended
    # When these wishes were last changed (None: never): history from before counts less.
    stated_at: datetime | None = None

    @property
    def states_a_fit(self) -> bool:
        """Whether any wish says which days or hours fit (not only the limits)."""
        return bool(self.weekdays or self.times_of_day)


@dataclass(frozen=True, slots=True)
class PopulationPatterns:
    """What everyone books: the fallback for a client with no history and no stated wishes
    (each booking's weekday and time of day in its own client's zone)."""

    weekday_share: dict[int, float] = field(default_factory=dict)
    time_of_day_share: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ProviderContext:
    provider_id: int
    name: str
    # share of the provider's appointments that are for the requested service (None: unknown)
    service_share: float | None = None
    services_offered: int = 1
    busy: tuple[TimeRange, ...] = ()  # held time of existing appointments, buffers included
    working: tuple[TimeRange, ...] = ()  # working intervals over the window, as instants
    load_share: float = 0.0  # booked share of working time over the window
    day_load: dict[date, float] = field(default_factory=dict)  # local date -> booked share


@dataclass(frozen=True, slots=True)
class RecommendationRequest:
    now: datetime
    urgency: str = "routine"
    urgent_window_days: int = 3
    shortest_service_minutes: int = 30
    # The client's IANA zone: weekday and time-of-day fit are judged, and the times in reasons
    # printed, on the slot's start in this zone (provider-side facts stay in the provider's).
    client_timezone: str = "UTC"


@dataclass(frozen=True, slots=True)
class ScoredSlot:
    candidate: CandidateSlot
    rank: int
    score: float
    features: dict[str, float]
    reasons: tuple[str, ...]
