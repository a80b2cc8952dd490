"""Smart rescheduling: appointments a provider's change displaced (time off over them, or a
cancellation by the clinic) get the client a held alternative, the same provider first;
accepting moves the appointment; staff see where each stands and can act for them.

The clock is the root's frozen Monday, 12 January 2026, 08:00 UTC (London on GMT).
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from providers.models import TimeOff
from providers.services import provider_add_time_off, provider_set_working_hours
from providers.tests.factories import ProviderFactory
from scheduling.errors import HoldGone
from scheduling.models import Appointment, AppointmentStatus
from scheduling.selectors import available_slots
from scheduling.services import appointment_book, appointment_cancel, hold_release
from scheduling.tests.support import at
from waitlist import selectors, services, tasks
from waitlist.models import EntryKind, EntryStatus, Offer, OfferStatus, WaitlistEntry

pytestmark = pytest.mark.usefixtures("frozen_now", "policy")


@pytest.fixture
def ann(db):
    return UserFactory(email="ann@example.com")


@pytest.fixture
def bob(db):
    return UserFactory(email="bob@example.com")


@pytest.fixture
def other_provider(db, service):
    return ProviderFactory(services=[service], display_name="Dr. Other")


@pytest.fixture
def booked(ann, bob, clinic_provider, service, committed):
    """Ann at 10:00 and Bob at 11:00 with the clinic provider on Wednesday 14 January."""
    with committed():
        first = appointment_book(
            client=ann, provider=clinic_provider, service=service, start=at(14, 10)
        )
    with committed():
        second = appointment_book(
            client=bob, provider=clinic_provider, service=service, start=at(14, 11)
        )
    return first, second


def _time_off(provider, start, end, committed):
    with committed():
        return provider_add_time_off(provider=provider, start=start, end=end, reason="Course")


def _pending(client) -> Offer:
    return Offer.objects.get(entry__client=client, status=OfferStatus.PENDING)


def test_time_off_over_two_appointments_offers_each_client_a_held_time_with_their_provider(
    booked, ann, bob, clinic_provider, other_provider, committed
):
    _time_off(clinic_provider, at(14, 9), at(14, 13), committed)

    for client, appointment in zip((ann, bob), booked, strict=True):
        entry = WaitlistEntry.objects.get(client=client)
        assert (entry.kind, entry.appointment, entry.displaced_appointment) == (
            EntryKind.DISPLACED,
            appointment,
            appointment,
        )
        assert entry.urgency == appointment.urgency
        assert "time off" in entry.displaced_reason.lower()
        offer = _pending(client)
        assert offer.provider == clinic_provider
        assert not at(14, 9) <= offer.start < at(14, 13)
        assert offer.hold.status == AppointmentStatus.HELD
    assert _pending(ann).start != _pending(bob).start


def test_another_provider_is_offered_when_the_own_provider_has_no_time(
    booked, ann, bob, clinic_provider, other_provider, committed
):
    _time_off(clinic_provider, at(12, 8), at(12, 8) + timedelta(days=40), committed)

    for client in (ann, bob):
        assert _pending(client).provider == other_provider


def test_accepting_moves_the_appointment_out_of_the_time_off(
    booked, ann, clinic_provider, committed
):
    time_off = _time_off(clinic_provider, at(14, 9), at(14, 13), committed)
    offer = _pending(ann)

    with committed():
        moved = services.offer_accept(offer=offer, client=ann, now=timezone.now())

    assert (moved.pk, moved.start, moved.status) == (
        booked[0].pk,
        offer.start,
        AppointmentStatus.BOOKED,
    )
    assert WaitlistEntry.objects.get(client=ann).status == EntryStatus.FULFILLED
    # The old time is free: with the time off gone, it is offered again.
    time_off.delete()
    starts = [
        s.start for s in available_slots(service=moved.service, start=at(14, 9), end=at(14, 17))
    ]
    assert at(14, 10) in starts
    with committed():
        services.displaced_rebook(now=timezone.now())
    assert selectors.displaced_state(WaitlistEntry.objects.get(client=ann)) == "moved"


def test_accepting_another_providers_time_books_it_and_cancels_the_old_appointment(
    booked, ann, clinic_provider, other_provider, committed
):
    _time_off(clinic_provider, at(12, 8), at(12, 8) + timedelta(days=40), committed)
    offer = _pending(ann)

    with committed():
        new = services.offer_accept(offer=offer, client=ann, now=timezone.now())

    assert (new.provider, new.start, new.client) == (other_provider, offer.start, ann)
    old = Appointment.objects.get(pk=booked[0].pk)
    assert old.status == AppointmentStatus.CANCELLED
    assert WaitlistEntry.objects.filter(client=ann).count() == 1  # no entry for that cancel


def test_running_the_rebooking_twice_makes_no_second_entry_or_offer(
    booked, clinic_provider, committed
):
    _time_off(clinic_provider, at(14, 9), at(14, 13), committed)
    before = (WaitlistEntry.objects.count(), Offer.objects.count())

    with committed():
        services.displaced_rebook(provider=clinic_provider, now=timezone.now())
        tasks.sweep_waitlist.run()

    assert before == (2, 2)
    assert (WaitlistEntry.objects.count(), Offer.objects.count()) == before


def test_an_appointment_still_inside_working_hours_is_not_touched(
    booked, ann, bob, clinic_provider, committed
):
    _time_off(clinic_provider, at(14, 9), at(14, 10, 30), committed)  # over Ann's only

    assert WaitlistEntry.objects.filter(client=ann).exists()
    assert not WaitlistEntry.objects.filter(client=bob).exists()
    assert Appointment.objects.get(pk=booked[1].pk).start == at(14, 11)


def test_shorter_hours_displace_the_appointments_outside_them(
    booked, ann, bob, clinic_provider, committed
):
    hours = [{"weekday": day, "start_time": "10:30", "end_time": "17:00"} for day in range(5)]
    with committed():
        provider_set_working_hours(provider=clinic_provider, working_hours=hours)

    assert _pending(ann).provider == clinic_provider
    assert not WaitlistEntry.objects.filter(client=bob).exists()


def test_the_sweep_rebooks_a_change_made_outside_the_services(booked, ann, clinic_provider):
    TimeOff.objects.create(provider=clinic_provider, start=at(14, 9), end=at(14, 10, 30))

    result = tasks.sweep_waitlist.run()

    assert result["displaced"] == 1
    assert _pending(ann).provider == clinic_provider


def test_a_providers_cancellation_offers_the_client_the_next_best_time(
    booked, ann, clinic_provider, committed
):
    with committed():
        appointment_cancel(appointment=booked[0], actor=clinic_provider.user, reason="Ill")

    entry = WaitlistEntry.objects.get(client=ann)
    assert (entry.kind, entry.appointment, entry.displaced_appointment_id) == (
        EntryKind.DISPLACED,
        None,
        booked[0].pk,
    )
    offer = _pending(ann)
    assert offer.start != at(14, 10)

    with committed():
        appointment = services.offer_accept(offer=offer, client=ann, now=timezone.now())
    assert (appointment.start, appointment.status) == (offer.start, AppointmentStatus.BOOKED)


def test_a_clients_own_cancellation_makes_no_entry(booked, ann, committed):
    with committed():
        appointment_cancel(appointment=booked[0], actor=ann, reason="Cannot come")

    assert not WaitlistEntry.objects.filter(client=ann).exists()


def test_staff_see_who_was_offered_declined_did_not_answer_or_moved(
    booked, ann, bob, clinic_provider, committed, admin_user, time_machine
):
    _time_off(clinic_provider, at(14, 9), at(14, 13), committed)
    state = lambda client: selectors.displaced_state(  # noqa: E731
        selectors.displaced_entries().get(client=client)
    )
    assert (state(ann), state(bob)) == ("offered, pending", "offered, pending")

    with committed():
        services.offer_decline(offer=_pending(ann), client=ann, now=timezone.now())
    assert state(ann) == "declined"

    page = _admin_page(admin_user)
    assert "declined" in page and "offered, pending" in page

    with committed():
        services.offer_accept(offer=_pending(bob), client=bob, now=timezone.now())
    assert state(bob) == "moved"

    with committed():
        services.displaced_offer_again(
            entry=WaitlistEntry.objects.get(client=ann), now=timezone.now()
        )
    time_machine.move_to(timezone.now() + timedelta(hours=1), tick=False)
    services.offers_expire(now=timezone.now())  # before the released time is offered again
    assert state(ann) == "not answered"


def _admin_page(user) -> str:
    from django.test import Client

    browser = Client()
    browser.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response = browser.get("/admin/waitlist/displacedentry/")
    assert response.status_code == 200
    return response.content.decode()


def test_staff_move_an_appointment_for_the_client_into_the_held_time(
    booked, ann, clinic_provider, committed, admin_user
):
    _time_off(clinic_provider, at(14, 9), at(14, 13), committed)
    offer = _pending(ann)
    entry = WaitlistEntry.objects.get(client=ann)

    with committed():
        moved = services.displaced_move(entry=entry, actor=admin_user, now=timezone.now())

    assert (moved.pk, moved.start) == (booked[0].pk, offer.start)
    offer.refresh_from_db()
    assert offer.status == OfferStatus.ACCEPTED
    assert selectors.displaced_state(selectors.displaced_entries().get(pk=entry.pk)) == "moved"


def test_the_admin_action_moves_without_a_pending_offer(
    booked, ann, clinic_provider, committed, admin_user
):
    _time_off(clinic_provider, at(14, 9), at(14, 13), committed)
    with committed():
        services.offer_decline(offer=_pending(ann), client=ann, now=timezone.now())
    entry = WaitlistEntry.objects.get(client=ann)
    from django.test import Client

    browser = Client()
    browser.force_login(admin_user, backend="django.contrib.auth.backends.ModelBackend")
    with committed():
        response = browser.post(
            "/admin/waitlist/displacedentry/",
            {"action": "move_for_them", "_selected_action": [entry.pk]},
        )

    assert response.status_code == 302
    moved = Appointment.objects.get(pk=booked[0].pk)
    assert moved.start != at(14, 10)
    assert not at(14, 9) <= moved.start < at(14, 13)
    entry.refresh_from_db()
    assert entry.status == EntryStatus.FULFILLED


def test_the_client_sees_their_displaced_entry_and_why_in_the_api(
    booked, ann, clinic_provider, committed
):
    from accounts.tests.support import auth_client

    _time_off(clinic_provider, at(14, 9), at(14, 13), committed)

    entries = auth_client(ann).get("/api/waitlist/entries").json()
    items = entries["results"] if isinstance(entries, dict) else entries
    assert [(e["kind"], e["appointment"]) for e in items] == [("displaced", booked[0].pk)]
    assert "time off" in items[0]["displaced_reason"].lower()


def test_a_refused_booking_of_another_providers_time_keeps_the_old_appointment(
    booked, ann, clinic_provider, other_provider, committed
):
    _time_off(clinic_provider, at(12, 8), at(12, 8) + timedelta(days=40), committed)
    offer = _pending(ann)
    hold_release(hold=offer.hold)  # the held time went meanwhile, the offer not yet told

    with pytest.raises(HoldGone), committed():
        services.offer_accept(offer=offer, client=ann, now=timezone.now())

    # The cancel of the old appointment and the booking are one change: neither happened.
    old = Appointment.objects.get(pk=booked[0].pk)
    assert old.status == AppointmentStatus.BOOKED
    assert not Appointment.objects.filter(client=ann, provider=other_provider).exists()
