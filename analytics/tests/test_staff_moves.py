"""The staff reschedule page and the conflict suggestions offer exactly the moves the booking
service accepts for a staff actor: the appointment's own time is not in its way, its client's
other appointments are, and its current start is not a move."""

from analytics.selectors import open_slots_for, suggested_slots
from analytics.tests.support import at
from scheduling.services import appointment_reschedule
from scheduling.tests.factories import AppointmentFactory


def test_a_move_may_overlap_the_appointments_own_time(clinic):
    own = AppointmentFactory(
        client=clinic["bob"], provider=clinic["b"], service=clinic["short"], start=at(19, 10)
    )
    offered = [s.start for s in open_slots_for(appointment=own, first_day=at(19, 0).date())]
    assert at(19, 10, 15) in offered  # overlaps its own 10:00-10:30, which it leaves
    assert at(19, 10) not in offered  # the current start is not a move


def test_a_move_avoids_the_clients_other_appointments_with_anyone(clinic, admin_user):
    own = AppointmentFactory(
        client=clinic["bob"], provider=clinic["b"], service=clinic["short"], start=at(19, 10)
    )
    AppointmentFactory(
        client=clinic["bob"], provider=clinic["a"], service=clinic["short"], start=at(19, 11)
    )
    offered = [s.start for s in open_slots_for(appointment=own, first_day=at(19, 0).date())]
    assert at(19, 11) not in offered and at(19, 10, 45) not in offered
    assert at(19, 11, 30) in offered
    # Each offered move is accepted by the service for staff, at that instant.
    for start in (offered[0], offered[-1]):
        moved = appointment_reschedule(
            appointment=own, new_start=start, actor=admin_user, override_policy=True
        )
        assert moved.start == start


def test_suggestions_are_staff_moves_nearest_the_current_time(clinic):
    own = AppointmentFactory(
        client=clinic["bob"], provider=clinic["b"], service=clinic["short"], start=at(19, 10)
    )
    nearest = [slot.start for slot in suggested_slots(appointment=own, limit=2)]
    assert nearest == [at(19, 9, 45), at(19, 10, 15)]
