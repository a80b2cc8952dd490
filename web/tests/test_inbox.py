"""The inbox reads in one zone, the one its header names, and each entry in plain sentences."""

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from notifications.messages import appointment_in_app, format_time, in_zone
from notifications.models import Notification, NotificationKind
from providers.tests.factories import ProviderFactory, ServiceFactory
from scheduling.services import appointment_book

START = datetime(2026, 1, 13, 15, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_an_entry_written_before_the_reader_changed_zone_reads_in_the_zone_named(
    client, client_user, time_machine
):
    time_machine.move_to(datetime(2026, 1, 12, 8, 0, tzinfo=UTC), tick=False)
    client_user.timezone = "UTC"
    client_user.save()
    Notification.objects.create(
        user=client_user,
        kind=NotificationKind.BOOKED,
        title="Appointment booked",
        body=f"Your Knee assessment is booked for {format_time(START, ZoneInfo('UTC'))}.",
    )
    client_user.timezone = "America/New_York"
    client_user.save()
    client.force_login(client_user)

    page = client.get("/notifications").content.decode()

    assert "times in <strong>America/New_York</strong>" in page
    assert "Tuesday 13 January 2026, 10:00 EST (America/New_York)" in page
    assert "(UTC)" not in page


def test_the_repeated_hour_of_a_clock_change_keeps_its_side():
    london = ZoneInfo("Europe/London")
    # 01:30 happens twice on 25 October 2026 in London: first BST, then GMT.
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    second = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    for instant in (first, second):
        assert in_zone(format_time(instant, london), ZoneInfo("UTC")) == format_time(
            instant, ZoneInfo("UTC")
        )


def test_text_without_a_dated_time_is_left_alone():
    text = "Your offer is gone. Back at 10:00 GMT (Europe/London)."
    assert in_zone(text, ZoneInfo("Asia/Tokyo")) == text


@pytest.mark.django_db
def test_a_moved_appointment_says_where_it_was_without_doubled_brackets(client_user, time_machine):
    time_machine.move_to(datetime(2026, 1, 12, 8, 0, tzinfo=UTC), tick=False)
    service = ServiceFactory()
    provider = ProviderFactory(services=[service])
    appointment = appointment_book(
        client=client_user, provider=provider, service=service, start=START
    )

    message = appointment_in_app(
        kind=NotificationKind.RESCHEDULED,
        appointment=appointment,
        recipient=client_user,
        extra={"old_start": datetime(2026, 1, 13, 10, 0, tzinfo=UTC), "actor_id": client_user.pk},
    )

    assert "))" not in message.summary
    assert message.summary.endswith("It was Tuesday 13 January 2026, 10:00 GMT (Europe/London).")


@pytest.mark.django_db
def test_each_mark_as_read_button_names_its_entry(client, client_user):
    for title in ("Appointment booked", "Appointment moved"):
        Notification.objects.create(user=client_user, kind=NotificationKind.BOOKED, title=title)
    client.force_login(client_user)

    page = client.get("/notifications").content.decode()

    names = re.findall(r'class="sb-secondary mark-read"[^>]*>(.*?)</button>', page)
    assert len(names) == 2 and len(set(names)) == 2
