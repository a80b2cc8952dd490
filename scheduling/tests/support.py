"""Helpers of the scheduling tests."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from django.db import transaction


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant in January 2026 (UTC; London is on GMT then)."""
    return datetime(2026, 1, day, hour, minute, tzinfo=UTC)


def refused(exc_info, field: str, text: str) -> None:
    """A refused booking names `field` and says `text`."""
    assert exc_info.value.field == field
    assert text in exc_info.value.message


@contextmanager
def rolled_back() -> Iterator[None]:
    """Take back whatever the block writes, so the next example or request meets the same world.

    A savepoint of the test's own transaction rather than an atomic block: the booking
    services open durable transactions, which Django lets nest only directly in a test's.
    """
    savepoint = transaction.savepoint()
    try:
        yield
    finally:
        transaction.savepoint_rollback(savepoint)
        # As an atomic block does when it rolls back to its savepoint: the test's transaction
        # is usable again even if the block left it marked for rollback.
        transaction.set_rollback(False)
