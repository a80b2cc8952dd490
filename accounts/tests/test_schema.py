"""The OpenAPI schema documents every accounts endpoint; Swagger UI needs no network."""

import re

import pytest

pytestmark = pytest.mark.django_db

ACCOUNTS_PATHS = {
    "/api/auth/register": {"post"},
    "/api/auth/login": {"post"},
    "/api/auth/logout": {"post"},
    "/api/auth/refresh": {"post"},
    "/api/auth/password/reset": {"post"},
    "/api/auth/password/reset/{token}": {"put"},
    "/api/users/profile": {"get", "put", "patch"},
    "/api/admin/users": {"get"},
    "/api/admin/users/{user_id}": {"get", "put", "patch", "delete"},
}


@pytest.fixture
def schema(api_client) -> dict:
    response = api_client.get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def test_schema_lists_every_auth_profile_and_admin_user_path(schema):
    for path, methods in ACCOUNTS_PATHS.items():
        assert path in schema["paths"], path
        assert methods <= set(schema["paths"][path]), path


def test_schema_documents_request_bodies_and_responses(schema):
    login = schema["paths"]["/api/auth/login"]["post"]
    assert "application/json" in login["requestBody"]["content"]
    assert {"200", "401", "403", "429"} <= set(login["responses"])
    profile_put = schema["paths"]["/api/users/profile"]["put"]
    body_ref = profile_put["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = schema["components"]["schemas"][body_ref.rsplit("/", 1)[1]]
    assert {"timezone", "preferred_weekdays", "reminder_lead_minutes"} <= set(body["properties"])


def test_swagger_ui_renders_from_our_own_static_files(api_client):
    response = api_client.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets, "expected the page to load Swagger UI assets"
    assert all(not asset.startswith(("http:", "https:", "//")) for asset in assets), assets
    assert "cdn.jsdelivr" not in html and "unpkg" not in html


def test_admin_user_list_is_documented_as_a_page(schema):
    content = schema["paths"]["/api/admin/users"]["get"]["responses"]["200"]["content"]
    ref = content["application/json"]["schema"]["$ref"]
    page = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]

    assert {"count", "next", "previous", "results"} <= set(page["properties"])
