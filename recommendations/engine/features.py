"""Per-candidate features, each a function of (columns, context) -> one value per candidate.

Values are in [0, 1]; `short_fragments` counts what is bad (its weight is negative). They are
computed on whole numpy columns so that thousands of candidates score in a few milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

import numpy as np

from recommendations.engine.types import (
    NAMED_RANGES,
    TIMES_OF_DAY,
    CandidateSlot,
    ClientHistory,
    PopulationPatterns,
    ProviderContext,
    RecommendationRequest,
    StatedPreferences,
    TimeRange,
    time_of_day,
)

FEATURE_NAMES: tuple[str, ...] = (
    "weekday_fit",
    "time_of_day_fit",
    "provider_continuity",
    "urgency_fit",
    "soonness",
    "lead_time_fit",
    "specialisation",
    "usual_slot",
    "wait_days",
    "load_balance",
    "adjacency",
    "short_fragments",
)
# What the client cares about (a learned model re-weighs these from the picks) versus what the
# clinic decides (kept at the staff-set weights whatever ranks the client features): urgent
# needs are seen soonest, load is spread, gaps are filled.
BUSINESS_FEATURES: tuple[str, ...] = (
    "urgency_fit",
    "load_balance",
    "adjacency",
    "short_fragments",
)
CLIENT_FEATURES: tuple[str, ...] = tuple(n for n in FEATURE_NAMES if n not in BUSINESS_FEATURES)

SECONDS_PER_DAY = 86400.0
# Time-of-day kernel exp(-d**2 / HOUR_KERNEL_SPREAD) for history d hours away: a Gaussian of one
# hour's standard deviation (the spread is twice its variance), so 10:00 still counts 0.61 at 11:00.
HOUR_KERNEL_SPREAD = 2.0
HOUR_GRID = 4  # quarter-hour resolution of the time-of-day table
# What a booking made before the client last stated their wishes still counts: even fifty such
# bookings give the history a confidence of 1/3 at most, so the stated wishes decide.
STALE_HISTORY_WEIGHT = 0.02


@dataclass
class FeatureContext:
    request: RecommendationRequest
    history: ClientHistory = field(default_factory=ClientHistory)
    preferences: StatedPreferences = field(default_factory=StatedPreferences)
    population: PopulationPatterns = field(default_factory=PopulationPatterns)
    providers: dict[int, ProviderContext] = field(default_factory=dict)

    def history_weights(self) -> np.ndarray:
        """Recency decay: weight 1 for a booking made now, 1/2 after `half_life_days`."""
        if not self.history.appointments:
            return np.zeros(0)
        now = self.request.now
        ages = np.array(
            [
                (now - a.booked_at).total_seconds() / SECONDS_PER_DAY
                for a in self.history.appointments
            ]
        )
        weights = 0.5 ** (np.clip(ages, 0, None) / self.history.half_life_days)
        stated_at = self.preferences.stated_at
        if stated_at is not None and self.preferences.states_a_fit:
            # A wish stated after these bookings outweighs them: the client has changed.
            before = np.array([a.booked_at < stated_at for a in self.history.appointments])
            weights = np.where(before, weights * STALE_HISTORY_WEIGHT, weights)
        return weights

    def history_confidence(self) -> float:
        """0 with no history, towards 1 with a few recent appointments."""
        total = float(self.history_weights().sum())
        return total / (total + 2.0)


@dataclass
class CandidateColumns:
    """The candidates as numpy columns (computed once per request)."""

    candidates: list[CandidateSlot]
    provider_ids: np.ndarray
    start_ts: np.ndarray  # epoch seconds
    end_ts: np.ndarray
    blocked_start_ts: np.ndarray
    blocked_end_ts: np.ndarray
    client_weekdays: np.ndarray  # of the start in the client's zone, 0 = Monday
    client_hours: np.ndarray  # of the start in the client's zone, fractional
    provider_dates: list[date]  # of the start in the provider's zone

    @classmethod
    def of(cls, candidates: list[CandidateSlot], client_timezone: str = "UTC") -> CandidateColumns:
        """The columns, with weekday and hour of each start in the client's zone."""
        zone = ZoneInfo(client_timezone)
        client = [c.start.astimezone(zone) for c in candidates]
        return cls(
            candidates=candidates,
            provider_ids=np.array([c.provider_id for c in candidates], dtype=np.int64),
            start_ts=np.array([c.start.timestamp() for c in candidates], dtype=float),
            end_ts=np.array([c.end.timestamp() for c in candidates], dtype=float),
            blocked_start_ts=np.array([c.blocked_start.timestamp() for c in candidates]),
            blocked_end_ts=np.array([c.blocked_end.timestamp() for c in candidates]),
            client_weekdays=np.array([d.weekday() for d in client], dtype=np.int64),
            client_hours=np.array([d.hour + d.minute / 60 for d in client], dtype=float),
            provider_dates=[c.local_start.date() for c in candidates],
        )

    def __len__(self) -> int:
        return len(self.candidates)

    def where(self, mask: np.ndarray) -> CandidateColumns:
        """The candidates where `mask` is true, in the same order."""
        kept = np.flatnonzero(mask)
        return CandidateColumns(
            candidates=[self.candidates[i] for i in kept],
            provider_ids=self.provider_ids[kept],
            start_ts=self.start_ts[kept],
            end_ts=self.end_ts[kept],
            blocked_start_ts=self.blocked_start_ts[kept],
            blocked_end_ts=self.blocked_end_ts[kept],
            client_weekdays=self.client_weekdays[kept],
            client_hours=self.client_hours[kept],
            provider_dates=[self.provider_dates[i] for i in kept],
        )

    def days_ahead(self, now) -> np.ndarray:
        return np.clip((self.start_ts - now.timestamp()) / SECONDS_PER_DAY, 0, None)


def _normalise(table: np.ndarray) -> np.ndarray:
    top = float(table.max())
    return table / top if top > 0 else np.zeros_like(table)


def _blend(confidence: float, from_history: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """History, trusted by how much there is, topped up by the fallback (if any)."""
    if not fallback.any():
        return _normalise(from_history)
    return confidence * _normalise(from_history) + (1 - confidence) * _normalise(fallback)


# --- preference fit -------------------------------------------------------------------------


def weekday_preference_table(ctx: FeatureContext) -> tuple[np.ndarray, str]:
    """Fit of each weekday 0-6 in [0, 1], and where it comes from (history/stated/population)."""
    weekdays = np.array([a.weekday for a in ctx.history.appointments], dtype=np.int64)
    from_history = np.bincount(weekdays, weights=ctx.history_weights(), minlength=7)
    fallback, source = np.zeros(7), "none"
    if ctx.preferences.weekdays:
        fallback = np.isin(np.arange(7), sorted(ctx.preferences.weekdays)).astype(float)
        source = "stated"
    elif ctx.population.weekday_share:
        for weekday, share in ctx.population.weekday_share.items():
            fallback[int(weekday)] = share
        source = "population"
    confidence = ctx.history_confidence()
    if confidence >= 0.5:
        source = "history"
    return _blend(confidence, from_history, fallback), source


def hour_preference_table(ctx: FeatureContext) -> tuple[np.ndarray, str]:
    """Fit of each quarter hour of the day (96 values), and its source."""
    grid = np.arange(24 * HOUR_GRID) / HOUR_GRID
    hours = np.array([a.local_hour for a in ctx.history.appointments], dtype=float)
    distances = np.subtract.outer(hours, grid)  # one row per past appointment
    from_history = ctx.history_weights() @ np.exp(-(distances**2) / HOUR_KERNEL_SPREAD)
    buckets = np.array([TIMES_OF_DAY.index(time_of_day(h)) for h in grid])
    fallback, source = np.zeros_like(grid), "none"
    if ctx.preferences.times_of_day:
        fallback = np.zeros_like(grid)
        for name in ctx.preferences.times_of_day:
            low, high = NAMED_RANGES.get(name, (0.0, 0.0))
            fallback[(grid >= low) & (grid < high)] = 1.0
        source = "stated"
    elif ctx.population.time_of_day_share:
        for name, share in ctx.population.time_of_day_share.items():
            if name in TIMES_OF_DAY:
                fallback[buckets == TIMES_OF_DAY.index(name)] = share
        source = "population"
    confidence = ctx.history_confidence()
    if confidence >= 0.5:
        source = "history"
    return _blend(confidence, from_history, fallback), source


def weekday_fit(cols: CandidateColumns, ctx: FeatureContext) -> np.ndarray:
    table, _ = weekday_preference_table(ctx)
    return table[cols.client_weekdays]


def time_of_day_fit(cols: CandidateColumns, ctx: FeatureContext) -> np.ndarray:
    table, _ = hour_preference_table(ctx)
    index = np.clip(np.round(cols.client_hours * HOUR_GRID).astype(int), 0, table.size - 1)
    return table[index]


def provider_share_table(ctx: FeatureContext) -> dict[int, float]:
    """Decayed share of the client's history with each provider, the usual one scoring 1."""
    weights = ctx.history_weights()
    totals: dict[int, float] = {}
    for index, appointment in enumerate(ctx.history.appointments):
        pid = appointment.provider_id
        totals[pid] = totals.get(pid, 0.0) + float(weights[index])
    if not totals:
        return {}
    top = max(totals.values())
    return {pid: value / top for pid, value in totals.items()} if top > 0 else {}


def provider_continuity(cols: CandidateColumns, ctx: FeatureContext) -> np.ndarray:
    """The client's usual provider scores 1 (decayed history), and so does one they say they
    prefer."""
    shares = provider_share_table(ctx)
    preferred = ctx.preferences.preferred_providers
    if not shares and not preferred:
        return np.zeros(len(cols))
    usual = np.array([shares.get(int(pid), 0.0) for pid in cols.provider_ids])
    if preferred:
        usual = np.where(np.isin(cols.provider_ids, sorted(preferred)), 1.0, usual)
    return usual


# --- urgency and timing ---------------------------------------------------------------------

URGENCY_HALF_LIFE_HOURS = {"urgent": 24.0, "soon": 72.0}


def urgency_fit(cols: CandidateColumns, ctx: FeatureContext) -> np.ndarray:
    """Urgent needs want the soonest slot (halves every 24 h), soon ones within days;
    routine requests are free to wait (0 everywhere, the other signals decide)."""
    half_life = URGENCY_HALF_LIFE_HOURS.get(ctx.request.urgency)
    if half_life is None:
        return np.zeros(len(cols))
    hours = cols.days_ahead(ctx.request.now) * 24
    return 0.5 ** (hours / half_life)


def soonness(cols: CandidateColumns, ctx: FeatureContext) -> np.ndarray:
    """A mild preference for sooner, whatever the urgency (halves every week)."""
    return 0.5 ** (cols.days_ahead(ctx.request.now) / 7.0)


def usual_lead_time_days(ctx: FeatureContext) -> float | None:
    """Weighted median of how far ahead the client books."""
    if not ctx.history.appointments:
        return None
    weights = ctx.history_weights()
    leads = np.array([a.lead_time_days for a in ctx.history.appointments])
    order = np.argsort(leads)
    cumulative = np.cumsum(weights[order])
    return float(leads[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


def lead_time_fit(cols: CandidateColumns, ctx: FeatureContext) -> np.ndarray:
    usual = usual_lead_time_days(ctx)
    if usual is None:
        return np.zeros(len(cols))
    tolerance = max(1.0, 0.5 * usual)
    return np.exp(-np.abs(cols.days_ahead(ctx.request.now) - usual) / tolerance)


def usual_slot(cols: CandidateColumns, ctx: FeatureContext) -> np.ndarray:
    """Both the usual weekday and the usual time (the weekday-and-hour habit as one signal)."""
    return weekday_fit(cols, ctx) * time_of_day_fit(cols, ctx)


def wait_days(cols: CandidateColumns, ctx: FeatureContext) -> np.ndarray:
    """Waiting, linear in days (in fortnights, capped at two): clients' impatience grows with
    every day, which a learned model can weigh per urgency from the picks."""
    return np.clip(cols.days_ahead(ctx.request.now) / 14.0, 0, 2)


# --- provider fit ---------------------------------------------------------------------------


def specialisation(cols: CandidateColumns, ctx: FeatureContext) -> np.ndarray:
    """Share of the provider's appointments that are this service (else 1 / services offered)."""
    table: dict[int, float] = {}
    for pid, provider in ctx.providers.items():
        if provider.service_share is not None:
            table[pid] = provider.service_share
        else:
            table[pid] = 1.0 / max(1, provider.services_offered)
    return np.array([table.get(int(pid), 0.0) for pid in cols.provider_ids])


def load_balance(cols: CandidateColumns, ctx: FeatureContext) -> np.ndarray:
    """1 for an idle provider on an idle day, 0 for one fully booked over the window and day."""
    values = np.full(len(cols), 0.5)
    for pid in np.unique(cols.provider_ids):
        provider = ctx.providers.get(int(pid))
        if provider is None:
            continue
        rows = np.flatnonzero(cols.provider_ids == pid)
        day_load = np.array([provider.day_load.get(cols.provider_dates[i], 0.0) for i in rows])
        values[rows] = 1 - 0.5 * provider.load_share - 0.5 * day_load
    # Loads are never negative, so only an over-booked provider leaves [0, 1] (below 0).
    return np.maximum(values, 0.0)


# --- schedule efficiency --------------------------------------------------------------------


def free_ranges(provider: ProviderContext) -> list[TimeRange]:
    """Working time minus busy time, sorted (one sweep over both sorted lists)."""
    busy = sorted(provider.busy, key=lambda r: r.start)
    free: list[TimeRange] = []
    first = 0
    for work in sorted(provider.working, key=lambda r: r.start):
        while first < len(busy) and busy[first].end <= work.start:
            first += 1
        cursor, index = work.start, first
        while index < len(busy) and busy[index].start < work.end:
            held = busy[index]
            if held.start > cursor:
                free.append(TimeRange(cursor, held.start))
            cursor = max(cursor, held.end)
            index += 1
        if cursor < work.end:
            free.append(TimeRange(cursor, work.end))
    return free


@dataclass
class Gaps:
    """Per candidate: free time it leaves before and after itself (NaN: not inside free time)."""

    before: np.ndarray
    after: np.ndarray


def gaps_left(cols: CandidateColumns, ctx: FeatureContext) -> Gaps:
    before = np.full(len(cols), np.nan)
    after = np.full(len(cols), np.nan)
    for pid in np.unique(cols.provider_ids):
        provider = ctx.providers.get(int(pid))
        if provider is None:
            continue
        free = free_ranges(provider)
        if not free:
            continue
        starts = np.array([r.start.timestamp() for r in free])
        ends = np.array([r.end.timestamp() for r in free])
        mask = cols.provider_ids == pid
        # Locate the free range holding the slot's held time; buffers may fall outside working
        # hours, in which case the slot itself is looked up.
        for lo, hi in ((cols.blocked_start_ts, cols.blocked_end_ts), (cols.start_ts, cols.end_ts)):
            pending = np.flatnonzero(mask & np.isnan(before))
            index = np.searchsorted(starts, lo[pending], side="right") - 1
            valid = (index >= 0) & (ends[np.clip(index, 0, None)] >= hi[pending])
            rows, index = pending[valid], index[valid]
            before[rows] = lo[rows] - starts[index]
            after[rows] = ends[index] - hi[rows]
    return Gaps(before=before, after=after)


def adjacency(cols: CandidateColumns, ctx: FeatureContext, gaps: Gaps | None = None) -> np.ndarray:
    """Half a point per side that touches an appointment or the edge of a working period."""
    gaps = gaps or gaps_left(cols, ctx)
    touches = (gaps.before == 0).astype(float) + (gaps.after == 0).astype(float)
    return touches / 2


def short_fragments(
    cols: CandidateColumns, ctx: FeatureContext, gaps: Gaps | None = None
) -> np.ndarray:
    """Half a point per side that leaves free time too short for the shortest service."""
    gaps = gaps or gaps_left(cols, ctx)
    shortest = ctx.request.shortest_service_minutes * 60

    def unusable(gap: np.ndarray) -> np.ndarray:
        return ((gap > 0) & (gap < shortest)).astype(float)

    return (unusable(np.nan_to_num(gaps.before)) + unusable(np.nan_to_num(gaps.after))) / 2


def feature_matrix(cols: CandidateColumns, ctx: FeatureContext) -> np.ndarray:
    """All features, one row per candidate, columns in FEATURE_NAMES order."""
    if not len(cols):
        return np.zeros((0, len(FEATURE_NAMES)))
    gaps = gaps_left(cols, ctx)
    columns = {
        "weekday_fit": weekday_fit(cols, ctx),
        "time_of_day_fit": time_of_day_fit(cols, ctx),
        "provider_continuity": provider_continuity(cols, ctx),
        "urgency_fit": urgency_fit(cols, ctx),
        "soonness": soonness(cols, ctx),
        "lead_time_fit": lead_time_fit(cols, ctx),
        "specialisation": specialisation(cols, ctx),
        "usual_slot": usual_slot(cols, ctx),
        "wait_days": wait_days(cols, ctx),
        "load_balance": load_balance(cols, ctx),
        "adjacency": adjacency(cols, ctx, gaps),
        "short_fragments": short_fragments(cols, ctx, gaps),
    }
    return np.column_stack([columns[name] for name in FEATURE_NAMES])
