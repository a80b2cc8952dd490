"""A real Celery worker process on the local Redis: a booking's webhook is recorded and sent by
the worker, signed, to a receiver on loopback."""

import time
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from integrations import services
from integrations.models import DeliveryStatus, WebhookDelivery, WebhookEvent
from notifications.tests.brokers import using_broker
from notifications.tests.factories import book
from notifications.tests.test_worker import (
    REDIS_TEST_URL,
    _forget_queue,
    _redis_unreachable_reason,
    _shared_database_url,
    _start_worker,
    _stop,
)
from providers.tests.factories import ProviderFactory, ServiceFactory
from scheduling.tests.factories import AppointmentFactory

DEADLINE_SECONDS = 60


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_records_and_sends_the_webhook(settings, tmp_path, monkeypatch, receiver):
    reason = _redis_unreachable_reason()
    if reason:
        pytest.skip(reason)
    database_url = _shared_database_url()
    if database_url is None:
        pytest.skip("the worker is another process and cannot see an in-memory SQLite database")
    endpoint = services.endpoint_create(url=receiver.url("/hook"), events=[WebhookEvent.BOOKED])
    receiver.expect("/hook", endpoint.secret)
    service = ServiceFactory(duration_minutes=30)
    appointment = AppointmentFactory(
        provider=ProviderFactory(services=[service]),
        service=service,
        start=(timezone.now() + timedelta(days=3)).replace(microsecond=0),
    )
    queue = f"smartbook-test-{uuid.uuid4().hex[:12]}"
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    log = tmp_path / "worker.log"
    monkeypatch.setenv("WEBHOOK_ALLOWED_NETWORKS", "127.0.0.0/8")  # for the worker process

    worker = _start_worker(queue=queue, database_url=database_url, mail_dir=mail_dir, log=log)
    try:
        with using_broker(settings, REDIS_TEST_URL, CELERY_TASK_DEFAULT_QUEUE=queue):
            book(appointment)  # the request only asks and enqueues one task
        deadline = time.monotonic() + DEADLINE_SECONDS
        while not receiver.at("/hook") and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.2)  # polling interval, bounded by the deadline above
    finally:
        _stop(worker)
        _forget_queue(queue)

    worker_log = log.read_text(errors="replace")[-3000:]
    arrivals = receiver.at("/hook")
    assert len(arrivals) == 1, worker_log
    assert arrivals[0].verified_with(endpoint.secret)
    assert arrivals[0].json["data"]["appointment"]["id"] == appointment.pk
    # The worker wrote the delivery (the request enqueued the event), then sent it.
    assert "record_webhook_event" in worker_log and "deliver_webhook" in worker_log
    assert WebhookDelivery.objects.get().status == DeliveryStatus.DELIVERED
