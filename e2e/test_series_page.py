"""Booking a weekly series from the booking page's confirm step, in a real browser: each
date checked, a taken one shown with alternatives, one picked, the series booked."""

import re
from datetime import datetime, timedelta

import pytest

from e2e.support import login_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_client_repeats_a_time_weekly_picks_an_alternative_and_books_the_series(
    new_page, live_server, clinic, screenshot
):
    from accounts.tests.factories import UserFactory
    from providers.models import Provider
    from scheduling.models import AppointmentSeries
    from scheduling.services import appointment_book

    service = clinic["service"]
    client, someone_else = UserFactory(), UserFactory()
    page = new_page()
    login_as(page, live_server, client)
    page.goto(f"/book?service={service.pk}")
    page.wait_for_selector("#recommendations li.sb-rec")
    pick = page.locator("#recommendations li.sb-rec").first.locator("button.sb-rec-pick")
    start = datetime.fromisoformat(pick.get_attribute("data-start").replace("Z", "+00:00"))
    provider = Provider.objects.get(pk=pick.get_attribute("data-provider"))
    # The same time a week later is taken by someone else.
    appointment_book(
        client=someone_else,
        provider=provider,
        service=service,
        start=start + timedelta(weeks=1),
        actor=someone_else,
    )
    pick.click()
    page.wait_for_selector("#confirm:not([hidden])")
    if page.locator("#confirm-provider-row:not([hidden])").count():
        page.select_option("#confirm-provider", str(provider.pk))

    page.select_option("#repeat-frequency", "weekly")
    assert page.locator("#confirm-button").is_hidden()  # a series has its own button
    page.fill("#repeat-count", "3")
    page.click("#repeat-check")
    page.wait_for_selector("#repeat-occurrences li >> nth=2")
    items = page.locator("#repeat-occurrences li")
    assert [items.nth(i).get_attribute("class") for i in range(3)] == [
        "is-free",
        "is-taken",
        "is-free",
    ]
    assert "no longer available" in items.nth(1).inner_text()
    screenshot(page, "series-1-one-date-taken")

    items.nth(1).locator("button").first.click()
    page.wait_for_selector("#repeat-status:has-text('All 3 dates are free.')")
    page.click("#repeat-book")
    page.wait_for_url(re.compile(r".*/appointments/\d+\?booked=1$"))

    series = AppointmentSeries.objects.get(client=client)
    occurrences = list(series.occurrences.order_by("series_original_start"))
    assert len(occurrences) == 3
    assert occurrences[0].start == start
    assert occurrences[1].series_original_start == start + timedelta(weeks=1)
    assert occurrences[1].start != occurrences[1].series_original_start
    screenshot(page, "series-2-booked")

    # The first appointment's page lists the series; cancelling every one still to come.
    assert page.locator("#series-dates li").count() == 3
    page.check("input[name=series-scope][value=all]")
    page.fill("#series-reason", "Moving away")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#series-cancel-button")
    page.wait_for_url(re.compile(r".*/appointments/\d+\?cancelled=1$"))
    statuses = set(series.occurrences.values_list("status", "cancellation_reason"))
    assert statuses == {("cancelled", "Moving away")}
    assert page.locator("#series-cancel-form").count() == 0
