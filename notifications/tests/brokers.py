"""Point the Celery app at a real broker for one test, then back to in-process tasks."""

from collections.abc import Iterator
from contextlib import contextmanager

import kombu.pools

from smartbook.celery import app as celery_app


def _drop_connections() -> None:
    # The app and kombu cache connection and producer pools per broker URL; start afresh.
    kombu.pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    # Queues and routes are cached from the settings at first use.
    for cached in ("queues", "router", "default_queue"):
        celery_app.amqp.__dict__.pop(cached, None)


@contextmanager
def using_broker(settings, url: str, **celery_settings) -> Iterator[None]:
    _drop_connections()
    settings.CELERY_BROKER_URL = url
    settings.CELERY_TASK_ALWAYS_EAGER = False
    for name, value in celery_settings.items():
        setattr(settings, name, value)
    try:
        yield
    finally:
        _drop_connections()
        settings.CELERY_TASK_ALWAYS_EAGER = True
