"""The notifications tests' calendar: the root `frozen_now` (Monday 12 January 2026, 08:00 UTC;
London is on GMT, so local time equals UTC) and an appointment two days ahead."""

from datetime import UTC, datetime, timedelta

# Wednesday 14 January 2026, 10:00 UTC: two days ahead, inside working hours.
APPOINTMENT_START = datetime(2026, 1, 14, 10, 0, tzinfo=UTC)
NOW = datetime(2026, 1, 12, 8, 0, tzinfo=UTC)


def shifted(value: datetime, **delta: int) -> datetime:
    return value + timedelta(**delta)


class CompetingFirstVisit:
    """Another first visit that makes the user's calendar feed at the one instant that
    matters: just after this visit's read of the active feed has found none, and before it
    inserts its own. Installed with `connection.execute_wrapper`."""

    READ_SQL = 'FROM "notifications_calendarfeed"'

    def __init__(self, user):
        self.user, self.winner = user, None

    def __call__(self, execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if self.winner is None and sql.startswith("SELECT") and self.READ_SQL in sql:
            from notifications.models import CalendarFeed

            self.winner = CalendarFeed(user=self.user)  # marks the race run before it recurses
            self.winner.save()
        return result
