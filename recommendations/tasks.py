"""Celery tasks: thin, calling the training service (the beat entry is
`recommendations.tasks.retrain_recommender`, nightly)."""

from celery import shared_task
from django.db import OperationalError

from recommendations.training import recommender_train


@shared_task(
    name="recommendations.tasks.retrain_recommender",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def retrain_recommender() -> dict:
    result = recommender_train()
    return {
        "version": result.version.version if result.version else None,
        "promoted": result.promoted,
        "message": result.message,
    }
