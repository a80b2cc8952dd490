"""Holds: a time held for one client blocks the provider for everybody else (availability,
bookings, the database), is taken by booking or moving into it, and stops blocking when it
expires or is released. Who may take a hold is the waitlist's rule, not tested here."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from scheduling.errors import BookingRuleViolation, HoldGone, SlotUnavailable
from scheduling.models import Appointment, AppointmentSource, AppointmentStatus
from scheduling.selectors import appointments_visible_to, available_slots
from scheduling.services import (
    appointment_reschedule,
    hold_place,
    hold_release,
    holds_release_expired,
)
from scheduling.tests.support import at

pytestmark = pytest.mark.usefixtures("frozen_now")  # Monday 12 January 2026, 08:00 UTC


@pytest.fixture
def hold(client_user, clinic_provider, service):
    return hold_place(
        provider=clinic_provider,
        service=service,
        start=at(13, 10),
        client=client_user,
        expires_at=at(12, 8, 15),
    )


def offered_starts(service, client=None):
    return {
        slot.start
        for slot in available_slots(service=service, start=at(13, 9), end=at(13, 12), client=client)
    }


def test_a_hold_is_a_held_row_hidden_from_appointment_lists(hold, client_user):
    assert hold.status == AppointmentStatus.HELD
    assert hold.source == AppointmentSource.WAITLIST
    assert hold.hold_expires_at == at(12, 8, 15)
    assert (hold.start, hold.end) == (at(13, 10), at(13, 10, 30))
    assert not Appointment.objects.filter(pk=hold.pk).exists()
    assert Appointment.with_holds.filter(pk=hold.pk).exists()
    assert not appointments_visible_to(user=client_user).filter(pk=hold.pk).exists()


def test_a_held_time_is_not_offered_to_anyone(hold, service, client_user, other_client_user):
    assert at(13, 10) not in offered_starts(service)
    assert at(13, 10) not in offered_starts(service, client=other_client_user)
    # Not even to its client through plain availability: they take it through the hold.
    assert at(13, 10) not in offered_starts(service, client=client_user)
    assert at(13, 10, 30) in offered_starts(service, client=other_client_user)


def test_nobody_else_can_book_a_held_time(hold, book, other_client_user):
    with pytest.raises(SlotUnavailable):
        book(at(13, 10), client=other_client_user)
    with pytest.raises(SlotUnavailable):
        book(at(13, 9, 45), client=other_client_user)  # overlapping its first 15 minutes
    assert not Appointment.objects.exists()


def test_booking_into_a_live_hold_takes_it(hold, book, client_user):
    appointment = book(at(13, 10), hold=hold)
    hold.refresh_from_db()
    assert hold.status == AppointmentStatus.RELEASED
    assert appointment.client == client_user
    assert appointment.status == AppointmentStatus.BOOKED
    assert (appointment.start, appointment.end) == (at(13, 10), at(13, 10, 30))


def test_another_client_may_book_into_a_hold_the_caller_gives_them(hold, book, other_client_user):
    # A batch offer: the hold's row names the first candidate, whoever accepts first takes it.
    appointment = book(at(13, 10), client=other_client_user, hold=hold)
    assert appointment.client == other_client_user


def test_a_hold_must_match_the_booking(hold, book, service):
    with pytest.raises(BookingRuleViolation) as refused:
        book(at(13, 10, 30), hold=hold)
    assert refused.value.field == "hold"
    hold.refresh_from_db()
    assert hold.status == AppointmentStatus.HELD  # nothing written


def test_an_expired_hold_cannot_be_taken_and_blocks_nobody(
    hold, book, service, other_client_user, time_machine
):
    time_machine.move_to(at(12, 8, 15), tick=False)  # the expiry instant itself
    with pytest.raises(HoldGone) as gone:
        book(at(13, 10), hold=hold)
    assert gone.value.field == "hold"
    assert at(13, 10) in offered_starts(service, client=other_client_user)
    # Booking over it releases it first (the database constraint must let the booking in).
    appointment = book(at(13, 10), client=other_client_user)
    hold.refresh_from_db()
    assert hold.status == AppointmentStatus.RELEASED
    assert appointment.client == other_client_user


def test_a_hold_is_live_until_its_expiry(hold, book, other_client_user, time_machine):
    time_machine.move_to(at(12, 8, 14) + timedelta(seconds=59), tick=False)
    with pytest.raises(SlotUnavailable):
        book(at(13, 10), client=other_client_user)


def test_a_released_hold_is_gone(hold, book, service, other_client_user):
    assert hold_release(hold=hold) is True
    assert hold_release(hold=hold) is False  # idempotent
    with pytest.raises(HoldGone):
        book(at(13, 10), hold=hold)
    assert at(13, 10) in offered_starts(service, client=other_client_user)


def test_the_sweep_releases_only_expired_holds(hold, clinic_provider, service, other_client_user):
    later = hold_place(
        provider=clinic_provider,
        service=service,
        start=at(13, 11),
        client=other_client_user,
        expires_at=at(12, 9),
    )
    assert holds_release_expired(now=at(12, 8, 30)) == 1
    hold.refresh_from_db()
    later.refresh_from_db()
    assert (hold.status, later.status) == (AppointmentStatus.RELEASED, AppointmentStatus.HELD)
    assert holds_release_expired(now=at(12, 8, 30)) == 0


def test_a_hold_is_refused_like_a_booking_for_its_client(
    book, clinic_provider, service, client_user
):
    book(at(13, 10))
    other_provider_time = {"provider": clinic_provider, "service": service}
    with pytest.raises(SlotUnavailable):  # the provider's time is taken
        hold_place(
            **other_provider_time, start=at(13, 10), client=UserFactory(), expires_at=at(12, 9)
        )
    with pytest.raises(BookingRuleViolation) as refused:  # outside working hours
        hold_place(
            **other_provider_time, start=at(13, 18), client=UserFactory(), expires_at=at(12, 9)
        )
    assert refused.value.field == "start"
    with pytest.raises(BookingRuleViolation) as refused:
        hold_place(
            **other_provider_time, start=at(13, 11), client=client_user, expires_at=at(12, 8)
        )
    assert refused.value.field == "expires_at"
    assert not Appointment.with_holds.filter(status=AppointmentStatus.HELD).exists()


def test_a_hold_for_a_move_does_not_count_the_appointment_it_would_move(
    book, clinic_provider, service, client_user
):
    current = book(at(14, 10))
    earlier = hold_place(
        provider=clinic_provider,
        service=service,
        start=at(13, 10),
        client=client_user,
        expires_at=at(12, 9),
        moving=current,
    )
    moved = appointment_reschedule(
        appointment=current, new_start=at(13, 10), actor=client_user, hold=earlier
    )
    earlier.refresh_from_db()
    assert moved.start == at(13, 10)
    assert earlier.status == AppointmentStatus.RELEASED
    assert Appointment.objects.get().pk == current.pk


def test_a_hold_does_not_block_its_own_client_elsewhere(hold, book, client_user):
    # The hold is not the client's time yet: they may still book another provider then.
    from providers.tests.factories import ProviderFactory

    other = ProviderFactory(services=[hold.service])
    appointment = book(at(13, 10), provider=other)
    assert appointment.client == client_user


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the exclusion constraint")
def test_the_database_refuses_an_overlapping_row_over_a_live_hold(hold, other_client_user):
    overlapping = Appointment(
        client=other_client_user,
        provider=hold.provider,
        service=hold.service,
        start=at(13, 10, 15),
        end=at(13, 10, 45),
        blocked_start=at(13, 10, 15),
        blocked_end=at(13, 10, 45),
    )
    with (
        pytest.raises(IntegrityError, match="appointment_provider_no_overlap"),
        transaction.atomic(),
    ):
        overlapping.save()
    hold_release(hold=hold)
    overlapping.save()  # a released hold blocks nothing
    assert Appointment.objects.filter(pk=overlapping.pk).exists()


def test_a_provider_without_holds_has_no_hold_update_in_the_booking(book, other_client_user):
    with CaptureQueriesContext(connection) as queries:
        book(at(13, 10), client=other_client_user)
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert writes == []


def test_a_provider_with_only_live_holds_keeps_them_when_booking_elsewhere(
    hold, book, other_client_user
):
    book(at(13, 11), client=other_client_user)
    hold.refresh_from_db()
    assert hold.status == AppointmentStatus.HELD
