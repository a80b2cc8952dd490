"""Deployment checks, shown by `manage.py check --deploy`."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

# Backends whose entries live in one process: each gunicorn worker counts on its own.
PROCESS_LOCAL_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
}


@register(Tags.caches, deploy=True)
def throttle_cache_is_shared(app_configs, **kwargs) -> list[Warning]:
    """The API's throttles (auth: 30/min per address) count in the default cache. In one
    process's memory each worker keeps its own counters, so the real limit is the rate times
    the number of workers (and the dummy cache counts nothing at all)."""
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend not in PROCESS_LOCAL_CACHES:
        return []
    return [
        Warning(
            f"The default cache ({backend.rsplit('.', 1)[-1]}) is not shared between "
            "processes, so every worker keeps its own throttle counters.",
            hint="Set REDIS_URL so the throttles count in the shared Redis cache.",
            id="smartbook.W001",
        )
    ]
