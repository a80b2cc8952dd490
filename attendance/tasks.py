"""Celery tasks: thin, calling attendance's services (beat: `retrain_no_show` nightly,
`rescore_upcoming` daily)."""

from celery import shared_task
from django.db import OperationalError

from attendance.services import risk_scores_update, risk_scores_update_upcoming
from attendance.training import no_show_train


@shared_task(
    name="attendance.tasks.score_appointment",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def score_appointment(*, appointment_id: int) -> int:
    return risk_scores_update(appointment_ids=[appointment_id])


@shared_task(name="attendance.tasks.rescore_upcoming", acks_late=True)
def rescore_upcoming() -> int:
    return risk_scores_update_upcoming()


@shared_task(
    name="attendance.tasks.retrain_no_show",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def retrain_no_show() -> dict:
    result = no_show_train()
    return {
        "version": result.version.version if result.version else None,
        "promoted": result.promoted,
        "message": result.message,
    }
