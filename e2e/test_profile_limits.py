"""A client tells the profile page when they can come and whom they avoid, in a real browser,
and the booking page's recommendations keep to it."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from e2e.support import login_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_profile_limits_shape_the_recommendations(new_page, live_server, clinic, screenshot):
    from accounts.tests.factories import UserFactory
    from recommendations.models import ClientProviderPreference

    ada, ben = clinic["providers"]
    client_user = UserFactory(timezone="Europe/London")
    page = new_page()
    login_as(page, live_server, client_user)
    page.goto("/profile")
    page.select_option("#earliest_time", "13:00")
    page.select_option("#latest_time", "15:00")
    page.check("input[name=avoided_weekdays][value='2']")  # never Wednesdays
    page.select_option(f"#wish-{ada.pk}", "avoid")
    page.click("#profile-save")
    page.wait_for_selector("#profile-status.is-ok")
    screenshot(page, "profile-limits")
    client_user.profile.refresh_from_db()
    assert f"{client_user.profile.earliest_time:%H:%M}" == "13:00"
    assert client_user.profile.avoided_weekdays == [2]
    assert ClientProviderPreference.objects.get(client=client_user).provider == ada

    page.goto(f"/book?service={clinic['service'].pk}")
    page.wait_for_selector("#recommended:not([aria-busy]) li.sb-rec")
    zone = ZoneInfo("Europe/London")
    picks = page.locator("#recommendations button.sb-rec-pick")
    assert picks.count() > 0
    for i in range(picks.count()):
        start = datetime.fromisoformat(picks.nth(i).get_attribute("data-start")).astimezone(zone)
        assert 13 <= start.hour < 15 and start.weekday() != 2
        assert picks.nth(i).get_attribute("data-provider") == str(ben.pk)

    # A day both preferred and avoided is refused on its field, nothing saved.
    page.goto("/profile")
    page.check("input[name=preferred_weekdays][value='2']")
    page.click("#profile-save")
    page.wait_for_selector("#profile-status.is-error")
    assert "both preferred and avoided" in page.inner_text("#avoided_weekdays-error")
