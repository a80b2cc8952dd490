from datetime import time

import pytest
from django.urls import include, path
from drf_spectacular.generators import SchemaGenerator

from accounts.models import Role, User
from accounts.tests.factories import UserFactory
from accounts.tests.support import auth_client
from providers.models import Provider, WorkingHours
from providers.tests.factories import ProviderFactory, ServiceCategoryFactory, ServiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    physio = ServiceCategoryFactory(name="Physiotherapy", slug="physiotherapy")
    tutoring = ServiceCategoryFactory(name="Tutoring", slug="tutoring")
    massage = ServiceFactory(
        category=physio, name="Massage", duration_minutes=45, buffer_after_minutes=15
    )
    maths = ServiceFactory(category=tutoring, name="Maths", accepted_urgencies=["routine"])
    retired = ServiceFactory(category=physio, name="Retired", is_active=False)
    return {"massage": massage, "maths": maths, "retired": retired, "physio": physio}


def names(response) -> list[str]:
    return [
        item["name"] if "name" in item else item["display_name"]
        for item in response.json()["results"]
    ]


# --- services ----------------------------------------------------------------------------


def test_anyone_lists_active_services_with_category_and_timing(api_client, catalogue):
    response = api_client.get("/api/services")
    assert response.status_code == 200
    assert names(response) == ["Massage", "Maths"]
    massage = response.json()["results"][0]
    assert massage["category"] == {
        "id": catalogue["physio"].pk,
        "name": "Physiotherapy",
        "slug": "physiotherapy",
    }
    assert massage["duration_minutes"] == 45
    assert massage["buffer_after_minutes"] == 15
    assert massage["price"] == "50.00"
    assert massage["accepted_urgencies"] == ["routine", "soon", "urgent"]


@pytest.mark.parametrize("key", ["tutoring", "id"])
def test_services_filter_by_category_slug_or_id(api_client, catalogue, key):
    category = catalogue["maths"].category
    value = category.slug if key != "id" else category.pk
    response = api_client.get("/api/services", {"category": value})
    assert response.status_code == 200
    assert names(response) == ["Maths"]


def test_unknown_category_is_a_400_naming_it(api_client, catalogue):
    response = api_client.get("/api/services", {"category": "astrology"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"category"}


def test_service_detail_and_inactive_service_is_404(api_client, catalogue):
    ok = api_client.get(f"/api/services/{catalogue['maths'].pk}")
    assert ok.status_code == 200
    assert ok.json()["accepted_urgencies"] == ["routine"]
    assert api_client.get(f"/api/services/{catalogue['retired'].pk}").status_code == 404
    assert api_client.get("/api/services/999999").status_code == 404


# --- providers ---------------------------------------------------------------------------


def test_anyone_lists_active_providers_with_services_and_zone(api_client, catalogue):
    ProviderFactory(
        display_name="Dr. Active",
        bio="Knees.",
        timezone="Asia/Kolkata",
        services=[catalogue["massage"], catalogue["retired"]],
    )
    ProviderFactory(display_name="Dr. Gone", is_active=False)
    ProviderFactory(display_name="Dr. Locked", user__is_active=False)

    response = api_client.get("/api/providers")
    assert response.status_code == 200
    assert names(response) == ["Dr. Active"]
    active = response.json()["results"][0]
    assert active["bio"] == "Knees."
    assert active["timezone"] == "Asia/Kolkata"
    assert [s["name"] for s in active["services"]] == ["Massage"]


def test_providers_filter_by_service(api_client, catalogue):
    ProviderFactory(display_name="Masseur", services=[catalogue["massage"]])
    ProviderFactory(display_name="Tutor", services=[catalogue["maths"]])
    ProviderFactory(display_name="Both", services=[catalogue["maths"], catalogue["massage"]])

    response = api_client.get("/api/providers", {"service": catalogue["maths"].pk})
    assert response.status_code == 200
    assert names(response) == ["Both", "Tutor"]


@pytest.mark.parametrize("value", ["abc", "0", "999999"])
def test_bad_service_filter_is_a_400_naming_the_parameter(api_client, catalogue, value):
    response = api_client.get("/api/providers", {"service": value})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"service"}


def test_inactive_service_filter_is_a_400(api_client, catalogue):
    response = api_client.get("/api/providers", {"service": catalogue["retired"].pk})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"service"}


def test_provider_detail_shows_weekly_hours_and_inactive_is_404(api_client):
    active = ProviderFactory(hours=[(time(9), time(12)), (time(13), time(17))])
    inactive = ProviderFactory(is_active=False)

    response = api_client.get(f"/api/providers/{active.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["working_hours"][:2] == [
        {"weekday": 0, "start_time": "09:00", "end_time": "12:00"},
        {"weekday": 0, "start_time": "13:00", "end_time": "17:00"},
    ]
    assert len(body["working_hours"]) == 10
    assert api_client.get(f"/api/providers/{inactive.pk}").status_code == 404


@pytest.mark.parametrize("how_many", [2, 15])
def test_provider_list_takes_four_queries_however_many_providers(
    api_client, catalogue, django_assert_num_queries, how_many
):
    for _ in range(how_many):
        ProviderFactory(services=[catalogue["massage"], catalogue["maths"]])
    # the filter's service, count, page of providers with users, their services
    with django_assert_num_queries(4):
        response = api_client.get("/api/providers", {"service": catalogue["maths"].pk})
    assert response.json()["count"] == how_many


@pytest.mark.parametrize("how_many", [2, 15])
def test_service_list_takes_two_queries_however_many_services(
    api_client, django_assert_num_queries, how_many
):
    ServiceFactory.create_batch(how_many)
    with django_assert_num_queries(2):
        response = api_client.get("/api/services")
    assert response.json()["count"] == how_many


# --- admin: add a provider ---------------------------------------------------------------


@pytest.fixture
def payload(catalogue):
    return {
        "email": "kofi.mensah@example.com",
        "first_name": "Kofi",
        "last_name": "Mensah",
        "display_name": "Dr. Kofi Mensah",
        "bio": "Sports physiotherapist.",
        "timezone": "Africa/Johannesburg",
        "country": "ZA",
        "daily_cap": 8,
        "service_ids": [catalogue["massage"].pk],
        "working_hours": [
            {"weekday": 0, "start_time": "09:00", "end_time": "12:30"},
            {"weekday": 0, "start_time": "13:30", "end_time": "17:00"},
            {"weekday": 5, "start_time": "09:00", "end_time": "12:00"},
        ],
    }


def test_admin_adds_a_provider_and_gets_201_with_it(admin_api, payload, catalogue):
    response = admin_api.post("/api/admin/providers", payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    provider = Provider.objects.get(pk=body["id"])
    assert provider.user.role == Role.PROVIDER
    assert body["email"] == "kofi.mensah@example.com"
    assert body["timezone"] == "Africa/Johannesburg"
    assert body["daily_cap"] == 8
    assert [s["id"] for s in body["services"]] == [catalogue["massage"].pk]
    assert body["working_hours"][1] == {"weekday": 0, "start_time": "13:30", "end_time": "17:00"}
    assert "password" not in body
    # the new provider is public straight away
    assert Provider.objects.get(pk=body["id"]).working_hours.count() == 3


def test_a_provider_added_with_a_password_logs_in_through_the_api(admin_api, api_client, payload):
    password = "plum-orchard-velvet-42"
    created = admin_api.post("/api/admin/providers", {**payload, "password": password})
    assert created.status_code == 201, created.json()

    login = api_client.post(
        "/api/auth/login", {"email": payload["email"], "password": password}, format="json"
    )

    assert login.status_code == 200, login.json()
    assert login.json()["user"]["role"] == Role.PROVIDER


@pytest.mark.parametrize("role", [Role.CLIENT, Role.PROVIDER])
def test_non_admin_gets_403_and_nothing_is_written(payload, role):
    api = auth_client(UserFactory(role=role))
    response = api.post("/api/admin/providers", payload, format="json")
    assert response.status_code == 403
    assert not User.objects.filter(email=payload["email"]).exists()


def test_anonymous_gets_401(api_client, payload):
    response = api_client.post("/api/admin/providers", payload, format="json")
    assert response.status_code == 401
    assert not User.objects.filter(email=payload["email"]).exists()


def _set(payload: dict, dotted: str, value) -> dict:
    target = payload
    parts = dotted.replace("[", ".").replace("]", "").split(".")
    for part in parts[:-1]:
        target = target[int(part)] if part.isdigit() else target[part]
    last = parts[-1]
    target[int(last) if last.isdigit() else last] = value
    return payload


@pytest.mark.parametrize(
    ("change", "value", "field"),
    [
        ("timezone", "Europe/Atlantis", "timezone"),
        ("service_ids", [999999], "service_ids"),
        ("working_hours[1].start_time", "12:00", "working_hours[1].start_time"),
        ("working_hours[2].end_time", "08:00", "working_hours[2].end_time"),
        ("display_name", "D" * 121, "display_name"),
        ("bio", "b" * 4001, "bio"),
        ("email", "x" * 250 + "@example.com", "email"),
        ("email", "not-an-email", "email"),
        ("country", "XX", "country"),
        ("subdivision", "ZZ", "subdivision"),
        ("service_ids", "abc", "service_ids"),
        ("service_ids", ["abc"], "service_ids.0"),
        ("working_hours", "all day", "working_hours.non_field_errors"),
        ("working_hours[0].weekday", "monday", "working_hours[0].weekday"),
        ("working_hours[0].weekday", 7, "working_hours[0].weekday"),
        ("working_hours[0].start_time", "25:00", "working_hours[0].start_time"),
        ("daily_cap", "lots", "daily_cap"),
        ("daily_cap", 0, "daily_cap"),
        ("first_name", None, "first_name"),
        ("password", "123", "password"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(
    admin_api, payload, change, value, field
):
    users_before = User.objects.count()
    response = admin_api.post("/api/admin/providers", _set(payload, change, value), format="json")
    assert response.status_code == 400, response.content
    assert set(response.json()["errors"]) == {field}
    assert field.split(".non_field_errors")[0] in response.json()["detail"]
    assert User.objects.count() == users_before
    assert Provider.objects.count() == 0
    assert WorkingHours.objects.count() == 0


def test_missing_fields_are_each_named(admin_api):
    response = admin_api.post("/api/admin/providers", {}, format="json")
    assert response.status_code == 400
    assert {
        "email",
        "first_name",
        "last_name",
        "display_name",
        "timezone",
        "service_ids",
        "working_hours",
    } <= set(response.json()["errors"])


def test_body_that_is_not_an_object_is_a_400(admin_api):
    response = admin_api.post("/api/admin/providers", [1, 2], format="json")
    assert response.status_code == 400
    assert Provider.objects.count() == 0


def test_duplicate_email_is_a_400_naming_email(admin_api, payload):
    UserFactory(email=payload["email"])
    response = admin_api.post("/api/admin/providers", payload, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"email"}
    assert Provider.objects.count() == 0


# --- schema ------------------------------------------------------------------------------


def test_schema_documents_the_endpoints_and_their_parameters(capsys):
    generator = SchemaGenerator(patterns=[path("api/", include("providers.api.urls"))])
    schema = generator.get_schema(request=None, public=True)
    paths = schema["paths"]
    assert set(paths) == {
        "/api/services",
        "/api/services/{id}",
        "/api/providers",
        "/api/providers/{id}",
        "/api/admin/providers",
    }
    assert [p["name"] for p in paths["/api/providers"]["get"]["parameters"]] >= ["page"]
    assert "service" in {p["name"] for p in paths["/api/providers"]["get"]["parameters"]}
    assert "category" in {p["name"] for p in paths["/api/services"]["get"]["parameters"]}
    post = paths["/api/admin/providers"]["post"]
    assert "201" in post["responses"]
    assert "400" in post["responses"]
    request_schema = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert request_schema.endswith("AdminProviderCreateRequest")
    captured = capsys.readouterr()
    assert "Warning" not in captured.err and "Error" not in captured.err, captured.err


@pytest.mark.parametrize(
    "url",
    [
        "/api/services/99999999999999999999",
        "/api/providers/99999999999999999999",
        "/api/services?category=99999999999999999999",
    ],
)
def test_huge_ids_are_a_clean_4xx(api_client, url):
    response = api_client.get(url)
    assert response.status_code in (400, 404)
    assert "detail" in response.json()
