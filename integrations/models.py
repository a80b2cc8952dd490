"""Webhook endpoints registered by staff and the log of every delivery made to them."""

import base64
import secrets
import uuid
from datetime import datetime
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


class WebhookEvent(models.TextChoices):
    """The events an endpoint may subscribe to (the types of their payloads)."""

    BOOKED = "appointment.booked", "Appointment booked"
    RESCHEDULED = "appointment.rescheduled", "Appointment rescheduled"
    CANCELLED = "appointment.cancelled", "Appointment cancelled"
    CONFIRMED = "appointment.confirmed", "Appointment confirmed by the client"
    COMPLETED = "appointment.completed", "Appointment completed"
    NO_SHOW = "appointment.no_show", "Appointment marked no-show"
    OFFER_ACCEPTED = "waitlist.offer_accepted", "Waitlist offer accepted"


# Sent by the admin's "send a test event" only; no endpoint subscribes to it.
TEST_EVENT = "webhook.test"


def generate_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and the base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def generate_event_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def url_problem(url: str) -> str | None:
    """Why `url` cannot be a webhook address, in plain words; None when it can."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        return "This is not a valid address."
    if parts.scheme not in ("http", "https"):
        return "Only http:// and https:// addresses can receive webhooks."
    if not parts.hostname:
        return "The address has no host name."
    if parts.username or parts.password:
        return "The address may not carry a user name or password."
    return None


class WebhookEndpoint(models.Model):
    url = models.URLField("URL", max_length=500)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list, help_text="The event types this endpoint receives.")
    is_active = models.BooleanField(default=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.TextField(blank=True)
    failing_since = models.DateTimeField(
        null=True, blank=True, help_text="Start of the current run of failed attempts."
    )
    secret = models.CharField(max_length=100, default=generate_secret, editable=False)
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.description or self.url

    def clean(self) -> None:
        problem = url_problem(self.url or "")
        errors = {}
        if problem:
            errors["url"] = problem
        known = set(WebhookEvent.values)
        if (
            not isinstance(self.events, list)
            or not self.events
            or any(event not in known for event in self.events)
        ):
            errors["events"] = "Choose one or more of: " + ", ".join(WebhookEvent.values) + "."
        elif len(set(self.events)) != len(self.events):
            errors["events"] = "Each event may be listed once."
        if errors:
            raise ValidationError(errors)

    def wants(self, event_type: str) -> bool:
        return event_type in self.events

    def signing_secrets(self, *, now: datetime | None = None) -> list[str]:
        """The current secret, and the previous one while its rotation overlap lasts."""
        now = now or timezone.now()
        keys = [self.secret]
        if (
            self.previous_secret
            and self.previous_secret_expires_at
            and now < self.previous_secret_expires_at
        ):
            keys.append(self.previous_secret)
        return keys


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed (given up)"


class WebhookDelivery(models.Model):
    """One event for one endpoint: sent at least once, until delivered or given up."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.CharField(max_length=40, help_text="The webhook-id header; stable.")
    event_type = models.CharField(max_length=40)
    appointment_id = models.BigIntegerField(null=True, blank=True)
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_duration_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event_id"], name="integrations_one_delivery_per_event"
            )
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="integrations_due"),
            models.Index(
                fields=["endpoint", "appointment_id", "status"], name="integrations_in_line"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} to {self.endpoint_id}"
