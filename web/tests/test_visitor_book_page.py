"""The booking page for a visitor: services, providers and free times without an account;
nothing private on it; booking asks to log in or sign up."""

import pytest

from providers.tests.factories import ProviderFactory, ServiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic():
    service = ServiceFactory(name="Knee assessment")
    provider = ProviderFactory(display_name="Dr. Ada Osei", services=[service])
    provider.user.phone = "+44 20 7946 0000"
    provider.user.save()
    return service, provider


def test_a_visitor_gets_the_booking_page_with_services_and_providers(client, clinic):
    service, provider = clinic
    response = client.get("/book", {"service": service.pk, "provider": provider.pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-visitor="1"' in html
    assert "Knee assessment" in html and "Dr. Ada Osei" in html
    assert 'id="visitor-login"' in html and 'id="visitor-signup"' in html
    assert 'id="confirm-button"' not in html
    # The provider's own contact details, the waitlist form and the series choice are for
    # signed-in clients.
    assert provider.user.email not in html and "7946" not in html
    assert 'id="waitlist-join"' not in html and "series.js" not in html
    assert 'data-timezone=""' in html  # the page names the device's zone


def test_a_signed_in_client_gets_the_booking_controls(client, client_user, clinic):
    service, provider = clinic
    client.force_login(client_user)
    html = client.get("/book", {"service": service.pk}).content.decode()
    assert 'data-visitor="1"' not in html and 'id="confirm-button"' in html
    assert 'id="waitlist-join"' in html
    assert f'data-timezone="{client_user.timezone}"' in html


def test_signing_up_from_the_booking_page_comes_back_to_the_chosen_time(client, clinic):
    import re
    from urllib.parse import quote

    from django.core import mail

    back = "/book?service=1&provider=2&start=2026-12-05T10:00:00Z"
    signup = client.get(f"/accounts/signup/?next={quote(back)}").content.decode()
    hidden = re.search(r'<input type="hidden" name="next" value="([^"]+)"', signup)
    assert hidden and hidden.group(1).replace("&amp;", "&") == back
    password = "a-Long-pass-2026!"
    response = client.post(
        "/accounts/signup/",
        {"email": "new@example.test", "password1": password, "password2": password, "next": back},
    )
    assert response.status_code == 302
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[-1].body).group(0)
    confirmed = client.post(link)
    assert confirmed.status_code == 302 and confirmed["Location"] == back
