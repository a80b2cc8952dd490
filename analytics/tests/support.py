"""Helpers of the analytics tests: instants of the hand-computed clinic (UTC; London is on
GMT in February and March)."""

from datetime import UTC, datetime

# "Today" of the analytics tests: Monday 16 March 2026, noon.
TODAY = datetime(2026, 3, 16, 12, 0, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)
