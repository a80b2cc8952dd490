"""Matching started after commit, on a worker (in-process without a broker, like every
task: `CELERY_TASK_ALWAYS_EAGER`). If the broker cannot be reached, the matching runs here
instead; an error is logged, never raised into the request that freed the time (it has
committed). The beat sweep looks again later in any case.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from django.db import transaction
from kombu.exceptions import OperationalError as KombuOperationalError

logger = logging.getLogger(__name__)


def _hand_off(task_name: str, **arguments) -> None:
    from waitlist import tasks  # tasks call the services, which call this module

    task = getattr(tasks, task_name)
    try:
        task.delay(**arguments)
    except (KombuOperationalError, ConnectionError, OSError) as exc:
        logger.warning("Could not enqueue %s (%s); matching now.", task_name, exc)
        try:
            task.run(**arguments)
        except Exception:
            logger.exception("Waitlist matching %s(%s) failed", task_name, arguments)


def _on_commit(action: Callable[[], None]) -> None:
    transaction.on_commit(action)


def match_freed_now(*, provider_id: int, start: datetime, end: datetime) -> None:
    """Offer [start, end) of the provider to the waitlist (from an on-commit receiver)."""
    _hand_off(
        "match_freed_time_task",
        provider_id=provider_id,
        start=start.isoformat(),
        end=end.isoformat(),
    )


def match_freed_on_commit(*, provider_id: int, start: datetime, end: datetime) -> None:
    """Offer [start, end) of the provider to the waitlist once the transaction commits."""
    arguments = {"provider_id": provider_id, "start": start.isoformat(), "end": end.isoformat()}
    _on_commit(lambda: _hand_off("match_freed_time_task", **arguments))


def match_entry_on_commit(*, entry_id: int) -> None:
    """Look for open time for one entry once the transaction commits."""
    _on_commit(lambda: _hand_off("match_entry_task", entry_id=entry_id))


def provider_schedule_changed_now(*, provider_id: int, hours_changed: bool) -> None:
    """Rebook what the provider's changed schedule displaced (from an on-commit receiver)."""
    _hand_off(
        "provider_schedule_changed_task", provider_id=provider_id, hours_changed=hours_changed
    )


def displaced_by_cancellation_now(*, appointment_id: int) -> None:
    """Offer the client of a cancelled appointment the next best time, if the clinic
    cancelled it (from an on-commit receiver)."""
    _hand_off("displaced_by_cancellation_task", appointment_id=appointment_id)
