"""Helpers of the scheduling tests."""

from datetime import UTC, datetime


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant in January 2026 (UTC; London is on GMT then)."""
    return datetime(2026, 1, day, hour, minute, tzinfo=UTC)


def refused(exc_info, field: str, text: str) -> None:
    """A refused booking names `field` and says `text`."""
    assert exc_info.value.field == field
    assert text in exc_info.value.message
