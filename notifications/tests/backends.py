"""A stand-in for a flaky SMTP server: the only double in these tests."""

import smtplib

from django.core.mail.backends.locmem import EmailBackend as LocmemBackend


class FlakySMTPBackend(LocmemBackend):
    """Fails the first `failures` sends with `error`, then delivers to the locmem outbox."""

    failures = 0
    calls = 0
    error: Exception = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    @classmethod
    def arrange(cls, *, failures: int, error: Exception | None = None) -> None:
        cls.failures, cls.calls = failures, 0
        cls.error = error or smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    def send_messages(self, email_messages):
        type(self).calls += 1
        if type(self).failures > 0:
            type(self).failures -= 1
            raise type(self).error
        return super().send_messages(email_messages)
