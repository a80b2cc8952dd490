"""The admin users API: admin role only, filters, edits, delete that keeps history."""

from datetime import UTC, datetime

import pytest
from allauth.account.models import EmailAddress

from accounts.models import Role, User
from accounts.tests.factories import UserFactory, verified_user
from accounts.tests.support import auth_client
from providers.tests.factories import ServiceFactory
from scheduling.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/admin/users"),
        ("get", "/api/admin/users/{id}"),
        ("put", "/api/admin/users/{id}"),
        ("patch", "/api/admin/users/{id}"),
        ("delete", "/api/admin/users/{id}"),
    ],
)
@pytest.mark.parametrize("role", [Role.CLIENT, Role.PROVIDER])
def test_non_admins_get_403_and_anonymous_401(api_client, other_client_user, method, path, role):
    url = path.format(id=other_client_user.pk)
    user = UserFactory(role=role)

    assert getattr(auth_client(user), method)(url, {}, format="json").status_code == 403
    assert getattr(api_client, method)(url, {}, format="json").status_code == 401
    other_client_user.refresh_from_db()
    assert other_client_user.is_active


def test_list_filters_by_role_activity_and_search(admin_api, admin_user):
    UserFactory(email="zara@example.com", first_name="Zara", role=Role.CLIENT)
    UserFactory(email="yan@example.com", first_name="Yan", role=Role.PROVIDER)
    UserFactory(email="xia@example.com", last_name="Quill", role=Role.CLIENT, is_active=False)

    def emails(query: str) -> list[str]:
        response = admin_api.get(f"/api/admin/users{query}")
        assert response.status_code == 200
        return [row["email"] for row in response.json()["results"]]

    assert emails("?role=provider") == ["yan@example.com"]
    assert emails("?role=client&is_active=false") == ["xia@example.com"]
    assert emails("?search=quill") == ["xia@example.com"]
    assert emails("?search=ZARA") == ["zara@example.com"]
    assert len(emails("")) == 4
    assert admin_api.get("/api/admin/users").json()["count"] == 4


def test_list_refuses_an_unknown_role_naming_it(admin_api):
    response = admin_api.get("/api/admin/users?role=wizard")

    assert response.status_code == 400
    assert "role" in response.json()["errors"]


def test_detail_and_404(admin_api, client_user):
    body = admin_api.get(f"/api/admin/users/{client_user.pk}").json()

    assert body["email"] == client_user.email
    assert "password" not in body
    assert admin_api.get("/api/admin/users/999999").status_code == 404


def test_admin_changes_role_names_and_timezone(admin_api, client_user):
    response = admin_api.patch(
        f"/api/admin/users/{client_user.pk}",
        {"role": "admin", "first_name": "Promoted", "timezone": "Asia/Tokyo"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    client_user.refresh_from_db()
    assert (client_user.role, client_user.first_name, client_user.timezone) == (
        "admin",
        "Promoted",
        "Asia/Tokyo",
    )
    assert client_user.is_staff is True


@pytest.mark.parametrize(
    ("field", "value"),
    [("role", "wizard"), ("timezone", "Nowhere/Land"), ("is_active", "no"), ("phone", "9" * 40)],
)
def test_admin_update_bad_input_is_400_naming_field(admin_api, client_user, field, value):
    response = admin_api.put(
        f"/api/admin/users/{client_user.pk}", {"first_name": "Nope", field: value}, format="json"
    )

    assert response.status_code == 400
    assert field in response.json()["errors"]
    client_user.refresh_from_db()
    assert client_user.first_name != "Nope"


def test_deactivating_revokes_refresh_tokens(admin_api, api_client):
    user = verified_user(email="ann@example.com")
    tokens = api_client.post(
        "/api/auth/login", {"email": "ann@example.com", "password": "correct-horse-battery-9"}
    ).json()

    admin_api.patch(f"/api/admin/users/{user.pk}", {"is_active": False}, format="json")

    refused = api_client.post("/api/auth/refresh", {"refresh": tokens["refresh"]}, format="json")
    assert refused.status_code == 401


def test_admin_cannot_deactivate_demote_or_delete_themselves(admin_api, admin_user):
    url = f"/api/admin/users/{admin_user.pk}"

    assert admin_api.patch(url, {"is_active": False}, format="json").status_code == 400
    assert admin_api.patch(url, {"role": "client"}, format="json").status_code == 400
    assert admin_api.delete(url).status_code == 400
    admin_user.refresh_from_db()
    assert admin_user.is_active and admin_user.role == Role.ADMIN


def test_delete_anonymises_and_keeps_appointment_history(admin_api, client_user, provider):
    service = ServiceFactory()
    start = datetime(2026, 1, 5, 10, tzinfo=UTC)
    appointment = AppointmentFactory(
        client=client_user, provider=provider, service=service, start=start
    )
    EmailAddress.objects.create(user=client_user, email=client_user.email, verified=True)

    response = admin_api.delete(f"/api/admin/users/{client_user.pk}")

    assert response.status_code == 204
    user = User.objects.get(pk=client_user.pk)
    assert user.email == f"deleted-{user.pk}@invalid"
    assert (user.first_name, user.last_name, user.phone, user.is_active) == ("", "", "", False)
    assert not user.has_usable_password()
    assert not EmailAddress.objects.filter(user=user).exists()
    appointment.refresh_from_db()
    assert appointment.client_id == user.pk
    assert admin_api.get(f"/api/admin/users/{user.pk}").json()["is_active"] is False
