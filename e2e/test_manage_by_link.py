"""A client moves their appointment from the link in their email, without logging in."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_client_reschedules_from_the_email_link_without_logging_in(new_page, live_server, clinic):
    from accounts.tests.factories import UserFactory
    from scheduling.models import Appointment
    from scheduling.selectors import available_slots
    from scheduling.services import appointment_book

    service, provider = clinic["service"], clinic["providers"][0]
    client_user = UserFactory(timezone="Europe/London")
    now = timezone.now()
    slots = available_slots(
        service=service, start=now + timedelta(days=2), end=now + timedelta(days=9)
    )
    booked = appointment_book(
        client=client_user, provider=provider, service=service, start=slots[0].start
    )
    [email] = [m for m in mail.outbox if m.to == [client_user.email]]
    link = re.search(r"View:\s+(\S+/manage/\S+)\n", email.body).group(1)
    path = "/manage/" + link.split("/manage/", 1)[1]

    page = new_page()  # a fresh browser: nobody is logged in
    page.goto(path)
    assert "Knee assessment with Dr. Ada Osei" in page.locator("h2#appointment-title").inner_text()
    page.get_by_role("link", name="Move to another time").click()
    page.wait_for_selector("#reschedule-form")
    choice = page.locator("input[name=start]").nth(1)
    new_start = choice.get_attribute("value")
    choice.check()
    page.get_by_role("button", name="Move my appointment").click()
    page.wait_for_url(re.compile(r"/manage/[^/]+\?done=moved$"))
    assert "Your appointment is moved." in page.locator("#done-banner").inner_text()
    booked = Appointment.objects.get(pk=booked.pk)
    assert booked.start.isoformat() == new_start
    # The browser was never signed in: the signed-in pages still ask for a login.
    page.goto("/appointments")
    assert "/accounts/login/" in page.url
