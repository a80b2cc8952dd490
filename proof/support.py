"""Helpers of the proof tests."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

LONDON = ZoneInfo("Europe/London")
ROLES = ("anonymous", "client_a", "client_b", "provider", "other_provider", "admin")


def next_weekday_at(weekday: int, hour: int, *, weeks_ahead: int = 1) -> datetime:
    """A London wall-clock time on `weekday` at least `weeks_ahead` weeks from today."""
    today = timezone.now().astimezone(LONDON).date()
    day = today + timedelta(days=7 * weeks_ahead + (weekday - today.weekday()) % 7)
    return datetime.combine(day, time(hour), tzinfo=LONDON)
