"""The matching engine: freed time goes to the best waiting client for whom it is bookable,
held for them; nothing they could not accept is offered."""

from datetime import date, time, timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.tests.factories import UserFactory
from providers.models import Urgency
from providers.tests.factories import ProviderFactory, ServiceFactory
from scheduling.errors import SlotUnavailable
from scheduling.models import Appointment, AppointmentStatus
from scheduling.selectors import available_slots
from scheduling.services import appointment_book, appointment_cancel
from scheduling.tests.factories import AppointmentFactory
from scheduling.tests.support import at
from waitlist import services
from waitlist.models import Offer, OfferStatus
from waitlist.tests.support import days

pytestmark = pytest.mark.usefixtures("frozen_now", "policy")


@pytest.fixture
def taken(other_client_user, clinic_provider, service):
    """Tuesday 10:00, the time everybody waits for, booked by someone else."""
    return appointment_book(
        client=other_client_user, provider=clinic_provider, service=service, start=at(13, 10)
    )


def cancel(appointment, committed):
    with committed():
        appointment_cancel(appointment=appointment, actor=None, reason="ill")


def test_cancelled_time_is_offered_and_held_for_the_waiting_client(
    client_user, taken, join, committed
):
    entry = join(client_user)
    assert not Offer.objects.exists()  # nothing open when they joined

    cancel(taken, committed)

    offer = Offer.objects.get()
    assert (offer.entry, offer.start, offer.status) == (entry, at(13, 10), OfferStatus.PENDING)
    assert offer.hold.status == AppointmentStatus.HELD
    assert offer.expires_at == offer.hold.hold_expires_at == timezone.now() + timedelta(minutes=15)
    assert "urgency first, then days waited" in offer.ranking_reason


def test_a_held_slot_is_not_offered_to_anyone_else_nor_bookable(
    client_user, taken, join, committed, clinic_provider, service
):
    join(client_user)
    cancel(taken, committed)
    someone = UserFactory()

    slots = available_slots(service=service, start=at(13, 10), end=at(13, 10, 30), client=someone)
    assert slots == []
    with pytest.raises(SlotUnavailable):
        appointment_book(
            client=someone, provider=clinic_provider, service=service, start=at(13, 10)
        )


def test_urgency_goes_first_then_days_waited(taken, join, committed, time_machine):
    patient = UserFactory()
    early, urgent = UserFactory(), UserFactory()
    join(early)
    time_machine.move_to(at(12, 8) + timedelta(minutes=1), tick=False)
    join(patient)
    join(urgent, urgency=Urgency.URGENT)

    cancel(taken, committed)

    offer = Offer.objects.get()
    assert offer.entry.client == urgent
    assert offer.ranking_reason.startswith("Offered first of 3 candidates: urgent urgency")


def test_longest_waiting_goes_first_at_equal_urgency(taken, join, committed, time_machine):
    later, first = UserFactory(), UserFactory()
    time_machine.move_to(at(5, 8), tick=False)
    join(
        first,
        now=at(5, 8),
        ranges=[days(date(2026, 1, 13), date(2026, 1, 13), time(10), time(10, 30))],
    )
    time_machine.move_to(at(12, 8), tick=False)
    join(later)

    cancel(taken, committed)

    offer = Offer.objects.get()
    assert offer.entry.client == first
    assert "waiting 7 days" in offer.ranking_reason


def test_batch_offers_one_hold_to_several(taken, join, committed, policy):
    policy.offer_batch_size = 2
    policy.save()
    a, b, c = UserFactory(), UserFactory(), UserFactory()
    for client in (a, b, c):
        join(client)

    cancel(taken, committed)

    offers = list(Offer.objects.order_by("rank"))
    assert [o.entry.client for o in offers] == [a, b]
    assert offers[0].batch == offers[1].batch and offers[0].hold_id == offers[1].hold_id
    assert Appointment.with_holds.filter(status=AppointmentStatus.HELD).count() == 1


def test_no_offer_outside_the_clients_ranges(
    client_user, taken, join, committed, clinic_provider, service
):
    # Their 10:00-10:30 is Paris time, 09:00-09:30 in London (taken too): the freed 10:00
    # London is 11:00 for them.
    AppointmentFactory(provider=clinic_provider, service=service, start=at(13, 9))
    client_user.timezone = "Europe/Paris"
    client_user.save()
    join(client_user)
    assert not Offer.objects.exists()

    cancel(taken, committed)

    assert not Offer.objects.exists()


def test_no_offer_overlapping_the_clients_own_appointment(
    client_user, taken, join, committed, service
):
    elsewhere = ProviderFactory(services=[service])
    AppointmentFactory(client=client_user, provider=elsewhere, service=service, start=at(13, 10))
    join(client_user)

    cancel(taken, committed)

    assert not Offer.objects.exists()


def test_no_offer_over_the_clients_per_day_limit(client_user, taken, join, committed, service):
    elsewhere = ProviderFactory(services=[service])
    for hour in (14, 15):
        AppointmentFactory(
            client=client_user, provider=elsewhere, service=service, start=at(13, hour)
        )
    join(client_user)

    cancel(taken, committed)

    assert not Offer.objects.exists()


def test_no_offer_of_a_service_the_provider_does_not_offer(client_user, taken, join, committed):
    join(client_user, service=ServiceFactory(duration_minutes=30))

    cancel(taken, committed)

    assert not Offer.objects.exists()


def test_matching_twice_sends_one_offer(client_user, taken, join, committed, clinic_provider):
    join(client_user)
    with committed():
        appointment_cancel(appointment=taken, actor=taken.client)
        # (the cancellation's own matching runs on commit, after this block)
    services.match_freed_time(
        provider=clinic_provider, start=at(13, 10), end=at(13, 10, 30), now=timezone.now()
    )

    assert Offer.objects.count() == 1


def test_joining_when_time_is_open_offers_it_at_once(client_user, join, clinic_provider):
    entry = join(client_user)

    assert Offer.objects.get().entry == entry


def test_an_earlier_time_is_offered_for_an_existing_appointment(
    client_user, taken, join, committed, clinic_provider, service
):
    mine = appointment_book(
        client=client_user, provider=clinic_provider, service=service, start=at(15, 10)
    )
    join(client_user, appointment=mine, ranges=[days(date(2026, 1, 13), date(2026, 1, 16))])
    Offer.objects.all().delete()  # joined with the whole week open; only the freed time now
    Appointment.with_holds.filter(status=AppointmentStatus.HELD).update(
        status=AppointmentStatus.RELEASED
    )
    services.match_freed_time(
        provider=clinic_provider, start=at(15, 10, 30), end=at(15, 11), now=timezone.now()
    )

    assert not Offer.objects.exists()  # later than the appointment: not wanted
    cancel(taken, committed)
    assert Offer.objects.get().start.date() == date(2026, 1, 13)


def test_an_expired_entry_is_not_offered(client_user, taken, join, committed):
    join(client_user, expires_on=date(2026, 1, 12))
    with time_machine.travel(at(13, 1), tick=False):
        assert services.entries_expire(now=timezone.now()) == 1
        cancel(taken, committed)
    assert not Offer.objects.exists()
