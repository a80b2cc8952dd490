"""The provider's calendars page: subscribe, see the state, sync now, pick CalDAV calendars,
disconnect; errors shown on the page; others' connections 404; linked from My schedule."""

from datetime import timedelta

import pytest

from calendars.models import CalendarConnection
from calendars.tests.conftest import PASSWORD, USER
from calendars.tests.support import vcalendar, vevent
from providers.models import ExternalBusy
from providers.tests.factories import ProviderFactory

pytestmark = pytest.mark.usefixtures("frozen_now")

ICS = vcalendar(vevent("meeting", "DTSTART:20260114T130000Z", "DTEND:20260114T140000Z"))


@pytest.fixture
def page(client, cal_provider):
    client.force_login(cal_provider.user)
    return client


def test_the_schedule_links_to_the_calendars_page(page):
    assert 'href="/schedule/calendars"' in page.get("/schedule").content.decode()


def test_subscribing_shows_the_state_and_sync_now(page, files, frozen_now, time_machine):
    files.serve("/cal.ics", ICS)
    answer = page.post(
        "/schedule/calendars/subscribe", {"url": files.url("/cal.ics"), "name": "Clinic"}
    )
    assert answer.status_code == 302
    html = page.get("/schedule/calendars").content.decode()
    assert "Clinic" in html and "Synced: 1 busy times imported." in html
    assert "/cal.ics" not in html  # the address is secret: only its host is shown

    files.routes.clear()
    connection = CalendarConnection.objects.get()
    time_machine.move_to(frozen_now + timedelta(minutes=1), tick=False)
    followed = page.post(f"/schedule/calendars/{connection.pk}/sync", follow=True)
    html = followed.content.decode()
    assert "Failing: the server has no calendar at this address (404)." in html
    assert ExternalBusy.objects.count() == 1


def test_a_refused_address_is_shown_on_the_form(page):
    answer = page.post("/schedule/calendars/subscribe", {"url": "http://192.168.1.4/c.ics"})
    assert answer.status_code == 400
    assert "the address 192.168.1.4 is private and not allowed" in answer.content.decode()
    assert not CalendarConnection.objects.exists()


def test_a_caldav_account_is_connected_and_its_calendars_chosen(page, radicale):
    radicale.make_calendar(USER, PASSWORD, "Work")
    radicale.make_calendar(USER, PASSWORD, "Family")
    answer = page.post(
        "/schedule/calendars/caldav",
        {"url": radicale.url, "username": USER, "password": PASSWORD, "name": "Radicale"},
    )
    assert answer.status_code == 302
    html = page.get("/schedule/calendars").content.decode()
    assert PASSWORD not in html and "Work" in html and "Family" in html
    connection = CalendarConnection.objects.get()
    work = connection.calendars.get(name="Work")
    page.post(
        f"/schedule/calendars/{connection.pk}/calendars",
        {"busy": [str(work.pk)], "receiving": str(work.pk)},
    )
    chosen = {
        c.name: (c.counts_as_busy, c.receives_appointments) for c in connection.calendars.all()
    }
    assert chosen == {"Work": (True, True), "Family": (False, False)}


def test_a_wrong_password_is_shown_on_the_form(page, radicale):
    answer = page.post(
        "/schedule/calendars/caldav",
        {"url": radicale.url, "username": USER, "password": "nope"},
    )
    assert answer.status_code == 400
    assert "the password was refused" in answer.content.decode()


def test_another_providers_connection_is_404_and_clients_are_turned_away(
    client, files, cal_provider, service, client_user
):
    files.serve("/cal.ics", ICS)
    client.force_login(cal_provider.user)
    client.post("/schedule/calendars/subscribe", {"url": files.url("/cal.ics")})
    pk = CalendarConnection.objects.get().pk
    client.force_login(ProviderFactory(services=[service]).user)
    for path in ("sync", "disconnect", "calendars"):
        assert client.post(f"/schedule/calendars/{pk}/{path}").status_code == 404
    assert CalendarConnection.objects.filter(pk=pk).exists()
    client.force_login(client_user)
    assert client.get("/schedule/calendars").status_code == 403


def test_disconnecting_removes_the_busy_time(page, files):
    files.serve("/cal.ics", ICS)
    page.post("/schedule/calendars/subscribe", {"url": files.url("/cal.ics")})
    pk = CalendarConnection.objects.get().pk
    assert page.post(f"/schedule/calendars/{pk}/disconnect").status_code == 302
    assert not ExternalBusy.objects.exists()
