"""Answers to offers: accepting books (or moves) through the booking service; declining and
expiry (the sweep, or a late link) pass the time to the next candidate."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from accounts.tests.factories import UserFactory
from scheduling.errors import HoldGone
from scheduling.models import Appointment, AppointmentSource, AppointmentStatus
from scheduling.services import appointment_book, appointment_cancel
from scheduling.tests.support import at
from waitlist import services, tasks
from waitlist.models import EntryStatus, Offer, OfferStatus
from waitlist.tests.support import days

pytestmark = pytest.mark.usefixtures("frozen_now", "policy")


@pytest.fixture
def first(db):
    return UserFactory()


@pytest.fixture
def second(db):
    return UserFactory()


@pytest.fixture
def offered(first, second, join, committed, other_client_user, clinic_provider, service):
    """Tuesday 10:00 freed with `first` and then `second` waiting: offered to `first`."""
    taken = appointment_book(
        client=other_client_user, provider=clinic_provider, service=service, start=at(13, 10)
    )
    join(first)
    join(second)
    with committed():
        appointment_cancel(appointment=taken, actor=None)
    return Offer.objects.get()


def test_accept_books_the_held_time_and_fulfils_the_entry(offered, first, committed):
    with committed():
        appointment = services.offer_accept(offer=offered, client=first, now=timezone.now())

    assert (appointment.client, appointment.start, appointment.status) == (
        first,
        at(13, 10),
        AppointmentStatus.BOOKED,
    )
    assert appointment.source == AppointmentSource.WAITLIST
    offered.refresh_from_db()
    assert (offered.status, offered.appointment, offered.nonce) == (
        OfferStatus.ACCEPTED,
        appointment,
        "",
    )
    assert offered.entry.status == EntryStatus.FULFILLED
    assert offered.hold.__class__.with_holds.get(pk=offered.hold_id).status == "released"


def test_another_client_cannot_take_the_hold(offered, second):
    with pytest.raises(PermissionDenied):
        services.offer_accept(offer=offered, client=second, now=timezone.now())
    assert not Appointment.objects.filter(start=at(13, 10)).exclude(status="cancelled").exists()


def test_accepting_twice_is_gone_the_second_time(offered, first, committed):
    with committed():
        services.offer_accept(offer=offered, client=first, now=timezone.now())
    with pytest.raises(HoldGone):
        services.offer_accept(offer=offered, client=first, now=timezone.now())
    assert Appointment.objects.filter(client=first).count() == 1


def test_in_a_batch_the_first_to_accept_wins_and_the_rest_are_told(
    policy, first, second, join, committed, other_client_user, clinic_provider, service
):
    policy.offer_batch_size = 2
    policy.save()
    taken = appointment_book(
        client=other_client_user, provider=clinic_provider, service=service, start=at(13, 10)
    )
    join(first)
    join(second)
    with committed():
        appointment_cancel(appointment=taken, actor=None)
    mine, theirs = Offer.objects.order_by("rank")

    with committed():
        services.offer_accept(offer=theirs, client=second, now=timezone.now())

    mine.refresh_from_db()
    assert (mine.status, mine.nonce) == (OfferStatus.GONE, "")
    with pytest.raises(HoldGone):
        services.offer_accept(offer=mine, client=first, now=timezone.now())
    assert not Appointment.objects.filter(client=first).exists()


def test_decline_offers_the_time_to_the_next_candidate(offered, first, second, committed):
    with committed():
        services.offer_decline(offer=offered, client=first, now=timezone.now())

    offered.refresh_from_db()
    assert offered.status == OfferStatus.DECLINED
    following = Offer.objects.get(status=OfferStatus.PENDING)
    assert (following.entry.client, following.start) == (second, at(13, 10))
    assert following.hold_id != offered.hold_id


def test_the_sweep_expires_the_hold_and_offers_the_next(
    offered, first, second, committed, time_machine
):
    time_machine.move_to(timezone.now() + timedelta(minutes=15), tick=False)
    with committed():
        result = tasks.sweep_waitlist.run()

    assert result["offers_expired"] == 1
    offered.refresh_from_db()
    assert offered.status == OfferStatus.EXPIRED
    assert Offer.objects.get(status=OfferStatus.PENDING).entry.client == second
    with pytest.raises(HoldGone):
        services.offer_accept(offer=offered, client=first, now=timezone.now())


def test_a_late_accept_expires_the_offer_and_offers_the_next(
    offered, first, second, committed, time_machine
):
    time_machine.move_to(offered.expires_at, tick=False)
    with committed(), pytest.raises(HoldGone):
        services.offer_accept(offer=offered, client=first, now=timezone.now())

    offered.refresh_from_db()
    assert offered.status == OfferStatus.EXPIRED
    assert not Appointment.objects.filter(client=first).exists()
    assert Offer.objects.get(status=OfferStatus.PENDING).entry.client == second


def test_accepting_an_earlier_time_moves_the_appointment(
    first, join, committed, other_client_user, clinic_provider, service
):
    mine = appointment_book(
        client=first, provider=clinic_provider, service=service, start=at(16, 10)
    )
    taken = appointment_book(
        client=other_client_user, provider=clinic_provider, service=service, start=at(13, 10)
    )
    join(first, appointment=mine)
    with committed():
        appointment_cancel(appointment=taken, actor=None)
    offer = Offer.objects.get()

    with committed():
        moved = services.offer_accept(offer=offer, client=first, now=timezone.now())

    assert moved.pk == mine.pk and moved.start == at(13, 10)
    assert Appointment.objects.filter(client=first).count() == 1


def test_leaving_withdraws_the_offer_and_passes_the_time_on(offered, first, second, committed):
    with committed():
        services.entry_leave(entry=offered.entry, client=first, now=timezone.now())

    offered.refresh_from_db()
    assert offered.status == OfferStatus.GONE
    assert Offer.objects.get(status=OfferStatus.PENDING).entry.client == second


def test_join_refuses_bad_ranges_and_writes_nothing(first, service, clinic_provider):
    from django.core.exceptions import ValidationError

    from waitlist.models import WaitlistEntry

    with pytest.raises(ValidationError) as exc_info:
        services.entry_join(
            client=first,
            service=service,
            ranges=[days(date(2026, 1, 11), date(2026, 1, 10))],
            expires_on=date(2026, 1, 1),
            now=timezone.now(),
        )
    assert set(exc_info.value.message_dict) == {
        "ranges[0].first_date",
        "ranges[0].last_date",
        "expires_on",
    }
    assert not WaitlistEntry.objects.exists()
