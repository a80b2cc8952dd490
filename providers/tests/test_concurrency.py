"""provider_create under real concurrency (PostgreSQL): the unique email is the last word."""

import threading
from datetime import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from accounts.models import User
from providers.models import Provider, WorkingHours
from providers.services import provider_create
from providers.tests.factories import ServiceFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers"),
    pytest.mark.django_db(transaction=True),
]


def test_eight_admins_adding_the_same_email_make_one_provider(admin_user):
    service = ServiceFactory()
    barrier = threading.Barrier(8)
    created: list[Provider] = []
    refused: list[Exception] = []
    lock = threading.Lock()

    def attempt(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            provider = provider_create(
                email="same@example.com",
                first_name="Same",
                last_name=f"Person {index}",
                display_name=f"Dr. Same {index}",
                timezone="Europe/London",
                service_ids=[service.pk],
                working_hours=[{"weekday": 0, "start_time": time(9), "end_time": time(17)}],
                actor=admin_user,
            )
            with lock:
                created.append(provider)
        except Exception as exc:  # collected and asserted on below
            with lock:
                refused.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)

    assert len(created) == 1
    assert len(refused) == 7
    assert all(
        isinstance(exc, ValidationError) and set(exc.message_dict) == {"email"} for exc in refused
    ), refused
    assert User.objects.filter(email="same@example.com").count() == 1
    assert Provider.objects.count() == 1
    assert WorkingHours.objects.count() == 1
