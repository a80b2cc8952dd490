"""The booking journey in a real browser: Chromium, the live server, our pages and our API."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from e2e.support import PASSWORD, login_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONFIRM_LINK = re.compile(r"https?://\S+/accounts/confirm-email/\S+")


def _expect_path(page, pattern: str) -> None:
    page.wait_for_url(re.compile(rf"^https?://[^/]+{pattern}$"))


def _sign_up_and_verify(page, mailoutbox, email: str) -> None:
    page.goto("/accounts/signup/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()

    messages = [m for m in mailoutbox if email in m.to]
    assert messages, "no verification email was sent"
    link = CONFIRM_LINK.search(messages[-1].body)
    assert link, messages[-1].body
    page.goto(link.group(0))
    page.click("main form button[type=submit]")
    page.wait_for_load_state()


def _log_in(page, email: str) -> None:
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_selector("nav >> text=Log out")


def _first_open_slot(service, provider):
    from scheduling.selectors import available_slots

    now = timezone.now()
    slots = available_slots(
        service=service, start=now, end=now + timedelta(days=14), providers=[provider]
    )
    assert slots, "the test clinic has no open slot in the next two weeks"
    return slots[0]


def test_client_signs_up_books_a_recommendation_reschedules_and_cancels(
    new_page, live_server, clinic, mailoutbox, screenshot
):
    from scheduling.models import Appointment, AppointmentSource, AppointmentStatus

    page = new_page()
    page.goto("/")
    screenshot(page, "01-home")

    email = "ada.client@example.com"
    _sign_up_and_verify(page, mailoutbox, email)
    _log_in(page, email)

    # Profile: an unknown zone is refused next to its field, then a real one is saved.
    page.goto("/profile")
    page.fill("#first_name", "Ada")
    page.fill("#last_name", "Client")
    # The picker offers only real zones; a forged one is still refused next to its field.
    page.evaluate(
        """() => { const select = document.getElementById("timezone");
                   select.add(new Option("Olympus Mons", "Mars/Olympus_Mons"));
                   select.value = "Mars/Olympus_Mons"; }"""
    )
    page.click("#profile-save")
    page.wait_for_selector("#timezone-error:not(:empty)")
    assert page.get_attribute("#timezone", "aria-invalid") == "true"
    # Searching picks the first match.
    page.fill("#timezone-search", "new york")
    assert page.input_value("#timezone") == "America/New_York"
    page.check("input[name=preferred_weekdays][value='1']")
    page.click("#profile-save")
    page.wait_for_selector("#profile-status.is-ok")
    screenshot(page, "02-profile")

    # Book: the recommendations appear above the browsable days, in the client's zone.
    page.goto("/book")
    assert page.title().startswith("Book an appointment")
    page.select_option("#service", label="Knee assessment (30 min)")
    page.wait_for_selector("#recommendations li.sb-rec")
    page.wait_for_selector("#days .sb-slot")
    assert "Times are shown in America/New_York" in page.inner_text("#browse")
    page.fill("#client_notes", "Left knee, twisted skiing")
    screenshot(page, "03-book")
    first = page.locator("#recommendations li.sb-rec").first
    assert first.locator("ul li").count() >= 1, "a recommendation comes with its reasons"
    picked_start = first.locator("button.sb-rec-pick").get_attribute("data-start")
    first.locator("button.sb-rec-pick").click()
    page.click("#confirm-button")
    _expect_path(page, r"/appointments/\d+\?booked=1")
    assert "Your appointment is booked" in page.inner_text("main")
    screenshot(page, "04-appointment")

    appointment = Appointment.objects.get(client__email=email)
    assert appointment.start.isoformat().replace("+00:00", "Z") == picked_start
    assert appointment.source == AppointmentSource.RECOMMENDATION
    assert appointment.client_notes == "Left knee, twisted skiing"

    # My appointments lists it with its status and calendar link, and the feed address.
    page.goto("/appointments")
    upcoming = page.inner_text("#upcoming-list")
    assert "Knee assessment" in upcoming and "Booked" in upcoming
    assert page.locator(f"a[href='/appointments/{appointment.pk}/ics']").count() == 1
    assert "/calendar/" in page.inner_text("#feed-url")
    screenshot(page, "05-my-appointments")

    # Reschedule with the same picker: any other free time.
    page.click(f"a[href='/appointments/{appointment.pk}/reschedule']")
    page.wait_for_selector("#days .sb-slot")
    old_start = appointment.start
    page.locator("#days .sb-slot").nth(3).click()
    page.click("#confirm-button")
    _expect_path(page, rf"/appointments/{appointment.pk}\?moved=1")
    appointment.refresh_from_db()
    assert appointment.start != old_start
    assert appointment.sequence == 1
    assert "History" in page.inner_text("main")

    # Cancel with a reason.
    page.fill("#reason", "Feeling better")
    page.click("#cancel-button")
    page.click("#cancel-yes")  # the confirmation step
    page.wait_for_selector("#appointment-status:has-text('Cancelled')")
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert appointment.cancellation_reason == "Feeling better"

    # The inbox: booked, moved and cancelled, unread; marking one read updates the counts.
    page.goto("/notifications")
    assert page.locator("h1").inner_text() == "Notifications"
    unread = int(page.inner_text("#unread-summary").split()[0])
    assert unread >= 1
    assert page.inner_text("[data-unread-count]") == str(unread)
    screenshot(page, "06-notifications")
    page.locator("button.mark-read").first.click()
    page.wait_for_function(
        "expected => document.getElementById('unread-summary').textContent === expected",
        arg=f"{unread - 1} unread",
    )

    # On a phone-sized screen the page still works (no horizontal scrolling).
    phone = new_page(viewport={"width": 375, "height": 740})
    login_as(phone, live_server, appointment.client)
    phone.goto("/appointments")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    screenshot(phone, "07-my-appointments-phone")
    phone.goto(f"/book?service={clinic['service'].pk}")
    phone.wait_for_selector("#days .sb-slot")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_provider_logs_in_and_sees_the_booking_in_their_schedule(
    new_page, live_server, clinic, screenshot
):
    from allauth.account.models import EmailAddress

    from accounts.tests.factories import UserFactory
    from scheduling.models import AppointmentStatus
    from scheduling.services import appointment_book
    from scheduling.tests.factories import AppointmentFactory

    service, provider = clinic["service"], clinic["providers"][0]
    client_user = UserFactory(first_name="Grace", last_name="Hopper")
    slot = _first_open_slot(service, provider)
    appointment = appointment_book(
        client=client_user,
        provider=provider,
        service=service,
        start=slot.start,
        client_notes="Bring the X-ray",
        actor=client_user,
    )
    provider_user = provider.user
    provider_user.set_password(PASSWORD)
    provider_user.save()
    EmailAddress.objects.create(
        user=provider_user, email=provider_user.email, verified=True, primary=True
    )

    page = new_page()
    _log_in(page, provider_user.email)
    local_day = appointment.start.astimezone(ZoneInfo(provider_user.timezone)).date()
    page.goto(f"/schedule?view=week&date={local_day.isoformat()}")
    card = page.locator(f"article[data-appointment-id='{appointment.pk}']")
    assert "Grace Hopper" in card.inner_text()
    assert "Knee assessment" in card.inner_text()
    assert "Bring the X-ray" in card.inner_text()
    assert page.locator(".sb-free").count() > 0
    assert "Working hours" in page.inner_text("main")
    screenshot(page, "08-provider-schedule-week")

    page.click(f"a[href='?view=day&date={local_day.isoformat()}']")
    page.wait_for_selector(".sb-week.is-day")
    assert page.locator(f"article[data-appointment-id='{appointment.pk}']").count() == 1
    screenshot(page, "09-provider-schedule-day")

    # An appointment that has started gets its outcome marked from the schedule.
    now = timezone.now()
    started = AppointmentFactory(  # 30 minutes, ended 10 minutes ago
        client=client_user, provider=provider, service=service, start=now - timedelta(minutes=40)
    )
    started_day = started.start.astimezone(ZoneInfo(provider_user.timezone)).date()
    page.goto(f"/schedule?view=day&date={started_day.isoformat()}")
    page.click(f"article[data-appointment-id='{started.pk}'] button[data-outcome='complete']")
    page.wait_for_selector(
        f"article[data-appointment-id='{started.pk}'] .sb-badge:has-text('Completed')"
    )
    started.refresh_from_db()
    assert started.status == AppointmentStatus.COMPLETED


def test_second_client_trying_a_slot_taken_meanwhile_is_told_and_keeps_the_form(
    new_page, live_server, clinic, screenshot
):
    from accounts.tests.factories import UserFactory
    from providers.models import Provider
    from scheduling.models import Appointment
    from scheduling.services import appointment_book

    service = clinic["service"]
    first_client, second_client = UserFactory(), UserFactory()

    page = new_page()
    login_as(page, live_server, second_client)
    page.goto(f"/book?service={service.pk}")
    page.wait_for_selector("#recommendations li.sb-rec")
    page.fill("#client_notes", "Please use the ground-floor room")
    pick = page.locator("#recommendations li.sb-rec").first.locator("button.sb-rec-pick")
    taken_start = pick.get_attribute("data-start")
    provider = Provider.objects.get(pk=pick.get_attribute("data-provider"))
    pick.click()

    # Someone else books that exact time while the page is open.
    appointment_book(
        client=first_client,
        provider=provider,
        service=service,
        start=datetime.fromisoformat(taken_start.replace("Z", "+00:00")),
        actor=first_client,
    )

    page.click("#confirm-button")
    page.wait_for_selector("#booking-status.is-error")
    status = page.inner_text("#booking-status")
    assert "no longer available" in status
    assert "fresh recommendations" in status
    assert page.input_value("#client_notes") == "Please use the ground-floor room"
    page.wait_for_selector("#recommended:not([aria-busy]) li.sb-rec")
    fresh = page.locator("#recommendations button.sb-rec-pick")
    offered = {
        (fresh.nth(i).get_attribute("data-start"), fresh.nth(i).get_attribute("data-provider"))
        for i in range(fresh.count())
    }
    assert (taken_start, str(provider.pk)) not in offered
    assert not Appointment.objects.filter(client=second_client).exists()
    screenshot(page, "10-book-slot-taken")


def test_keyboard_booking_from_an_empty_window_and_a_refused_late_cancel(
    new_page, live_server, clinic, screenshot
):
    from accounts.tests.factories import UserFactory
    from providers.models import TimeOff
    from scheduling.models import Appointment, AppointmentStatus

    policy = clinic["policy"]
    now = timezone.now()
    # Away until two days into next month (London): nothing is left in this month.
    london = ZoneInfo("Europe/London")
    today = timezone.localtime(now, london).date()
    next_month = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    back = datetime.combine(next_month + timedelta(days=2), datetime.min.time(), london)
    for provider in clinic["providers"]:
        TimeOff.objects.create(provider=provider, start=now, end=back, reason="Conference")
    client_user = UserFactory()
    page = new_page()
    login_as(page, live_server, client_user)

    # Nothing free left this month: the page says so and offers the next.
    page.goto("/book")
    page.focus("#service")
    page.keyboard.press("ArrowDown")
    page.wait_for_selector("#no-slots")
    assert f"No free times left in {today:%B %Y}." in page.inner_text("#days")
    screenshot(page, "11-book-empty-month")
    page.focus("#no-slots button")
    page.keyboard.press("Enter")
    page.wait_for_selector("#recommended:not([aria-busy]) li.sb-rec")

    # Keyboard only: Enter on a recommendation moves focus to the confirm button.
    page.focus("#recommendations button.sb-rec-pick")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "confirm-button"
    page.keyboard.press("Enter")
    _expect_path(page, r"/appointments/\d+\?booked=1")
    appointment = Appointment.objects.get(client=client_user)
    assert appointment.start >= back

    # The cut-off moves while the page is open: the API's refusal is shown, with the rule.
    page.goto(f"/appointments/{appointment.pk}")
    # Beyond the form limit and beyond the appointment (booked in next month, up to ~5 weeks
    # away): the rule, not its bound.
    policy.client_cutoff_hours = 24 * 60
    policy.save()
    page.fill("#reason", "Cannot make it")
    page.click("#cancel-button")
    page.click("#cancel-yes")
    page.wait_for_selector("#cancel-status.is-error")
    assert "until 1440 hours before they start" in page.inner_text("#cancel-status")
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED
    page.reload()
    assert "can no longer be changed or cancelled online" in page.inner_text("#cutoff-note")
    screenshot(page, "12-appointment-past-cutoff")


@pytest.mark.parametrize(
    ("zone", "now", "labels"),
    [
        (
            "Europe/London",
            datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Europe/London")),
            ("December 2026", "January 2027"),
        ),
        (  # a viewer five hours behind the clinic, over the US spring-forward (14 March)
            "America/New_York",
            datetime(2027, 3, 8, 10, 0, tzinfo=ZoneInfo("America/New_York")),
            ("March 2027", "April 2027"),
        ),
    ],
)
def test_months_meet_at_midnight_and_lose_no_day(new_page, live_server, clinic, zone, now, labels):
    """Every local day the API has times for is marked in its month, once, and the next
    month begins at its first midnight: its first day's earliest time is listed."""
    import time_machine

    from accounts.tests.factories import UserFactory
    from scheduling.selectors import available_slots

    viewer_zone = ZoneInfo(zone)
    with time_machine.travel(now, tick=True):
        client_user = UserFactory(timezone=zone)
        page = new_page()
        page.clock.install(time=now)
        login_as(page, live_server, client_user)
        page.goto("/book")
        page.select_option("#service", str(clinic["service"].pk))
        page.wait_for_selector("#browse:not([aria-busy]) #month-days button")

        first_label = page.inner_text("#month-label")
        first_days = page.locator("#month-days button.has-times").evaluate_all(
            "buttons => buttons.map(b => b.dataset.day)"
        )
        page.click("#month-next")
        page.wait_for_selector(f"#browse:not([aria-busy]) #month-label:text('{labels[1]}')")
        second_label = page.inner_text("#month-label")
        second_days = page.locator("#month-days button.has-times").evaluate_all(
            "buttons => buttons.map(b => b.dataset.day)"
        )
        first_time_shown = page.locator("#days button.sb-slot").first.inner_text()
        shown_day = page.locator("#days .sb-day").get_attribute("data-day")

        next_month = (now.date().replace(day=1) + timedelta(days=32)).replace(day=1)
        after = (next_month + timedelta(days=32)).replace(day=1)
        offered = available_slots(
            service=clinic["service"],
            start=timezone.now(),
            end=datetime.combine(after, datetime.min.time(), viewer_zone),
        )

    assert (first_label, second_label) == labels
    days_with_times = sorted({slot.start.astimezone(viewer_zone).date() for slot in offered})
    assert first_days + second_days == [day.isoformat() for day in days_with_times]
    # The next month's first day with times is chosen, its earliest time first.
    assert shown_day == second_days[0]
    earliest = min(
        slot.start for slot in offered if slot.start.astimezone(viewer_zone).date() >= next_month
    )
    assert first_time_shown == f"{earliest.astimezone(viewer_zone):%H:%M}"
