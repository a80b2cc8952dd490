"""The scheduling API: shapes, statuses, access, and every refusal as a 4xx with a message."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import resolve

from accounts.tests.support import auth_client
from providers.tests.factories import ProviderFactory, ServiceFactory
from scheduling.models import Appointment, AppointmentStatus
from scheduling.services import appointment_book
from scheduling.tests.support import at

pytestmark = pytest.mark.usefixtures("frozen_now")


def iso(value) -> str:
    return value.isoformat().replace("+00:00", "Z")


@pytest.fixture
def body(clinic_provider, service):
    def _body(start, **extra):
        return {"provider": clinic_provider.pk, "service": service.pk, "start": start, **extra}

    return _body


@pytest.fixture
def booked(client_user, clinic_provider, service):
    return appointment_book(
        client=client_user, provider=clinic_provider, service=service, start=at(14, 10)
    )


def assert_refused(response, status: int, field: str, text: str) -> None:
    assert response.status_code == status, response.content
    data = response.json()
    assert field in data["errors"], data
    assert text in " ".join(data["errors"][field]), data
    assert data["detail"]


# --- booking -----------------------------------------------------------------------------


def test_booking_returns_201_with_utc_and_local_times(client_api, body, client_user):
    response = client_api.post("/api/appointments", body("2026-01-13T10:00:00Z"), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["start"] == "2026-01-13T10:00:00Z"
    assert data["end"] == "2026-01-13T10:30:00Z"
    assert data["local_start"] == "2026-01-13T10:00:00+00:00"
    assert data["timezone"] == "Europe/London"
    assert data["status"] == "booked"
    assert data["client"]["id"] == client_user.pk
    assert Appointment.objects.get().client == client_user


def test_booking_with_an_offset_is_the_same_instant(client_api, body):
    response = client_api.post("/api/appointments", body("2026-01-13T11:00:00+01:00"))
    assert response.status_code == 201
    assert response.json()["start"] == "2026-01-13T10:00:00Z"


def test_second_booking_of_same_slot_gets_409(client_api, body, other_client_user):
    assert client_api.post("/api/appointments", body("2026-01-13T10:00:00Z")).status_code == 201
    response = auth_client(other_client_user).post(
        "/api/appointments", body("2026-01-13T10:15:00Z")
    )
    assert_refused(response, 409, "start", "no longer available")
    assert response.json()["code"] == "conflict"
    assert Appointment.objects.count() == 1


@pytest.mark.parametrize(
    ("start", "extra", "field", "text"),
    [
        ("2026-01-13T10:00:00", {}, "start", "offset"),
        ("tomorrow", {}, "start", "ISO-8601"),
        ("9999-12-31T23:59:00Z", {}, "start", "between"),
        ("2026-01-12T09:00:00Z", {}, "start", "notice"),
        ("2026-03-20T10:00:00Z", {}, "start", "days ahead"),
        ("2026-01-13T10:07:00Z", {}, "start", "grid"),
        ("2026-01-13T20:00:00Z", {}, "start", "not available then"),
        ("2026-01-13T10:00:00Z", {"urgency": "whenever"}, "urgency", "not a valid choice"),
        ("2026-01-13T10:00:00Z", {"provider": 999999}, "provider", "No provider"),
        ("2026-01-13T10:00:00Z", {"service": 999999}, "service", "No service"),
        ("2026-01-13T10:00:00Z", {"status": "completed"}, "status", "booking service"),
        ("2026-01-13T10:00:00Z", {"client": 1}, "client", "booking service"),
        ("2026-01-13T10:00:00Z", {"client_notes": 12}, "client_notes", "string"),
        ("2026-01-13T10:00:00Z", {"recommendation_id": "nope"}, "recommendation_id", "UUID"),
    ],
)
def test_booking_refusals_are_400_naming_the_field(client_api, body, start, extra, field, text):
    response = client_api.post("/api/appointments", body(start, **extra), format="json")
    assert_refused(response, 400, field, text)
    assert not Appointment.objects.exists()


def test_booking_a_service_the_provider_does_not_offer_is_400(client_api, body):
    other = ServiceFactory()
    response = client_api.post("/api/appointments", body("2026-01-13T10:00:00Z", service=other.pk))
    assert_refused(response, 400, "service", "does not offer")


def test_booking_an_inactive_provider_is_400(client_api, body, clinic_provider):
    clinic_provider.is_active = False
    clinic_provider.save()
    response = client_api.post("/api/appointments", body("2026-01-13T10:00:00Z"))
    assert_refused(response, 400, "provider", "not taking bookings")


def test_client_daily_limit_is_400(client_api, body):
    for start in ("2026-01-13T10:00:00Z", "2026-01-13T11:00:00Z"):
        assert client_api.post("/api/appointments", body(start)).status_code == 201
    response = client_api.post("/api/appointments", body("2026-01-13T12:00:00Z"))
    assert_refused(response, 400, "start", "You already have 2 appointments on this day")


def test_provider_daily_cap_is_400(client_api, body, clinic_provider, booked):
    clinic_provider.daily_cap = 1
    clinic_provider.save()
    response = client_api.post("/api/appointments", body("2026-01-14T14:00:00Z"))
    assert_refused(response, 400, "start", "fully booked")


def test_a_bad_json_body_is_400_not_500(client_api):
    response = client_api.post("/api/appointments", [1, 2], format="json")
    assert response.status_code == 400


def test_booking_needs_authentication(api_client, body):
    assert api_client.post("/api/appointments", body("2026-01-13T10:00:00Z")).status_code == 401


def test_recommendation_id_reaches_the_booking_hooks(client_api, body):
    from scheduling import events

    seen = []

    def hook(*, appointment, context):
        seen.append(context)

    # The recommendations app's own hook checks real ids; this test isolates ours.
    saved = list(events.booking_hooks)
    events.booking_hooks[:] = [hook]
    try:
        response = client_api.post(
            "/api/appointments",
            body("2026-01-13T10:00:00Z", recommendation_id="6f1c1a0e-1111-4a4a-9b9b-0123456789ab"),
        )
    finally:
        events.booking_hooks[:] = saved
    assert response.status_code == 201
    assert str(seen[0]["recommendation_id"]) == "6f1c1a0e-1111-4a4a-9b9b-0123456789ab"
    assert response.json()["source"] == "recommendation"


# --- listing and access -----------------------------------------------------------------


def test_clients_list_only_their_own(client_api, booked, other_client_user, clinic_provider):
    other = appointment_book(
        client=other_client_user,
        provider=clinic_provider,
        service=booked.service,
        start=at(15, 10),
    )
    data = client_api.get("/api/appointments").json()
    assert [item["id"] for item in data["results"]] == [booked.pk]
    assert data["count"] == 1
    assert auth_client(other_client_user).get(f"/api/appointments/{booked.pk}").status_code == 404
    assert client_api.get(f"/api/appointments/{other.pk}").status_code == 404


def test_a_provider_sees_their_appointments(booked, clinic_provider):
    data = auth_client(clinic_provider.user).get("/api/appointments").json()
    assert [item["id"] for item in data["results"]] == [booked.pk]
    stranger = ProviderFactory()
    assert auth_client(stranger.user).get("/api/appointments").json()["count"] == 0
    assert auth_client(stranger.user).get(f"/api/appointments/{booked.pk}").status_code == 404


def test_list_filters_by_status_date_provider_and_service(client_api, booked, client_user):
    second = appointment_book(
        client=client_user, provider=booked.provider, service=booked.service, start=at(16, 10)
    )
    client_api.delete(f"/api/appointments/{second.pk}")

    def ids(**params):
        response = client_api.get("/api/appointments", params)
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["results"]]

    assert ids(status="booked") == [booked.pk]
    assert ids(status="cancelled") == [second.pk]
    assert ids(start_after="2026-01-15T00:00:00Z") == [second.pk]
    assert ids(start_before="2026-01-15T00:00:00Z") == [booked.pk]
    assert ids(provider=booked.provider_id) == [booked.pk, second.pk]
    assert ids(service=booked.service_id + 1000) == []


def test_bad_filter_values_are_400_naming_them(client_api):
    response = client_api.get("/api/appointments", {"status": "lost"})
    assert response.status_code == 400
    assert "status" in response.json()["errors"]
    response = client_api.get("/api/appointments", {"start_after": "soon"})
    assert response.status_code == 400
    assert "start_after" in response.json()["errors"]


def test_detail_shows_the_reschedule_history(client_api, booked):
    client_api.put(f"/api/appointments/{booked.pk}", {"start": "2026-01-15T10:00:00Z"})
    data = client_api.get(f"/api/appointments/{booked.pk}").json()
    assert data["sequence"] == 1
    assert data["changes"][0]["old_start"] == "2026-01-14T10:00:00Z"
    assert data["changes"][0]["new_start"] == "2026-01-15T10:00:00Z"


# --- change and cancel ------------------------------------------------------------------


def test_put_reschedules_the_same_appointment(client_api, booked):
    response = client_api.put(
        f"/api/appointments/{booked.pk}", {"start": "2026-01-15T10:00:00Z", "reason": "Work"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["id"] == booked.pk
    assert response.json()["start"] == "2026-01-15T10:00:00Z"


def test_patch_edits_the_notes(client_api, booked):
    response = client_api.patch(f"/api/appointments/{booked.pk}", {"client_notes": "Left knee"})
    assert response.status_code == 200
    assert response.json()["client_notes"] == "Left knee"


@pytest.mark.parametrize("field", ["status", "provider", "service"])
def test_a_client_cannot_set_status_provider_or_service(client_api, booked, field):
    response = client_api.patch(f"/api/appointments/{booked.pk}", {field: "completed"})
    assert_refused(response, 400, field, "cannot be changed here")
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.BOOKED


def test_rescheduling_onto_a_taken_time_is_409(client_api, booked, other_client_user):
    appointment_book(
        client=other_client_user,
        provider=booked.provider,
        service=booked.service,
        start=at(15, 10),
    )
    response = client_api.put(f"/api/appointments/{booked.pk}", {"start": "2026-01-15T10:00:00Z"})
    assert_refused(response, 409, "start", "no longer available")


def test_rescheduling_inside_the_cutoff_is_400(client_user, booked):
    with time_machine.travel(at(14, 0), tick=False):
        response = auth_client(client_user).put(
            f"/api/appointments/{booked.pk}", {"start": "2026-01-16T10:00:00Z"}
        )
    assert_refused(response, 400, "start", "24 hours")


def test_delete_cancels_with_a_reason_and_keeps_the_row(client_api, booked):
    response = client_api.delete(f"/api/appointments/{booked.pk}", {"reason": "Ill"})
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["cancellation_reason"] == "Ill"
    assert Appointment.objects.filter(pk=booked.pk, status="cancelled").exists()


def test_delete_takes_the_reason_from_the_query_too(client_api, booked):
    response = client_api.delete(f"/api/appointments/{booked.pk}?reason=Travel")
    assert response.json()["cancellation_reason"] == "Travel"


def test_cancelling_twice_is_409(client_api, booked):
    client_api.delete(f"/api/appointments/{booked.pk}")
    response = client_api.delete(f"/api/appointments/{booked.pk}")
    assert_refused(response, 409, "status", "cannot be cancelled")


def test_cancelling_inside_the_cutoff_is_400_for_the_client(client_user, booked):
    with time_machine.travel(at(14, 0), tick=False):
        response = auth_client(client_user).delete(f"/api/appointments/{booked.pk}")
    assert_refused(response, 400, "start", "24 hours")


def test_provider_marks_complete_and_no_show_after_the_start(booked, clinic_provider, client_user):
    early = auth_client(clinic_provider.user).post(f"/api/appointments/{booked.pk}/complete")
    assert_refused(early, 409, "status", "before it starts")
    with time_machine.travel(at(14, 10, 40), tick=False):
        provider_api = auth_client(clinic_provider.user)
        assert (
            auth_client(client_user).post(f"/api/appointments/{booked.pk}/no-show").status_code
            == 403
        )
        response = provider_api.post(f"/api/appointments/{booked.pk}/no-show")
    assert response.status_code == 200
    assert response.json()["status"] == "no_show"


# --- availability -----------------------------------------------------------------------


def test_available_lists_slots_across_providers(client_api, clinic_provider, service):
    second = ProviderFactory(services=[service], display_name="Dr. Second")
    response = client_api.get(
        "/api/appointments/available",
        {"service": service.pk, "start": "2026-01-13T09:00:00Z", "end": "2026-01-13T10:00:00Z"},
    )
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 6
    first = data["slots"][0]
    assert first == {
        "provider": {"id": clinic_provider.pk, "name": clinic_provider.display_name},
        "service": service.pk,
        "start": "2026-01-13T09:00:00Z",
        "end": "2026-01-13T09:30:00Z",
        "local_start": "2026-01-13T09:00:00+00:00",
        "local_end": "2026-01-13T09:30:00+00:00",
        "timezone": "Europe/London",
        # Frozen at 08:00 on the 12th, a 24-hour cut-off closes at 09:00 that day.
        "change_until": "2026-01-12T09:00:00Z",
        "changeable": True,
        "seats_left": None,  # a private service
    }
    assert {slot["provider"]["id"] for slot in data["slots"]} == {clinic_provider.pk, second.pk}
    only = client_api.get(
        "/api/appointments/available",
        {
            "service": service.pk,
            "provider": second.pk,
            "start": "2026-01-13T09:00:00Z",
            "end": "2026-01-13T10:00:00Z",
        },
    ).json()
    assert {slot["provider"]["id"] for slot in only["slots"]} == {second.pk}


def test_every_offered_slot_books(client_api, service, body):
    data = client_api.get(
        "/api/appointments/available",
        {"service": service.pk, "start": "2026-01-12T00:00:00Z", "end": "2026-01-13T00:00:00Z"},
    ).json()
    assert data["slots"][0]["start"] == "2026-01-12T10:00:00Z"  # now 08:00 + 2 h notice
    response = client_api.post("/api/appointments", body(data["slots"][0]["start"]))
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("params", "field", "text"),
    [
        ({"start": "2026-01-14T00:00:00Z", "end": "2026-01-13T00:00:00Z"}, "end", "after"),
        ({"start": "2026-01-13T00:00:00Z", "end": "2026-04-13T00:00:00Z"}, "end", "60 days"),
        ({"start": "2026-01-13T00:00:00", "end": "2026-01-14T00:00:00Z"}, "start", "offset"),
        ({"start": "someday", "end": "2026-01-14T00:00:00Z"}, "start", "ISO-8601"),
        ({"start": "9999-12-30T00:00:00Z", "end": "9999-12-31T00:00:00Z"}, "start", "between"),
        ({"start": "0001-01-01T00:00:00Z", "end": "0001-01-02T00:00:00Z"}, "start", "between"),
        ({"start": "2026-02-30T00:00:00Z", "end": "2026-03-02T00:00:00Z"}, "start", "ISO-8601"),
        ({"start": "2026-01-13T00:00:00Z"}, "end", "required"),
        ({"service": 999999}, "service", "No active service"),
        ({"service": "x"}, "service", "Incorrect type"),
        ({"provider": 999999}, "provider", "No active provider"),
    ],
)
def test_available_refusals_name_the_parameter(client_api, service, params, field, text):
    query = {"service": service.pk, "start": "2026-01-13T00:00:00Z", "end": "2026-01-14T00:00:00Z"}
    query.update(params)
    if "end" not in params and field == "end":
        query.pop("end")
    response = client_api.get("/api/appointments/available", query)
    assert_refused(response, 400, field, text)


def test_an_inactive_service_is_400(client_api, service):
    service.is_active = False
    service.save()
    response = client_api.get(
        "/api/appointments/available",
        {"service": service.pk, "start": "2026-01-13T00:00:00Z", "end": "2026-01-14T00:00:00Z"},
    )
    assert_refused(response, 400, "service", "No active service")


def test_provider_availability_is_public(api_client, clinic_provider, service, booked):
    response = api_client.get(
        f"/api/providers/{clinic_provider.pk}/availability",
        {"service": service.pk, "start": "2026-01-14T09:00:00Z", "end": "2026-01-14T11:00:00Z"},
    )
    assert response.status_code == 200
    starts = [slot["start"] for slot in response.json()["slots"]]
    assert "2026-01-14T09:30:00Z" in starts
    assert "2026-01-14T10:00:00Z" not in starts  # booked
    assert "2026-01-14T09:45:00Z" not in starts


def test_provider_availability_of_unknown_or_inactive_provider_is_404(api_client, service):
    inactive = ProviderFactory(services=[service], is_active=False)
    for pk in (inactive.pk, 999999):
        response = api_client.get(
            f"/api/providers/{pk}/availability",
            {"service": service.pk, "start": "2026-01-14T09:00:00Z", "end": "2026-01-14T11:00:00Z"},
        )
        assert response.status_code == 404


def test_provider_availability_for_a_service_not_offered_is_400(api_client, clinic_provider):
    response = api_client.get(
        f"/api/providers/{clinic_provider.pk}/availability",
        {
            "service": ServiceFactory().pk,
            "start": "2026-01-14T09:00:00Z",
            "end": "2026-01-14T11:00:00Z",
        },
    )
    assert_refused(response, 400, "service", "does not offer")


# --- admin ------------------------------------------------------------------------------


def test_admin_lists_everything_and_clients_are_forbidden(admin_api, client_api, booked):
    assert admin_api.get("/api/admin/appointments").json()["count"] == 1
    assert admin_api.get("/api/admin/appointments", {"status": "cancelled"}).json()["count"] == 0
    assert client_api.get("/api/admin/appointments").status_code == 403
    assert client_api.get(f"/api/admin/appointments/{booked.pk}").status_code == 403
    assert admin_api.get(f"/api/admin/appointments/{booked.pk}").json()["id"] == booked.pk


def test_admin_override_is_explicit(admin_api, booked):
    soon = iso(at(12, 9, 30))  # inside the 2-hour notice (now is 08:00)
    refused = admin_api.put(f"/api/admin/appointments/{booked.pk}", {"start": soon})
    assert_refused(refused, 400, "start", "notice")
    response = admin_api.put(
        f"/api/admin/appointments/{booked.pk}", {"start": soon, "override_policy": True}
    )
    assert response.status_code == 200, response.content
    assert response.json()["start"] == soon


def test_admin_override_never_allows_an_overlap(admin_api, booked, other_client_user):
    other = appointment_book(
        client=other_client_user,
        provider=booked.provider,
        service=booked.service,
        start=at(15, 10),
    )
    response = admin_api.put(
        f"/api/admin/appointments/{booked.pk}",
        {"start": iso(other.start + timedelta(minutes=15)), "override_policy": True},
    )
    assert_refused(response, 409, "start", "no longer available")


def test_admin_sets_status_through_the_services(admin_api, booked):
    response = admin_api.put(
        f"/api/admin/appointments/{booked.pk}", {"status": "cancelled", "reason": "Closure"}
    )
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    again = admin_api.put(f"/api/admin/appointments/{booked.pk}", {"status": "completed"})
    assert_refused(again, 409, "status", "cannot be marked completed")


def test_admin_override_must_be_a_boolean(admin_api, booked):
    response = admin_api.put(
        f"/api/admin/appointments/{booked.pk}", {"status": "cancelled", "override_policy": "yes"}
    )
    assert_refused(response, 400, "override_policy", "true or false")


# --- routing and schema -----------------------------------------------------------------


def test_detail_route_cannot_swallow_recommended():
    # resolve() raises Resolver404, failing the test, if the path stops resolving at all.
    match = resolve("/api/appointments/recommended")
    assert match.url_name == "appointment-recommended"
    assert match.func.view_class.__name__ == "RecommendedSlotsApi"


def test_schema_documents_the_scheduling_api(admin_api):
    response = admin_api.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/appointments",
        "/api/appointments/available",
        "/api/appointments/{id}",
        "/api/providers/{id}/availability",
        "/api/admin/appointments/{id}",
    ):
        assert path in paths
    assert "requestBody" in paths["/api/appointments"]["post"]


def test_list_filters_take_any_offset_as_the_same_instant(client_api, booked):
    # -18:30 is a valid ISO offset that PostgreSQL itself refuses (at most 15:59): the filter
    # compares in UTC.
    before = client_api.get(
        "/api/appointments", {"start_before": "2026-01-13T20:00:01-18:30"}
    ).json()
    after = client_api.get("/api/appointments", {"start_after": "2026-01-14T11:00:01+01:00"})

    assert [row["id"] for row in before["results"]] == [booked.pk]  # 14:30:01 UTC on the 14th
    assert after.json()["results"] == []  # 10:00:01 UTC, after the 10:00 start


@pytest.mark.parametrize("when", ["0696-04-11T01:38:24-18:30", "3001-01-01T00:00:00Z"])
def test_list_filters_out_of_range_are_400_naming_the_parameter(client_api, when):
    response = client_api.get("/api/appointments", {"start_before": when})
    assert_refused(response, 400, "start_before", "between 1970 and 2999")
