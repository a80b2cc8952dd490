"""Web sign-up, verification, login, lockout, logout and password reset (allauth + ours)."""

import re

import pytest
from allauth.account.models import EmailAddress
from axes.models import AccessAttempt
from django.conf import settings
from django.core import mail

from accounts.models import Profile, Role, User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory, verified_user

pytestmark = pytest.mark.django_db

STRONG = "plum-orchard-velvet-42"


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def link_in_outbox(pattern: str) -> str:
    return path_of(re.search(pattern, mail.outbox[-1].body).group(0))


def web_login(client, email, password=DEFAULT_PASSWORD, **extra):
    return client.post("/accounts/login/", {"login": email, "password": password}, **extra)


# --- pages and layout --------------------------------------------------------------------


def test_home_page_renders_with_sign_up_and_log_in_for_visitors(client):
    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="/accounts/signup/"' in html and 'href="/accounts/login/"' in html
    assert 'href="/static/css/smartbook.css"' in html
    assert "Log out" not in html


def test_nav_shows_client_links_and_hides_schedule_and_admin(client, client_user):
    client.force_login(client_user)

    html = client.get("/").content.decode()

    for href in [
        'href="/book"',
        'href="/appointments"',
        'href="/notifications"',
        'href="/profile"',
    ]:
        assert href in html
    assert 'href="/schedule"' not in html
    assert 'href="/admin/"' not in html
    assert "Log out" in html


def test_nav_shows_schedule_to_providers_and_admin_to_staff(client, admin_user):
    provider_user = UserFactory(role=Role.PROVIDER)
    client.force_login(provider_user)
    assert 'href="/schedule"' in client.get("/").content.decode()

    client.force_login(admin_user)
    assert 'href="/admin/"' in client.get("/").content.decode()


def test_allauth_pages_use_our_layout_with_labelled_fields(client):
    html = client.get("/accounts/signup/").content.decode()

    assert "smartbook.css" in html and 'class="site-nav"' in html
    for field_id in ("id_email", "id_password1", "id_password2"):
        assert f'<label for="{field_id}">' in html
        assert f'id="{field_id}"' in html
    assert "<title>Sign up · SmartBook</title>" in html


# --- sign-up and verification ------------------------------------------------------------


def test_web_signup_sends_verification_and_the_link_verifies_and_logs_in(client):
    response = client.post(
        "/accounts/signup/",
        {"email": "Web.User@Example.com", "password1": STRONG, "password2": STRONG},
    )

    assert response.status_code == 302
    user = User.objects.get(email="web.user@example.com")
    assert user.role == Role.CLIENT
    assert EmailAddress.objects.get(user=user).verified is False
    confirm = link_in_outbox(r"https?://\S+/accounts/confirm-email/\S+/")

    assert client.get(confirm).status_code == 200
    assert client.post(confirm).status_code == 302
    assert EmailAddress.objects.get(user=user).verified is True
    assert client.get("/").context["user"] == user


def test_web_signup_rejects_weak_password_with_a_message(client):
    response = client.post(
        "/accounts/signup/", {"email": "w@example.com", "password1": "123", "password2": "123"}
    )

    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert not User.objects.filter(email="w@example.com").exists()


def test_unverified_user_cannot_log_in_on_the_web(client):
    user = UserFactory(email="pending@example.com")
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=False)

    response = web_login(client, "pending@example.com")

    assert response.status_code == 302
    assert "confirm-email" in response["Location"]
    assert "_auth_user_id" not in client.session


# --- login, lockout, logout --------------------------------------------------------------


def test_web_login_and_logout(client):
    user = verified_user(email="ann@example.com")

    response = web_login(client, "ann@example.com")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)

    assert client.post("/accounts/logout/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_failed_web_logins_lock_out_with_our_page(client):
    verified_user(email="ann@example.com")
    limit = settings.AXES_FAILURE_LIMIT

    statuses = [
        web_login(client, "ann@example.com", "wrong-guess-xx").status_code for _ in range(limit)
    ]
    locked = web_login(client, "ann@example.com")

    assert statuses == [200] * (limit - 1) + [429]
    assert locked.status_code == 429
    assert "account/lockout.html" in [t.name for t in locked.templates]
    assert "Too many failed logins" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert AccessAttempt.objects.get().username == "ann@example.com"


def test_web_and_api_failures_add_up_for_one_person(client, api_client):
    verified_user(email="ann@example.com")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        web_login(client, "Ann@Example.com", "wrong-guess-xx")

    response = api_client.post(
        "/api/auth/login", {"email": "ann@example.com", "password": "wrong-guess-xx"}, format="json"
    )

    assert response.status_code == 429
    assert web_login(client, "ann@example.com").status_code == 429


def test_client_is_sent_to_the_admin_login_page(client, client_user):
    client.force_login(client_user)

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


# --- password reset ----------------------------------------------------------------------


def test_allauth_password_reset_flow(client):
    user = verified_user(email="ann@example.com")

    assert client.post("/accounts/password/reset/", {"email": "ann@example.com"}).status_code == 302
    link = link_in_outbox(r"https?://\S+/accounts/password/reset/key/\S+/")
    form_page = client.get(link, follow=True)
    response = client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link,
        {"password1": STRONG, "password2": STRONG},
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(STRONG)


def test_api_reset_link_opens_a_page_that_sets_the_password_once(client, api_client):
    user = verified_user(email="ann@example.com")
    api_client.post("/api/auth/password/reset", {"email": "ann@example.com"}, format="json")
    link = link_in_outbox(r"https?://\S+/password/reset/\S+")

    page = client.get(link)
    assert page.status_code == 200
    assert '<label for="id_new_password1">' in page.content.decode()

    done = client.post(link, {"new_password1": STRONG, "new_password2": STRONG})
    assert done.status_code == 200 and "Password changed" in done.content.decode()
    user.refresh_from_db()
    assert user.check_password(STRONG)

    again = client.get(link)
    assert again.status_code == 400
    assert "no longer works" in again.content.decode()


def test_api_reset_page_shows_validation_errors(client, api_client):
    user = verified_user(email="ann@example.com")
    api_client.post("/api/auth/password/reset", {"email": "ann@example.com"}, format="json")
    link = link_in_outbox(r"https?://\S+/password/reset/\S+")

    response = client.post(link, {"new_password1": "123", "new_password2": "123"})

    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_profile_rows_exist_for_web_signups(client):
    client.post(
        "/accounts/signup/", {"email": "p@example.com", "password1": STRONG, "password2": STRONG}
    )

    assert Profile.objects.filter(user__email="p@example.com").exists()
