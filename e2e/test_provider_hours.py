"""A provider changes their own hours in the browser: the check lists the appointment the
change would leave outside, saving it offers that client another time."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from e2e.support import login_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_provider_shortens_a_day_sees_the_appointment_affected_and_saves(
    new_page, live_server, clinic, screenshot
):
    from accounts.tests.factories import UserFactory
    from providers.models import WorkingHours
    from scheduling.selectors import available_slots
    from scheduling.services import appointment_book
    from waitlist.models import WaitlistEntry

    service, provider = clinic["service"], clinic["providers"][0]
    now = timezone.now()
    slots = available_slots(
        service=service,
        start=now + timedelta(days=2),
        end=now + timedelta(days=9),
        providers=[provider],
    )
    late = slots[-1]  # the last time of a working day: shortening that day leaves it out
    booked = appointment_book(
        client=UserFactory(first_name="Lena", last_name="Late"),
        provider=provider,
        service=service,
        start=late.start,
    )
    weekday = late.local_start.weekday()

    page = new_page()
    login_as(page, live_server, provider.user)
    page.goto("/schedule")
    page.click("#edit-hours")
    page.wait_for_url(re.compile(r".*/schedule/hours$"))
    page.fill(f"input[name='{weekday}_1_end']", "12:00")
    page.fill(f"input[name='{weekday}_2_start']", "")
    page.fill(f"input[name='{weekday}_2_end']", "")
    page.click("#check-hours")

    affected = page.locator("#affected li")
    affected.first.wait_for()
    assert affected.count() == 1
    assert "Lena Late" in affected.first.inner_text()
    assert affected.first.get_attribute("data-appointment-id") == str(booked.pk)
    screenshot(page, "provider-hours-check")

    page.click("#save-hours")
    page.wait_for_selector("#saved-banner")
    assert "being offered another time" in page.locator("#saved-banner").inner_text()
    ends = WorkingHours.objects.filter(provider=provider, weekday=weekday).values_list(
        "end_time", flat=True
    )
    assert [end.strftime("%H:%M") for end in ends] == ["12:00"]
    assert WaitlistEntry.objects.filter(client=booked.client, kind="displaced").exists()
