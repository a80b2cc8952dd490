"""A group class on the booking page: each time says how many seats are left, and booking
one takes a seat in the session already under way."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from e2e.support import login_as, open_day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_times_of_a_group_class_show_seats_left_and_booking_joins_the_session(
    new_page, live_server, clinic, screenshot
):
    from accounts.tests.factories import UserFactory
    from providers.tests.factories import ServiceFactory
    from scheduling.models import Appointment, GroupSession
    from scheduling.selectors import available_slots
    from scheduling.services import appointment_book

    provider = clinic["providers"][0]
    group = ServiceFactory(
        category=clinic["service"].category, name="Back care class", duration_minutes=60, capacity=4
    )
    provider.services.add(group)
    now = timezone.now()
    slots = available_slots(
        service=group, start=now + timedelta(days=2), end=now + timedelta(days=9)
    )
    taken = slots[0]
    for _ in range(3):
        appointment_book(client=UserFactory(), provider=provider, service=group, start=taken.start)
    client_user = UserFactory(timezone="Europe/London")

    page = new_page()
    login_as(page, live_server, client_user)
    page.goto(f"/book?service={group.pk}&provider={provider.pk}")
    open_day(page, taken.start.astimezone(ZoneInfo("Europe/London")).date().isoformat())
    start = taken.start.strftime("%Y-%m-%dT%H:%M:%SZ")
    button = page.locator(f"button.sb-slot[data-start='{start}']")
    assert "1 seat left" in button.inner_text()
    assert button.get_attribute("aria-label").endswith(", 1 seat left")
    other = page.locator("button.sb-slot").nth(3)
    assert "4 seats left" in other.inner_text()
    screenshot(page, "book-group-class-seats")

    button.click()
    page.click("#confirm-button")
    page.wait_for_url(re.compile(r"^https?://[^/]+/appointments/\d+.*$"))
    seat = Appointment.objects.get(client=client_user)
    assert seat.session == GroupSession.objects.get(start=taken.start)
    assert seat.session.seats.count() == 4
    local = taken.start.astimezone(ZoneInfo("Europe/London"))
    assert local.strftime("%H:%M") in page.content()
