"""Manage by link: an email's view, reschedule and cancel links work without logging in, for
that one appointment only, under the client's rules, until the appointment ends."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from accounts.tests.factories import UserFactory
from providers.tests.factories import ProviderFactory, ServiceFactory
from scheduling.manage_links import manage_paths, manage_token
from scheduling.models import Appointment, AppointmentStatus, BookingPolicy
from scheduling.services import appointment_book

MONDAY = datetime(2026, 1, 12, 8, 0, tzinfo=UTC)
START = datetime(2026, 1, 14, 10, 0, tzinfo=UTC)


@pytest.fixture
def booked(db, time_machine):
    time_machine.move_to(MONDAY, tick=False)
    service = ServiceFactory(name="Knee assessment", price=50)
    provider = ProviderFactory(display_name="Dr. Ada Osei", services=[service])
    client = UserFactory(timezone="America/New_York")
    return appointment_book(client=client, provider=provider, service=service, start=START)


def paths(appointment):
    return manage_paths(manage_token(appointment))


def test_the_view_link_shows_the_appointment_in_the_clients_zone_without_a_login(client, booked):
    response = client.get(paths(booked)["view"])
    assert response.status_code == 200
    html = response.content.decode()
    # 10:00 UTC is 05:00 in New York, named.
    assert "Wednesday 14 January 2026, 05:00" in html and "(America/New_York)" in html
    assert "Knee assessment with Dr. Ada Osei" in html
    assert f'href="{paths(booked)["reschedule"]}"' in html
    assert f'href="{paths(booked)["cancel"]}"' in html
    assert "_auth_user_id" not in client.session  # the link signs nobody in


def test_cancel_asks_first_then_cancels_as_the_client(client, booked):
    cancel = paths(booked)["cancel"]
    page = client.get(cancel)
    assert page.status_code == 200 and 'id="cancel-form"' in page.content.decode()
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.BOOKED  # a GET changes nothing

    response = client.post(cancel, {"reason": "Feeling better"})
    assert response.status_code == 302
    assert response["Location"] == paths(booked)["view"] + "?done=cancelled"
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.CANCELLED
    assert booked.cancelled_by_id == booked.client_id
    assert booked.cancellation_reason == "Feeling better"
    # The link still shows it, cancelled, with nothing to change.
    html = client.get(response["Location"]).content.decode()
    assert "Your appointment is cancelled." in html and 'data-status="cancelled"' in html
    assert 'href="' + paths(booked)["reschedule"] not in html
    assert client.post(cancel, {}).status_code == 200  # cancelling again changes nothing


def test_reschedule_lists_free_times_and_moves_through_the_rules(client, booked):
    reschedule = paths(booked)["reschedule"]
    html = client.get(reschedule).content.decode()
    values = re.findall(r'name="start" value="([^"]+)"', html)
    assert values and START.isoformat() not in values  # its own time is not a move
    new_start = datetime.fromisoformat(values[3])

    response = client.post(reschedule, {"start": values[3]})
    assert response.status_code == 302
    assert response["Location"] == paths(booked)["view"] + "?done=moved"
    booked.refresh_from_db()
    assert booked.start == new_start and booked.status == AppointmentStatus.BOOKED


def test_a_taken_or_malformed_time_is_refused_and_nothing_changes(client, booked):
    reschedule = paths(booked)["reschedule"]
    values = re.findall(r'name="start" value="([^"]+)"', client.get(reschedule).content.decode())
    other = UserFactory()
    appointment_book(
        client=other,
        provider=booked.provider,
        service=booked.service,
        start=datetime.fromisoformat(values[0]),
    )
    taken = client.post(reschedule, {"start": values[0]})
    assert taken.status_code == 409
    assert "no longer available" in taken.content.decode()
    for bad in ("", "tomorrow", "2026-01-15T10:00:00"):  # the last has no offset
        assert client.post(reschedule, {"start": bad}).status_code == 400
    booked.refresh_from_db()
    assert booked.start == START


def test_inside_the_cutoff_the_link_says_whom_to_contact(client, booked, time_machine):
    policy = BookingPolicy.load()
    time_machine.move_to(START - timedelta(hours=policy.client_cutoff_hours - 1), tick=False)
    html = client.get(paths(booked)["view"]).content.decode()
    assert 'id="locked-note"' in html and booked.provider.user.email in html
    assert client.post(paths(booked)["cancel"], {}).status_code == 200
    assert client.post(paths(booked)["reschedule"], {"start": "x"}).status_code == 200
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.BOOKED and booked.start == START


def test_a_link_reaches_its_own_appointment_only(client, booked):
    mine = paths(booked)["view"]
    token = mine.rsplit("/", 1)[1]
    other = appointment_book(
        client=UserFactory(),
        provider=booked.provider,
        service=booked.service,
        start=START + timedelta(hours=2),
    )
    assert f"/appointments/{other.pk}" not in client.get(mine).content.decode()
    # A changed token, or one signed for another kind of link, is refused with its page.
    for bad in (token[:-2] + "xx", "nonsense", manage_token(other)[::-1]):
        response = client.get(f"/manage/{bad}")
        assert response.status_code == 400
        assert 'data-problem="invalid"' in response.content.decode()
    # A token for an appointment whose client changed (the row is no longer theirs) too.
    Appointment.objects.filter(pk=booked.pk).update(client=UserFactory())
    assert client.get(mine).status_code == 400


def test_another_kind_of_signed_link_for_the_same_appointment_is_refused(client, booked):
    from attendance.actions import answer_token

    response = client.get(f"/manage/{answer_token(booked)}")
    assert response.status_code == 400
    assert 'data-problem="invalid"' in response.content.decode()


def test_the_link_works_until_the_end_instant(client, booked, time_machine):
    time_machine.move_to(booked.end - timedelta(microseconds=1), tick=False)
    assert client.get(paths(booked)["view"]).status_code == 200
    time_machine.move_to(booked.end, tick=False)
    assert client.get(paths(booked)["view"]).status_code == 410


def test_the_link_ends_with_the_appointment(client, booked, time_machine):
    time_machine.move_to(booked.end + timedelta(minutes=1), tick=False)
    for path in paths(booked).values():
        response = client.get(path)
        assert response.status_code == 410
        assert 'data-problem="expired"' in response.content.decode()
