"""Delivery channels behind one interface (after healthchecks' transports).

A channel delivers a `Message` to its recipient or raises `TransientError` (try again later)
or `PermanentError` (retrying will not help). SMS or push would be one more class here.
"""

import smtplib
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives


class ChannelError(Exception):
    """A channel could not deliver the message."""


class TransientError(ChannelError):
    """The channel failed in a way that may succeed later (server down, 4xx reply)."""


class PermanentError(ChannelError):
    """The channel refused the message for good (bad address, 5xx reply)."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str


@dataclass
class Message:
    """What one recipient is told, in every form a channel may need."""

    recipient: Any  # accounts.User
    kind: str
    title: str
    summary: str
    subject: str = ""
    text_body: str = ""
    html_body: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    appointment: Any = None  # scheduling.Appointment or None
    to_email: str = ""
    dedupe_key: str | None = None  # a second send with the same key is refused by the store
    links: list[dict[str, str]] = field(default_factory=list)  # the inbox entry's actions


class Channel:
    name = "base"

    def send(self, message: Message) -> Any:
        raise NotImplementedError


class InAppChannel(Channel):
    """Stores the message in the recipient's inbox."""

    name = "in_app"

    def send(self, message: Message):
        return self.send_many([message])[0]

    def send_many(self, messages: list[Message]) -> list:
        """Store several messages in one INSERT (an event tells both client and provider)."""
        from notifications.models import Notification

        return Notification.objects.bulk_create(
            Notification(
                user=message.recipient,
                kind=message.kind,
                title=message.title[:200],
                body=message.summary,
                appointment=message.appointment,
                dedupe_key=message.dedupe_key,
                links=message.links,
            )
            for message in messages
        )


# SMTP replies in the 5xx range are permanent (RFC 5321, 4.2.1); 4xx and lost connections
# are worth retrying.
def _classify_smtp_error(exc: smtplib.SMTPException) -> ChannelError:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        if codes and all(code >= 500 for code in codes):
            return PermanentError(f"Recipient refused: {exc.recipients}")
        return TransientError(f"Recipient temporarily refused: {exc.recipients}")
    if isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500:
        return PermanentError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}")
    return TransientError(f"{type(exc).__name__}: {exc}")


class EmailChannel(Channel):
    """Sends an HTML + text email with attachments through Django's configured backend."""

    name = "email"

    def send(self, message: Message) -> None:
        to = message.to_email or message.recipient.email
        if not to:
            raise PermanentError("The recipient has no email address.")
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.text_body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[to],
        )
        if message.html_body:
            email.attach_alternative(message.html_body, "text/html")
        for attachment in message.attachments:
            email.attach(attachment.filename, attachment.content, attachment.mimetype)
        try:
            email.send(fail_silently=False)
        except smtplib.SMTPException as exc:
            raise _classify_smtp_error(exc) from exc
        except OSError as exc:  # connection refused, timeouts, DNS
            raise TransientError(f"{type(exc).__name__}: {exc}") from exc
