"""Group sessions: seats are sold up to the capacity, a session as a whole never overlaps the
provider's other appointments, the offer shows seats left, cancelling a seat or a session,
and the minimum checked once at the deadline. The clock stands at Monday 12 January 2026,
08:00 UTC; the provider works 09:00-17:00 London (GMT)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction

from accounts.tests.factories import UserFactory
from providers.tests.factories import ProviderFactory, ServiceFactory
from scheduling import rules, sessions
from scheduling.errors import InvalidTransition, SlotUnavailable
from scheduling.models import Appointment, AppointmentStatus, GroupSession, GroupSessionStatus
from scheduling.recurrence import Frequency, Recurrence
from scheduling.selectors import available_slots, booking_snapshot
from scheduling.series import series_book
from scheduling.services import (
    appointment_book,
    appointment_cancel,
    appointment_reschedule,
    hold_place,
)
from scheduling.tests.factories import AppointmentFactory
from scheduling.tests.support import at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now")]


@pytest.fixture
def group():
    return ServiceFactory(name="Yoga class", duration_minutes=60, capacity=3)


@pytest.fixture
def private():
    return ServiceFactory(name="Check-up", duration_minutes=30)


@pytest.fixture
def provider(group, private):
    return ProviderFactory(services=[group, private])


def clients(count):
    return [UserFactory(role="client") for _ in range(count)]


def book_seat(client, provider, service, start, **kwargs):
    return appointment_book(
        client=client, provider=provider, service=service, start=start, **kwargs
    )


def offer(service, provider, day=13, client=None):
    return available_slots(
        service=service,
        start=at(day, 0),
        end=at(day + 1, 0),
        providers=[provider],
        client=client,
    )


# --- seats ----------------------------------------------------------------------------------


def test_seats_of_one_time_join_one_session_up_to_its_capacity(group, provider):
    first, second, third, fourth = clients(4)
    seats = [book_seat(c, provider, group, at(13, 10)) for c in (first, second, third)]

    session = GroupSession.objects.get()
    assert {seat.session_id for seat in seats} == {session.pk}
    assert (session.start, session.end) == (at(13, 10), at(13, 11))
    with pytest.raises(SlotUnavailable, match="Every seat of this session is taken"):
        book_seat(fourth, provider, group, at(13, 10))
    assert Appointment.objects.filter(client=fourth).count() == 0


def test_the_offer_shows_seats_left_and_drops_a_full_session(group, provider):
    first, second, third, watcher = clients(4)
    fresh = {slot.start: slot.seats_left for slot in offer(group, provider)}
    assert fresh[at(13, 10)] == 3 and fresh[at(13, 9)] == 3

    book_seat(first, provider, group, at(13, 10))
    after_one = {slot.start: slot.seats_left for slot in offer(group, provider)}
    assert after_one[at(13, 10)] == 2
    # The session's hour is not offered as a new session around it.
    assert at(13, 10, 30) not in after_one and at(13, 9, 15) not in after_one
    assert after_one[at(13, 11)] == 3

    book_seat(second, provider, group, at(13, 10))
    book_seat(third, provider, group, at(13, 10))
    full = {slot.start for slot in offer(group, provider)}
    assert at(13, 10) not in full and at(13, 11) in full


def test_a_private_service_has_no_seats_in_its_offer(private, provider):
    assert {slot.seats_left for slot in offer(private, provider)} == {None}


def test_a_client_cannot_take_two_seats_of_one_session(group, provider):
    (client,) = clients(1)
    book_seat(client, provider, group, at(13, 10))
    with pytest.raises(SlotUnavailable, match="already have an appointment"):
        book_seat(client, provider, group, at(13, 10))
    # and the offer they see leaves that session out
    assert at(13, 10) not in {slot.start for slot in offer(group, provider, client=client)}


def test_a_session_and_a_private_appointment_never_overlap(group, private, provider):
    first, second = clients(2)
    book_seat(first, provider, group, at(13, 10))
    with pytest.raises(SlotUnavailable):
        book_seat(second, provider, private, at(13, 10, 30))
    book_seat(second, provider, private, at(13, 12))
    with pytest.raises(SlotUnavailable):
        book_seat(first, provider, group, at(13, 11, 30))  # a new session over it
    assert at(13, 10, 30) not in {slot.start for slot in offer(private, provider)}


def test_another_service_cannot_join_a_session_at_the_same_start(group, provider):
    other_group = ServiceFactory(name="Pilates", duration_minutes=60, capacity=5)
    provider.services.add(other_group)
    first, second = clients(2)
    book_seat(first, provider, group, at(13, 10))
    with pytest.raises(SlotUnavailable, match="no longer available"):
        book_seat(second, provider, other_group, at(13, 10))


def test_a_session_counts_once_towards_the_providers_daily_cap(group, provider):
    provider.daily_cap = 1
    provider.save()
    first, second, third = clients(3)
    book_seat(first, provider, group, at(13, 10))
    book_seat(second, provider, group, at(13, 10))  # a seat adds nothing to the day
    with pytest.raises(Exception, match="fully booked"):
        book_seat(third, provider, group, at(13, 14))  # a second session would
    assert {slot.start for slot in offer(group, provider)} == {at(13, 10)}


def test_cancelling_a_seat_frees_it_and_the_session_goes_on(group, provider):
    first, second, third, fourth = clients(4)
    seats = [book_seat(c, provider, group, at(13, 10)) for c in (first, second, third)]
    appointment_cancel(appointment=seats[1], actor=second)
    assert {slot.start: slot.seats_left for slot in offer(group, provider)}[at(13, 10)] == 1
    joined = book_seat(fourth, provider, group, at(13, 10))
    assert joined.session_id == seats[0].session_id
    assert GroupSession.objects.count() == 1


def test_the_last_seat_cancelled_leaves_the_time_free_for_anything(group, private, provider):
    first, second = clients(2)
    seat = book_seat(first, provider, group, at(13, 10))
    appointment_cancel(appointment=seat, actor=first)
    book_seat(second, provider, private, at(13, 10, 15))


def test_moving_a_seat_leaves_its_session_and_joins_the_other(group, provider):
    first, second = clients(2)
    moving = book_seat(first, provider, group, at(13, 10))
    staying = book_seat(second, provider, group, at(13, 14))
    moved = appointment_reschedule(appointment=moving, new_start=at(13, 14), actor=first)
    assert moved.session_id == staying.session_id
    assert {slot.start: slot.seats_left for slot in offer(group, provider)}[at(13, 14)] == 1
    assert at(13, 10) in {slot.start for slot in offer(group, provider)}


def test_a_hold_takes_a_seat_until_it_is_taken_or_released(group, provider):
    first, second, third, waiting = clients(4)
    book_seat(first, provider, group, at(13, 10))
    book_seat(second, provider, group, at(13, 10))
    hold = hold_place(
        provider=provider,
        service=group,
        start=at(13, 10),
        client=waiting,
        expires_at=at(12, 9),
    )
    assert hold.session_id is not None
    with pytest.raises(SlotUnavailable, match="Every seat"):
        book_seat(third, provider, group, at(13, 10))
    seat = book_seat(waiting, provider, group, at(13, 10), hold=hold)
    assert seat.session_id == hold.session_id


def test_a_weekly_series_of_a_group_class_takes_a_seat_each_week(group, provider):
    regular, dropin = clients(2)
    book_seat(dropin, provider, group, at(20, 10))
    booked = series_book(
        client=regular,
        provider=provider,
        service=group,
        first_start=at(13, 10),
        rule=Recurrence(Frequency.WEEKLY, count=3),
        mode="all",
    )
    assert len(booked.appointments) == 3
    week_two = GroupSession.objects.get(start=at(20, 10))
    assert week_two.seats.filter(status=AppointmentStatus.BOOKED).count() == 2
    assert GroupSession.objects.count() == 3


def test_the_rules_explain_a_full_session_by_its_own_rule(group, provider):
    for client in clients(3):
        book_seat(client, provider, group, at(13, 10))
    snapshot = booking_snapshot(
        service=group, start=at(13, 10), end=at(13, 11), providers=[provider]
    )
    refused = rules.refusal(snapshot, provider.pk, group.pk, at(13, 10))
    assert (refused.rule, refused.kind) == ("session_has_seat", rules.RefusalKind.TAKEN)
    (session,) = snapshot.providers[provider.pk].schedule.sessions
    assert (session.taken, session.start) == (3, at(13, 10))


# --- minimum and deadline -------------------------------------------------------------------


@pytest.fixture
def workshop(provider):
    service = ServiceFactory(
        name="Workshop",
        duration_minutes=60,
        capacity=4,
        min_participants=2,
        minimum_deadline_hours=24,
    )
    provider.services.add(service)
    return service


def test_no_new_session_opens_after_its_deadline_but_one_with_people_can_be_joined(
    workshop, provider, time_machine
):
    first, second = clients(2)
    book_seat(first, provider, workshop, at(14, 10))  # 50 hours ahead
    # Tuesday 13th 11:00: new sessions of the 14th open from 11:00 on, not before.
    time_machine.move_to(at(13, 11), tick=False)
    with pytest.raises(Exception, match="at least 24 hours ahead") as refused:
        book_seat(second, provider, workshop, at(14, 9))
    assert refused.value.field == "start"
    starts = {slot.start for slot in offer(workshop, provider, day=14)}
    assert at(14, 9) not in starts and at(14, 10, 45) not in starts
    assert {at(14, 10), at(14, 11), at(14, 16)} <= starts
    book_seat(second, provider, workshop, at(14, 10))


def test_below_the_minimum_at_the_deadline_the_session_is_cancelled_once(
    workshop, provider, time_machine, django_capture_on_commit_callbacks
):
    (alone,) = clients(1)
    seat = book_seat(alone, provider, workshop, at(14, 10))
    mail.outbox.clear()
    time_machine.move_to(at(13, 9, 59), tick=False)
    assert sessions.sessions_check_minimum().checked == 0  # not yet

    time_machine.move_to(at(13, 10), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        with_transaction_commits = sessions.sessions_check_minimum()
        again = sessions.sessions_check_minimum()

    session = GroupSession.objects.get()
    assert with_transaction_commits.cancelled == [session.pk]
    assert again.checked == 0 and again.cancelled == []
    assert session.status == GroupSessionStatus.CANCELLED
    assert session.cancellation_reason == (
        "Not enough participants: 1 of the 2 needed had booked by the deadline, so the group "
        "session will not take place."
    )
    assert session.minimum_checked_at == at(13, 10)
    seat.refresh_from_db()
    assert seat.status == AppointmentStatus.CANCELLED
    assert seat.cancellation_reason == session.cancellation_reason
    (told,) = [m for m in mail.outbox if m.to == [alone.email]]  # once
    assert "Not enough participants" in told.body


def test_one_run_decides_every_due_session_in_turn(workshop, provider, time_machine):
    full_enough, short = at(14, 9), at(14, 11)
    for client in clients(2):
        book_seat(client, provider, workshop, full_enough)
    book_seat(UserFactory(role="client"), provider, workshop, short)
    time_machine.move_to(at(13, 11), tick=False)  # both deadlines have passed

    run = sessions.sessions_check_minimum()

    assert run.checked == 2
    assert run.cancelled == [GroupSession.objects.get(start=short).pk]
    assert GroupSession.objects.get(start=full_enough).status == GroupSessionStatus.SCHEDULED


def test_the_beat_task_cancels_the_sessions_below_their_minimum(workshop, provider, time_machine):
    from scheduling import tasks

    book_seat(UserFactory(role="client"), provider, workshop, at(14, 10))
    time_machine.move_to(at(13, 10), tick=False)
    (cancelled,) = tasks.check_session_minimums.apply().get()
    assert GroupSession.objects.get(pk=cancelled).status == GroupSessionStatus.CANCELLED
    assert tasks.check_session_minimums.apply().get() == []


def test_at_the_minimum_the_session_goes_ahead_and_is_not_checked_again(
    workshop, provider, time_machine
):
    first, second, third = clients(3)
    book_seat(first, provider, workshop, at(14, 10))
    book_seat(second, provider, workshop, at(14, 10))
    time_machine.move_to(at(13, 10), tick=False)
    assert sessions.sessions_check_minimum().checked == 1
    appointment_cancel(appointment=Appointment.objects.get(client=second), actor=None)
    assert sessions.sessions_check_minimum().checked == 0  # decided once
    assert GroupSession.objects.get().status == GroupSessionStatus.SCHEDULED
    book_seat(third, provider, workshop, at(14, 10))  # still open to join


# --- cancelling a session and who sees whom ------------------------------------------------


def test_a_seats_confirmation_says_it_is_a_group_session(
    group, provider, django_capture_on_commit_callbacks
):
    (client,) = clients(1)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        book_seat(client, provider, group, at(13, 10))
    (mine,) = [m for m in mail.outbox if m.to == [client.email]]
    assert "This is a group session: you have one of its 3 seats." in mine.body
    html = mine.alternatives[0][0] if mine.alternatives else ""
    assert "one of its 3 seats" in html
    (theirs,) = [m for m in mail.outbox if m.to == [provider.user.email]]
    assert "took a seat in your group session (3 seats)" in theirs.body


def test_the_provider_cancels_the_session_and_every_attendee_is_told(
    group, provider, django_capture_on_commit_callbacks, frozen_now
):
    attendees = clients(3)
    for client in attendees:
        book_seat(client, provider, group, at(13, 10))
    session = GroupSession.objects.get()
    mail.outbox.clear()
    with pytest.raises(
        PermissionDenied, match=r"^Only the provider or staff can cancel a group session\.$"
    ):
        sessions.session_cancel(session=session, actor=attendees[0], reason="no")

    with django_capture_on_commit_callbacks(execute=True):
        sessions.session_cancel(session=session, actor=provider.user, reason="The studio floods.")

    assert set(Appointment.objects.filter(session=session).values_list("status", flat=True)) == {
        AppointmentStatus.CANCELLED
    }
    session.refresh_from_db()
    assert (session.cancelled_at, session.minimum_checked_at) == (frozen_now, frozen_now)
    assert session.cancellation_reason == "The studio floods."
    for client in attendees:
        # Each is told, once, with the reason (and, displaced by the provider, is offered
        # another time through the waitlist).
        told = [m for m in mail.outbox if m.to == [client.email] and "floods" in m.body]
        assert len(told) == 1
    with pytest.raises(InvalidTransition, match=r"^This group session is already cancelled\.$"):
        sessions.session_cancel(session=session, actor=provider.user, reason="again")


def test_the_only_attendee_cannot_cancel_the_session_only_their_seat(group, provider):
    (alone,) = clients(1)
    seat = book_seat(alone, provider, group, at(13, 10))
    with pytest.raises(PermissionDenied):
        sessions.session_cancel(session=seat.session, actor=alone, reason="mine")
    assert GroupSession.objects.get().status == GroupSessionStatus.SCHEDULED
    seat.refresh_from_db()
    assert seat.status == AppointmentStatus.BOOKED


def test_a_cancelled_seat_is_not_a_participant_and_a_full_session_has_no_seat_left(group, provider):
    first, second, third, fourth = clients(4)
    gone = book_seat(first, provider, group, at(13, 10))
    appointment_cancel(appointment=gone, actor=first)
    for client in (second, third, fourth):
        book_seat(client, provider, group, at(13, 10))
    session = sessions.session_for_user(user=provider.user, session_id=gone.session_id)
    assert (session.participants, sessions.seats_left(session)) == (3, 0)
    assert [seat.client for seat in sessions.attendees(session)] == [first, second, third, fourth]


def test_clients_see_their_session_but_only_the_provider_and_staff_its_attendees(group, provider):
    first, second, stranger = clients(3)
    book_seat(first, provider, group, at(13, 10))
    book_seat(second, provider, group, at(13, 10))
    session = sessions.session_for_user(user=first, session_id=GroupSession.objects.get().pk)
    assert sessions.seats_left(session) == 1
    assert not sessions.sees_attendees(user=first, session=session)
    assert sessions.sees_attendees(user=provider.user, session=session)
    assert sessions.sees_attendees(user=UserFactory(role="admin"), session=session)
    with pytest.raises(GroupSession.DoesNotExist):
        sessions.session_for_user(user=stranger, session_id=session.pk)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the exclusion constraint")
def test_the_database_refuses_a_private_appointment_over_a_session(group, private, provider):
    first, second, third = clients(3)
    seat = book_seat(first, provider, group, at(13, 10))
    # Another seat of the same session may share its time, straight through the ORM ...
    AppointmentFactory(
        client=second, provider=provider, service=group, start=at(13, 10), session=seat.session
    )
    # ... but nothing else of the provider's may overlap it, whatever code writes it.
    with transaction.atomic(), pytest.raises(IntegrityError, match="provider_no_overlap"):
        AppointmentFactory(client=third, provider=provider, service=private, start=at(13, 10, 30))
    other = GroupSession.objects.create(
        provider=provider, service=group, start=at(13, 10, 30), end=at(13, 11, 30)
    )
    with transaction.atomic(), pytest.raises(IntegrityError, match="provider_no_overlap"):
        AppointmentFactory(
            client=third, provider=provider, service=group, start=at(13, 10, 30), session=other
        )
    assert timedelta(0) < seat.end - seat.start


# --- query counts ---------------------------------------------------------------------------


def _count_queries(function) -> int:
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        function()
    return len(captured.captured_queries)


def test_availability_of_a_group_service_reads_as_many_queries_with_many_sessions(group):
    few, many = ProviderFactory(services=[group]), ProviderFactory(services=[group])
    book_seat(UserFactory(role="client"), few, group, at(13, 10))
    for day in range(13, 17):
        for hour in (9, 11, 13, 15):
            for client in clients(2):
                book_seat(client, many, group, at(day, hour))

    def ask(provider):
        return lambda: available_slots(
            service=group, start=at(13, 0), end=at(17, 0), providers=[provider]
        )

    assert _count_queries(ask(few)) == _count_queries(ask(many))
    joined = [slot for slot in ask(many)() if slot.seats_left == 1]
    assert len(joined) == 16


def test_a_group_series_books_in_as_many_queries_for_2_and_12_weeks(group, provider):
    from scheduling.models import BookingPolicy

    BookingPolicy.load()
    regular = UserFactory(role="client")

    def queries(count: int) -> int:
        def run():
            booked = series_book(
                client=regular,
                provider=provider,
                service=group,
                first_start=at(13, 10),
                rule=Recurrence(Frequency.WEEKLY, count=count),
                mode="all",
            )
            assert len(booked.appointments) == count

        used = _count_queries(run)
        Appointment.objects.filter(client=regular).update(status=AppointmentStatus.CANCELLED)
        return used

    assert queries(2) == queries(12)
