"""Builders for the pure engine's inputs (no database)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from recommendations.engine import (
    CandidateColumns,
    CandidateSlot,
    FeatureContext,
    ProviderContext,
    RecommendationRequest,
    TimeRange,
)

LONDON = ZoneInfo("Europe/London")
# Monday 2026-03-02, London is on GMT (UTC+0) then.
NOW = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant `day` days after Monday 2 March 2026 at hour:minute London time."""
    local = datetime(2026, 3, 2, hour, minute, tzinfo=LONDON) + timedelta(days=day)
    return local.astimezone(UTC)


def slot(
    day: int, hour: int, minute: int = 0, *, provider_id: int = 1, minutes: int = 30
) -> CandidateSlot:
    start = at(day, hour, minute)
    return CandidateSlot(
        provider_id=provider_id,
        start=start,
        end=start + timedelta(minutes=minutes),
        local_start=start.astimezone(LONDON),
        timezone="Europe/London",
        blocked_start=start,
        blocked_end=start + timedelta(minutes=minutes),
    )


def working_day(day: int, start_hour: int = 9, end_hour: int = 17) -> TimeRange:
    return TimeRange(at(day, start_hour), at(day, end_hour))


def provider_context(provider_id: int = 1, **kwargs) -> ProviderContext:
    kwargs.setdefault("name", f"Dr. {provider_id}")
    kwargs.setdefault("working", tuple(working_day(d) for d in range(5)))
    return ProviderContext(provider_id=provider_id, **kwargs)


def context(*, urgency: str = "routine", providers=None, **kwargs) -> FeatureContext:
    providers = providers or [provider_context(1)]
    return FeatureContext(
        request=RecommendationRequest(now=NOW, urgency=urgency, urgent_window_days=3),
        providers={p.provider_id: p for p in providers},
        **kwargs,
    )


def cols(*slots: CandidateSlot) -> CandidateColumns:
    return CandidateColumns.of(list(slots))
