"""The soak harness, run tiny: gunicorn on a throw-away PostgreSQL database, concurrent
clients competing for one provider's slots; no overlap, no 5xx, nothing lost or phantom."""

import json
import os
import subprocess
import sys

import pytest
from django.db import connection

from proof.soak import BASE_DIR

pytestmark = pytest.mark.slow  # a whole-clinic run; CI runs it

postgres_only = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="the soak runs on PostgreSQL only"
)


def _soak(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "proof.soak", "--json", *args],
        cwd=BASE_DIR,
        env=env or dict(os.environ),
        capture_output=True,
        text=True,
        timeout=300,
    )


def _report(result: subprocess.CompletedProcess) -> dict:
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines, result.stdout + result.stderr
    return json.loads(lines[-1])


def _redis_unreachable_reason(url: str) -> str | None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except (redis.exceptions.RedisError, OSError) as exc:
        return f"Redis at {url} is unreachable ({exc}); set REDIS_TEST_URL"
    return None


TINY = ["--clients", "6", "--seconds", "4", "--workers", "2", "--threads", "2", "--providers", "1"]


@postgres_only
@pytest.mark.postgres
def test_tiny_soak_keeps_every_invariant():
    result = _soak(*TINY, "--think-ms", "50")
    report = _report(result)
    assert result.returncode == 0, result.stderr[-2000:]
    assert report["requests"] > 20
    assert report["bookings_acknowledged"] > 0
    assert report["overlaps"] == 0
    assert report["server_errors"] == 0
    assert report["unavailable_503"] == 0
    assert report["lost_bookings"] == 0
    assert report["phantom_writes"] == 0
    assert report["uncertain_clients"] == 0
    assert set(report["p95_ms"]) >= {"availability", "book"}
    assert report["database_dropped"] is True


@postgres_only
@pytest.mark.postgres
@pytest.mark.celery_worker
def test_tiny_soak_with_the_notifications_on_a_niced_celery_worker():
    broker = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")
    reason = _redis_unreachable_reason(broker)
    if reason:
        pytest.skip(reason)
    result = _soak(*TINY, "--think-ms", "50", "--broker", broker, "--worker-nice", "5")
    report = _report(result)
    assert result.returncode == 0, result.stderr[-2000:]
    assert report["broker"] == "celery worker (nice 5)"
    assert report["overlaps"] == 0
    assert report["server_errors"] == 0
    assert report["lost_bookings"] == 0
    assert report["phantom_writes"] == 0
    assert report["bookings_acknowledged"] > 0
    # The requests only enqueued the events: the worker wrote the inbox and sent the emails.
    assert report["notifications"]["inbox_entries"] >= 2 * report["bookings_acknowledged"]
    assert report["notifications"]["emails"].get("sent", 0) > 0
    assert report["database_dropped"] is True


@postgres_only
@pytest.mark.postgres
def test_tiny_soak_survives_a_database_restart_with_clean_errors():
    result = _soak(*TINY, "--think-ms", "50", "--restart-db-at", "2")
    report = _report(result)
    assert result.returncode == 0, result.stderr[-2000:]
    assert report["db_connections_killed"] > 0
    assert report["server_errors"] == 0  # only clean 503s while the connections were gone
    assert report["overlaps"] == 0
    assert report["lost_bookings"] == 0
    assert report["phantom_writes"] == 0
    assert report["bookings_acknowledged"] > 0
    assert report["database_dropped"] is True


def test_soak_refuses_sqlite_with_a_clear_message():
    env = {**os.environ, "DATABASE_URL": "sqlite:///soak-refused.sqlite3"}
    result = _soak("--seconds", "1", "--database-url", "sqlite:///soak-refused.sqlite3", env=env)
    assert result.returncode != 0
    assert "The soak needs PostgreSQL" in result.stderr
    assert not (BASE_DIR / "soak-refused.sqlite3").exists()
    assert connection.vendor in ("sqlite", "postgresql")
