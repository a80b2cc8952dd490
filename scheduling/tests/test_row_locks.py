"""The services' row locks serialise bookings without blocking writers that only reference the
locked rows (PostgreSQL `FOR NO KEY UPDATE`): a worker writing a notification for the client,
or staff adding the provider's time off, does not wait for a booking in progress."""

import threading

import pytest
from django.db import connection, connections, transaction

from notifications.models import Notification, NotificationKind
from providers.models import TimeOff
from scheduling.models import Appointment
from scheduling.services import appointment_reschedule
from scheduling.tests.support import at

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("frozen_now"),
]


def _write_references(appointment: Appointment, outcome: list) -> None:
    """In a transaction of its own: rows referencing the provider, the client and the
    appointment. A lock that blocks them fails this within a second instead of hanging."""
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '1s'")
            TimeOff.objects.create(
                provider_id=appointment.provider_id, start=at(20, 9), end=at(20, 10)
            )
            Notification.objects.create(
                user_id=appointment.client_id,
                appointment_id=appointment.pk,
                kind=NotificationKind.RESCHEDULED,
                title="Moved",
            )
        outcome.append("written")
    except Exception as exc:  # asserted on below
        outcome.append(exc)
    finally:
        connections.close_all()


def test_rows_referencing_a_locked_booking_can_be_written_while_it_runs(book, client_user):
    appointment = book(at(13, 10))
    outcome: list = []

    def while_locked(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        # The move is being saved: the provider, the client and the appointment are locked.
        if sql.startswith('UPDATE "scheduling_appointment"') and not outcome:
            writer = threading.Thread(target=_write_references, args=(appointment, outcome))
            writer.start()
            writer.join(timeout=30)
        return result

    with connection.execute_wrapper(while_locked):
        moved = appointment_reschedule(appointment=appointment, new_start=at(14, 10), actor=None)
    assert outcome == ["written"]
    assert Appointment.objects.get(pk=moved.pk).start == at(14, 10)
    assert Notification.objects.filter(appointment=appointment, title="Moved").count() == 1
    assert TimeOff.objects.filter(provider_id=appointment.provider_id).count() == 1
