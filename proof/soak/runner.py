"""One soak run from start to finish."""

import contextlib
from pathlib import Path

from proof.soak.checks import check_invariants, notification_counts
from proof.soak.clinic import seed_clinic
from proof.soak.database import (
    database_exists,
    soak_database_url,
    temporary_database,
    terminate_backends,
)
from proof.soak.load import drive_load, warm_up
from proof.soak.report import summarize
from proof.soak.server import (
    celery_worker,
    gunicorn_server,
    production_env,
    purge_queue,
    wait_for_queue_drain,
)


def run_soak(
    *,
    database_url: str,
    clients: int,
    seconds: float,
    workers: int,
    threads: int,
    providers: int,
    think_ms: int,
    seed: int,
    log_path: Path,
    restart_db_at: float | None = None,
    broker_url: str = "",
    worker_nice: int = 10,
    burst_start: bool = False,
    progress=lambda message: None,
) -> dict:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    config, name = soak_database_url(database_url)
    with temporary_database(config, name) as url:
        progress(f"created database {name}; migrating")
        call_command("migrate", interactive=False, verbosity=0)
        clinic = seed_clinic(clients=clients, providers=providers, token_seconds=int(seconds) + 900)
        connections["default"].close()  # idle during the load; the checks reconnect
        env = production_env(
            SECRET_KEY=settings.SECRET_KEY,
            DATABASE_URL=url,
            DB_CONN_MAX_AGE="60",
            # Without --broker, emails are sent inside the request (as `make run` does).
            CELERY_BROKER_URL=broker_url,
            CELERY_TASK_DEFAULT_QUEUE=name,
            REDIS_URL="",
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
            LOG_LEVEL="ERROR",
        )
        worker = (
            celery_worker(
                env=env,
                queue=name,
                log_path=log_path.with_suffix(".worker.log"),
                nice=worker_nice,
            )
            if broker_url
            else contextlib.nullcontext()
        )
        progress(f"starting gunicorn: {workers} workers x {threads} threads")
        with (
            worker,
            gunicorn_server(env=env, workers=workers, threads=threads, log_path=log_path) as base,
        ):
            warm_up(base_url=base, clinic=clinic, parallel=workers * threads)
            progress(f"{clients} clients for {seconds:g}s against {base}")
            killed: list[int] = []
            runs = drive_load(
                base_url=base,
                clinic=clinic,
                seconds=seconds,
                think_ms=think_ms,
                seed=seed,
                fault_at=restart_db_at,
                fault=lambda: killed.append(terminate_backends(config, name)),
                stagger=not burst_start,
            )
            # The worker takes every queued event before it stops: the counts are whole.
            drained = wait_for_queue_drain(broker_url, name) if broker_url else 0.0
        if broker_url:
            purge_queue(broker_url, name)
        report = summarize(runs, seconds)
        report.update(check_invariants(runs))
        report["notifications"] = {
            **notification_counts(),
            "queue_drained_after_load_s": round(drained, 1),
        }
    report.update(
        {
            "clients": clients,
            "seconds": seconds,
            "workers": workers,
            "threads": threads,
            "providers": providers,
            "think_ms": think_ms,
            "start": "burst" if burst_start else "staggered",
            "database": name,
            "broker": f"celery worker (nice {worker_nice})" if broker_url else "in-process tasks",
            "db_connections_killed": sum(killed),
            "database_dropped": not database_exists(config, name),
        }
    )
    return report
