"""Races on PostgreSQL (row locks, the exclusion constraint, the one-pending-offer constraint):
threads released together behind a barrier, each on its own connection."""

from datetime import date, time

import pytest
from django.db import connection
from django.utils import timezone

from accounts.tests.factories import UserFactory
from scheduling.errors import HoldGone
from scheduling.models import Appointment
from scheduling.services import appointment_book, appointment_cancel
from scheduling.tests.support import at
from waitlist import services
from waitlist.models import Offer, OfferStatus
from waitlist.tests.factories import WaitlistEntryFactory, WaitlistRangeFactory
from waitlist.tests.support import race

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL row locks and constraints"
    ),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("frozen_now", "policy"),
]


@pytest.fixture
def freed(other_client_user, clinic_provider, service):
    """Tuesday 10:00, booked by someone else and cancelled before anyone waits for it (the
    commits are real here: the cancellation's own matching finds nobody)."""
    appointment = appointment_book(
        client=other_client_user, provider=clinic_provider, service=service, start=at(13, 10)
    )
    appointment_cancel(appointment=appointment, actor=None)
    return appointment


def _join(client, service):
    """An entry written straight (the service's own matching on commit would run at once)."""
    entry = WaitlistEntryFactory(client=client, service=service)
    WaitlistRangeFactory(
        entry=entry,
        first_date=date(2026, 1, 13),
        last_date=date(2026, 1, 13),
        earliest=time(10),
        latest=time(10, 30),
    )
    return entry


def test_two_accepts_of_one_batch_book_once(policy, freed, clinic_provider, service):
    policy.offer_batch_size = 2
    policy.save()
    a, b = UserFactory(), UserFactory()
    _join(a, service)
    _join(b, service)
    services.match_freed_time(
        provider=clinic_provider, start=at(13, 10), end=at(13, 10, 30), now=timezone.now()
    )
    offers = list(Offer.objects.select_related("entry__client").order_by("rank"))
    assert len(offers) == 2

    booked, failed = race(
        [
            lambda o=o: services.offer_accept(offer=o, client=o.entry.client, now=timezone.now())
            for o in offers
        ]
    )

    assert len(booked) == 1 and len(failed) == 1
    assert isinstance(failed[0], HoldGone), failed
    assert Appointment.objects.filter(start=at(13, 10), status="booked").count() == 1
    assert sorted(Offer.objects.values_list("status", flat=True)) == [
        OfferStatus.ACCEPTED,
        OfferStatus.GONE,
    ]


def test_two_accepts_of_one_offer_book_once(freed, client_user, clinic_provider, service):
    _join(client_user, service)
    services.match_freed_time(
        provider=clinic_provider, start=at(13, 10), end=at(13, 10, 30), now=timezone.now()
    )
    offer = Offer.objects.get()

    booked, failed = race(
        [lambda: services.offer_accept(offer=offer, client=client_user, now=timezone.now())] * 2
    )

    assert len(booked) == 1 and len(failed) == 1
    assert isinstance(failed[0], HoldGone), failed
    assert Appointment.objects.filter(client=client_user).count() == 1


def test_matching_twice_at_once_offers_once(freed, clinic_provider, service):
    a, b = UserFactory(), UserFactory()
    _join(a, service)
    _join(b, service)

    def match():
        return services.match_freed_time(
            provider=clinic_provider, start=at(13, 10), end=at(13, 10, 30), now=timezone.now()
        )

    made, failed = race([match, match])

    assert failed == []
    assert sum(len(offers) for offers in made) == 1
    assert Offer.objects.count() == 1
