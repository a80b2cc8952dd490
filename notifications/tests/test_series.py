"""A recurring series in notifications: one email per change of the series (not one per
occurrence) carrying the series as one event (RRULE, EXDATE, RDATE), reminders per
occurrence, and the personal feed."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from django.core import mail
from icalendar import Calendar

from notifications.models import Reminder
from notifications.series_ical import series_event_uid, series_invite
from notifications.services.inbox import calendar_feed_get_or_create
from providers.tests.factories import ProviderFactory
from scheduling import series as series_services
from scheduling.models import AppointmentSeries, AppointmentStatus
from scheduling.recurrence import Frequency, Recurrence
from scheduling.tests.factories import AppointmentFactory

pytestmark = pytest.mark.usefixtures("frozen_now")

NEW_YORK = ZoneInfo("America/New_York")
# Mondays from 23 February 2026, 09:00 New York; clocks go forward on Sunday 8 March.
FIRST = datetime(2026, 2, 23, 9, 0, tzinfo=NEW_YORK)


def week(n: int, hour: int = 9) -> datetime:
    day = FIRST.date() + timedelta(weeks=n)
    return datetime.combine(day, time(hour), tzinfo=NEW_YORK)


@pytest.fixture
def ny_provider(db, service):
    return ProviderFactory(
        services=[service], timezone="America/New_York", display_name="Dr. Ada Jones"
    )


@pytest.fixture
def booked(client_user, ny_provider, service, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        booking = series_services.series_book(
            client=client_user,
            provider=ny_provider,
            service=service,
            first_start=FIRST,
            rule=Recurrence(Frequency.WEEKLY, count=4),
            actor=client_user,
        )
    return booking.appointments


def expand(event) -> set[datetime]:
    """What a calendar client shows: the RRULE's instants from DTSTART, less EXDATE, plus
    RDATE, as UTC."""
    start = event.decoded("DTSTART")
    rule = rrulestr(event["RRULE"].to_ical().decode(), dtstart=start)
    instants = {moment.astimezone(UTC) for moment in rule}
    for prop in ("EXDATE", "RDATE"):
        values = event.get(prop, [])
        for item in values if isinstance(values, list) else [values]:
            for moment in item.dts:
                instant = moment.dt.astimezone(UTC)
                (instants.discard if prop == "EXDATE" else instants.add)(instant)
    return instants


def the_event(ics: bytes):
    [event] = Calendar.from_ical(ics).walk("VEVENT")
    return event


def test_a_booked_series_sends_one_email_each_with_the_series_invite(booked, client_user):
    to_client = [m for m in mail.outbox if m.to == [client_user.email]]
    assert len(to_client) == 1  # not one per occurrence
    [message] = to_client
    assert "Series booked" in message.subject
    assert "first of 4 appointments, every week" in message.body
    [(filename, content, mimetype)] = message.attachments
    calendar = Calendar.from_ical(content)
    assert calendar["METHOD"] == "REQUEST"
    event = the_event(content)
    assert str(event["UID"]) == series_event_uid(booked[0].series)
    assert event["RRULE"].to_ical() == b"FREQ=WEEKLY;COUNT=4;INTERVAL=1"
    # The wall-clock time repeats in the provider's zone, whose definition is included.
    assert event["DTSTART"].params["TZID"] == "America/New_York"
    assert calendar.walk("VTIMEZONE")
    assert expand(event) == {a.start for a in booked}
    provider_mail = [m for m in mail.outbox if m.to == [booked[0].provider.user.email]]
    assert len(provider_mail) == 1


def test_reminders_are_scheduled_for_every_occurrence(booked, client_user):
    reminded = set(
        Reminder.objects.filter(recipient=client_user, cancelled_at=None).values_list(
            "appointment_id", flat=True
        )
    )
    assert reminded == {a.pk for a in booked}


def test_ics_round_trip_gives_the_same_instants_after_a_skip_and_a_move(
    booked, client_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        series_services.series_cancel(appointment=booked[1], scope="this", actor=client_user)
        series_services.series_move(
            appointment=booked[2], new_start=week(2, 11), scope="this", actor=client_user
        )
    event = the_event(series_invite(booked[0].series_id))
    exdates = {moment.dt.astimezone(UTC) for moment in event["EXDATE"].dts}
    assert exdates == {week(1).astimezone(UTC), week(2).astimezone(UTC)}
    [rdate] = [moment.dt for moment in event["RDATE"].dts]
    assert rdate == week(2, 11)
    kept = {booked[0].start, week(2, 11), booked[3].start}
    assert expand(event) == kept
    assert event["SEQUENCE"] == 2  # two changes of the series
    # The cancellation's email carried the series with its new EXDATE (same UID).
    cancelled_mail = [m for m in mail.outbox if "cancelled" in m.subject.lower()]
    assert cancelled_mail
    content = cancelled_mail[0].attachments[0][1]
    assert str(the_event(content)["UID"]) == series_event_uid(booked[0].series)


def test_cancelling_all_sends_one_cancellation_and_a_cancel_invite(
    booked, client_user, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        series_services.series_cancel(appointment=booked[0], scope="all", actor=client_user)
    to_client = [m for m in mail.outbox if m.to == [client_user.email]]
    assert len(to_client) == 1
    assert "Series cancelled" in to_client[0].subject
    calendar = Calendar.from_ical(to_client[0].attachments[0][1])
    assert calendar["METHOD"] == "CANCEL"
    assert not Reminder.objects.filter(cancelled_at=None, sent_at=None).exists()


def test_a_time_in_the_spring_gap_round_trips_to_the_booked_instant(
    client_user, ny_provider, service
):
    # Sundays at 02:30: on 8 March that time does not exist; the booking took 03:00 EDT.
    first = datetime(2026, 3, 1, 2, 30, tzinfo=NEW_YORK)
    series = AppointmentSeries.objects.create(
        client=client_user,
        provider=ny_provider,
        service=service,
        frequency="weekly",
        count=3,
        first_start=first,
        timezone="America/New_York",
    )
    starts = [
        first,
        datetime(2026, 3, 8, 7, 0, tzinfo=UTC),  # the transition, 03:00 EDT
        datetime(2026, 3, 15, 2, 30, tzinfo=NEW_YORK),
    ]
    for start in starts:
        AppointmentFactory(
            client=client_user,
            provider=ny_provider,
            service=service,
            start=start,
            series=series,
            series_original_start=start,
        )
    event = the_event(series_invite(series.pk))
    assert expand(event) == {start.astimezone(UTC) for start in starts}


def test_the_personal_feed_carries_the_series_as_one_event(booked, client_user, client):
    feed = calendar_feed_get_or_create(user=client_user)
    response = client.get(f"/calendar/{feed.token}.ics")
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    events = Calendar.from_ical(body).walk("VEVENT")
    [event] = [e for e in events if str(e["UID"]) == series_event_uid(booked[0].series)]
    assert expand(event) == {a.start for a in booked}
    # The occurrences do not also appear one by one.
    assert not [e for e in events if str(e["UID"]) == f"{booked[0].uid}@smartbook"]


def test_a_completed_occurrence_stays_in_the_series(booked):
    booked[0].status = AppointmentStatus.COMPLETED
    booked[0].save(update_fields=["status"])
    assert expand(the_event(series_invite(booked[0].series_id))) == {a.start for a in booked}
