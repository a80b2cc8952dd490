"""Celery tasks of scheduling: thin, acknowledged late, retried when the database is briefly
away or busy."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from scheduling import sessions


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=6,
)
def check_session_minimums(self) -> list[int]:
    """Cancel the group sessions below their minimum at the deadline (each once); the ids
    of those cancelled."""
    return sessions.sessions_check_minimum().cancelled
