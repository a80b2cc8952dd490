"""The booking page as a newcomer meets it: a month view with every day in its place (free,
fully booked, closed), a day the client cannot book any more said to be full before they
pick, and what they chose shown."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from e2e.support import login_as, open_day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _slots_on_a_later_day(service, provider, days_ahead: int = 2):
    """The open slots of the first working day at least `days_ahead` days away."""
    from scheduling.selectors import available_slots

    now = timezone.now()
    slots = available_slots(
        service=service,
        start=now + timedelta(days=days_ahead),
        end=now + timedelta(days=days_ahead + 7),
        providers=[provider],
    )
    assert slots, "the test clinic has no open slot that week"
    return slots


def test_a_day_with_the_clients_daily_maximum_says_so_and_offers_no_time(
    new_page, live_server, clinic, screenshot
):
    from accounts.tests.factories import UserFactory
    from scheduling.services import appointment_book

    service, provider = clinic["service"], clinic["providers"][0]
    policy = clinic["policy"]
    policy.max_client_appointments_per_day = 1
    policy.save()
    client_user = UserFactory(timezone="Europe/London")
    first = _slots_on_a_later_day(service, provider)[0]
    appointment_book(client=client_user, provider=provider, service=service, start=first.start)
    full_day = first.start.astimezone(ZoneInfo("Europe/London")).date().isoformat()

    page = new_page()
    login_as(page, live_server, client_user)
    page.goto(f"/book?service={service.pk}")
    open_day(page, full_day)

    # Marked in the month before they pick, with the rule's words.
    marked = page.locator(f"button.sb-cal-day[data-day='{full_day}']")
    assert "is-full" in marked.get_attribute("class")
    assert "You already have 1 appointment on this day" in marked.get_attribute("aria-label")
    day = page.locator(f"#days .sb-day[data-day='{full_day}']")
    assert "You already have 1 appointment on this day" in day.inner_text()
    assert day.locator("button.sb-slot").count() == 0
    # The recommendations keep off that day too.
    picks = page.locator("#recommendations button.sb-rec-pick")
    assert picks.count() > 0
    for i in range(picks.count()):
        start = picks.nth(i).get_attribute("data-start")
        assert not start.startswith(full_day)
    screenshot(page, "book-full-day")


def test_every_day_of_the_month_is_in_its_place_closed_ones_marked(
    new_page, live_server, clinic, screenshot
):
    import calendar

    from accounts.tests.factories import UserFactory

    service = clinic["service"]
    client_user = UserFactory(timezone="Europe/London")
    page = new_page()
    login_as(page, live_server, client_user)
    page.goto(f"/book?service={service.pk}")
    page.wait_for_selector("#browse:not([aria-busy]) #month-days button")

    today = timezone.localtime(timezone.now(), ZoneInfo("Europe/London")).date()
    assert page.inner_text("#month-label") == f"{today:%B %Y}"
    days = page.locator("#month-days button.sb-cal-day")
    keys = [days.nth(i).get_attribute("data-day") for i in range(days.count())]
    length = calendar.monthrange(today.year, today.month)[1]
    assert keys == [today.replace(day=n).isoformat() for n in range(1, length + 1)]
    # Weeks line up: the first day sits in its weekday's column (Monday first).
    first_row = page.locator("#month-days tr").first.locator("td")
    assert first_row.nth(today.replace(day=1).weekday()).locator("button").count() == 1
    # The providers do not work at weekends: still to come, those days are closed.
    for key in keys:
        day = timezone.datetime.fromisoformat(key).date()
        button = page.locator(f"button.sb-cal-day[data-day='{key}']")
        if day < today:
            assert button.is_disabled()
        elif day.weekday() >= 5:
            assert "is-closed" in button.get_attribute("class")
            assert button.get_attribute("aria-label").endswith(": closed")
    # A day with free times lists them in parts of the day, marked chosen in the month.
    chosen = page.locator("#month-days button.sb-cal-day[aria-pressed=true]")
    assert "has-times" in chosen.get_attribute("class")
    parts = page.locator("#days .sb-part h4").all_inner_texts()
    assert parts and all(p.split(" (")[0] in ("Morning", "Afternoon", "Evening") for p in parts)
    screenshot(page, "book-month")

    # Another day: one click, no new request for the month.
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    later = page.locator("#month-days button.sb-cal-day.has-times[aria-pressed=false]")
    if later.count():
        key = later.first.get_attribute("data-day")
        later.first.click()
        page.wait_for_selector(f"#days .sb-day[data-day='{key}'] button.sb-slot")
        assert not [url for url in requests if "/api/" in url]


def test_moving_inside_the_cutoff_is_warned_before_and_leaves_a_way_to_the_provider(
    new_page, live_server, clinic, screenshot
):
    from accounts.tests.factories import UserFactory
    from scheduling.models import Appointment
    from scheduling.services import appointment_book

    service, provider = clinic["service"], clinic["providers"][0]
    provider.user.phone = "+44 20 7946 0000"
    provider.user.save()
    policy = clinic["policy"]
    policy.client_cutoff_hours = 7 * 24  # a week: every time in the first week is inside it
    policy.save()
    client_user = UserFactory(timezone="Europe/London")
    later = _slots_on_a_later_day(service, provider, days_ahead=9)[0]
    mine = appointment_book(
        client=client_user, provider=provider, service=service, start=later.start
    )

    page = new_page()
    login_as(page, live_server, client_user)
    page.goto(f"/appointments/{mine.pk}/reschedule")
    page.wait_for_selector("#browse:not([aria-busy]) button.sb-slot")
    page.locator("button.sb-slot").first.click()

    warning = page.locator("#confirm-cutoff-warning")
    warning.wait_for(state="visible")
    text = warning.inner_text()
    assert "cannot be changed or cancelled online" in text
    assert page.locator(f"#confirm-cutoff-warning a[href='mailto:{provider.user.email}']").count()
    assert page.locator("#confirm-cutoff-warning a[href='tel:+44 20 7946 0000']").count()
    screenshot(page, "reschedule-inside-cutoff-warning")

    page.click("#confirm-button")
    page.wait_for_selector("#moved-banner")
    note = page.locator("#cutoff-note")
    assert "can no longer be changed or cancelled online" in note.inner_text()
    assert note.locator(f"a[href='mailto:{provider.user.email}']").count() == 1
    mine.refresh_from_db()
    assert mine.start != later.start
    assert Appointment.objects.filter(client=client_user).count() == 1


def test_a_time_beyond_the_cutoff_is_confirmed_without_a_warning(new_page, live_server, clinic):
    from accounts.tests.factories import UserFactory

    service = clinic["service"]  # the clinic's cut-off is one hour
    page = new_page()
    login_as(page, live_server, UserFactory(timezone="Europe/London"))
    page.goto(f"/book?service={service.pk}")
    later = _slots_on_a_later_day(service, clinic["providers"][0])[0]
    open_day(page, later.start.astimezone(ZoneInfo("Europe/London")).date().isoformat())
    page.locator("button.sb-slot").last.click()  # days away: far beyond the one-hour cut-off
    page.locator("#confirm").wait_for(state="visible")
    assert page.locator("#confirm-cutoff-warning").is_hidden()


def test_cards_name_their_end_zone_and_price_and_a_chosen_one_shows_it(
    new_page, live_server, clinic
):
    from accounts.tests.factories import UserFactory

    service = clinic["service"]
    page = new_page()
    login_as(page, live_server, UserFactory(timezone="Europe/London"))
    page.goto(f"/book?service={service.pk}")
    page.wait_for_selector("#recommended:not([aria-busy]) li.sb-rec")

    cards = page.locator("#recommendations li.sb-rec")
    assert cards.count() >= 2
    first = cards.first
    when = first.locator(".sb-rec-when").inner_text()
    assert re.search(r"\d\d:\d\d–\d\d:\d\d \(Europe/London\)$", when), when
    assert first.locator(".sb-rec-service").inner_text() == "Knee assessment · 30 min · £50.00"
    # Each button has a name of its own.
    picks = page.locator("#recommendations button.sb-rec-pick")
    names = [picks.nth(i).get_attribute("aria-label") for i in range(picks.count())]
    assert len(set(names)) == len(names) and all(n.startswith("Choose ") for n in names)

    first.locator("button.sb-rec-pick").click()
    assert "is-chosen" in first.get_attribute("class")
    assert first.locator("button.sb-rec-pick").inner_text() == "Chosen"
    # One provider for this time: no drop-down of one.
    assert page.locator("#confirm-provider-row").is_hidden()
    assert "£50.00" in page.inner_text("#confirm-summary")

    cards.nth(1).locator("button.sb-rec-pick").click()
    assert "is-chosen" not in first.get_attribute("class")
    assert "is-chosen" in cards.nth(1).get_attribute("class")


def test_a_time_two_providers_share_offers_the_choice_of_provider(new_page, live_server, clinic):
    from accounts.tests.factories import UserFactory

    page = new_page()
    login_as(page, live_server, UserFactory(timezone="Europe/London"))
    page.goto(f"/book?service={clinic['service'].pk}")
    page.wait_for_selector("#browse:not([aria-busy]) button.sb-slot")
    shared = page.locator("button.sb-slot[aria-label$='with 2 providers']").first
    shared.click()
    assert page.locator("#confirm-provider-row").is_visible()
    assert page.locator("#confirm-provider option").count() == 2


def test_cancelling_asks_first_then_says_it_is_done(new_page, live_server, clinic, screenshot):
    from accounts.tests.factories import UserFactory
    from scheduling.models import AppointmentStatus
    from scheduling.services import appointment_book

    service, provider = clinic["service"], clinic["providers"][0]
    client_user = UserFactory(timezone="Europe/London")
    slot = _slots_on_a_later_day(service, provider, days_ahead=3)[0]
    mine = appointment_book(
        client=client_user, provider=provider, service=service, start=slot.start
    )

    page = new_page()
    login_as(page, live_server, client_user)
    page.goto(f"/appointments/{mine.pk}")
    page.fill("#reason", "Feeling better")
    page.click("#cancel-button")
    page.locator("#cancel-confirm").wait_for(state="visible")
    page.click("#cancel-no")  # keep it after all
    assert page.locator("#cancel-confirm").is_hidden()
    mine.refresh_from_db()
    assert mine.status == AppointmentStatus.BOOKED

    page.click("#cancel-button")
    page.click("#cancel-yes")
    page.wait_for_selector("#cancelled-banner")
    screenshot(page, "appointment-cancelled")
    assert page.locator("#ics-link").count() == 0
    mine.refresh_from_db()
    assert mine.status == AppointmentStatus.CANCELLED


def test_the_admin_heat_map_shows_whole_weekday_names(new_page, live_server, clinic):
    from accounts.tests.factories import UserFactory
    from scheduling.services import appointment_book

    service, provider = clinic["service"], clinic["providers"][0]
    slot = _slots_on_a_later_day(service, provider, days_ahead=1)[0]
    appointment_book(client=UserFactory(), provider=provider, service=service, start=slot.start)
    staff = UserFactory(role="admin", is_staff=True, is_superuser=True)
    page = new_page()
    login_as(page, live_server, staff)
    start = timezone.localdate().isoformat()
    end = (timezone.localdate() + timedelta(days=14)).isoformat()
    page.goto(f"/admin/?start={start}&end={end}")
    headers = page.locator("table.analytics-heatmap th[scope=row]")
    assert headers.count() > 0
    for i in range(headers.count()):
        clipped = headers.nth(i).evaluate("th => th.scrollWidth > th.clientWidth")
        assert not clipped, headers.nth(i).inner_text()


def test_on_a_phone_the_month_and_one_days_times_fit_one_screen(new_page, live_server, clinic):
    from accounts.tests.factories import UserFactory

    page = new_page(viewport={"width": 390, "height": 844})
    login_as(page, live_server, UserFactory(timezone="Europe/London"))
    page.goto(f"/book?service={clinic['service'].pk}")
    page.wait_for_selector("#browse:not([aria-busy]) #days button.sb-slot")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    month = page.locator("#month").bounding_box()
    assert month["width"] <= 390 and month["height"] < 400
    # One day's times, not every time of the weeks ahead.
    day = page.locator("#days .sb-day").get_attribute("data-day")
    shown = page.locator("#days button.sb-slot").count()
    assert 0 < shown <= 2 * 8 * 60 // 15  # two providers, an eight-hour day, a 15-minute grid
    assert page.locator("button.sb-slot").count() == shown
    assert page.locator(f"#month-days button[data-day='{day}'][aria-pressed=true]").count() == 1


def test_the_zone_switcher_shows_the_times_in_another_zone(new_page, live_server, clinic):
    from accounts.tests.factories import UserFactory

    page = new_page()
    login_as(page, live_server, UserFactory(timezone="Europe/London"))
    page.goto(f"/book?service={clinic['service'].pk}")
    page.wait_for_selector("#browse:not([aria-busy]) #days button.sb-slot")
    first = page.locator("#days button.sb-slot").first
    start, london_label = first.get_attribute("data-start"), first.inner_text()
    asked = []
    page.on("request", lambda request: asked.append(request.url))

    # Only the viewer's own zone and the device's are listed until the switcher is reached.
    assert page.locator("#zone-switch option").count() <= 2
    page.focus("#zone-switch")
    assert page.locator("#zone-switch option[value='Asia/Tokyo']").count() == 1
    page.select_option("#zone-switch", "Asia/Tokyo")
    page.wait_for_selector("#browse:not([aria-busy]) [data-zone-label]:text('Asia/Tokyo')")
    assert any("timezone=Asia%2FTokyo" in url for url in asked if "/available" in url)
    assert "switched on this page" in page.inner_text("#browse .sb-tz")
    tokyo_day = (
        timezone.datetime.fromisoformat(start.replace("Z", "+00:00"))
        .astimezone(ZoneInfo("Asia/Tokyo"))
        .date()
        .isoformat()
    )
    open_day(page, tokyo_day)
    same = page.locator(f"#days button.sb-slot[data-start='{start}']")
    tokyo_label = (
        timezone.datetime.fromisoformat(start.replace("Z", "+00:00"))
        .astimezone(ZoneInfo("Asia/Tokyo"))
        .strftime("%H:%M")
    )
    assert same.inner_text() == tokyo_label != london_label
