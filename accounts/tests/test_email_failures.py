"""A mail server that fails neither loses the account nor reveals which addresses exist."""

from smtplib import SMTPException

import pytest
from django.core.mail.backends.base import BaseEmailBackend

from accounts.models import User
from accounts.tests.factories import verified_user

pytestmark = pytest.mark.django_db


class FailingSMTPBackend(BaseEmailBackend):
    """Stands in for an unreachable SMTP server."""

    def send_messages(self, email_messages):
        raise SMTPException("connection refused")


@pytest.fixture
def smtp_down(settings):
    settings.EMAIL_BACKEND = f"{__name__}.FailingSMTPBackend"


@pytest.mark.usefixtures("smtp_down")
def test_password_reset_answers_the_same_when_mail_fails(api_client):
    verified_user(email="ann@example.com")

    known = api_client.post("/api/auth/password/reset", {"email": "ann@example.com"}, format="json")
    unknown = api_client.post(
        "/api/auth/password/reset", {"email": "zed@example.com"}, format="json"
    )

    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()


@pytest.mark.usefixtures("smtp_down")
def test_registration_survives_a_mail_failure(api_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            "/api/auth/register",
            {"email": "new@example.com", "password": "plum-orchard-velvet-42"},
            format="json",
        )

    assert response.status_code == 201
    assert User.objects.filter(email="new@example.com").exists()
