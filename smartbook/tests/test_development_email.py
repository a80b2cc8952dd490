"""Development's email backend: one console line per message with its first link, the whole
message in a file."""

import re

import pytest
from django.core.mail import EmailMultiAlternatives

from smartbook.mail import summary

STRONG = "a-Long-pass-2026!"


@pytest.fixture
def development_email(settings, tmp_path):
    settings.EMAIL_BACKEND = "smartbook.mail.DevelopmentEmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    return tmp_path


def test_a_message_is_one_line_with_its_first_link_and_whole_in_a_file(development_email, capsys):
    message = EmailMultiAlternatives(
        "Your booking",
        "Hello.\nSee https://clinic.test/a/1 or https://clinic.test/a/1/cancel.\n"
        "Again: https://clinic.test/a/1\n",
        to=["ann@example.test", "bo@example.test"],
    )
    message.attach_alternative(
        "<p>Hello <a href='https://clinic.test/a/1'>view</a></p>", "text/html"
    )
    assert message.send() == 1

    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(
        'Email to ann@example.test, bo@example.test: "Your booking" https://clinic.test/a/1 '
        "(and 1 more links); in full: "
    )
    (written,) = development_email.iterdir()
    assert lines[0].endswith(str(written))
    text = written.read_text()
    assert "multipart/alternative" in text and "text/html" in text
    assert "Subject: Your booking" in text


def test_a_message_without_links_names_no_link():
    class Plain:
        subject = "Hi"
        body = "No links here."

        def recipients(self):
            return ["ann@example.test"]

    assert summary(Plain(), "f.log") == 'Email to ann@example.test: "Hi"; in full: f.log'


@pytest.mark.django_db
def test_the_sign_up_verification_link_is_on_the_console(development_email, client, capsys):
    response = client.post(
        "/accounts/signup/",
        {"email": "new.person@example.test", "password1": STRONG, "password2": STRONG},
    )
    assert response.status_code == 302
    out = capsys.readouterr().out
    (line,) = [line for line in out.splitlines() if line.startswith("Email to ")]
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", line)
    assert link, line
    assert client.get(link.group(0)).status_code == 200
