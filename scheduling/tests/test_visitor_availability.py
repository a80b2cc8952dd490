"""Free times for visitors (no account): the booking page's browsing before sign-up. The same
slots a client with no bookings would get, nothing about who booked, throttled per address."""

import pytest
from rest_framework.throttling import AnonRateThrottle

from accounts.tests.support import auth_client
from scheduling.services import appointment_book
from scheduling.tests.support import at

pytestmark = pytest.mark.usefixtures("frozen_now")

WINDOW = {"start": "2026-01-14T09:00:00Z", "end": "2026-01-14T11:00:00Z"}


@pytest.fixture
def booked(client_user, clinic_provider, service):
    return appointment_book(
        client=client_user, provider=clinic_provider, service=service, start=at(14, 10)
    )


def test_a_visitor_sees_the_free_times_without_the_booked_one(
    api_client, client_user, service, booked
):
    response = api_client.get("/api/appointments/available", {"service": service.pk, **WINDOW})
    assert response.status_code == 200, response.content
    body = response.json()
    starts = [slot["start"] for slot in body["slots"]]
    assert "2026-01-14T09:30:00Z" in starts
    assert "2026-01-14T10:00:00Z" not in starts  # booked by someone
    # Nothing names who booked, and the answer is what a client with no bookings gets.
    text = response.content.decode()
    assert client_user.email not in text and str(booked.pk) not in [str(s) for s in starts]
    fresh_client = auth_client(
        type(client_user).objects.create_user(email="fresh@example.test", password="x-Pass-2026!")
    )
    mine = fresh_client.get("/api/appointments/available", {"service": service.pk, **WINDOW})
    assert mine.json()["slots"] == body["slots"]


def test_a_visitor_cannot_ask_where_an_appointment_may_move(api_client, service, booked):
    response = api_client.get(
        "/api/appointments/available", {"service": service.pk, "reschedule": booked.pk, **WINDOW}
    )
    assert response.status_code == 404
    assert str(booked.start.year) not in response.json().get("detail", "")


def test_a_visitor_gets_a_named_400_for_a_bad_window(api_client, service):
    response = api_client.get(
        "/api/appointments/available", {"service": service.pk, "start": "nonsense"}
    )
    assert response.status_code == 400
    assert "start" in response.json()["errors"]


@pytest.mark.parametrize(
    "path", ["/api/appointments/available", "/api/providers/{provider}/availability"]
)
def test_visitors_are_throttled_per_address(
    api_client, client_user, clinic_provider, service, monkeypatch, path
):
    monkeypatch.setitem(AnonRateThrottle.THROTTLE_RATES, "anon", "3/min")
    url = path.format(provider=clinic_provider.pk)
    answers = [api_client.get(url, {"service": service.pk, **WINDOW}).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    # A signed-in client is not counted as a visitor.
    signed_in = auth_client(client_user)
    assert all(
        signed_in.get(url, {"service": service.pk, **WINDOW}).status_code == 200 for _ in range(4)
    )
