"""Every account page and email is SmartBook's: our layout and voice, sentence-case headings,
our labels, a way to reach us, our name and address instead of Django's example.com, HTML
with a text part, and a login of an unconfirmed address says why it did not log in."""

import re
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.sites.models import Site
from django.core import mail

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

STRONG = "plum-orchard-velvet-42"
TITLE_CASE = re.compile(r"<h([12])>\s*(?:[A-Z][a-z]+ ){1,3}[A-Z][a-z]+\s*</h\1>")


def _html(message) -> str:
    (html, mimetype), *_ = message.alternatives
    assert mimetype == "text/html"
    return html


def _is_ours(message) -> None:
    html = _html(message)
    for body in (message.body, html):
        assert "example.com" not in body.replace("@example.com", "")
        assert settings.CONTACT_EMAIL in body
        assert settings.SITE_URL in body
        assert "Hello from" not in body and "Thank you for using" not in body
    assert message.subject.startswith("[SmartBook] ")
    assert f'<h1 style="font-size: 20px; margin: 0 0 16px;">{message.subject[12:]}</h1>' in html


def test_the_site_is_smartbook_at_the_site_url():
    site = Site.objects.get(pk=settings.SITE_ID)
    assert site.name == "SmartBook"
    assert site.domain == urlsplit(settings.SITE_URL).netloc


def test_the_sign_up_confirmation_is_ours_in_html_and_text(client):
    client.post(
        "/accounts/signup/",
        {"email": "new@example.com", "password1": STRONG, "password2": STRONG},
    )

    (message,) = mail.outbox
    _is_ours(message)
    assert message.subject == "[SmartBook] Confirm your email address"
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", message.body).group(0)
    assert f'href="{link}"' in _html(message)
    assert "Hello there," in message.body


def test_the_password_reset_email_is_ours_in_html_and_text(client):
    user = UserFactory(email="reset@example.com", first_name="Rosa")
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)

    client.post("/accounts/password/reset/", {"email": "reset@example.com"})

    (message,) = mail.outbox
    _is_ours(message)
    assert message.subject == "[SmartBook] Choose a new password"
    assert "Hello Rosa," in message.body
    assert "/accounts/password/reset/key/" in _html(message)


def test_the_api_password_reset_email_is_ours_in_html_and_text(api_client):
    user = UserFactory(email="api.reset@example.com")

    api_client.post("/api/auth/password/reset", {"email": user.email}, format="json")

    (message,) = mail.outbox
    _is_ours(message)
    assert "/password/reset/" in _html(message)


def test_logging_in_unconfirmed_says_so_and_that_a_new_link_went_out(client):
    user = UserFactory(email="pending@example.com")
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=False)

    response = client.post(
        "/accounts/login/",
        {"login": "pending@example.com", "password": DEFAULT_PASSWORD},
        follow=True,
    )

    page = response.content.decode()
    assert "You have not confirmed pending@example.com yet, so you are not logged in." in page
    assert "new confirmation link" in page
    assert "_auth_user_id" not in client.session
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("url", "heading"),
    [
        ("/accounts/login/", "Log in"),
        ("/accounts/signup/", "Create your account"),
        ("/accounts/password/reset/", "Reset your password"),
        ("/accounts/password/reset/done/", "Check your email"),
        ("/accounts/confirm-email/", "Confirm your email address"),
        ("/accounts/confirm-email/not-a-key/", "Confirm your email address"),
        ("/accounts/password/reset/key/1-bad/", "This link no longer works"),
    ],
)
def test_account_pages_speak_our_words(client, url, heading):
    response = client.get(url, follow=True)
    html = response.content.decode()

    assert f"<h1>{heading}</h1>" in html
    assert not TITLE_CASE.search(html), TITLE_CASE.search(html)
    assert "Email:" not in html and "Please contact us" not in html
    assert 'placeholder="Email address"' not in html


@pytest.mark.parametrize(
    "url",
    ["/accounts/password/reset/", "/accounts/password/reset/done/", "/accounts/confirm-email/"],
)
def test_pages_where_people_get_stuck_link_to_us(client, url):
    html = client.get(url).content.decode()
    assert f'href="mailto:{settings.CONTACT_EMAIL}"' in html


def test_forms_carry_our_labels(client):
    login = client.get("/accounts/login/").content.decode()
    assert '<label for="id_login">Email address</label>' in login
    assert "Keep me logged in on this device" in login and "Remember Me" not in login
    signup = client.get("/accounts/signup/").content.decode()
    assert '<label for="id_password2">Password again</label>' in signup


@pytest.mark.parametrize(
    ("url", "heading"),
    [
        ("/accounts/email/", "Your email addresses"),
        ("/accounts/password/change/", "Change your password"),
        ("/accounts/reauthenticate/", "Confirm it is you"),
        ("/accounts/logout/", "Log out"),
    ],
)
def test_signed_in_account_pages_speak_our_words(client, url, heading):
    client.force_login(UserFactory())
    html = client.get(url).content.decode()

    assert f"<h1>{heading}</h1>" in html
    assert not TITLE_CASE.search(html), TITLE_CASE.search(html)
    assert "Email:" not in html and "Password:" not in html
    assert "<script>" not in html and "<script data-" not in html  # no inline scripts (CSP)


def test_our_email_page_still_adds_and_confirms_addresses(client):
    user = UserFactory(email="main@example.com")
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
    client.force_login(user)

    response = client.post(
        "/accounts/email/", {"action_add": "", "email": "second@example.com"}, follow=True
    )

    assert response.status_code == 200
    assert EmailAddress.objects.filter(user=user, email="second@example.com").exists()
    assert "second@example.com · not confirmed yet" in response.content.decode()
    (message,) = mail.outbox
    _is_ours(message)
