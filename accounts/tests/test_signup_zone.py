"""A web sign-up takes the browser's time zone (a hidden field our script fills), checked
against the zone list; without a usable one the account keeps the default."""

import pytest

from accounts.models import User

STRONG = "a-long-and-unusual-passphrase-42"

pytestmark = pytest.mark.django_db


def _sign_up(client, email: str, **extra):
    response = client.post(
        "/accounts/signup/",
        {"email": email, "password1": STRONG, "password2": STRONG, **extra},
    )
    assert response.status_code == 302, response.content.decode()
    return User.objects.get(email=email)


def test_the_browsers_zone_becomes_the_accounts_zone(client):
    user = _sign_up(client, "tokyo@example.com", timezone="Asia/Tokyo")
    assert user.timezone == "Asia/Tokyo"


@pytest.mark.parametrize("value", ["", "Mars/Olympus_Mons", "Europe/London; DROP TABLE", "x" * 64])
def test_no_zone_or_one_not_on_the_list_leaves_the_default(client, value):
    user = _sign_up(client, "nozone@example.com", timezone=value)
    assert user.timezone == User._meta.get_field("timezone").default


def test_the_sign_up_page_carries_the_hidden_field_and_the_script(client):
    html = client.get("/accounts/signup/").content.decode()

    assert 'type="hidden" name="timezone"' in html and "data-browser-zone" in html
    assert "js/browser_zone.js" in html
    assert "<script>" not in html  # no inline script (CSP)


def test_the_profile_offers_the_browsers_zone_only_through_the_script(client, client_user):
    client.force_login(client_user)
    html = client.get("/profile").content.decode()

    assert 'id="zone-suggestion"' in html
    assert f'data-current-zone="{client_user.timezone}"' in html
    assert "js/browser_zone.js" in html


def test_the_profile_zone_is_a_picker_of_places_with_the_users_own_zone_chosen(client, client_user):
    client_user.timezone = "America/Argentina/Buenos_Aires"
    client_user.save()
    client.force_login(client_user)
    html = client.get("/profile").content.decode()

    assert '<select id="timezone" name="timezone"' in html
    assert (
        '<option value="America/Argentina/Buenos_Aires" selected>Argentina – Buenos Aires' in html
    )
    assert 'value="US/Eastern"' not in html  # legacy aliases are not offered
    assert 'id="timezone-search"' in html
