"""Two-way CalDAV against a real Radicale server on loopback: busy time in (recurrences with
an excluded and a moved occurrence), appointments out, deletions on the server, a refused
password, incremental reads."""

from datetime import UTC, datetime, timedelta

import caldav
import pytest
from django.core.exceptions import ValidationError

from calendars import caldav_sync, crypto, services, tasks
from calendars.models import CalendarConnection, PushedAppointment
from calendars.tests.conftest import PASSWORD, USER
from calendars.tests.support import RadicaleServer, vcalendar, vevent
from providers.models import ExternalBusy
from scheduling.errors import SlotUnavailable
from scheduling.models import appointment_event_uid
from scheduling.selectors import available_slots
from scheduling.services import appointment_book, appointment_cancel, appointment_reschedule

pytestmark = pytest.mark.usefixtures("frozen_now")

WEEKLY = vcalendar(
    vevent(
        "weekly-review",
        "SUMMARY:Weekly review",
        "DTSTART;TZID=Europe/London:20260113T100000",
        "DTEND;TZID=Europe/London:20260113T110000",
        "RRULE:FREQ=WEEKLY;COUNT=6",
        "EXDATE;TZID=Europe/London:20260120T100000",
    ),
    vevent(
        "weekly-review",
        "SUMMARY:Weekly review (moved)",
        "RECURRENCE-ID;TZID=Europe/London:20260127T100000",
        "DTSTART;TZID=Europe/London:20260127T140000",
        "DTEND;TZID=Europe/London:20260127T150000",
    ),
)


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def starts(service, day: datetime) -> set[datetime]:
    return {
        slot.start
        for slot in available_slots(service=service, start=day, end=day + timedelta(days=1))
    }


@pytest.fixture
def work_calendar(radicale):
    return radicale.make_calendar(USER, PASSWORD, "Work")


@pytest.fixture
def connection(radicale, work_calendar, cal_provider):
    return services.connection_create_caldav(
        provider=cal_provider,
        url=radicale.url,
        username=USER,
        password=PASSWORD,
        actor=cal_provider.user,
    )


def test_recurring_busy_event_blocks_every_occurrence_but_the_excluded_one(
    work_calendar, connection, service, client_user, cal_provider
):
    work_calendar.save_event(WEEKLY.decode())

    synced = services.connection_sync(connection_id=connection.pk)

    assert synced.last_error == ""
    assert synced.events_imported == 5  # six weeks, one excluded
    for day in (13, 27):
        assert utc(1, day, 10) not in starts(service, utc(1, day, 0)) or day == 27
    # Every occurrence blocks its hour (London is on GMT: wall clock equals UTC).
    for month, day in ((1, 13), (2, 3), (2, 10), (2, 17)):
        offered = starts(service, utc(month, day, 0))
        assert utc(month, day, 9) in offered  # 09:00-10:00 ends as the event starts
        assert not offered & {utc(month, day, 9, 15), utc(month, day, 10), utc(month, day, 10, 45)}
        assert utc(month, day, 11) in offered
    # The excluded week is free, the moved one is busy at its new time only.
    assert utc(1, 20, 10) in starts(service, utc(1, 20, 0))
    moved_day = starts(service, utc(1, 27, 0))
    assert utc(1, 27, 10) in moved_day
    assert utc(1, 27, 14) not in moved_day and utc(1, 27, 13) in moved_day
    # Booking agrees with availability: the rules engine holds the busy time.
    with pytest.raises(SlotUnavailable):
        appointment_book(
            client=client_user, provider=cal_provider, service=service, start=utc(2, 10, 10)
        )
    appointment_book(
        client=client_user, provider=cal_provider, service=service, start=utc(1, 20, 10)
    )


def test_appointments_appear_follow_moves_and_leave_on_cancel(
    work_calendar,
    connection,
    service,
    client_user,
    cal_provider,
    django_capture_on_commit_callbacks,
):
    (calendar,) = connection.calendars.all()
    services.connection_calendars_update(
        connection=connection,
        busy_calendar_ids=[calendar.pk],
        receiving_calendar_id=calendar.pk,
        actor=cal_provider.user,
    )
    with django_capture_on_commit_callbacks(execute=True):
        appointment = appointment_book(
            client=client_user, provider=cal_provider, service=service, start=utc(1, 14, 10)
        )
    uid = appointment_event_uid(appointment)
    event = work_calendar.event_by_uid(uid)
    assert event.icalendar_component["DTSTART"].dt == utc(1, 14, 10)

    # Our own event is not read back as busy time (it is an appointment already).
    services.connection_sync(connection_id=connection.pk)
    assert not ExternalBusy.objects.filter(uid=uid).exists()
    assert ExternalBusy.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        appointment_reschedule(appointment=appointment, new_start=utc(1, 15, 13), actor=client_user)
    event = work_calendar.event_by_uid(uid)
    assert event.icalendar_component["DTSTART"].dt == utc(1, 15, 13)
    appointment.refresh_from_db()
    assert event.icalendar_component["SEQUENCE"] == appointment.sequence > 0
    assert len(work_calendar.events()) == 1

    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(appointment=appointment, actor=client_user, reason="")
    with pytest.raises(caldav.lib.error.NotFoundError):
        work_calendar.event_by_uid(uid)
    assert PushedAppointment.objects.get(appointment=appointment).removed


def test_an_event_deleted_on_the_server_frees_its_time_at_the_next_sync(
    work_calendar, connection, service
):
    work_calendar.save_event(
        vcalendar(vevent("dentist", "DTSTART:20260114T130000Z", "DTEND:20260114T140000Z")).decode()
    )
    work_calendar.save_event(
        vcalendar(vevent("gym", "DTSTART:20260114T150000Z", "DTEND:20260114T160000Z")).decode()
    )
    services.connection_sync(connection_id=connection.pk)
    assert utc(1, 14, 13) not in starts(service, utc(1, 14, 0))

    work_calendar.event_by_uid("dentist").delete()
    synced = services.connection_sync(connection_id=connection.pk)

    assert synced.events_imported == 1
    offered = starts(service, utc(1, 14, 0))
    assert utc(1, 14, 13) in offered
    assert utc(1, 14, 15) not in offered


def test_an_event_moved_on_the_server_moves_its_busy_time(work_calendar, connection, service):
    work_calendar.save_event(
        vcalendar(vevent("call", "DTSTART:20260114T130000Z", "DTEND:20260114T140000Z")).decode()
    )
    services.connection_sync(connection_id=connection.pk)
    event = work_calendar.event_by_uid("call")
    event.icalendar_component["DTSTART"].dt = utc(1, 14, 15)
    event.icalendar_component["DTEND"].dt = utc(1, 14, 16)
    event.save()

    services.connection_sync(connection_id=connection.pk)

    offered = starts(service, utc(1, 14, 0))
    assert utc(1, 14, 13) in offered
    assert utc(1, 14, 15) not in offered


def test_a_refused_password_is_shown_and_keeps_the_known_busy_time(
    work_calendar, connection, service, frozen_now
):
    work_calendar.save_event(
        vcalendar(vevent("call", "DTSTART:20260114T130000Z", "DTEND:20260114T140000Z")).decode()
    )
    services.connection_sync(connection_id=connection.pk)
    CalendarConnection.objects.filter(pk=connection.pk).update(
        password_encrypted=crypto.encrypt("no-longer-valid")
    )

    failed = services.connection_sync(connection_id=connection.pk, now=frozen_now)

    assert failed.last_error == ("the password was refused: check the user name and app password")
    assert failed.failures == 1 and failed.failing_since == frozen_now
    assert failed.next_attempt_at == frozen_now + timedelta(minutes=5)
    assert failed.last_success_at is not None
    assert utc(1, 14, 13) not in starts(service, utc(1, 14, 0))
    assert ExternalBusy.objects.filter(uid="call").count() == 1

    again = services.connection_sync(
        connection_id=connection.pk, now=frozen_now + timedelta(minutes=5)
    )
    assert again.failures == 2
    assert again.next_attempt_at == frozen_now + timedelta(minutes=15)


def test_a_wrong_password_is_refused_when_connecting(radicale, cal_provider):
    with pytest.raises(ValidationError) as refused:
        services.connection_create_caldav(
            provider=cal_provider,
            url=radicale.url,
            username=USER,
            password="wrong",
            actor=cal_provider.user,
        )
    assert "password was refused" in str(refused.value.message_dict["password"])
    assert not CalendarConnection.objects.exists()


def test_an_unchanged_calendar_is_not_read_again(work_calendar, connection, frozen_now):
    work_calendar.save_event(
        vcalendar(vevent("call", "DTSTART:20260114T130000Z", "DTEND:20260114T140000Z")).decode()
    )
    services.connection_sync(connection_id=connection.pk)
    (calendar,) = connection.calendars.all()
    client = services.dav_client_for(connection)
    window = {"window_start": frozen_now, "window_end": frozen_now + timedelta(days=60)}

    read = caldav_sync.read_calendar(
        client,
        url=calendar.url,
        known_tag=calendar.ctag,
        known_etags=calendar.etags,
        full=False,
        zone="Europe/London",
        **window,
    )
    assert read.unchanged and read.periods == []

    work_calendar.save_event(
        vcalendar(vevent("lunch", "DTSTART:20260115T120000Z", "DTEND:20260115T130000Z")).decode()
    )
    read = caldav_sync.read_calendar(
        client,
        url=calendar.url,
        known_tag=calendar.ctag,
        known_etags=calendar.etags,
        full=False,
        zone="Europe/London",
        **window,
    )
    # Only the new object is fetched and replaced.
    assert [period.uid for period in read.periods] == ["lunch"]
    assert len(read.resources) == 1


def test_a_calendar_no_longer_counted_stops_blocking(work_calendar, connection, service):
    work_calendar.save_event(
        vcalendar(vevent("call", "DTSTART:20260114T130000Z", "DTEND:20260114T140000Z")).decode()
    )
    services.connection_sync(connection_id=connection.pk)
    services.connection_calendars_update(
        connection=connection,
        busy_calendar_ids=[],
        receiving_calendar_id=None,
        actor=connection.provider.user,
    )
    assert utc(1, 14, 13) in starts(service, utc(1, 14, 0))
    services.connection_sync(connection_id=connection.pk)
    assert utc(1, 14, 13) in starts(service, utc(1, 14, 0))


def test_choosing_a_receiving_calendar_puts_the_upcoming_appointments_there(
    work_calendar,
    connection,
    service,
    client_user,
    cal_provider,
    django_capture_on_commit_callbacks,
):
    appointment = appointment_book(
        client=client_user, provider=cal_provider, service=service, start=utc(1, 16, 11)
    )
    (calendar,) = connection.calendars.all()
    with django_capture_on_commit_callbacks(execute=True):
        services.connection_calendars_update(
            connection=connection,
            busy_calendar_ids=[calendar.pk],
            receiving_calendar_id=calendar.pk,
            actor=cal_provider.user,
        )
    event = work_calendar.event_by_uid(appointment_event_uid(appointment))
    assert event.icalendar_component["DTSTART"].dt == utc(1, 16, 11)


def test_a_failing_server_gets_the_push_again_until_it_takes_it(
    tmp_path,
    loopback_allowed,
    service,
    client_user,
    cal_provider,
    django_capture_on_commit_callbacks,
):
    puts = []

    def unavailable_twice(app):
        def middleware(environ, start_response):
            if environ["REQUEST_METHOD"] == "PUT" and environ["PATH_INFO"].endswith(".ics"):
                puts.append(environ["PATH_INFO"])
                if len(puts) <= 2:
                    start_response("503 Service Unavailable", [("Content-Length", "0")])
                    return [b""]
            return app(environ, start_response)

        return middleware

    server = RadicaleServer(tmp_path, {USER: PASSWORD}, wrap=unavailable_twice)
    try:
        work = server.make_calendar(USER, PASSWORD, "Work")
        connection = services.connection_create_caldav(
            provider=cal_provider,
            url=server.url,
            username=USER,
            password=PASSWORD,
            actor=cal_provider.user,
        )
        (calendar,) = connection.calendars.all()
        services.connection_calendars_update(
            connection=connection,
            busy_calendar_ids=[calendar.pk],
            receiving_calendar_id=calendar.pk,
            actor=cal_provider.user,
        )
        with django_capture_on_commit_callbacks(execute=True):
            appointment = appointment_book(
                client=client_user, provider=cal_provider, service=service, start=utc(1, 14, 10)
            )
        # Two refusals retried by the task, then the server's password challenge and the PUT
        # it takes.
        assert len(puts) == 4
        assert work.event_by_uid(appointment_event_uid(appointment))
    finally:
        server.stop()


def test_a_push_to_a_server_that_is_gone_fails_for_the_task_to_retry(
    work_calendar, connection, radicale, service, client_user, cal_provider
):
    (calendar,) = connection.calendars.all()
    services.connection_calendars_update(
        connection=connection,
        busy_calendar_ids=[calendar.pk],
        receiving_calendar_id=calendar.pk,
        actor=cal_provider.user,
    )
    appointment = appointment_book(
        client=client_user, provider=cal_provider, service=service, start=utc(1, 14, 10)
    )
    radicale.stop()
    with pytest.raises(caldav_sync.CalDAVFailure, match="could not connect"):
        services.appointment_push(appointment_id=appointment.pk)
    assert caldav_sync.CalDAVFailure in tasks.push_appointment.autoretry_for


class _Resolver:
    """Stands in for DNS (outside the machine) in the address guard only: `calendar.test`
    names `address`; the HTTP library's own lookups cannot resolve it."""

    def __init__(self, address: str):
        import socket

        self.address, self._socket = address, socket

    def __getattr__(self, name):
        return getattr(self._socket, name)

    def getaddrinfo(self, host, port, *args, **kwargs):
        if host == "calendar.test":
            return [(self._socket.AF_INET, self._socket.SOCK_STREAM, 6, "", (self.address, port))]
        return self._socket.getaddrinfo(host, port, *args, **kwargs)


def test_caldav_requests_go_to_the_checked_address_and_are_checked_each_time(
    radicale, work_calendar, cal_provider, monkeypatch
):
    from smartbook import outbound

    monkeypatch.setattr(outbound, "socket", _Resolver("127.0.0.1"))
    url = f"http://calendar.test:{radicale.port}/"
    connection = services.connection_create_caldav(
        provider=cal_provider, url=url, username=USER, password=PASSWORD, actor=cal_provider.user
    )
    assert connection.last_error == ""  # connected by the checked address, not the name

    monkeypatch.setattr(outbound, "socket", _Resolver("10.20.30.40"))  # the name now points inside
    failed = services.connection_sync(connection_id=connection.pk)
    assert failed.last_error == "the address 10.20.30.40 is private and not allowed"


def test_calendars_added_or_deleted_on_the_server_are_followed(
    radicale, work_calendar, connection, service
):
    work_calendar.save_event(
        vcalendar(vevent("call", "DTSTART:20260114T130000Z", "DTEND:20260114T140000Z")).decode()
    )
    services.connection_sync(connection_id=connection.pk)
    assert utc(1, 14, 13) not in starts(service, utc(1, 14, 0))
    holidays = radicale.make_calendar(USER, PASSWORD, "Holidays")
    holidays.save_event(
        vcalendar(vevent("trip", "DTSTART:20260115T090000Z", "DTEND:20260115T170000Z")).decode()
    )
    work_calendar.delete()

    synced = services.connection_sync(connection_id=connection.pk)

    assert synced.last_error == ""
    assert [calendar.name for calendar in synced.calendars.all()] == ["Holidays"]
    assert utc(1, 14, 13) in starts(service, utc(1, 14, 0))
    assert starts(service, utc(1, 15, 0)) == set()
