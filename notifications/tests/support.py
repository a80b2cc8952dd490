"""The notifications tests' calendar: the root `frozen_now` (Monday 12 January 2026, 08:00 UTC;
London is on GMT, so local time equals UTC) and an appointment two days ahead."""

from datetime import UTC, datetime, timedelta

# Wednesday 14 January 2026, 10:00 UTC: two days ahead, inside working hours.
APPOINTMENT_START = datetime(2026, 1, 14, 10, 0, tzinfo=UTC)
NOW = datetime(2026, 1, 12, 8, 0, tzinfo=UTC)


def shifted(value: datetime, **delta: int) -> datetime:
    return value + timedelta(**delta)
