"""Sync scheduling and its safety: the beat picks what is due, a claimed connection is left
alone, two runs at once import once (PostgreSQL, real threads), back-off grows, and a stale
calendar is told to staff on availability and, if the policy says so, stops the offer."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection as db_connection

from accounts.tests.support import auth_client
from calendars import services, tasks
from calendars.models import CalendarConnection
from calendars.tests.support import vcalendar, vevent
from providers.models import ExternalBusy
from scheduling.errors import BookingRuleViolation
from scheduling.models import BookingPolicy
from scheduling.services import appointment_book
from waitlist.tests.support import race

ICS = vcalendar(vevent("meeting", "DTSTART:20260114T130000Z", "DTEND:20260114T140000Z"))
FROZEN = datetime(2026, 1, 12, 8, 0, tzinfo=UTC)


def subscribe(files, provider):
    files.serve("/cal.ics", ICS)
    return services.connection_create_ics(
        provider=provider, url=files.url("/cal.ics"), actor=provider.user
    )


def availability(user, service, provider=None):
    api = auth_client(user)  # a fresh token at the moved clock
    params = {"service": service.pk, "start": "2026-01-14T00:00:00Z", "end": "2026-01-15T00:00:00Z"}
    if provider is not None:
        params["provider"] = provider.pk
    answer = api.get("/api/appointments/available", params)
    assert answer.status_code == 200, answer.json()
    return answer.json()


@pytest.mark.usefixtures("frozen_now")
def test_the_beat_syncs_what_is_due_and_leaves_the_rest(files, cal_provider, time_machine):
    connection = subscribe(files, cal_provider)
    assert connection.next_attempt_at == FROZEN + timedelta(minutes=5)
    assert tasks.sync_due_calendars() == 0
    files.requests.clear()

    time_machine.move_to(FROZEN + timedelta(minutes=5), tick=False)
    assert tasks.sync_due_calendars() == 1
    assert files.requests == ["/cal.ics"]
    connection.refresh_from_db()
    assert connection.last_success_at == FROZEN + timedelta(minutes=5)


@pytest.mark.usefixtures("frozen_now")
def test_a_claimed_connection_is_not_synced_twice(files, cal_provider):
    connection = subscribe(files, cal_provider)
    CalendarConnection.objects.update(claimed_until=FROZEN + timedelta(minutes=10))
    with pytest.raises(services.SyncBusy):
        services.connection_sync(connection_id=connection.pk)
    assert services.connections_due(now=FROZEN + timedelta(minutes=6)) == []
    # A run that died leaves its claim; it runs out and the next run takes over.
    later = services.connection_sync(connection_id=connection.pk, now=FROZEN + timedelta(hours=1))
    assert later.last_success_at == FROZEN + timedelta(hours=1) and later.claimed_until is None


def test_back_off_doubles_and_is_capped():
    assert [services.backoff(n).total_seconds() / 60 for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert services.backoff(30) == timedelta(hours=6)


@pytest.mark.usefixtures("frozen_now")
def test_a_stale_calendar_is_told_to_staff_on_availability(
    files, cal_provider, service, admin_user, client_user, time_machine
):
    subscribe(files, cal_provider)
    staff, client = admin_user, client_user
    assert availability(staff, service)["stale_calendars"] == []

    files.routes.clear()  # the feed is gone: syncs fail from now on
    time_machine.move_to(FROZEN + timedelta(minutes=61), tick=False)
    tasks.sync_due_calendars()

    seen = availability(staff, service)
    assert seen["stale_calendars"] == [
        {
            "provider": cal_provider.pk,
            "provider_name": cal_provider.display_name,
            "stale_since": "2026-01-12T09:00:00Z",
            "still_offered": True,
        }
    ]
    assert seen["count"] > 0  # the policy keeps offering, the known busy time still blocks
    assert "2026-01-14T13:00:00Z" not in {slot["start"] for slot in seen["slots"]}
    assert availability(client, service)["stale_calendars"] == []


@pytest.mark.usefixtures("frozen_now")
def test_the_policy_can_stop_offering_a_provider_whose_calendar_is_stale(
    files, cal_provider, service, client_user, admin_user, time_machine
):
    subscribe(files, cal_provider)
    policy = BookingPolicy.load()
    policy.offer_when_calendar_stale, policy.calendar_stale_minutes = False, 30
    policy.save()
    client = client_user
    assert availability(client, service)["count"] > 0

    time_machine.move_to(FROZEN + timedelta(minutes=31), tick=False)

    assert availability(client, service)["count"] == 0
    with pytest.raises(BookingRuleViolation) as refused:
        appointment_book(
            client=client_user,
            provider=cal_provider,
            service=service,
            start=datetime(2026, 1, 14, 10, tzinfo=UTC),
        )
    assert refused.value.field == "provider"
    assert "calendar could not be checked recently" in refused.value.message
    # Staff lifting the policy may still book (they can ask the provider).
    appointment_book(
        client=client_user,
        provider=cal_provider,
        service=service,
        start=datetime(2026, 1, 14, 10, tzinfo=UTC),
        actor=admin_user,
        override_policy=True,
    )
    # A sync that succeeds makes the provider current again.
    services.connection_sync(connection_id=CalendarConnection.objects.get().pk)
    assert availability(client, service)["count"] > 0


@pytest.mark.postgres
@pytest.mark.skipif(db_connection.vendor != "postgresql", reason="real concurrent transactions")
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_import_once(files, cal_provider):
    # The real clock (threads with their own connections): the event is two days ahead.
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    stamp = "%Y%m%dT%H%M%SZ"
    files.serve(
        "/cal.ics",
        vcalendar(
            vevent(
                "meeting",
                f"DTSTART:{start.strftime(stamp)}",
                f"DTEND:{(start + timedelta(hours=1)).strftime(stamp)}",
            )
        ),
    )
    connection = services.connection_create_ics(
        provider=cal_provider, url=files.url("/cal.ics"), actor=cal_provider.user
    )
    assert connection.events_imported == 1
    CalendarConnection.objects.update(next_attempt_at=None)
    done, failed = race([lambda: services.connection_sync(connection_id=connection.pk)] * 4)
    assert len(done) >= 1
    assert all(isinstance(exc, services.SyncBusy) for exc in failed)
    assert ExternalBusy.objects.filter(uid="meeting").count() == 1


def test_the_sync_is_in_the_beat_schedule(db):
    from django_celery_beat.models import PeriodicTask

    from calendars.beat import SYNC_TASK_NAME

    entry = PeriodicTask.objects.get(name=SYNC_TASK_NAME)
    assert entry.task == "calendars.tasks.sync_due_calendars"
    assert (entry.interval.every, entry.interval.period) == (2, "minutes")
