"""Signing up and the profile as a newcomer meets them: the browser's own time zone is
taken at sign-up and offered on the profile when it differs."""

import pytest

from e2e.support import PASSWORD, login_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _page_in_zone(browser, live_server, zone: str):
    context = browser.new_context(base_url=live_server.url, locale="en-GB", timezone_id=zone)
    context.set_default_timeout(15_000)
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    return context, page, errors


def test_sign_up_takes_the_browsers_zone(browser, live_server, clinic):
    from accounts.models import User

    context, page, errors = _page_in_zone(browser, live_server, "Asia/Tokyo")
    try:
        page.goto("/accounts/signup/")
        page.fill("input[name=email]", "kenji@example.com")
        page.fill("input[name=password1]", PASSWORD)
        page.fill("input[name=password2]", PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_load_state()
    finally:
        context.close()

    assert User.objects.get(email="kenji@example.com").timezone == "Asia/Tokyo"
    assert errors == []


def test_the_profile_offers_the_browsers_zone_when_it_differs(browser, live_server, clinic):
    from accounts.tests.factories import UserFactory

    user = UserFactory(timezone="UTC")
    context, page, errors = _page_in_zone(browser, live_server, "America/New_York")
    try:
        login_as(page, live_server, user)
        page.goto("/profile")
        offer = page.locator("#zone-suggestion")
        offer.wait_for(state="visible")
        assert "America/New York" in offer.inner_text()
        page.click("#use-browser-zone")
        page.wait_for_url("**/profile?saved=1")
        # Saved, and now that the zones agree nothing is offered.
        assert page.input_value("#timezone") == "America/New_York"
        assert page.locator("#zone-suggestion").is_hidden()
    finally:
        context.close()

    user.refresh_from_db()
    assert user.timezone == "America/New_York"
    assert errors == []


def test_profile_reminders_are_choices_and_refusals_read_plainly(new_page, live_server, clinic):
    from accounts.tests.factories import UserFactory

    user = UserFactory(timezone="Europe/London")
    page = new_page()
    login_as(page, live_server, user)
    page.goto("/profile")

    page.fill("#max_wait_days", "400")
    page.uncheck("input[name=reminder_lead_minutes][value='1440']")
    page.check("input[name=reminder_lead_minutes][value='180']")
    page.click("#profile-save")
    page.wait_for_selector("#profile-status.is-error")
    assert page.inner_text("#profile-status") == (
        "Your changes were not saved. Please check the highlighted fields."
    )
    assert page.inner_text("#max_wait_days-error") == "Enter at most 365 days."

    page.fill("#max_wait_days", "30")
    page.click("#profile-save")
    page.wait_for_selector("#profile-status.is-ok")
    user.profile.refresh_from_db()
    assert sorted(user.profile.reminder_lead_minutes) == [60, 180]
    assert user.profile.max_wait_days == 30
