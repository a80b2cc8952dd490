"""A real Celery worker process, the local Redis, and a confirmation email sent through them."""

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from accounts.tests.factories import UserFactory
from notifications.models import DeliveryStatus, EmailDelivery
from notifications.tests.brokers import using_broker
from notifications.tests.factories import book
from providers.tests.factories import ProviderFactory, ServiceFactory
from scheduling.tests.factories import AppointmentFactory

REDIS_TEST_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")
DEADLINE_SECONDS = 60


def _redis_unreachable_reason() -> str | None:
    import redis

    try:
        redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=1).ping()
    except (redis.exceptions.RedisError, OSError) as exc:
        return f"Redis at {REDIS_TEST_URL} is unreachable ({exc}); set REDIS_TEST_URL"
    return None


def _shared_database_url() -> str | None:
    """A URL the worker process can open to see this test's (committed) rows."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
        return f"postgres://{credentials}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    if connection.vendor == "sqlite":
        name = str(db["NAME"])
        if "memory" in name:
            return None
        return f"sqlite:///{name}"
    return None


def _start_worker(*, queue: str, database_url: str, mail_dir: Path, log: Path) -> subprocess.Popen:
    celery = Path(sys.executable).with_name("celery")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "smartbook.settings",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": REDIS_TEST_URL,
        # The worker enqueues the emails of the event it fans out: onto its own queue.
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
    }
    with log.open("wb") as output:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [
                str(celery),
                "-A",
                "smartbook",
                "worker",
                "--pool=solo",
                "--queues",
                queue,
                "--without-heartbeat",
                "--without-mingle",
                "--without-gossip",
                "--loglevel=INFO",
            ],
            cwd=django_settings.BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def _stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=5)


def _forget_queue(queue: str) -> None:
    """Drop the test queue's routing entries, so runs do not pile them up in Redis."""
    import redis

    client = redis.Redis.from_url(REDIS_TEST_URL)
    for key in client.scan_iter(f"*{queue}*"):
        client.delete(key)
    for key in client.scan_iter("_kombu.binding*"):
        if client.type(key) == b"set":
            for member in client.smembers(key):
                if queue.encode() in member:
                    client.srem(key, member)


def _wait_until_sent(deliveries, worker: subprocess.Popen) -> list[str]:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        statuses = list(deliveries.values_list("status", flat=True))
        if statuses and all(s != DeliveryStatus.PENDING for s in statuses):
            return statuses
        if worker.poll() is not None:
            break
        time.sleep(0.2)  # polling interval, bounded by the deadline above
    return list(deliveries.values_list("status", flat=True))


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_the_booking_confirmation(settings, tmp_path):
    reason = _redis_unreachable_reason()
    if reason:
        pytest.skip(reason)
    database_url = _shared_database_url()
    if database_url is None:
        pytest.skip(
            "the worker is another process and cannot see an in-memory SQLite test database; "
            "run with DATABASE_URL=postgres://... or SQLITE_TEST_NAME=<file>"
        )
    service = ServiceFactory(name="Physiotherapy", duration_minutes=30)
    provider = ProviderFactory(services=[service])
    client = UserFactory(email="worker-test-client@example.com")
    appointment = AppointmentFactory(
        client=client,
        provider=provider,
        service=service,
        start=(timezone.now() + timedelta(days=3)).replace(microsecond=0),
    )
    queue = f"smartbook-test-{uuid.uuid4().hex[:12]}"
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    log = tmp_path / "worker.log"

    worker = _start_worker(queue=queue, database_url=database_url, mail_dir=mail_dir, log=log)
    try:
        with using_broker(settings, REDIS_TEST_URL, CELERY_TASK_DEFAULT_QUEUE=queue):
            book(appointment)
        deliveries = EmailDelivery.objects.filter(appointment=appointment)
        statuses = _wait_until_sent(deliveries, worker)
    finally:
        _stop(worker)
        _forget_queue(queue)

    worker_log = log.read_text(errors="replace")[-3000:]
    assert statuses == [DeliveryStatus.SENT, DeliveryStatus.SENT], worker_log
    # The request only enqueued the event: the worker fanned it out, then sent the emails.
    assert "notify_appointment_event" in worker_log
    assert "send_appointment_email" in worker_log
    written = "".join(p.read_text() for p in mail_dir.glob("*.log"))
    assert f"To: {client.email}" in written
    assert f"To: {provider.user.email}" in written
    assert "Subject: [SmartBook] Appointment booked: Physiotherapy" in written
    assert "BEGIN:VCALENDAR" in written and f"UID:{appointment.uid}@smartbook" in written
