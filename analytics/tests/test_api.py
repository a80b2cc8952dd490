"""The admin analytics API: permissions, parameters, and the dashboard's numbers as JSON."""

import pytest

from accounts.tests.support import auth_client

BOOKINGS = "/api/admin/analytics/bookings"
USERS = "/api/admin/analytics/users"
WEEK = {"start": "2026-03-02", "end": "2026-03-08", "tz": "UTC"}


@pytest.mark.parametrize("url", [BOOKINGS, USERS])
def test_anonymous_gets_401(api_client, url, db):
    assert api_client.get(url).status_code == 401


@pytest.mark.parametrize("url", [BOOKINGS, USERS])
def test_client_gets_403(client_api, url):
    response = client_api.get(url)
    assert response.status_code == 403
    assert "administrators" in response.json()["detail"]


@pytest.mark.parametrize("url", [BOOKINGS, USERS])
def test_provider_gets_403(provider, url):
    assert auth_client(provider.user).get(url).status_code == 403


def test_admin_gets_the_weeks_booking_figures(clinic, admin_api):
    response = admin_api.get(BOOKINGS, WEEK)
    assert response.status_code == 200
    body = response.json()
    assert body["range"] == {
        "start": "2026-03-02",
        "end": "2026-03-08",
        "timezone": "UTC",
        "provider": None,
        "service": None,
    }
    assert body["previous_range"]["start"] == "2026-02-23"
    assert body["figures"]["bookings"] == 6
    assert body["figures"]["cancellations"] == 2
    assert round(body["figures"]["cancellation_rate"], 3) == 0.333
    assert body["figures"]["no_show_rate"] == 0.25
    assert body["figures"]["working_minutes"] == 3360
    assert body["previous"]["bookings"] == 2
    assert body["change"]["bookings"] == 4
    assert [row["bookings"] for row in body["series"]["bookings_per_day"]] == [2, 2, 0, 1, 1, 0, 0]
    assert len(body["series"]["heatmap"]) == 7 * 24
    assert len(body["series"]["forecast"]) == 14
    assert body["series"]["services"][0] == {
        "service_id": clinic["short"].id,
        "service": "Check-up",
        "bookings": 4,
        "cancellations": 1,
    }


def test_filters_apply_to_the_api(clinic, admin_api):
    body = admin_api.get(BOOKINGS, {**WEEK, "provider": clinic["b"].id}).json()
    assert body["figures"]["bookings"] == 3
    assert body["range"]["provider"] == clinic["b"].id
    body = admin_api.get(BOOKINGS, {**WEEK, "service": clinic["long"].id}).json()
    assert body["figures"]["bookings"] == 2


def test_default_range_is_the_last_30_days(clinic, admin_api):
    body = admin_api.get(BOOKINGS, {"tz": "UTC"}).json()
    assert body["range"]["start"] == "2026-02-15"
    assert body["range"]["end"] == "2026-03-16"
    assert body["figures"]["bookings"] == 8  # both fixture weeks fall in it


def test_default_zone_is_the_admins(admin_user, clinic):
    admin_user.timezone = "Asia/Tokyo"
    admin_user.save()
    body = auth_client(admin_user).get(BOOKINGS, {"start": "2026-03-02"}).json()
    assert body["range"]["timezone"] == "Asia/Tokyo"
    assert body["range"]["end"] == "2026-03-31"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "yesterday"}, "start"),
        ({"end": "2026-13-01"}, "end"),
        ({"start": "2026-03-08", "end": "2026-03-02"}, "end"),
        ({"start": "2024-01-01", "end": "2026-03-02"}, "start"),
        ({"provider": "abc"}, "provider"),
        ({"provider": "999999"}, "provider"),
        ({"service": "-1"}, "service"),
        ({"tz": "Mars/Olympus"}, "tz"),
        # Past the years a report may cover (pandas' days end in 2262; 2324 was a 500).
        ({"end": "2324-06-11"}, "end"),
        ({"start": "2324-06-01", "end": "2324-06-11"}, "start"),
        ({"start": "0001-01-01"}, "start"),
        ({"end": "0001-01-05"}, "end"),
    ],
)
@pytest.mark.parametrize("url", [BOOKINGS, USERS])
def test_bad_parameters_give_400_naming_the_parameter(admin_api, url, params, field):
    response = admin_api.get(url, params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_admin_gets_user_figures(clinic, admin_api):
    response = admin_api.get(USERS, WEEK)
    assert response.status_code == 200
    body = response.json()
    assert body["new_clients"] == 2
    assert body["previous_new_clients"] == 1
    assert body["change"] == 1
    assert body["new_clients_per_day"][0] == {"date": "2026-03-02", "new_clients": 1}
    assert body["active_users_by_role"]["client"] >= 5


def test_schema_documents_the_analytics_endpoints(admin_api):
    response = admin_api.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    parameters = {p["name"] for p in paths[BOOKINGS]["get"]["parameters"]}
    assert {"start", "end", "provider", "service", "tz"} <= parameters
    assert USERS in paths
