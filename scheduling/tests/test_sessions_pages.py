"""Group sessions through the API and the admin: the slot shape carries the seats left, a
client's view of a session has no attendees, the provider's and staff's do, bad input is
refused naming the field, and staff cancel a session from the admin."""

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from accounts.tests.support import auth_client
from providers.models import Service
from providers.tests.factories import ProviderFactory, ServiceFactory
from scheduling.models import AppointmentStatus, GroupSession, GroupSessionStatus
from scheduling.services import appointment_book
from scheduling.tests.support import at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now")]


@pytest.fixture
def group():
    return ServiceFactory(name="Yoga class", duration_minutes=60, capacity=3)


@pytest.fixture
def provider(group):
    return ProviderFactory(services=[group])


@pytest.fixture
def seated(group, provider):
    clients = [UserFactory(role="client") for _ in range(2)]
    for client in clients:
        appointment_book(client=client, provider=provider, service=group, start=at(13, 10))
    return clients


def test_available_slots_carry_the_seats_left(group, provider, seated):
    response = auth_client(UserFactory(role="client")).get(
        "/api/appointments/available",
        {"service": group.pk, "start": "2026-01-13T00:00:00Z", "end": "2026-01-14T00:00:00Z"},
    )
    assert response.status_code == 200
    seats = {slot["start"]: slot["seats_left"] for slot in response.json()["slots"]}
    assert seats["2026-01-13T10:00:00Z"] == 1
    assert seats["2026-01-13T14:00:00Z"] == 3


def test_a_seat_is_booked_through_the_appointments_api_and_names_its_session(
    group, provider, seated
):
    client = UserFactory(role="client")
    response = auth_client(client).post(
        "/api/appointments",
        {"provider": provider.pk, "service": group.pk, "start": "2026-01-13T10:00:00Z"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["session"] == GroupSession.objects.get().pk
    assert response.json()["service"]["capacity"] == 3
    late = auth_client(UserFactory(role="client")).post(
        "/api/appointments",
        {"provider": provider.pk, "service": group.pk, "start": "2026-01-13T10:00:00Z"},
        format="json",
    )
    assert late.status_code == 409
    assert "Every seat" in str(late.json())


def test_the_provider_sees_the_attendees_and_a_client_only_the_seats_left(group, provider, seated):
    session = GroupSession.objects.get()
    mine = auth_client(seated[0]).get(f"/api/sessions/{session.pk}").json()
    assert mine["attendees"] is None
    assert (mine["participants"], mine["seats_left"], mine["capacity"]) == (2, 1, 3)
    assert seated[1].email not in str(mine)
    theirs = auth_client(provider.user).get(f"/api/sessions/{session.pk}").json()
    assert {row["email"] for row in theirs["attendees"]} == {c.email for c in seated}


def test_an_integrations_key_sees_the_seats_but_not_the_attendees(group, provider, seated):
    from rest_framework.test import APIClient

    from accounts.services import api_key_create

    key = api_key_create(
        name="reader", scopes=["appointments:read"], created_by=UserFactory(role="admin")
    ).key
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    seen = api.get(f"/api/sessions/{GroupSession.objects.get().pk}").json()
    assert seen["attendees"] is None and seen["participants"] == 2


def test_the_session_list_is_paginated_and_reads_attendees_in_one_query(group, provider):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api = auth_client(provider.user)

    def listed() -> tuple[int, dict]:
        with CaptureQueriesContext(connection) as captured:
            body = api.get("/api/sessions", {"page_size": 50}).json()
        return len(captured), body

    def open_sessions(hours):
        for hour in hours:
            for _ in range(2):
                appointment_book(
                    client=UserFactory(role="client"),
                    provider=provider,
                    service=group,
                    start=at(13, hour),
                )

    open_sessions([9])
    few, first = listed()
    open_sessions([11, 13, 15])
    many, body = listed()
    assert few == many
    assert body["count"] == 4 and [len(row["attendees"]) for row in body["results"]] == [2] * 4
    assert first["results"][0]["start"] == "2026-01-13T09:00:00Z"


def test_cancelling_a_session_needs_a_reason_and_refuses_unknown_fields(group, provider, seated):
    session = GroupSession.objects.get()
    api = auth_client(provider.user)
    missing = api.post(f"/api/sessions/{session.pk}/cancel", {}, format="json")
    assert missing.status_code == 400 and "reason" in missing.json()["errors"]
    unknown = api.post(
        f"/api/sessions/{session.pk}/cancel", {"reason": "x", "notify": False}, format="json"
    )
    assert unknown.status_code == 400 and "notify" in unknown.json()["errors"]
    assert GroupSession.objects.get().status == GroupSessionStatus.SCHEDULED

    done = api.post(f"/api/sessions/{session.pk}/cancel", {"reason": "Ill."}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "cancelled"
    again = api.post(f"/api/sessions/{session.pk}/cancel", {"reason": "Ill."}, format="json")
    assert again.status_code == 409


def test_a_minimum_above_the_capacity_is_refused_naming_the_field():
    service = ServiceFactory.build(capacity=2, min_participants=3)
    with pytest.raises(Exception) as refused:
        service.full_clean(exclude=["category"])
    assert "min_participants" in refused.value.message_dict


def test_the_admin_lists_sessions_with_attendees_and_cancels_them(
    client, admin_user, group, provider, seated
):
    client.force_login(admin_user)
    listing = client.get(reverse("admin:scheduling_groupsession_changelist"))
    assert listing.status_code == 200 and b"2 of 3" in listing.content
    session = GroupSession.objects.get()
    page = client.get(reverse("admin:scheduling_groupsession_change", args=[session.pk]))
    assert page.status_code == 200
    assert all(c.email.encode() in page.content for c in seated)
    response = client.post(
        reverse("admin:scheduling_groupsession_changelist"),
        {"action": "cancel_sessions", "_selected_action": [session.pk]},
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == GroupSessionStatus.CANCELLED
    assert set(session.seats.values_list("status", flat=True)) == {AppointmentStatus.CANCELLED}


def test_the_service_admin_edits_the_seats(client, admin_user, group):
    client.force_login(admin_user)
    page = client.get(reverse("admin:providers_service_change", args=[group.pk]))
    assert page.status_code == 200 and b"Group sessions" in page.content
    assert Service.objects.get(pk=group.pk).capacity == 3
