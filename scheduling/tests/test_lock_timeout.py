"""A booking waits a bounded time for a busy provider's row lock, then answers 503 with
Retry-After and writes nothing (PostgreSQL: `lock_timeout` set by the booking service)."""

import threading

import pytest
from django.db import connection, connections, transaction

from accounts.tests.support import auth_client
from providers.models import Provider
from scheduling.models import Appointment
from scheduling.tests.support import at

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("frozen_now"),
]


def test_a_booking_behind_a_held_provider_lock_gets_503_with_retry_after(
    settings, client_user, clinic_provider, service
):
    settings.BOOKING_LOCK_TIMEOUT_MS = 200
    locked, release = threading.Event(), threading.Event()

    def hold_the_provider_row() -> None:
        try:
            with transaction.atomic():
                Provider.objects.select_for_update().get(pk=clinic_provider.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_the_provider_row)
    holder.start()
    try:
        assert locked.wait(timeout=30)
        response = auth_client(client_user).post(
            "/api/appointments",
            {
                "provider": clinic_provider.pk,
                "service": service.pk,
                "start": at(13, 10).isoformat(),
            },
            format="json",
        )
    finally:
        release.set()
        holder.join(timeout=30)
    assert response.status_code == 503, response.content
    assert response["Retry-After"]
    assert response.json()["detail"]
    assert not Appointment.objects.exists()
    # Once the lock is free the same booking goes through.
    retry = auth_client(client_user).post(
        "/api/appointments",
        {"provider": clinic_provider.pk, "service": service.pk, "start": at(13, 10).isoformat()},
        format="json",
    )
    assert retry.status_code == 201, retry.content
