"""Faults: the broker down while booking, the database connection lost mid-transaction.

- Redis down: the booking still succeeds (201), the confirmation waits in the outbox, and
  once the broker is back the reminder sweep delivers it exactly once.
- Database connection killed inside the booking (or reschedule) transaction, as when
  PostgreSQL restarts: the API answers a clean 503 JSON, nothing is half-written, and the
  client's retry succeeds on a fresh connection (PostgreSQL only: it needs a real backend
  to kill).
"""

import socket
from contextlib import contextmanager
from datetime import timedelta

import kombu.pools
import pytest
import time_machine
from django.core import mail
from django.db import OperationalError, close_old_connections, connection
from django.utils import timezone

from notifications.models import DeliveryStatus, EmailDelivery
from proof.support import next_weekday_at
from scheduling.models import Appointment, AppointmentChange
from smartbook.celery import app as celery_app

postgres_only = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="kills a PostgreSQL backend"
)


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again on exit: nothing listens there


def _forget_broker_connections() -> None:
    kombu.pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    for cached in ("queues", "router", "default_queue"):
        celery_app.amqp.__dict__.pop(cached, None)


@contextmanager
def broker_down(settings):
    """Tasks go to a Redis broker that is not there (a closed loopback port)."""
    _forget_broker_connections()
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_closed_port()}/0"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_CONNECTION_TIMEOUT = 1
    try:
        yield
    finally:
        _forget_broker_connections()
        settings.CELERY_TASK_ALWAYS_EAGER = True


def _book(world, role: str, start):
    return world.api(role).post(
        "/api/appointments",
        {"provider": world.p2.pk, "service": world.service.pk, "start": start.isoformat()},
        format="json",
    )


def test_booking_succeeds_with_the_broker_down_and_the_sweep_sends_the_confirmation_once(
    world, settings, django_capture_on_commit_callbacks, caplog
):
    from notifications.tasks import send_due_reminders

    client = world.users["client_a"]
    start = next_weekday_at(3, 9, weeks_ahead=2)
    mail.outbox.clear()
    with broker_down(settings), django_capture_on_commit_callbacks(execute=True):
        response = _book(world, "client_a", start)

    assert response.status_code == 201, response.content
    appointment = Appointment.objects.get(pk=response.json()["id"])
    assert appointment.status == "booked"
    assert mail.outbox == []  # nothing could be sent while the broker was down
    assert "Could not enqueue" in caplog.text
    waiting = EmailDelivery.objects.filter(appointment=appointment, recipient=client)
    assert [d.status for d in waiting] == [DeliveryStatus.PENDING]

    # The broker is back (tasks run again); the beat's reminder sweep re-drives the outbox.
    later = timezone.now() + timedelta(minutes=10)
    with time_machine.travel(later, tick=False):
        send_due_reminders.delay()
        send_due_reminders.delay()  # a second sweep (or a duplicate beat) sends nothing more

    to_client = [m for m in mail.outbox if client.email in m.to]
    assert len(to_client) == 1
    assert "booked" in to_client[0].subject.lower()
    assert waiting.get().status == DeliveryStatus.SENT


@contextmanager
def connection_killed_after(statement_prefix: str):
    """Terminate this connection's PostgreSQL backend right after `statement_prefix` runs,
    from another connection, as a database restart would: the transaction cannot commit."""
    import psycopg

    settings_dict = connection.settings_dict
    killed = []

    def wrapper(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not killed and sql.lstrip().upper().startswith(statement_prefix):
            pid = context["connection"].connection.info.backend_pid
            with psycopg.connect(
                dbname=settings_dict["NAME"],
                user=settings_dict["USER"] or None,
                password=settings_dict["PASSWORD"] or None,
                host=settings_dict["HOST"] or None,
                port=settings_dict["PORT"] or None,
                autocommit=True,
            ) as killer:
                killer.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
            killed.append(pid)
        return result

    with connection.execute_wrapper(wrapper):
        yield killed


@postgres_only
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_database_lost_during_booking_gives_503_json_and_writes_nothing(world):
    start = next_weekday_at(3, 10, weeks_ahead=2)
    before = Appointment.objects.count()

    with connection_killed_after('INSERT INTO "SCHEDULING_APPOINTMENT"') as killed:
        response = _book(world, "client_b", start)
    close_old_connections()  # what the WSGI handler does at the end of every request

    assert killed, "the fault was not injected"
    assert response.status_code == 503, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "service_unavailable"
    assert response["Retry-After"] == "1"
    assert Appointment.objects.count() == before  # rolled back: no half booking

    retry = _book(world, "client_b", start)
    assert retry.status_code == 201, retry.content
    assert Appointment.objects.count() == before + 1


@postgres_only
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_database_lost_during_reschedule_keeps_the_old_time(world):
    appointment = world.appt_a
    old_start = appointment.start
    new_start = next_weekday_at(3, 15, weeks_ahead=2)

    with connection_killed_after('INSERT INTO "SCHEDULING_APPOINTMENTCHANGE"') as killed:
        response = world.api("client_a").patch(
            f"/api/appointments/{appointment.pk}", {"start": new_start.isoformat()}, format="json"
        )
    close_old_connections()

    assert killed
    assert response.status_code == 503, response.content
    appointment.refresh_from_db()
    assert appointment.start == old_start  # neither both times nor none: the old one
    assert appointment.sequence == 0
    assert not AppointmentChange.objects.filter(appointment=appointment).exists()

    retry = world.api("client_a").patch(
        f"/api/appointments/{appointment.pk}", {"start": new_start.isoformat()}, format="json"
    )
    assert retry.status_code == 200, retry.content
    appointment.refresh_from_db()
    assert appointment.start == new_start


@postgres_only
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_database_lost_during_a_read_gives_503_json(world):
    with connection_killed_after("SELECT") as killed:
        response = world.api("client_a").get("/api/appointments")
    close_old_connections()
    assert killed
    assert response.status_code == 503
    assert response.json()["detail"]
    assert world.api("client_a").get("/api/appointments").status_code == 200


@postgres_only
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_database_lost_after_a_swallowed_error_still_gives_503(world):
    """When the first error after a restart was logged and swallowed (Django's constraint
    validation does that; found by the soak's database-restart fault), the request's next
    statement meets a connection the driver has given up: still a clean 503."""
    api = world.api("client_a")
    with connection_killed_after("SELECT") as killed:
        try:  # the first error after the restart, swallowed as Q.check swallows it
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.execute("SELECT 1")
        except OperationalError:
            pass
    assert killed
    response = api.delete(f"/api/appointments/{world.appt_a.pk}")
    close_old_connections()

    assert response.status_code == 503, response.content
    assert response.json()["code"] == "service_unavailable"
    world.appt_a.refresh_from_db()
    assert world.appt_a.status == "booked"
    assert api.delete(f"/api/appointments/{world.appt_a.pk}").status_code == 200
