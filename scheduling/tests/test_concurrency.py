"""Invariant 1 under real concurrency (PostgreSQL: row locks and exclusion constraints).

Threads start together behind a barrier, each with its own database connection.
"""

import threading

import pytest
from django.db import IntegrityError, connection, connections, transaction

from accounts.tests.factories import UserFactory
from providers.tests.factories import ProviderFactory, ServiceFactory
from scheduling.errors import SlotUnavailable
from scheduling.models import Appointment, AppointmentStatus
from scheduling.services import (
    _save_checked,
    appointment_book,
    appointment_cancel,
    appointment_reschedule,
)
from scheduling.tests.factories import AppointmentFactory
from scheduling.tests.support import at

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL row locks and constraints"
    ),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("frozen_now"),
]


def race(attempts: list[dict], action=None) -> tuple[list[Appointment], list[Exception]]:
    """Run one `action` (default appointment_book) per kwargs dict, all released at once."""
    action = action or appointment_book
    barrier = threading.Barrier(len(attempts))
    booked: list[Appointment] = []
    failed: list[Exception] = []
    lock = threading.Lock()

    def attempt(kwargs: dict) -> None:
        try:
            barrier.wait(timeout=30)
            appointment = action(**kwargs)
            with lock:
                booked.append(appointment)
        except Exception as exc:  # collected and asserted on below
            with lock:
                failed.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(kwargs,)) for kwargs in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return booked, failed


@pytest.fixture
def clinic():
    service = ServiceFactory(duration_minutes=30, buffer_after_minutes=10)
    provider = ProviderFactory(services=[service])
    clients = [UserFactory() for _ in range(20)]
    return provider, service, clients


def test_twenty_threads_booking_one_slot_one_wins(clinic):
    provider, service, clients = clinic
    booked, failed = race(
        [
            {"client": client, "provider": provider, "service": service, "start": at(13, 10)}
            for client in clients
        ]
    )
    assert len(booked) == 1
    assert len(failed) == 19
    assert all(isinstance(exc, SlotUnavailable) for exc in failed), failed
    assert Appointment.objects.count() == 1


def test_partially_overlapping_bookings_one_wins(clinic):
    provider, service, clients = clinic
    # Held times (30 minutes + 10 after): every pair of these starts overlaps.
    starts = [at(13, 10), at(13, 10, 15), at(13, 9, 45)] * 4
    booked, failed = race(
        [
            {"client": client, "provider": provider, "service": service, "start": start}
            for client, start in zip(clients, starts, strict=False)
        ]
    )
    assert len(booked) == 1
    assert len(failed) == 11
    assert all(isinstance(exc, SlotUnavailable) for exc in failed), failed
    assert Appointment.objects.count() == 1


def test_adjacent_bookings_both_win():
    service = ServiceFactory(duration_minutes=30)
    provider = ProviderFactory(services=[service])
    first, second = UserFactory(), UserFactory()
    booked, failed = race(
        [
            {"client": first, "provider": provider, "service": service, "start": at(13, 10)},
            {"client": second, "provider": provider, "service": service, "start": at(13, 10, 30)},
        ]
    )
    assert failed == []
    assert len(booked) == 2


def test_a_cancelled_appointment_does_not_block_the_race(clinic):
    provider, service, clients = clinic
    old = appointment_book(client=clients[0], provider=provider, service=service, start=at(13, 10))
    appointment_cancel(appointment=old, actor=clients[0])
    booked, failed = race(
        [
            {"client": client, "provider": provider, "service": service, "start": at(13, 10)}
            for client in clients[1:6]
        ]
    )
    assert len(booked) == 1 and len(failed) == 4
    assert Appointment.objects.filter(status=AppointmentStatus.BOOKED).count() == 1


def test_the_exclusion_constraint_refuses_an_overlap_that_skipped_the_checks(clinic):
    provider, service, clients = clinic
    appointment_book(client=clients[0], provider=provider, service=service, start=at(13, 10))
    rogue = AppointmentFactory.build(
        client=clients[1], provider=provider, service=service, start=at(13, 10, 35)
    )
    with (
        pytest.raises(IntegrityError, match="appointment_provider_no_overlap"),
        transaction.atomic(),
    ):
        rogue.save()


def test_the_constraint_violation_becomes_slot_unavailable(clinic):
    provider, service, clients = clinic
    appointment_book(client=clients[0], provider=provider, service=service, start=at(13, 10))
    rogue = AppointmentFactory.build(
        client=clients[1], provider=provider, service=service, start=at(13, 10, 15)
    )
    with pytest.raises(SlotUnavailable, match="no longer available"):
        _save_checked(rogue)
    other_provider = ProviderFactory(services=[service])
    double = AppointmentFactory.build(
        client=clients[0], provider=other_provider, service=service, start=at(13, 10, 15)
    )
    with pytest.raises(SlotUnavailable, match="You already have"):
        _save_checked(double)
    assert Appointment.objects.count() == 1


def test_two_reschedules_into_one_slot_one_wins(clinic):
    provider, service, clients = clinic
    first = appointment_book(
        client=clients[0], provider=provider, service=service, start=at(13, 10)
    )
    second = appointment_book(
        client=clients[1], provider=provider, service=service, start=at(13, 14)
    )
    moved, failed = race(
        [
            {"appointment": first, "new_start": at(14, 10), "actor": clients[0]},
            {"appointment": second, "new_start": at(14, 10), "actor": clients[1]},
        ],
        action=appointment_reschedule,
    )
    assert len(moved) == 1 and len(failed) == 1
    assert isinstance(failed[0], SlotUnavailable)
    # The loser kept its old time: at no moment did it hold both or neither.
    starts = sorted(Appointment.objects.values_list("start", flat=True))
    assert at(14, 10) in starts
    assert len(starts) == 2
    assert {at(13, 10), at(13, 14)} & set(starts)
