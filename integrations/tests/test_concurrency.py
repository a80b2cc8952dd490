"""Two workers sending at once never send one delivery twice (PostgreSQL row locks)."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from integrations import services
from integrations.models import DeliveryStatus, WebhookDelivery, WebhookEvent

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs skip-locked row locks"),
    pytest.mark.django_db(transaction=True),
]


def test_two_senders_share_the_queue_without_sending_twice(receiver):
    endpoint = services.endpoint_create(url=receiver.url("/hook"), events=[WebhookEvent.BOOKED])
    receiver.expect("/hook", endpoint.secret)
    due = timezone.now() - timedelta(minutes=1)
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            endpoint=endpoint,
            event_id=f"msg_{n}",
            event_type=WebhookEvent.BOOKED,
            appointment_id=n,
            payload={"type": WebhookEvent.BOOKED, "id": f"msg_{n}", "data": {}},
            next_attempt_at=due,
        )
        for n in range(60)
    )
    barrier = threading.Barrier(2)
    attempts: list[int] = []

    def sender() -> None:
        try:
            barrier.wait(timeout=30)
            attempts.append(services.deliveries_send_due(batch=5))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    ids = [arrival.headers["webhook-id"] for arrival in receiver.at("/hook")]
    assert sorted(ids) == sorted(f"msg_{n}" for n in range(60))  # each once
    assert sum(attempts) == 60
    assert all(arrival.verified_with(endpoint.secret) for arrival in receiver.at("/hook"))
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {
        DeliveryStatus.DELIVERED
    }
