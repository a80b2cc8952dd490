"""A freed seat of a group session is offered through the waitlist like any freed time, and
accepting it takes the seat in the same session."""

from datetime import date, time

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from providers.tests.factories import ServiceFactory
from scheduling.models import Appointment, AppointmentStatus
from scheduling.services import appointment_book, appointment_cancel
from scheduling.tests.support import at
from waitlist import services
from waitlist.models import Offer
from waitlist.tests.support import days

pytestmark = pytest.mark.usefixtures("frozen_now", "policy")


def test_a_cancelled_seat_is_offered_to_the_waiting_client_and_joins_the_session(
    join, committed, clinic_provider
):
    group = ServiceFactory(name="Small group", duration_minutes=60, capacity=2)
    clinic_provider.services.add(group)
    leaving, staying, waiting = UserFactory(), UserFactory(), UserFactory()
    seats = [
        appointment_book(client=who, provider=clinic_provider, service=group, start=at(13, 10))
        for who in (leaving, staying)
    ]
    join(
        waiting,
        service=group,
        ranges=[days(date(2026, 1, 13), date(2026, 1, 13), time(10), time(11))],
    )
    assert not Offer.objects.exists()  # the session is full, nothing else fits the hour

    with committed():
        appointment_cancel(appointment=seats[0], actor=leaving)

    offer = Offer.objects.get()
    assert offer.hold.session_id == seats[1].session_id
    with committed():
        seat = services.offer_accept(offer=offer, client=waiting, now=timezone.now())
    assert seat.session_id == seats[1].session_id
    assert set(
        Appointment.objects.filter(
            session=seat.session, status=AppointmentStatus.BOOKED
        ).values_list("client", flat=True)
    ) == {staying.pk, waiting.pk}
