"""The dashboard's refill figures: freed provider time and how much was booked again."""

import pytest
from django.utils import timezone

from scheduling.services import appointment_book, appointment_cancel
from scheduling.tests.support import at
from waitlist import services
from waitlist.models import Offer
from waitlist.selectors import freed_time_refill

pytestmark = pytest.mark.usefixtures("frozen_now", "policy")


def test_freed_time_refilled_through_the_waitlist(
    client_user, other_client_user, join, committed, clinic_provider, service, time_machine
):
    taken = appointment_book(
        client=other_client_user, provider=clinic_provider, service=service, start=at(13, 10)
    )
    lost = appointment_book(
        client=other_client_user, provider=clinic_provider, service=service, start=at(14, 10)
    )
    join(client_user)
    with committed():
        appointment_cancel(appointment=taken, actor=None)
        appointment_cancel(appointment=lost, actor=None)
    time_machine.move_to(at(12, 8, 6), tick=False)
    with committed():
        services.offer_accept(offer=Offer.objects.get(), client=client_user, now=timezone.now())

    figures = freed_time_refill(start=at(12, 0), end=at(13, 0))

    assert figures.freed_minutes == 60
    assert figures.refilled_minutes == 30
    assert figures.share_refilled == 0.5
    assert figures.median_minutes_to_refill == 6
    assert figures.offers_accepted == 1


def test_nothing_freed(db):
    figures = freed_time_refill(start=at(12, 0), end=at(13, 0))
    assert (figures.freed_minutes, figures.share_refilled) == (0.0, None)
