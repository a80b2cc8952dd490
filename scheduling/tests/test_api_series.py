"""The series API: check, book (all or nothing, or all that fit), read, move and cancel."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from accounts.tests.factories import UserFactory
from accounts.tests.support import auth_client
from providers.tests.factories import ProviderFactory, ServiceFactory
from scheduling.models import Appointment, AppointmentSeries
from scheduling.services import appointment_book

pytestmark = pytest.mark.usefixtures("frozen_now")

NEW_YORK = ZoneInfo("America/New_York")
FIRST = datetime(2026, 2, 23, 9, 0, tzinfo=NEW_YORK)


def iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def week(n: int, hour: int = 9, minute: int = 0) -> datetime:
    day = FIRST.date() + timedelta(weeks=n)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=NEW_YORK)


@pytest.fixture
def service(db):
    return ServiceFactory(duration_minutes=30)


@pytest.fixture
def ny_provider(db, service):
    return ProviderFactory(services=[service], timezone="America/New_York")


@pytest.fixture
def body(ny_provider, service):
    return {
        "provider": ny_provider.pk,
        "service": service.pk,
        "start": iso(FIRST),
        "frequency": "weekly",
        "count": 4,
    }


@pytest.fixture
def taken_week_two(ny_provider, service):
    return appointment_book(
        client=UserFactory(role="client"), provider=ny_provider, service=service, start=week(2)
    )


def test_check_shows_each_occurrence_and_alternatives_for_the_taken_one(
    client_api, body, taken_week_two
):
    response = client_api.post("/api/series/check", body, format="json")
    assert response.status_code == 200, response.json()
    data = response.json()
    assert [o["available"] for o in data["occurrences"]] == [True, True, False, True]
    assert [o["local_start"][11:16] for o in data["occurrences"]] == ["09:00"] * 4
    refused = data["occurrences"][2]
    assert refused["refusal"]["kind"] == "taken"
    assert refused["alternatives"][0]["local_start"].startswith("2026-03-09T09:30")
    assert data["available_count"] == 3
    assert Appointment.objects.count() == 1


def test_book_all_or_nothing_answers_409_and_writes_nothing(client_api, body, taken_week_two):
    response = client_api.post("/api/series", {**body, "mode": "all"}, format="json")
    assert response.status_code == 409
    assert "Nothing was booked" in response.json()["detail"]
    assert Appointment.objects.count() == 1
    assert not AppointmentSeries.objects.exists()


def test_book_available_books_the_rest_and_a_chosen_alternative(client_api, body, taken_week_two):
    response = client_api.post(
        "/api/series",
        {
            **body,
            "mode": "available",
            "replacements": [{"original_start": iso(week(2)), "start": iso(week(2, 10))}],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    occurrences = response.json()["occurrences"]
    assert [o["local_start"][5:16] for o in occurrences] == [
        "02-23T09:00",
        "03-02T09:00",
        "03-09T10:00",
        "03-16T09:00",
    ]
    assert [o["moved"] for o in occurrences] == [False, False, True, False]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"until": "2026-04-01"}, "count"),  # both count and until
        ({"count": None}, "count"),
        ({"count": "4"}, "count"),
        ({"count": 1}, "count"),
        ({"frequency": "daily"}, "frequency"),
        ({"start": "2026-02-23T09:00:00"}, "start"),
        ({"price": "0"}, "price"),
        ({"status": "booked"}, "status"),
        ({"client": 1}, "client"),
        ({"override_policy": True}, "override_policy"),
        ({"replacements": [{"original_start": "2026-02-23T14:00:00Z"}]}, "replacements.start"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(client_api, body, change, field):
    response = client_api.post("/api/series", {**body, **change}, format="json")
    assert response.status_code == 400, response.json()
    errors = response.json()["errors"]
    assert any(key.startswith(field.split(".")[0]) for key in errors), errors
    assert not Appointment.objects.exists()


@pytest.fixture
def booked(client_api, body):
    response = client_api.post("/api/series", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_move_this_and_following_through_the_api(client_api, booked):
    third = booked["occurrences"][2]["id"]
    response = client_api.post(
        f"/api/series/{booked['id']}/move",
        {"appointment": third, "start": iso(week(2, 11)), "scope": "following"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    data = response.json()
    assert [o["local_start"][11:16] for o in data["occurrences"]] == [
        "09:00",
        "09:00",
        "11:00",
        "11:00",
    ]
    assert [len(o["changes"]) for o in data["occurrences"]] == [0, 0, 1, 1]
    assert data["sequence"] == 1


def test_cancel_all_through_the_api_keeps_every_row(client_api, booked):
    response = client_api.post(
        f"/api/series/{booked['id']}/cancel",
        {"appointment": booked["occurrences"][0]["id"], "scope": "all", "reason": "done"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert [o["status"] for o in response.json()["occurrences"]] == ["cancelled"] * 4
    assert Appointment.objects.filter(status="cancelled").count() == 4


def test_another_clients_series_answers_404(booked, other_client_user):
    other = auth_client(other_client_user)
    assert other.get(f"/api/series/{booked['id']}").status_code == 404
    response = other.post(
        f"/api/series/{booked['id']}/cancel",
        {"appointment": booked["occurrences"][0]["id"], "scope": "all"},
        format="json",
    )
    assert response.status_code == 404
    assert other.get("/api/series").json() == []
    assert not Appointment.objects.filter(status="cancelled").exists()


def test_an_occurrence_of_another_series_answers_404(client_api, booked, body):
    second = client_api.post(
        "/api/series", {**body, "start": iso(week(0, 11))}, format="json"
    ).json()
    response = client_api.post(
        f"/api/series/{booked['id']}/cancel",
        {"appointment": second["occurrences"][0]["id"], "scope": "this"},
        format="json",
    )
    assert response.status_code == 404


def test_staff_book_a_series_for_a_client(admin_user, body, client_user):
    staff = auth_client(admin_user)
    response = staff.post("/api/series", {**body, "client": client_user.pk}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["client"] == client_user.pk
    assert AppointmentSeries.objects.get().created_by == admin_user


def test_an_occurrence_names_its_series_in_the_appointments_api(client_api, booked):
    first = booked["occurrences"][0]["id"]
    assert client_api.get(f"/api/appointments/{first}").json()["series"] == booked["id"]
