"""Group sessions under real concurrency (PostgreSQL): the last seat raced by 20 threads has
one winner, and a session racing private bookings of the same provider never overlaps them."""

import pytest
from django.db import connection

from accounts.tests.factories import UserFactory
from providers.tests.factories import ProviderFactory, ServiceFactory
from scheduling.errors import SlotUnavailable
from scheduling.models import Appointment, AppointmentStatus, GroupSession
from scheduling.services import appointment_book
from scheduling.tests.support import at
from scheduling.tests.test_concurrency import race

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL row locks and constraints"
    ),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("frozen_now"),
]


def test_the_last_seat_raced_by_twenty_threads_has_one_winner():
    group = ServiceFactory(duration_minutes=60, capacity=5)
    provider = ProviderFactory(services=[group])
    for client in [UserFactory() for _ in range(4)]:
        appointment_book(client=client, provider=provider, service=group, start=at(13, 10))
    racers = [UserFactory() for _ in range(20)]

    booked, failed = race(
        [
            {"client": client, "provider": provider, "service": group, "start": at(13, 10)}
            for client in racers
        ]
    )

    assert len(booked) == 1
    assert len(failed) == 19 and all(isinstance(exc, SlotUnavailable) for exc in failed)
    session = GroupSession.objects.get()
    assert session.seats.filter(status=AppointmentStatus.BOOKED).count() == 5


def test_twenty_threads_opening_one_session_fill_it_and_no_more():
    group = ServiceFactory(duration_minutes=60, capacity=6)
    provider = ProviderFactory(services=[group])

    booked, failed = race(
        [
            {"client": UserFactory(), "provider": provider, "service": group, "start": at(13, 10)}
            for _ in range(20)
        ]
    )

    assert len(booked) == 6 and len(failed) == 14
    assert GroupSession.objects.count() == 1
    assert {appointment.session_id for appointment in booked} == {GroupSession.objects.get().pk}


def test_a_session_and_private_bookings_racing_for_one_hour_never_overlap():
    group = ServiceFactory(duration_minutes=60, capacity=10)
    private = ServiceFactory(duration_minutes=30)
    provider = ProviderFactory(services=[group, private])
    attempts = [
        *(
            {"client": UserFactory(), "provider": provider, "service": group, "start": at(13, 10)}
            for _ in range(10)
        ),
        *(
            {
                "client": UserFactory(),
                "provider": provider,
                "service": private,
                "start": at(13, 10, 30),
            }
            for _ in range(10)
        ),
    ]

    booked, _ = race(attempts)

    services = {appointment.service_id for appointment in booked}
    assert len(services) == 1  # either the session or one private appointment, never both
    active = Appointment.objects.filter(status=AppointmentStatus.BOOKED)
    assert active.count() == (10 if services == {group.pk} else 1)


def test_two_minimum_checks_at_once_cancel_a_session_and_tell_its_attendee_once(time_machine):
    from django.core import mail

    from scheduling import sessions

    workshop = ServiceFactory(
        duration_minutes=60, capacity=6, min_participants=3, minimum_deadline_hours=24
    )
    provider = ProviderFactory(services=[workshop])
    alone = UserFactory()
    appointment_book(client=alone, provider=provider, service=workshop, start=at(14, 10))
    mail.outbox.clear()
    time_machine.move_to(at(13, 10), tick=False)

    checks, failed = race([{}, {}], action=lambda: sessions.sessions_check_minimum())

    assert not failed
    assert sorted(len(check.cancelled) for check in checks) == [0, 1]
    told = [m for m in mail.outbox if m.to == [alone.email] and "Not enough" in m.body]
    assert len(told) == 1
    assert GroupSession.objects.get().minimum_checked_at is not None
