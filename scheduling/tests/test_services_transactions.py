"""Whose transaction a booking runs in.

The public services are entry points: each opens its own transaction, which must be the
outermost, so that a service that returns has committed. Code that composes several bookings
in one transaction of its own books with `appointment_book_in_transaction`.

These tests commit for real (`transaction=True`): a test's own transaction would exempt the
services from the durability check.
"""

import pytest
from django.db import transaction
from django.db.transaction import TransactionManagementError

from scheduling import events
from scheduling.errors import BookingRuleViolation, SlotUnavailable
from scheduling.models import Appointment, AppointmentSource, AppointmentStatus
from scheduling.services import (
    appointment_book,
    appointment_book_in_transaction,
    appointment_cancel,
    appointment_complete,
    appointment_mark_no_show,
    appointment_reschedule,
    appointment_staff_update,
    appointment_update,
)
from scheduling.tests.support import at, refused

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("frozen_now")]


def _public_calls(appointment, client, staff):
    """Each public service, called as its callers call it."""
    return {
        "book": lambda: appointment_book(
            client=client,
            provider=appointment.provider,
            service=appointment.service,
            start=at(14, 10),
        ),
        "reschedule": lambda: appointment_reschedule(
            appointment=appointment, new_start=at(14, 10), actor=client
        ),
        "update": lambda: appointment_update(
            appointment=appointment, actor=client, client_notes="later"
        ),
        "cancel": lambda: appointment_cancel(appointment=appointment, actor=client),
        "complete": lambda: appointment_complete(appointment=appointment, actor=staff),
        "mark_no_show": lambda: appointment_mark_no_show(appointment=appointment, actor=staff),
        "staff_update": lambda: appointment_staff_update(
            appointment=appointment, actor=staff, status=AppointmentStatus.CANCELLED
        ),
    }


@pytest.mark.parametrize(
    "name",
    ["book", "reschedule", "update", "cancel", "complete", "mark_no_show", "staff_update"],
)
def test_a_public_service_refuses_to_run_inside_another_transaction(
    name, book, client_user, admin_user
):
    appointment = book(at(13, 10))
    call = _public_calls(appointment, client_user, admin_user)[name]
    with (
        pytest.raises(RuntimeError, match="durable atomic block cannot be nested"),
        transaction.atomic(),
    ):
        call()
    stored = Appointment.objects.get()
    assert (stored.pk, stored.start, stored.status, stored.client_notes) == (
        appointment.pk,
        at(13, 10),
        AppointmentStatus.BOOKED,
        "",
    )


def test_booking_in_the_callers_transaction_is_committed_with_it_and_then_announced(
    client_user, clinic_provider, service
):
    announced = []

    def receiver(sender, **kwargs):
        announced.append(kwargs["appointment_id"])

    events.appointment_booked.connect(receiver)
    try:
        with transaction.atomic():
            appointment = appointment_book_in_transaction(
                client=client_user, provider=clinic_provider, service=service, start=at(13, 10)
            )
            assert announced == []  # events wait for the caller's commit
    finally:
        events.appointment_booked.disconnect(receiver)
    assert announced == [appointment.pk]
    stored = Appointment.objects.get()
    assert (stored.start, stored.urgency, stored.source, stored.client_notes) == (
        at(13, 10),
        "routine",
        AppointmentSource.MANUAL,
        "",
    )


def test_booking_in_the_callers_transaction_keeps_the_policy_unless_told_to_override(
    client_user, clinic_provider, service
):
    with transaction.atomic():
        with pytest.raises(BookingRuleViolation) as exc_info:
            appointment_book_in_transaction(
                client=client_user, provider=clinic_provider, service=service, start=at(12, 9)
            )
        refused(exc_info, "start", "120 minutes' notice")
        appointment_book_in_transaction(
            client=client_user,
            provider=clinic_provider,
            service=service,
            start=at(12, 9),
            override_policy=True,
        )
    assert Appointment.objects.get().start == at(12, 9)


def test_booking_in_the_callers_transaction_is_taken_back_by_its_rollback(
    client_user, other_client_user, clinic_provider, service
):
    with transaction.atomic():
        appointment_book_in_transaction(
            client=client_user, provider=clinic_provider, service=service, start=at(13, 10)
        )
        # The same rules hold within one transaction: the first booking holds the slot.
        with pytest.raises(SlotUnavailable), transaction.atomic():
            appointment_book_in_transaction(
                client=other_client_user,
                provider=clinic_provider,
                service=service,
                start=at(13, 10),
            )
        transaction.set_rollback(True)
    assert not Appointment.objects.exists()


def test_booking_in_the_callers_transaction_refuses_to_run_outside_one(
    client_user, clinic_provider, service
):
    with pytest.raises(
        TransactionManagementError,
        match="^appointment_book_in_transaction runs inside the caller's transaction; "
        "outside one, call appointment_book.$",
    ):
        appointment_book_in_transaction(
            client=client_user, provider=clinic_provider, service=service, start=at(13, 10)
        )
    assert not Appointment.objects.exists()
