"""API keys: shown once and stored hashed, 401 for unusable keys, scopes (403 naming the
missing one, views that declare none refuse keys), bookings on behalf of a client by the
client's rules, the write log with the key's name, last-used time, and the admin flows."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services
from accounts.models import APIKey, APIKeyScope, APIKeyWrite
from accounts.tests.factories import UserFactory
from proof.support import next_weekday_at

ALL_SCOPES = list(APIKeyScope.values)


def make_key(*scopes, **kwargs) -> tuple[APIKey, str]:
    staff = kwargs.pop("created_by", None) or UserFactory(role="admin", is_staff=True)
    created = services.api_key_create(
        name=kwargs.pop("name", "CRM"), scopes=list(scopes), created_by=staff, **kwargs
    )
    return created.api_key, created.key


def key_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


@pytest.fixture
def clinic(db):
    from providers.tests.factories import ProviderFactory, ServiceFactory

    service = ServiceFactory(name="Consultation")
    provider = ProviderFactory(services=[service], display_name="Dr. One")
    client = UserFactory(role="client", email="patient@example.com")
    return {"service": service, "provider": provider, "client": client}


def _book_body(clinic, *, hour=10, weekday=1, **extra) -> dict:
    return {
        "provider": clinic["provider"].pk,
        "service": clinic["service"].pk,
        "start": next_weekday_at(weekday, hour).isoformat(),
        **extra,
    }


def test_the_key_is_returned_once_and_only_its_hash_is_stored(db):
    api_key, key = make_key(APIKeyScope.SERVICES_READ)
    api_key.refresh_from_db()
    assert key.startswith(api_key.prefix + ".")
    assert key not in (api_key.hashed_key, str(api_key.pk))
    assert key.split(".", 1)[1] not in api_key.hashed_key
    assert api_key.is_valid(key)
    assert isinstance(api_key.pk, int)  # the hash is never in a URL


def test_only_staff_create_keys(db):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.api_key_create(name="x", scopes=ALL_SCOPES, created_by=UserFactory())


def test_unknown_scopes_are_refused(db):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        make_key("appointments:delete")


@pytest.mark.parametrize("state", ["unknown", "malformed", "wrong secret", "revoked", "expired"])
def test_unusable_keys_answer_401_with_the_error_body(clinic, state):
    api_key, key = make_key(*ALL_SCOPES)
    if state == "unknown":
        key = "AbCdEfGh.nothing"
    elif state == "malformed":
        key = "no-dot-at-all"
    elif state == "wrong secret":
        key = api_key.prefix + ".wrong"
    elif state == "revoked":
        services.api_key_revoke(api_key=api_key)
    else:
        APIKey.objects.filter(pk=api_key.pk).update(
            expiry_date=timezone.now() - timedelta(seconds=1)
        )
    response = key_client(key).get("/api/services")
    assert response.status_code == 401, response.content
    body = response.json()
    assert set(body) == {"detail", "errors", "code"}
    assert body["code"].startswith("api_key_")
    assert response["WWW-Authenticate"] == "Api-Key"


def test_a_key_without_the_scope_gets_403_naming_it(clinic):
    _, key = make_key(APIKeyScope.SERVICES_READ)
    response = key_client(key).get("/api/appointments")
    assert response.status_code == 403
    assert "appointments:read" in response.json()["detail"]
    assert response.json()["code"] == "api_key_scope"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/users/profile"),
        ("get", "/api/admin/users"),
        ("get", "/api/admin/appointments"),
        ("get", "/api/notifications"),
        ("get", "/api/appointments/recommended"),
        ("get", "/api/waitlist/entries"),
        ("post", "/api/auth/login"),
        ("post", "/api/waitlist/offers/token/accept"),
        ("get", "/api/schema/"),
    ],
)
def test_a_key_with_every_scope_reaches_no_undeclared_view(clinic, method, path):
    _, key = make_key(*ALL_SCOPES)
    response = getattr(key_client(key), method)(path, {}, format="json")
    assert response.status_code == 403, (path, response.content)
    assert b"API keys cannot use this endpoint" in response.content


def test_a_key_cannot_open_the_admin_site(clinic):
    _, key = make_key(*ALL_SCOPES)
    response = key_client(key).get("/admin/")
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_services_read_reaches_the_catalogue_and_availability(clinic):
    _, key = make_key(APIKeyScope.SERVICES_READ)
    api = key_client(key)
    monday = next_weekday_at(0, 0, weeks_ahead=2)
    window = {
        "service": clinic["service"].pk,
        "start": monday.isoformat(),
        "end": (monday + timedelta(days=5)).isoformat(),
    }
    assert api.get("/api/services").status_code == 200
    assert api.get(f"/api/providers/{clinic['provider'].pk}").status_code == 200
    assert api.get("/api/appointments/available", window).status_code == 200
    response = api.get(f"/api/providers/{clinic['provider'].pk}/availability", window)
    assert response.status_code == 200
    assert response.json()["count"] > 0
    assert api.post("/api/appointments", _book_body(clinic), format="json").status_code == 403


def test_booking_on_behalf_of_a_client_is_made_as_the_client_and_logged(clinic):
    api_key, key = make_key(APIKeyScope.APPOINTMENTS_WRITE, name="Patient record")
    body = _book_body(clinic, client=clinic["client"].pk)
    response = key_client(key).post("/api/appointments", body, format="json")
    assert response.status_code == 201, response.content
    from scheduling.models import Appointment

    appointment = Appointment.objects.get(pk=response.json()["id"])
    assert appointment.client == clinic["client"]
    write = APIKeyWrite.objects.get()
    assert (write.key, write.key_name, write.method, write.path) == (
        api_key,
        "Patient record",
        "POST",
        "/api/appointments",
    )
    assert (write.status_code, write.appointment_id) == (201, appointment.pk)


def test_booking_with_a_key_needs_a_client(clinic):
    _, key = make_key(APIKeyScope.APPOINTMENTS_WRITE)
    api = key_client(key)
    response = api.post("/api/appointments", _book_body(clinic), format="json")
    assert response.status_code == 400
    assert "client" in response.json()["errors"]
    for someone in (999999, clinic["provider"].user.pk, UserFactory(role="admin").pk):
        response = api.post("/api/appointments", _book_body(clinic, client=someone), format="json")
        assert response.status_code == 400, someone
        assert list(response.json()["errors"]) == ["client"]


def test_without_a_key_the_client_field_is_still_refused(clinic):
    from accounts.tests.support import auth_client

    api = auth_client(clinic["client"])
    response = api.post(
        "/api/appointments", _book_body(clinic, client=clinic["client"].pk), format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["client"]


def test_the_clients_per_day_limit_applies_to_a_key(clinic):
    from scheduling.models import BookingPolicy

    policy = BookingPolicy.load()
    policy.max_client_appointments_per_day = 1
    policy.save()
    _, key = make_key(APIKeyScope.APPOINTMENTS_WRITE)
    api = key_client(key)
    first = api.post(
        "/api/appointments", _book_body(clinic, client=clinic["client"].pk), format="json"
    )
    assert first.status_code == 201, first.content
    second = api.post(
        "/api/appointments",
        _book_body(clinic, hour=14, client=clinic["client"].pk),
        format="json",
    )
    assert second.status_code == 400, second.content
    assert APIKeyWrite.objects.filter(status_code=400).count() == 1


def test_the_clients_cut_off_applies_to_a_key(clinic):
    from scheduling.models import BookingPolicy
    from scheduling.tests.factories import AppointmentFactory

    policy = BookingPolicy.load()
    policy.client_cutoff_hours = 24
    policy.save()
    soon = (timezone.now() + timedelta(hours=3)).replace(minute=0, second=0, microsecond=0)
    appointment = AppointmentFactory(
        client=clinic["client"], provider=clinic["provider"], service=clinic["service"], start=soon
    )
    _, key = make_key(APIKeyScope.APPOINTMENTS_WRITE)
    response = key_client(key).delete(f"/api/appointments/{appointment.pk}")
    assert response.status_code == 400, response.content
    appointment.refresh_from_db()
    assert appointment.status == "booked"


def test_reschedule_and_cancel_with_a_key_act_as_the_client(clinic):
    from scheduling.services import appointment_book

    appointment = appointment_book(
        client=clinic["client"],
        provider=clinic["provider"],
        service=clinic["service"],
        start=next_weekday_at(1, 10, weeks_ahead=2),
        actor=clinic["client"],
    )
    api_key, key = make_key(APIKeyScope.APPOINTMENTS_WRITE, APIKeyScope.APPOINTMENTS_READ)
    api = key_client(key)
    new_start = next_weekday_at(2, 11, weeks_ahead=2).isoformat()
    moved = api.patch(f"/api/appointments/{appointment.pk}", {"start": new_start}, format="json")
    assert moved.status_code == 200, moved.content
    cancelled = api.delete(f"/api/appointments/{appointment.pk}")
    assert cancelled.status_code == 200, cancelled.content
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"
    assert appointment.cancelled_by == clinic["client"]
    assert list(
        APIKeyWrite.objects.order_by("at", "pk").values_list("method", "appointment_id")
    ) == [
        ("PATCH", appointment.pk),
        ("DELETE", appointment.pk),
    ]


def test_appointments_read_sees_every_clients_appointments(clinic):
    from scheduling.tests.factories import AppointmentFactory

    others = [
        AppointmentFactory(
            provider=clinic["provider"],
            service=clinic["service"],
            start=next_weekday_at(weekday, 10),
        )
        for weekday in (1, 2)
    ]
    _, key = make_key(APIKeyScope.APPOINTMENTS_READ)
    api = key_client(key)
    listed = api.get("/api/appointments", {"page_size": 100})
    assert listed.status_code == 200
    assert {item["id"] for item in listed.json()["results"]} == {a.pk for a in others}
    assert api.get(f"/api/appointments/{others[0].pk}").status_code == 200
    assert api.patch(f"/api/appointments/{others[0].pk}", {"client_notes": "x"}).status_code == 403
    assert not APIKeyWrite.objects.exclude(status_code=403).exists()


def test_the_key_principal_is_never_staff_nor_a_person(clinic):
    from accounts.principals import APIKeyPrincipal, is_api_key

    api_key, _ = make_key(*ALL_SCOPES)
    principal = APIKeyPrincipal.of(api_key)
    assert is_api_key(principal)
    assert principal.is_authenticated and not principal.is_staff_member
    assert principal.pk is None and not principal.is_superuser


def test_last_used_at_is_written_at_most_once_a_minute(clinic):
    import time_machine

    api_key, key = make_key(APIKeyScope.SERVICES_READ)
    api = key_client(key)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert api.get("/api/services").status_code == 200
    api_key.refresh_from_db()
    assert api_key.last_used_at == start
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        api.get("/api/services")
    api_key.refresh_from_db()
    assert api_key.last_used_at == start
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        api.get("/api/services")
    api_key.refresh_from_db()
    assert api_key.last_used_at == start + timedelta(seconds=61)


def test_analytics_read_reaches_the_analytics_api(clinic):
    _, key = make_key(APIKeyScope.ANALYTICS_READ)
    api = key_client(key)
    assert api.get("/api/admin/analytics/bookings").status_code == 200
    assert api.get("/api/admin/analytics/users").status_code == 200
    _, other = make_key(APIKeyScope.APPOINTMENTS_READ)
    assert key_client(other).get("/api/admin/analytics/bookings").status_code == 403


def test_the_schema_documents_the_key_scheme(db):
    response = APIClient().get("/api/schema/", {"format": "json"})
    scheme = response.json()["components"]["securitySchemes"]["apiKey"]
    assert scheme["type"] == "apiKey"
    assert scheme["in"] == "header"
    assert scheme["name"] == "Authorization"
    assert "Api-Key <key>" in scheme["description"]


# --- the admin -------------------------------------------------------------------------


@pytest.fixture
def staff_browser(db, client):
    staff = UserFactory(role="admin", is_staff=True, is_superuser=True)
    client.force_login(staff, backend="django.contrib.auth.backends.ModelBackend")
    client.staff = staff
    return client


def test_staff_create_a_key_in_the_admin_and_see_it_once(staff_browser):
    response = staff_browser.post(
        reverse("admin:accounts_apikey_add"),
        {"name": "Chatbot", "scopes": ["services:read", "appointments:write"], "expiry_date": ""},
        follow=True,
    )
    assert response.status_code == 200
    api_key = APIKey.objects.get()
    assert api_key.created_by == staff_browser.staff
    assert api_key.scopes == ["appointments:write", "services:read"]
    shown = [str(m) for m in response.context["messages"] if "The API key for" in str(m)]
    assert len(shown) == 1 and f"{api_key.prefix}." in shown[0]
    key = shown[0].split("is: ", 1)[1].split(" ", 1)[0]
    assert api_key.is_valid(key)
    assert key_client(key).get("/api/services").status_code == 200
    page = staff_browser.get(reverse("admin:accounts_apikey_change", args=[api_key.pk]))
    assert page.status_code == 200
    assert key not in page.content.decode()
    assert api_key.hashed_key not in page.content.decode()


def test_staff_revoke_keys_at_once(staff_browser):
    api_key, key = make_key(APIKeyScope.SERVICES_READ, created_by=staff_browser.staff)
    assert key_client(key).get("/api/services").status_code == 200
    response = staff_browser.post(
        reverse("admin:accounts_apikey_changelist"),
        {"action": "revoke_keys", "_selected_action": [api_key.pk]},
        follow=True,
    )
    assert response.status_code == 200
    api_key.refresh_from_db()
    assert api_key.revoked
    assert key_client(key).get("/api/services").status_code == 401


def test_the_key_page_shows_its_writes(staff_browser, clinic):
    api_key, key = make_key(APIKeyScope.APPOINTMENTS_WRITE, name="Billing")
    key_client(key).post(
        "/api/appointments", _book_body(clinic, client=clinic["client"].pk), format="json"
    )
    page = staff_browser.get(reverse("admin:accounts_apikey_change", args=[api_key.pk]))
    text = page.content.decode()
    assert "Writes made with this key" in text
    assert "/api/appointments" in text and "201" in text
    listing = staff_browser.get(reverse("admin:accounts_apikey_changelist"))
    assert "Billing" in listing.content.decode()


@pytest.mark.parametrize("pk", [2**63, 10**30])
def test_a_write_to_an_id_no_row_can_have_is_logged_without_it(clinic, pk):
    """The path's id is any number; the log keeps the write and leaves the id out rather
    than failing (PostgreSQL's bigint overflow would otherwise poison the transaction)."""
    _, key = make_key("appointments:write")
    response = key_client(key).delete(f"/api/appointments/{pk}")

    assert response.status_code == 404
    write = APIKeyWrite.objects.get()
    assert (write.method, write.status_code, write.appointment_id) == ("DELETE", 404, None)
    assert write.path == f"/api/appointments/{pk}"
