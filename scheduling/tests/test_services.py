"""The booking services: every rule refuses with its own error and message."""

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.tests.factories import UserFactory
from providers.models import TimeOff
from providers.tests.factories import ProviderFactory, ServiceFactory
from scheduling import events
from scheduling.errors import BookingRuleViolation, InvalidTransition, SlotUnavailable
from scheduling.models import Appointment, AppointmentChange, AppointmentStatus, BookingPolicy
from scheduling.services import (
    appointment_book,
    appointment_cancel,
    appointment_complete,
    appointment_mark_no_show,
    appointment_reschedule,
    appointment_staff_update,
    appointment_update,
)
from scheduling.tests.support import at, refused

pytestmark = pytest.mark.usefixtures("frozen_now")


# --- booking ----------------------------------------------------------------------------


def test_booking_an_open_slot_holds_the_time_with_buffers(client_user, clinic_provider):
    service = ServiceFactory(duration_minutes=45, buffer_before_minutes=10, buffer_after_minutes=5)
    clinic_provider.services.add(service)
    appointment = appointment_book(
        client=client_user, provider=clinic_provider, service=service, start=at(13, 10)
    )
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED
    assert (appointment.start, appointment.end) == (at(13, 10), at(13, 10, 45))
    assert (appointment.blocked_start, appointment.blocked_end) == (at(13, 9, 50), at(13, 10, 50))


def test_second_booking_of_the_same_slot_is_unavailable(book, other_client_user):
    book(at(13, 10))
    with pytest.raises(SlotUnavailable, match="no longer available"):
        book(at(13, 10), client=other_client_user)
    assert Appointment.objects.count() == 1


def test_partially_overlapping_booking_is_unavailable(book, other_client_user):
    book(at(13, 10))
    with pytest.raises(SlotUnavailable):
        book(at(13, 10, 15), client=other_client_user)


def test_buffers_of_the_new_service_count_against_existing_bookings(
    book, other_client_user, clinic_provider
):
    book(at(13, 10))
    buffered = ServiceFactory(duration_minutes=30, buffer_before_minutes=15)
    clinic_provider.services.add(buffered)
    with pytest.raises(SlotUnavailable):
        book(at(13, 10, 30), client=other_client_user, service=buffered)
    assert book(at(13, 10, 45), client=other_client_user, service=buffered).pk


def test_adjacent_bookings_both_succeed(book, other_client_user):
    first = book(at(13, 10))
    second = book(at(13, 10, 30), client=other_client_user)
    assert first.end == second.start


def test_a_cancelled_appointment_does_not_block(book, client_user, other_client_user):
    appointment = book(at(13, 10))
    appointment_cancel(appointment=appointment, actor=client_user)
    assert book(at(13, 10), client=other_client_user).pk


def test_client_cannot_hold_two_overlapping_appointments(book, service):
    book(at(13, 10))
    other_provider = ProviderFactory(services=[service])
    with pytest.raises(SlotUnavailable, match="You already have an appointment"):
        book(at(13, 10, 15), provider=other_provider)


def test_inactive_provider_is_refused(book, clinic_provider):
    clinic_provider.is_active = False
    clinic_provider.save()
    with pytest.raises(BookingRuleViolation) as exc_info:
        book(at(13, 10))
    refused(exc_info, "provider", "not taking bookings")


def test_inactive_service_is_refused(book, service):
    service.is_active = False
    service.save()
    with pytest.raises(BookingRuleViolation) as exc_info:
        book(at(13, 10))
    refused(exc_info, "service", "not offered")


def test_service_the_provider_does_not_offer_is_refused(book):
    with pytest.raises(BookingRuleViolation) as exc_info:
        book(at(13, 10), service=ServiceFactory())
    refused(exc_info, "service", "does not offer")


def test_urgency_the_service_does_not_accept_is_refused(book, service):
    service.accepted_urgencies = ["routine"]
    service.save()
    with pytest.raises(BookingRuleViolation) as exc_info:
        book(at(13, 10), urgency="urgent")
    refused(exc_info, "urgency", "does not take urgent")


def test_booking_inside_the_minimum_notice_is_refused(book):
    with pytest.raises(BookingRuleViolation) as exc_info:
        book(at(12, 9, 30))  # now is 08:00, notice 120 minutes
    refused(exc_info, "start", "120 minutes' notice")


def test_booking_beyond_the_horizon_is_refused(book):
    with pytest.raises(BookingRuleViolation) as exc_info:
        book(datetime(2026, 3, 16, 10, tzinfo=UTC))
    refused(exc_info, "start", "60 days ahead")


def test_booking_in_the_past_is_refused_even_for_staff(book, admin_user):
    with pytest.raises(BookingRuleViolation) as exc_info:
        book(at(9, 10), actor=admin_user, override_policy=True)
    refused(exc_info, "start", "in the past")


def test_booking_off_the_step_grid_is_refused(book):
    with pytest.raises(BookingRuleViolation) as exc_info:
        book(at(13, 10, 7))
    refused(exc_info, "start", "15-minute grid")


def test_booking_outside_working_hours_is_refused(book):
    with pytest.raises(BookingRuleViolation) as exc_info:
        book(at(13, 16, 45))  # would end 17:15
    refused(exc_info, "start", "not available then")
    with pytest.raises(BookingRuleViolation):
        book(at(17, 10))  # Saturday


def test_booking_during_time_off_is_refused(book, clinic_provider):
    TimeOff.objects.create(provider=clinic_provider, start=at(13, 0), end=at(14, 0))
    with pytest.raises(BookingRuleViolation) as exc_info:
        book(at(13, 10))
    refused(exc_info, "start", "time off")


def test_booking_on_a_public_holiday_is_refused(client_user, service):
    provider = ProviderFactory(timezone="America/New_York", country="US", services=[service])
    mlk_day = datetime(2026, 1, 19, 15, tzinfo=UTC)  # 10:00 in New York, a federal holiday
    with pytest.raises(BookingRuleViolation) as exc_info:
        appointment_book(client=client_user, provider=provider, service=service, start=mlk_day)
    refused(exc_info, "start", "holiday")
    assert appointment_book(
        client=client_user, provider=provider, service=service, start=mlk_day + timedelta(days=1)
    ).pk


def test_provider_daily_cap_is_refused(book, clinic_provider, other_client_user):
    clinic_provider.daily_cap = 1
    clinic_provider.save()
    book(at(13, 10))
    with pytest.raises(BookingRuleViolation) as exc_info:
        book(at(13, 14), client=other_client_user)
    refused(exc_info, "start", "fully booked")
    assert book(at(14, 14), client=other_client_user).pk


def test_client_daily_limit_counts_days_in_the_client_zone(clinic_provider, service):
    tokyo_client = UserFactory(timezone="Asia/Tokyo")
    # 16:00 UTC on the 13th and 09:00 UTC on the 14th are both the 14th in Tokyo.
    for start in (at(13, 16), at(14, 9)):
        appointment_book(
            client=tokyo_client, provider=clinic_provider, service=service, start=start
        )
    with pytest.raises(BookingRuleViolation) as exc_info:
        appointment_book(
            client=tokyo_client, provider=clinic_provider, service=service, start=at(14, 10)
        )
    refused(exc_info, "start", "You already have 2 appointments on this day")
    # Staff may override the limit explicitly.
    staff = UserFactory(role="admin", is_staff=True)
    assert appointment_book(
        client=tokyo_client,
        provider=clinic_provider,
        service=service,
        start=at(14, 10),
        actor=staff,
        override_policy=True,
    ).pk


def test_staff_override_lifts_notice_but_never_overlap(book, admin_user, other_client_user):
    assert book(at(12, 9), actor=admin_user, override_policy=True).pk
    with pytest.raises(SlotUnavailable):
        book(at(12, 9), client=other_client_user, actor=admin_user, override_policy=True)


def test_override_by_a_client_is_refused(book, client_user):
    with pytest.raises(BookingRuleViolation) as exc_info:
        book(at(12, 9), actor=client_user, override_policy=True)
    refused(exc_info, "override_policy", "Only staff")


def test_booking_runs_hooks_in_the_transaction_and_events_on_commit(
    book, django_capture_on_commit_callbacks
):
    seen_hooks, seen_events = [], []

    def hook(*, appointment, context):
        seen_hooks.append((appointment.pk, context))

    def receiver(sender, **kwargs):
        seen_events.append(kwargs)

    events.register_booking_hook(hook)
    events.appointment_booked.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            appointment = book(at(13, 10), context={"trace": "abc"})
    finally:
        events.booking_hooks.remove(hook)
        events.appointment_booked.disconnect(receiver)
    assert seen_hooks == [(appointment.pk, {"trace": "abc"})]
    assert seen_events == [
        {"signal": events.appointment_booked, "appointment_id": appointment.pk, "actor_id": None}
    ]


def test_a_hook_that_refuses_rolls_the_booking_back(book):
    def hook(*, appointment, context):
        raise ValidationError({"recommendation_id": "Unknown recommendation."})

    events.register_booking_hook(hook)
    try:
        with pytest.raises(ValidationError):
            book(at(13, 10))
    finally:
        events.booking_hooks.remove(hook)
    assert not Appointment.objects.exists()


def test_slot_step_from_the_policy_shapes_the_grid(book):
    policy = BookingPolicy.load()
    policy.slot_step_minutes = 30
    policy.save()
    with pytest.raises(BookingRuleViolation):
        book(at(13, 10, 15))
    assert book(at(13, 10, 30)).pk


# --- reschedule -------------------------------------------------------------------------


def test_reschedule_moves_the_same_row_and_records_the_change(book, client_user):
    appointment = book(at(13, 10))
    moved = appointment_reschedule(
        appointment=appointment, new_start=at(14, 11), actor=client_user, reason="Clash"
    )
    assert moved.pk == appointment.pk
    assert (moved.start, moved.end, moved.sequence) == (at(14, 11), at(14, 11, 30), 1)
    change = AppointmentChange.objects.get(appointment=appointment)
    assert (change.old_start, change.new_start, change.reason) == (at(13, 10), at(14, 11), "Clash")
    assert change.changed_by == client_user
    assert Appointment.objects.count() == 1


def test_reschedule_may_overlap_its_own_old_time(book, client_user):
    appointment = book(at(13, 10))
    moved = appointment_reschedule(
        appointment=appointment, new_start=at(13, 10, 15), actor=client_user
    )
    assert moved.start == at(13, 10, 15)


def test_reschedule_frees_the_old_time(book, client_user, other_client_user):
    appointment = book(at(13, 10))
    appointment_reschedule(appointment=appointment, new_start=at(14, 10), actor=client_user)
    assert book(at(13, 10), client=other_client_user).pk


def test_reschedule_onto_a_taken_time_changes_nothing(book, client_user, other_client_user):
    book(at(14, 10), client=other_client_user)
    appointment = book(at(13, 10))
    with pytest.raises(SlotUnavailable):
        appointment_reschedule(appointment=appointment, new_start=at(14, 10), actor=client_user)
    appointment.refresh_from_db()
    assert (appointment.start, appointment.sequence) == (at(13, 10), 0)
    assert not AppointmentChange.objects.exists()


def test_client_cannot_reschedule_inside_the_cutoff(book, client_user, admin_user):
    appointment = book(at(12, 16))  # 8 hours from now, cut-off is 24 hours
    with pytest.raises(BookingRuleViolation) as exc_info:
        appointment_reschedule(appointment=appointment, new_start=at(13, 10), actor=client_user)
    refused(exc_info, "start", "24 hours before")
    moved = appointment_reschedule(
        appointment=appointment, new_start=at(13, 10), actor=admin_user, override_policy=True
    )
    assert moved.start == at(13, 10)


def test_a_cancelled_appointment_cannot_be_rescheduled(book, client_user):
    appointment = book(at(13, 10))
    appointment_cancel(appointment=appointment, actor=client_user)
    with pytest.raises(InvalidTransition):
        appointment_reschedule(appointment=appointment, new_start=at(14, 10), actor=client_user)


def test_another_client_cannot_change_an_appointment(book, other_client_user):
    appointment = book(at(13, 10))
    with pytest.raises(PermissionDenied):
        appointment_reschedule(
            appointment=appointment, new_start=at(14, 10), actor=other_client_user
        )
    with pytest.raises(PermissionDenied):
        appointment_cancel(appointment=appointment, actor=other_client_user)


def test_update_changes_time_and_notes_together_or_not_at_all(book, client_user, other_client_user):
    book(at(14, 10), client=other_client_user)
    appointment = book(at(13, 10))
    with pytest.raises(SlotUnavailable):
        appointment_update(
            appointment=appointment, actor=client_user, new_start=at(14, 10), client_notes="x"
        )
    appointment.refresh_from_db()
    assert appointment.client_notes == ""
    updated = appointment_update(
        appointment=appointment, actor=client_user, new_start=at(14, 11), client_notes="Knee"
    )
    assert (updated.start, updated.client_notes) == (at(14, 11), "Knee")


# --- cancel, complete, no-show ----------------------------------------------------------


def test_cancel_keeps_the_row_with_who_when_and_why(book, client_user, frozen_now):
    appointment = book(at(13, 10))
    cancelled = appointment_cancel(appointment=appointment, actor=client_user, reason="Ill")
    cancelled.refresh_from_db()
    assert cancelled.status == AppointmentStatus.CANCELLED
    assert (cancelled.cancelled_by, cancelled.cancelled_at) == (client_user, frozen_now)
    assert cancelled.cancellation_reason == "Ill"


def test_cancelling_twice_is_an_invalid_transition(book, client_user):
    appointment = book(at(13, 10))
    appointment_cancel(appointment=appointment, actor=client_user)
    with pytest.raises(InvalidTransition, match="cannot be cancelled"):
        appointment_cancel(appointment=appointment, actor=client_user)


def test_client_cannot_cancel_inside_the_cutoff_but_the_provider_can(book, client_user):
    appointment = book(at(12, 16))
    with pytest.raises(BookingRuleViolation) as exc_info:
        appointment_cancel(appointment=appointment, actor=client_user)
    refused(exc_info, "start", "24 hours before")
    provider_user = appointment.provider.user
    assert appointment_cancel(appointment=appointment, actor=provider_user).status == "cancelled"


def test_complete_and_no_show_only_after_the_start(book, clinic_provider):
    appointment = book(at(13, 10))
    provider_user = clinic_provider.user
    with pytest.raises(InvalidTransition, match="before it starts"):
        appointment_complete(appointment=appointment, actor=provider_user)
    with time_machine.travel(at(13, 10, 30), tick=False):
        done = appointment_complete(appointment=appointment, actor=provider_user)
    assert done.status == AppointmentStatus.COMPLETED


def test_a_cancelled_appointment_cannot_be_completed(book, client_user, clinic_provider):
    appointment = book(at(13, 10))
    appointment_cancel(appointment=appointment, actor=client_user)
    with time_machine.travel(at(13, 11), tick=False), pytest.raises(InvalidTransition):
        appointment_complete(appointment=appointment, actor=clinic_provider.user)


def test_a_completed_appointment_cannot_become_a_no_show(book, clinic_provider):
    appointment = book(at(13, 10))
    with time_machine.travel(at(13, 11), tick=False):
        appointment_complete(appointment=appointment, actor=clinic_provider.user)
        with pytest.raises(InvalidTransition):
            appointment_mark_no_show(appointment=appointment, actor=clinic_provider.user)


def test_the_client_cannot_mark_a_no_show(book, client_user):
    appointment = book(at(13, 10))
    with time_machine.travel(at(13, 11), tick=False), pytest.raises(PermissionDenied):
        appointment_mark_no_show(appointment=appointment, actor=client_user)


def test_no_show_keeps_holding_the_time(book, clinic_provider, other_client_user):
    appointment = book(at(13, 10))
    with time_machine.travel(at(13, 10, 5), tick=False):
        assert (
            appointment_mark_no_show(appointment=appointment, actor=clinic_provider.user).status
            == AppointmentStatus.NO_SHOW
        )
    assert Appointment.objects.filter(status=AppointmentStatus.NO_SHOW).count() == 1


def test_staff_update_sets_a_status_through_the_services(book, admin_user):
    appointment = book(at(12, 16))
    cancelled = appointment_staff_update(
        appointment=appointment, actor=admin_user, status="cancelled", reason="Closed"
    )
    assert (cancelled.status, cancelled.cancellation_reason) == ("cancelled", "Closed")


def test_staff_update_is_for_staff_only(book, client_user):
    appointment = book(at(13, 10))
    with pytest.raises(PermissionDenied):
        appointment_staff_update(appointment=appointment, actor=client_user, status="cancelled")


def test_working_hours_rule_holds_for_staff_too(book, admin_user):
    with pytest.raises(BookingRuleViolation):
        book(
            datetime.combine(at(13, 0).date(), time(20), tzinfo=UTC),
            actor=admin_user,
            override_policy=True,
        )
