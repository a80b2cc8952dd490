import pytest
from icalendar import Calendar

from notifications import services
from notifications.tests.support import APPOINTMENT_START, shifted
from scheduling.models import AppointmentStatus
from scheduling.tests.factories import AppointmentFactory


@pytest.fixture
def schedule(appointment, other_client_user, clinic_provider, service):
    """The client's appointment, another client's with the same provider, a cancelled one."""
    others = AppointmentFactory(
        client=other_client_user,
        provider=clinic_provider,
        service=service,
        start=shifted(APPOINTMENT_START, hours=2),
    )
    cancelled = AppointmentFactory(
        client=appointment.client,
        provider=clinic_provider,
        service=service,
        start=shifted(APPOINTMENT_START, hours=4),
        status=AppointmentStatus.CANCELLED,
    )
    past = AppointmentFactory(
        client=appointment.client,
        provider=clinic_provider,
        service=service,
        start=shifted(APPOINTMENT_START, days=-5),
    )
    return {"mine": appointment, "others": others, "cancelled": cancelled, "past": past}


def _uids(response) -> set[str]:
    calendar = Calendar.from_ical(response.content)
    return {str(event["UID"]) for event in calendar.walk("VEVENT")}


def test_client_feed_lists_only_their_upcoming_appointments(client, schedule):
    feed = services.calendar_feed_get_or_create(user=schedule["mine"].client)

    response = client.get(feed.path)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert _uids(response) == {f"{schedule['mine'].uid}@smartbook"}


def test_provider_feed_lists_their_whole_schedule(client, schedule, clinic_provider):
    feed = services.calendar_feed_get_or_create(user=clinic_provider.user)

    response = client.get(feed.path)

    assert _uids(response) == {
        f"{schedule['mine'].uid}@smartbook",
        f"{schedule['others'].uid}@smartbook",
    }


def test_revoked_feed_token_answers_404(client, client_user):
    old = services.calendar_feed_get_or_create(user=client_user)
    new = services.calendar_feed_regenerate(user=client_user)

    assert client.get(old.path).status_code == 404
    assert client.get(new.path).status_code == 200


def test_random_feed_token_answers_404(client, client_user):
    services.calendar_feed_get_or_create(user=client_user)

    assert client.get("/calendar/not-a-real-token-at-all.ics").status_code == 404


def test_owner_and_provider_download_the_appointment_ics(client, schedule, clinic_provider):
    appointment = schedule["mine"]
    for user in (appointment.client, clinic_provider.user):
        client.force_login(user)
        response = client.get(f"/appointments/{appointment.pk}/ics")
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")
        assert _uids(response) == {f"{appointment.uid}@smartbook"}


def test_someone_elses_appointment_ics_answers_404(client, schedule, other_client_user):
    client.force_login(other_client_user)

    assert client.get(f"/appointments/{schedule['mine'].pk}/ics").status_code == 404


def test_appointment_ics_needs_login(client, schedule):
    response = client.get(f"/appointments/{schedule['mine'].pk}/ics")

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_feed_query_count_does_not_grow_with_the_schedule(
    client, schedule, clinic_provider, django_assert_max_num_queries
):
    feed = services.calendar_feed_get_or_create(user=clinic_provider.user)

    with django_assert_max_num_queries(2):
        response = client.get(feed.path)

    assert len(_uids(response)) == 2
