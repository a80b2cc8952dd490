"""The waitlist journey in a real browser: a client finds no time that suits, joins the
waitlist from the booking page, and when the time is freed accepts it from the email's link."""

import re
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import pytest

from e2e.support import login_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_client_joins_from_the_booking_page_and_accepts_the_offer_by_link(
    new_page, live_server, clinic, mailoutbox, screenshot
):
    from accounts.tests.factories import UserFactory
    from e2e.test_booking_flow import _first_open_slot
    from scheduling.models import Appointment, AppointmentStatus, BookingPolicy
    from scheduling.services import appointment_book, appointment_cancel
    from waitlist.models import WaitlistEntry

    # The journey at any time of day: no offer quiet hours (they have tests of their own, with
    # the clock frozen; the live server and the browser run on the real clock).
    policy = BookingPolicy.load()
    policy.offer_quiet_from = policy.offer_quiet_until = None
    policy.save()
    service, provider = clinic["service"], clinic["providers"][0]
    slot = _first_open_slot(service, provider)
    taken = appointment_book(
        client=UserFactory(role="client"), provider=provider, service=service, start=slot.start
    )
    waiting = UserFactory(role="client", timezone="Europe/London")
    zone = ZoneInfo("Europe/London")
    start, end = slot.start.astimezone(zone), taken.end.astimezone(zone)

    page = new_page()
    login_as(page, live_server, waiting)
    page.goto("/book")
    form = page.locator("#waitlist-join-form")
    form.get_by_label("Service").select_option(str(service.pk))
    form.get_by_label("Provider (optional)").select_option(str(provider.pk))
    page.fill("#id_ranges-0-first_date", f"{start:%Y-%m-%d}")
    page.fill("#id_ranges-0-last_date", f"{start:%Y-%m-%d}")
    page.fill("#id_ranges-0-earliest", f"{start:%H:%M}")
    page.fill("#id_ranges-0-latest", f"{end:%H:%M}")
    page.click("#waitlist-join-button")
    page.wait_for_url(re.compile(r"/waitlist$"))
    listed = page.locator("#entry-list").inner_text()
    assert f"{service.name} with {provider.display_name}" in listed
    assert f"{start:%H:%M}–{end:%H:%M}" in listed
    (entry,) = WaitlistEntry.objects.filter(client=waiting)
    assert [(r.earliest, r.latest) for r in entry.ranges.all()] == [(start.time(), end.time())]

    appointment_cancel(appointment=taken, actor=None)  # commits: the waitlist offers the time
    (email,) = [m for m in mailoutbox if m.to == [waiting.email]]
    accept = next(w for w in email.body.split() if "/waitlist/offers/accept/" in w)

    page.context.clear_cookies()  # the link works without signing in
    page.goto(urlparse(accept).path)
    page.get_by_role("heading", name="Take this time?").wait_for()
    assert Appointment.objects.filter(client=waiting).count() == 0
    page.click("#offer-confirm")
    page.get_by_role("heading", name="Booked").wait_for()
    screenshot(page, "waitlist-offer-accepted")

    (booked,) = Appointment.objects.filter(client=waiting)
    assert (booked.start, booked.status) == (slot.start, AppointmentStatus.BOOKED)
