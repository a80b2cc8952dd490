"""Booking rules that only the public services can show: who may book, change and override,
what a reschedule re-checks, and the exact instant of the client cut-off.

The clinic is the scheduling conftest's: `frozen_now` is Monday 12 January 2026 08:00 UTC,
the provider works Monday to Friday 09:00-17:00 London (GMT), the policy is the default one
(2 hours' notice, 24-hour client cut-off, at most 2 appointments a client per day).
"""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from providers.tests.factories import ProviderFactory
from scheduling import events
from scheduling.errors import BookingRuleViolation, InvalidTransition, SlotUnavailable
from scheduling.models import Appointment, AppointmentChange, AppointmentStatus, BookingPolicy
from scheduling.services import (
    appointment_cancel,
    appointment_complete,
    appointment_mark_no_show,
    appointment_reschedule,
    appointment_staff_update,
    appointment_update,
)
from scheduling.tests.support import at, refused

pytestmark = pytest.mark.usefixtures("frozen_now")


def _stored(appointment: Appointment) -> Appointment:
    return Appointment.objects.get(pk=appointment.pk)


# --- who may book -----------------------------------------------------------------------


def test_a_provider_cannot_book_themselves(book, clinic_provider):
    with pytest.raises(BookingRuleViolation) as exc_info:
        book(at(13, 10), client=clinic_provider.user, actor=clinic_provider.user)
    refused(exc_info, "provider", "Providers cannot book themselves")
    assert not Appointment.objects.exists()


def test_an_inactive_client_cannot_book(book, client_user):
    client_user.is_active = False
    client_user.save()
    with pytest.raises(BookingRuleViolation) as exc_info:
        book(at(13, 10), actor=client_user)
    refused(exc_info, "client", "cannot book")
    assert not Appointment.objects.exists()


# --- overriding the policy --------------------------------------------------------------


def test_a_client_override_is_refused_for_reschedule_and_cancel(book, client_user):
    appointment = book(at(12, 16))  # inside the cut-off: only an override could change it
    with pytest.raises(BookingRuleViolation) as exc_info:
        appointment_reschedule(
            appointment=appointment, new_start=at(13, 10), actor=client_user, override_policy=True
        )
    refused(exc_info, "override_policy", "Only staff")
    with pytest.raises(BookingRuleViolation) as exc_info:
        appointment_cancel(appointment=appointment, actor=client_user, override_policy=True)
    refused(exc_info, "override_policy", "Only staff")
    stored = _stored(appointment)
    assert (stored.start, stored.status) == (at(12, 16), AppointmentStatus.BOOKED)


def test_the_admin_flag_on_a_client_account_grants_no_override(book):
    flagged_client = UserFactory(role="client", is_staff=True)
    with pytest.raises(BookingRuleViolation) as exc_info:
        book(at(12, 9), actor=flagged_client, override_policy=True)
    refused(exc_info, "override_policy", "Only staff")


def test_a_role_admin_without_the_admin_flag_may_override(book, client_user):
    staff = UserFactory(role="admin", is_staff=False, is_superuser=False)
    # 09:00 today is inside the two hours' notice: only an override books it.
    appointment = book(at(12, 9, 30), actor=staff, override_policy=True)
    assert appointment.pk
    late = book(at(12, 16))
    cancelled = appointment_cancel(appointment=late, actor=staff, override_policy=True)
    assert cancelled.status == AppointmentStatus.CANCELLED


def test_an_inactive_admin_may_not_override(book):
    former_staff = UserFactory(role="admin", is_staff=True, is_active=False)
    with pytest.raises(BookingRuleViolation) as exc_info:
        book(at(12, 9), actor=former_staff, override_policy=True)
    refused(exc_info, "override_policy", "Only staff")


# --- the system actor (commands, jobs: actor=None) --------------------------------------


def test_the_system_may_override_and_change_inside_the_cutoff(book, client_user):
    early = book(at(12, 9, 30), actor=None, override_policy=True)  # inside the notice
    assert early.pk
    late = book(at(12, 16), actor=client_user)
    moved = appointment_reschedule(appointment=late, new_start=at(12, 15), actor=None)
    assert _stored(moved).start == at(12, 15)
    change = AppointmentChange.objects.get(appointment=late)
    assert change.changed_by is None
    cancelled = appointment_cancel(appointment=moved, actor=None, reason="Clinic closed")
    stored = _stored(cancelled)
    assert stored.status == AppointmentStatus.CANCELLED
    assert stored.cancelled_by is None
    assert stored.cancellation_reason == "Clinic closed"


def test_the_system_without_override_still_meets_the_notice(book):
    with pytest.raises(BookingRuleViolation) as exc_info:
        book(at(12, 9, 30), actor=None)
    refused(exc_info, "start", "notice")


# --- the client cut-off, to the microsecond ---------------------------------------------


def test_a_client_may_cancel_exactly_at_the_cutoff(book, client_user, time_machine):
    appointment = book(at(13, 10))
    time_machine.move_to(at(12, 10), tick=False)  # exactly 24 hours before the start
    cancelled = appointment_cancel(appointment=appointment, actor=client_user)
    assert _stored(cancelled).status == AppointmentStatus.CANCELLED


def test_a_client_may_not_cancel_a_microsecond_after_the_cutoff(book, client_user, time_machine):
    appointment = book(at(13, 10))
    time_machine.move_to(at(12, 10) + timedelta(microseconds=1), tick=False)
    with pytest.raises(BookingRuleViolation) as exc_info:
        appointment_cancel(appointment=appointment, actor=client_user)
    refused(exc_info, "start", "24 hours before")
    assert _stored(appointment).status == AppointmentStatus.BOOKED


def test_the_reschedule_cutoff_has_the_same_boundary(book, client_user, time_machine):
    first, second = book(at(13, 10)), book(at(13, 11))
    time_machine.move_to(at(12, 10), tick=False)
    assert appointment_reschedule(
        appointment=first, new_start=at(14, 10), actor=client_user
    ).start == at(14, 10)
    time_machine.move_to(at(12, 11) + timedelta(microseconds=1), tick=False)
    with pytest.raises(BookingRuleViolation) as exc_info:
        appointment_reschedule(appointment=second, new_start=at(14, 11), actor=client_user)
    refused(exc_info, "start", "24 hours before")
    assert _stored(second).start == at(13, 11)


# --- what a reschedule checks again -----------------------------------------------------


def test_reschedule_refuses_a_time_the_client_holds_with_another_provider(
    book, client_user, service
):
    other_provider = ProviderFactory(services=[service])
    book(at(13, 10), provider=other_provider)
    appointment = book(at(14, 10))
    with pytest.raises(SlotUnavailable, match="You already have an appointment"):
        appointment_reschedule(appointment=appointment, new_start=at(13, 10, 15), actor=client_user)
    stored = _stored(appointment)
    assert (stored.start, stored.sequence) == (at(14, 10), 0)


def test_reschedule_applies_the_clients_daily_limit_but_not_against_itself(book, client_user):
    BookingPolicy.objects.update_or_create(pk=1, defaults={"max_client_appointments_per_day": 1})
    book(at(13, 10))
    appointment = book(at(14, 10))
    with pytest.raises(BookingRuleViolation) as exc_info:
        appointment_reschedule(appointment=appointment, new_start=at(13, 14), actor=client_user)
    refused(exc_info, "start", "You already have 1 appointment on this day")
    assert _stored(appointment).start == at(14, 10)
    # Moving within its own day does not count the appointment twice.
    moved = appointment_reschedule(appointment=appointment, new_start=at(14, 14), actor=client_user)
    assert _stored(moved).start == at(14, 14)


def test_reschedule_to_a_provider_no_longer_taking_bookings_is_refused(
    book, client_user, clinic_provider
):
    appointment = book(at(13, 10))
    clinic_provider.is_active = False
    clinic_provider.save()
    with pytest.raises(BookingRuleViolation) as exc_info:
        appointment_reschedule(appointment=appointment, new_start=at(14, 10), actor=client_user)
    refused(exc_info, "provider", "not taking bookings")
    assert _stored(appointment).start == at(13, 10)


def test_reschedule_to_the_same_start_is_refused_and_changes_nothing(book, client_user):
    appointment = book(at(13, 10))
    with pytest.raises(BookingRuleViolation) as exc_info:
        appointment_reschedule(appointment=appointment, new_start=at(13, 10), actor=client_user)
    refused(exc_info, "start", "already at that time")
    assert _stored(appointment).sequence == 0
    assert not AppointmentChange.objects.exists()


# --- editing the notes ------------------------------------------------------------------


def test_notes_only_update_saves_the_notes_and_keeps_the_time(book, client_user):
    appointment = book(at(13, 10))
    updated = appointment_update(
        appointment=appointment, actor=client_user, client_notes="Left knee, since March"
    )
    assert updated.client_notes == "Left knee, since March"
    stored = _stored(appointment)
    assert stored.client_notes == "Left knee, since March"
    assert (stored.start, stored.sequence) == (at(13, 10), 0)
    assert not AppointmentChange.objects.exists()


def test_notes_only_update_by_another_client_is_refused(book, other_client_user):
    appointment = book(at(13, 10), client_notes="Mine")
    with pytest.raises(PermissionDenied):
        appointment_update(appointment=appointment, actor=other_client_user, client_notes="x")
    assert _stored(appointment).client_notes == "Mine"


def test_notes_of_a_cancelled_appointment_cannot_be_edited(book, client_user):
    appointment = book(at(13, 10), client_notes="Before")
    appointment_cancel(appointment=appointment, actor=client_user)
    with pytest.raises(InvalidTransition):
        appointment_update(appointment=appointment, actor=client_user, client_notes="After")
    assert _stored(appointment).client_notes == "Before"


# --- the exact words of each refusal --------------------------------------------------------


def test_a_client_override_is_refused_with_the_whole_message(book, client_user):
    with pytest.raises(BookingRuleViolation) as exc_info:
        book(at(13, 10), actor=client_user, override_policy=True)
    assert (exc_info.value.field, exc_info.value.message) == (
        "override_policy",
        "Only staff can override the policy.",
    )


def test_another_client_is_told_they_cannot_change_the_appointment(book, other_client_user):
    appointment = book(at(13, 10))
    with pytest.raises(PermissionDenied, match="^You cannot change this appointment.$"):
        appointment_cancel(appointment=appointment, actor=other_client_user)
    assert _stored(appointment).status == AppointmentStatus.BOOKED


def test_editing_the_notes_of_a_cancelled_appointment_says_which_can_be_edited(book, client_user):
    appointment = book(at(13, 10))
    appointment_cancel(appointment=appointment, actor=client_user)
    with pytest.raises(
        InvalidTransition, match="^Only booked or confirmed appointments can be edited.$"
    ):
        appointment_update(appointment=appointment, actor=client_user, client_notes="After")


def test_a_staff_update_by_a_client_says_it_is_for_staff(book, client_user):
    appointment = book(at(13, 10))
    with pytest.raises(PermissionDenied, match="^Only staff can do this.$"):
        appointment_staff_update(appointment=appointment, actor=client_user, status="cancelled")


def test_a_staff_update_to_an_unknown_status_is_refused_and_changes_nothing(book, admin_user):
    appointment = book(at(13, 10))
    with pytest.raises(BookingRuleViolation) as exc_info:
        appointment_staff_update(appointment=appointment, actor=admin_user, status="booked")
    assert (exc_info.value.field, exc_info.value.message) == (
        "status",
        "Staff cannot set the status to 'booked'.",
    )
    assert _stored(appointment).status == AppointmentStatus.BOOKED


# --- counting and closing ---------------------------------------------------------------------


def test_each_reschedule_raises_the_sequence_by_one(book, client_user):
    appointment = book(at(13, 10))
    appointment_reschedule(appointment=appointment, new_start=at(14, 10), actor=client_user)
    moved = appointment_reschedule(appointment=appointment, new_start=at(15, 10), actor=client_user)
    assert (moved.sequence, _stored(moved).sequence) == (2, 2)
    assert AppointmentChange.objects.filter(appointment=appointment).count() == 2


def test_the_provider_may_mark_an_appointment_completed_at_its_very_start(
    book, clinic_provider, time_machine
):
    appointment = book(at(13, 10))
    time_machine.move_to(at(13, 10), tick=False)
    completed = appointment_complete(appointment=appointment, actor=clinic_provider.user)
    assert _stored(completed).status == AppointmentStatus.COMPLETED


def test_a_client_cannot_mark_their_appointment_completed(book, client_user, time_machine):
    appointment = book(at(13, 10))
    time_machine.move_to(at(13, 11), tick=False)
    with pytest.raises(
        PermissionDenied, match="^Only the provider or staff can mark it completed.$"
    ):
        appointment_complete(appointment=appointment, actor=client_user)
    assert _stored(appointment).status == AppointmentStatus.BOOKED


def test_booking_hooks_get_an_empty_context_when_none_is_given(book):
    seen = []

    def hook(*, appointment, context):
        seen.append(context)

    events.register_booking_hook(hook)
    try:
        book(at(13, 10))
    finally:
        events.booking_hooks.remove(hook)
    assert seen == [{}]


# --- the database's overlap verdict -----------------------------------------------------------


def _insert_refused_by(constraint: str):
    """An execute wrapper that fails the appointment INSERT as PostgreSQL's exclusion
    constraint would (SQLite has none): the services must translate it."""

    def refuse(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith('INSERT INTO "SCHEDULING_APPOINTMENT"'):
            raise IntegrityError(
                f'conflicting key value violates exclusion constraint "{constraint}"'
            )
        return execute(sql, params, many, context)

    return refuse


@pytest.mark.parametrize(
    ("constraint", "message"),
    [
        ("appointment_provider_no_overlap", "no longer available"),
        ("appointment_client_no_overlap", "You already have an appointment"),
    ],
)
def test_an_overlap_the_database_refuses_is_an_unavailable_slot(book, constraint, message):
    with (
        connection.execute_wrapper(_insert_refused_by(constraint)),
        pytest.raises(SlotUnavailable, match=message) as exc_info,
    ):
        book(at(13, 10))
    assert isinstance(exc_info.value.__cause__, IntegrityError)
    assert not Appointment.objects.exists()


def test_another_integrity_error_is_not_taken_for_an_overlap(book):
    with (
        connection.execute_wrapper(_insert_refused_by("some_other_constraint")),
        pytest.raises(IntegrityError, match="some_other_constraint"),
    ):
        book(at(13, 10))


def test_cancelling_twice_says_what_the_appointment_is_and_what_it_cannot_be(book, client_user):
    appointment = book(at(13, 10))
    appointment_cancel(appointment=appointment, actor=client_user)
    with pytest.raises(InvalidTransition, match="^A cancelled appointment cannot be cancelled.$"):
        appointment_cancel(appointment=appointment, actor=client_user)


# --- what a change records and says --------------------------------------------------------


def test_saving_a_change_asks_no_existence_questions_of_the_rows_in_hand(book, client_user):
    """The client, provider, service and actor were just read under lock and `uid` is fresh:
    validating them again would only add queries to the provider's critical section."""
    with CaptureQueriesContext(connection) as captured:
        appointment = book(at(13, 10))
        appointment_reschedule(appointment=appointment, new_start=at(14, 10), actor=client_user)
        appointment_cancel(appointment=appointment, actor=client_user)
    checks = [
        query["sql"]
        for query in captured.captured_queries
        if query["sql"].startswith("SELECT 1 AS") or '"_check"' in query["sql"]
    ]
    assert checks == []
    assert _stored(appointment).cancelled_by == client_user


def test_a_booking_that_would_run_into_a_later_appointment_is_unavailable(book, other_client_user):
    book(at(13, 10, 30))
    with pytest.raises(SlotUnavailable):
        book(at(13, 10, 15), client=other_client_user)
    assert Appointment.objects.count() == 1


def test_changes_without_a_reason_record_an_empty_one(book, client_user, admin_user):
    appointment = book(at(13, 10))
    appointment_reschedule(appointment=appointment, new_start=at(14, 10), actor=client_user)
    appointment_update(appointment=appointment, actor=client_user, new_start=at(15, 10))
    assert list(AppointmentChange.objects.values_list("reason", flat=True)) == ["", ""]
    appointment_cancel(appointment=appointment, actor=client_user)
    assert _stored(appointment).cancellation_reason == ""
    other = book(at(13, 11))
    appointment_staff_update(appointment=other, actor=admin_user, status="cancelled")
    assert _stored(other).cancellation_reason == ""


def test_a_staff_move_keeps_the_policy_unless_told_to_override(book, admin_user):
    appointment = book(at(13, 10))
    with pytest.raises(BookingRuleViolation) as exc_info:
        appointment_staff_update(appointment=appointment, actor=admin_user, new_start=at(12, 9))
    refused(exc_info, "start", "120 minutes' notice")
    moved = appointment_staff_update(
        appointment=appointment,
        actor=admin_user,
        new_start=at(12, 9),
        client_notes="Booked by phone",
        override_policy=True,
    )
    stored = _stored(appointment)
    assert (moved.start, stored.start, stored.client_notes) == (
        at(12, 9),
        at(12, 9),
        "Booked by phone",
    )


def test_a_staff_update_of_the_notes_alone_keeps_the_time(book, admin_user):
    appointment = book(at(13, 10))
    updated = appointment_staff_update(
        appointment=appointment, actor=admin_user, client_notes="Wheelchair access"
    )
    stored = _stored(appointment)
    assert (updated.client_notes, stored.client_notes, stored.start) == (
        "Wheelchair access",
        "Wheelchair access",
        at(13, 10),
    )


def test_staff_may_mark_an_appointment_completed_or_a_no_show_after_its_start(
    book, admin_user, time_machine
):
    first, second = book(at(13, 10)), book(at(13, 11))
    time_machine.move_to(at(13, 12), tick=False)
    completed = appointment_staff_update(appointment=first, actor=admin_user, status="completed")
    no_show = appointment_staff_update(appointment=second, actor=admin_user, status="no_show")
    assert (completed.status, no_show.status) == (
        AppointmentStatus.COMPLETED,
        AppointmentStatus.NO_SHOW,
    )
    assert [_stored(first).status, _stored(second).status] == ["completed", "no_show"]


def test_moving_a_cancelled_appointment_says_what_it_is(book, client_user):
    appointment = book(at(13, 10))
    appointment_cancel(appointment=appointment, actor=client_user)
    with pytest.raises(InvalidTransition, match="^A cancelled appointment cannot be moved.$"):
        appointment_reschedule(appointment=appointment, new_start=at(14, 10), actor=client_user)


def test_the_no_show_refusals_say_no_show(book, client_user, clinic_provider, time_machine):
    appointment = book(at(13, 10))
    provider_user = clinic_provider.user
    with pytest.raises(
        InvalidTransition, match="^An appointment cannot be marked no-show before it starts.$"
    ):
        appointment_mark_no_show(appointment=appointment, actor=provider_user)
    time_machine.move_to(at(13, 11), tick=False)
    with pytest.raises(PermissionDenied, match="^Only the provider or staff can mark it no-show.$"):
        appointment_mark_no_show(appointment=appointment, actor=client_user)
    appointment_complete(appointment=appointment, actor=provider_user)
    with pytest.raises(
        InvalidTransition, match="^A completed appointment cannot be marked no-show.$"
    ):
        appointment_mark_no_show(appointment=appointment, actor=provider_user)
