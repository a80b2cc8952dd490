"""A visitor browses free times without an account, chooses one, logs in, and is brought back
to the same time to confirm it; a time taken meanwhile is said to be gone."""

import re
from urllib.parse import parse_qs, urlparse

import pytest

from e2e.support import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _visitor_chooses_a_time(page, service, provider):
    page.goto(f"/book?service={service.pk}&provider={provider.pk}")
    page.wait_for_selector("#browse:not([aria-busy]) .sb-day button.sb-slot")
    assert page.locator("#recommended").is_hidden()  # recommendations are for clients
    zone = page.locator("[data-zone-label]").first.inner_text()
    assert zone == "Europe/Madrid"  # the device's zone, named
    slot = page.locator("button.sb-slot").nth(2)
    start = slot.get_attribute("data-start")
    slot.click()
    login = page.locator("#visitor-login")
    assert login.is_visible()
    next_url = parse_qs(urlparse(login.get_attribute("href")).query)["next"][0]
    assert parse_qs(urlparse(next_url).query) == {
        "service": [str(service.pk)],
        "provider": [str(provider.pk)],
        "start": [start],
    }
    return start


def _log_in(page, user):
    page.locator("#visitor-login").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/book\?"))


def test_a_visitor_logs_in_and_books_the_time_they_chose(browser, live_server, clinic):
    from accounts.tests.factories import verified_user
    from scheduling.models import Appointment

    service, provider = clinic["service"], clinic["providers"][1]
    user = verified_user(timezone="Europe/Madrid", password=PASSWORD)
    context = browser.new_context(base_url=live_server.url, timezone_id="Europe/Madrid")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    start = _visitor_chooses_a_time(page, service, provider)
    _log_in(page, user)

    page.wait_for_selector("#confirm:not([hidden])")
    assert "is still free" in page.locator("#booking-status").inner_text()
    assert page.locator("button.sb-slot[aria-pressed=true]").get_attribute("data-start") == start
    page.locator("#confirm-button").click()
    page.wait_for_url(re.compile(r"/appointments/\d+\?booked=1"))
    booked = Appointment.objects.get(client=user)
    assert booked.provider_id == provider.pk and booked.start.isoformat().startswith(start[:16])
    assert errors == []
    context.close()


def test_a_time_taken_while_the_visitor_logged_in_is_said_to_be_gone(browser, live_server, clinic):
    from datetime import datetime

    from accounts.tests.factories import UserFactory, verified_user
    from scheduling.services import appointment_book

    service, provider = clinic["service"], clinic["providers"][0]
    user = verified_user(timezone="Europe/Madrid", password=PASSWORD)
    context = browser.new_context(base_url=live_server.url, timezone_id="Europe/Madrid")
    page = context.new_page()

    start = _visitor_chooses_a_time(page, service, provider)
    appointment_book(
        client=UserFactory(),
        provider=provider,
        service=service,
        start=datetime.fromisoformat(start.replace("Z", "+00:00")),
    )
    _log_in(page, user)

    page.wait_for_selector("#browse:not([aria-busy]) .sb-day")
    status = page.locator("#booking-status")
    status.filter(has_text="no longer free").wait_for()
    assert page.locator("#confirm").is_hidden()
    context.close()
