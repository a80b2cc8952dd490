"""The external calendars API: a provider connects, picks calendars, syncs now and sees the
state; unknown fields and bad input are 400s naming the field; others' connections are 404;
the app password never comes back, in answers, logs or the admin."""

import logging
from datetime import timedelta

import pytest

from accounts.tests.support import auth_client
from calendars.models import CalendarConnection
from calendars.tests.conftest import PASSWORD, USER
from calendars.tests.support import vcalendar, vevent
from providers.models import ExternalBusy
from providers.tests.factories import ProviderFactory

pytestmark = pytest.mark.usefixtures("frozen_now")

URL = "/api/calendars/connections"
ICS = vcalendar(vevent("meeting", "DTSTART:20260114T130000Z", "DTEND:20260114T140000Z"))


@pytest.fixture
def provider_api(cal_provider):
    return auth_client(cal_provider.user)


@pytest.fixture
def caldav_connection(provider_api, radicale):
    radicale.make_calendar(USER, PASSWORD, "Work")
    radicale.make_calendar(USER, PASSWORD, "Family")
    answer = provider_api.post(
        URL,
        {"kind": "caldav", "url": radicale.url, "username": USER, "password": PASSWORD},
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    return answer.json()


def test_subscribing_imports_at_once_and_shows_the_state(provider_api, files):
    files.serve("/secret-abc123/basic.ics", ICS)
    answer = provider_api.post(
        URL, {"kind": "ics", "url": files.url("/secret-abc123/basic.ics")}, format="json"
    )
    assert answer.status_code == 201
    body = answer.json()
    assert body["events_imported"] == 1 and body["last_error"] == ""
    assert body["last_success_at"] == "2026-01-12T08:00:00Z"
    assert body["address"] == "http://127.0.0.1/…"  # the secret address is not shown back
    assert "secret-abc123" not in answer.content.decode()
    assert body["stale"] is False
    assert [c["id"] for c in provider_api.get(URL).json()] == [body["id"]]


def test_sync_now_reports_a_failure_in_plain_words(provider_api, files, frozen_now, time_machine):
    files.serve("/cal.ics", ICS)
    created = provider_api.post(URL, {"kind": "ics", "url": files.url("/cal.ics")}, format="json")
    files.routes.pop("/cal.ics")
    time_machine.move_to(frozen_now + timedelta(minutes=1), tick=False)

    answer = provider_api.post(f"{URL}/{created.json()['id']}/sync")

    assert answer.status_code == 200
    body = answer.json()
    assert body["last_error"] == "the server has no calendar at this address (404)"
    assert body["state"].startswith("Failing: the server has no calendar")
    assert body["events_imported"] == 1 and ExternalBusy.objects.count() == 1
    # Asked again at once, the server is spared.
    again = provider_api.post(f"{URL}/{created.json()['id']}/sync")
    assert again.status_code == 429 and again.json()["code"] == "sync_too_soon"


def test_a_sync_already_running_answers_409(provider_api, files, frozen_now, time_machine):
    files.serve("/cal.ics", ICS)
    created = provider_api.post(URL, {"kind": "ics", "url": files.url("/cal.ics")}, format="json")
    CalendarConnection.objects.update(claimed_until=frozen_now.replace(hour=9))
    time_machine.move_to(frozen_now + timedelta(minutes=1), tick=False)
    answer = provider_api.post(f"{URL}/{created.json()['id']}/sync")
    assert answer.status_code == 409
    assert answer.json()["code"] == "sync_running"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "ics"}, "url"),
        ({"kind": "outlook", "url": "https://example.com/a.ics"}, "kind"),
        ({"kind": "ics", "url": 12}, "url"),
        ({"kind": "ics", "url": "https://example.com/a.ics", "colour": "red"}, "colour"),
        ({"kind": "caldav", "url": "https://example.com/dav/", "username": "a"}, "password"),
        ({"kind": "ics", "url": "https://example.com/a.ics", "password": "x"}, "password"),
        ({"kind": "ics", "url": "http://10.0.0.8/cal.ics"}, "url"),
        ({"kind": "caldav", "url": "http://10.0.0.8/", "username": "a", "password": "b"}, "url"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(provider_api, body, field):
    answer = provider_api.post(URL, body, format="json")
    assert answer.status_code == 400
    assert field in answer.json()["errors"]
    assert not CalendarConnection.objects.exists()


def test_clients_cannot_connect_calendars(client_api):
    answer = client_api.post(URL, {"kind": "ics", "url": "https://example.com/a"}, format="json")
    assert answer.status_code == 403
    assert client_api.get(URL).json() == []


def test_another_providers_connection_is_404(provider_api, files, service):
    files.serve("/cal.ics", ICS)
    created = provider_api.post(URL, {"kind": "ics", "url": files.url("/cal.ics")}, format="json")
    other = auth_client(ProviderFactory(services=[service]).user)
    pk = created.json()["id"]
    for method, path in (
        ("get", f"{URL}/{pk}"),
        ("delete", f"{URL}/{pk}"),
        ("post", f"{URL}/{pk}/sync"),
        ("put", f"{URL}/{pk}/calendars"),
    ):
        assert getattr(other, method)(path, {}, format="json").status_code == 404
    assert other.get(URL).json() == []
    assert CalendarConnection.objects.filter(pk=pk).exists()


def test_disconnecting_frees_the_busy_time(provider_api, files):
    files.serve("/cal.ics", ICS)
    created = provider_api.post(URL, {"kind": "ics", "url": files.url("/cal.ics")}, format="json")
    assert ExternalBusy.objects.count() == 1
    assert provider_api.delete(f"{URL}/{created.json()['id']}").status_code == 204
    assert not ExternalBusy.objects.exists() and not CalendarConnection.objects.exists()


def test_a_caldav_account_lists_its_calendars_and_the_provider_picks(
    provider_api, caldav_connection
):
    names = sorted(c["name"] for c in caldav_connection["calendars"])
    assert names == ["Family", "Work"]
    assert all(c["counts_as_busy"] for c in caldav_connection["calendars"])
    work = next(c for c in caldav_connection["calendars"] if c["name"] == "Work")
    answer = provider_api.put(
        f"{URL}/{caldav_connection['id']}/calendars",
        {"busy_calendars": [work["id"]], "receiving_calendar": work["id"]},
        format="json",
    )
    assert answer.status_code == 200
    chosen = {
        c["name"]: (c["counts_as_busy"], c["receives_appointments"])
        for c in answer.json()["calendars"]
    }
    assert chosen == {"Work": (True, True), "Family": (False, False)}

    refused = provider_api.put(
        f"{URL}/{caldav_connection['id']}/calendars",
        {"busy_calendars": [999], "receiving_calendar": None},
        format="json",
    )
    assert refused.status_code == 400 and "busy_calendars" in refused.json()["errors"]


def test_the_app_password_never_comes_back_nor_reaches_the_logs(
    provider_api, radicale, caplog, admin_user, client, frozen_now, time_machine
):
    radicale.make_calendar(USER, PASSWORD, "Work")
    caplog.set_level(logging.DEBUG)
    created = provider_api.post(
        URL,
        {"kind": "caldav", "url": radicale.url, "username": USER, "password": PASSWORD},
        format="json",
    )
    pk = created.json()["id"]
    time_machine.move_to(frozen_now + timedelta(minutes=1), tick=False)
    answers = [
        created,
        provider_api.get(URL),
        provider_api.get(f"{URL}/{pk}"),
        provider_api.post(f"{URL}/{pk}/sync"),
    ]
    client.force_login(admin_user)
    answers += [
        client.get("/admin/calendars/calendarconnection/"),
        client.get(f"/admin/calendars/calendarconnection/{pk}/change/"),
    ]
    for answer in answers:
        assert answer.status_code in (200, 201), answer
        assert PASSWORD not in answer.content.decode()
    assert "password" not in created.json()
    stored = CalendarConnection.objects.get(pk=pk).password_encrypted
    assert stored and PASSWORD not in stored
    assert caplog.records  # the libraries did log at DEBUG
    assert not [r for r in caplog.records if PASSWORD in r.getMessage()]


def test_the_endpoints_are_in_the_schema(api_client):
    schema = api_client.get("/api/schema/", {"format": "json"}).json()
    assert {
        "/api/calendars/connections",
        "/api/calendars/connections/{id}",
        "/api/calendars/connections/{id}/calendars",
        "/api/calendars/connections/{id}/sync",
    } <= set(schema["paths"])


def test_a_deleted_provider_takes_their_connections_and_busy_time(cal_provider, files):
    from calendars import services

    files.serve("/cal.ics", ICS)
    services.connection_create_ics(
        provider=cal_provider, url=files.url("/cal.ics"), actor=cal_provider.user
    )
    cal_provider.delete()
    assert not CalendarConnection.objects.exists() and not ExternalBusy.objects.exists()
