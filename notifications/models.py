import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from scheduling.models import Appointment
from smartbook.models import SingletonModel

MAX_LEAD_MINUTES = 14 * 24 * 60


class NotificationKind(models.TextChoices):
    BOOKED = "booked", "Booked"
    RESCHEDULED = "rescheduled", "Rescheduled"
    CANCELLED = "cancelled", "Cancelled"
    REMINDER = "reminder", "Reminder"
    COMPLETED = "completed", "Completed (feedback request)"
    NO_SHOW = "no_show", "No-show"
    DIGEST = "digest", "Daily digest"
    WAITLIST = "waitlist", "Waitlisted slot opened"
    OFFER_GONE = "offer_gone", "Waitlist offer gone"
    OFFER_EXPIRED = "offer_expired", "Waitlist offer expired"
    EXTRA_REMINDER = "extra_reminder", "Extra reminder (high no-show risk)"
    STANDBY = "standby", "Standby place"


# A waitlist offer is told about under these kinds (`notifications.services.offers`).
OFFER_KINDS = (
    NotificationKind.WAITLIST,
    NotificationKind.OFFER_GONE,
    NotificationKind.OFFER_EXPIRED,
)


class Notification(models.Model):
    """One in-app notification in a user's inbox."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=16, choices=NotificationKind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(max_length=2000, blank=True)
    appointment = models.ForeignKey(
        Appointment,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notifications",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # "event:<event id>:<user id>": an event's fan-out run twice (a redelivered task) writes
    # nothing the second time.
    dedupe_key = models.CharField(max_length=100, null=True, blank=True, unique=True)
    # What the entry offers to do, as [{"label": ..., "url": ...}]: a waitlist offer's
    # one-click accept and decline links.
    links = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notif_user_created_idx"),
            models.Index(fields=["user"], condition=Q(read_at=None), name="notif_user_unread_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.title}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


def default_lead_minutes() -> list[int]:
    return [24 * 60, 60]


def validate_lead_minutes(value) -> None:
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        raise ValidationError("Give a list of whole minutes, e.g. [1440, 60].")
    if any(v < 1 or v > MAX_LEAD_MINUTES for v in value):
        raise ValidationError(f"Each lead time must be between 1 and {MAX_LEAD_MINUTES} minutes.")
    if len(set(value)) != len(value):
        raise ValidationError("Lead times must not repeat.")


class NotificationSettings(SingletonModel):
    """The single row of notification settings (pk=1), editable by staff."""

    reminder_lead_minutes = models.JSONField(
        default=default_lead_minutes,
        validators=[validate_lead_minutes],
        help_text="Minutes before an appointment at which reminders go out, for users who "
        "have not chosen their own.",
    )
    digest_hour = models.PositiveSmallIntegerField(
        default=18,
        validators=[MaxValueValidator(23)],
        help_text="Hour (UTC) at which providers get tomorrow's schedule.",
    )
    max_email_retries = models.PositiveSmallIntegerField(
        default=5,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
        help_text="Retries (with exponential back-off) before an email is marked failed.",
    )

    class Meta:
        verbose_name = "notification settings"
        verbose_name_plural = "notification settings"

    def __str__(self) -> str:
        return "Notification settings"


class Reminder(models.Model):
    """A reminder due at `due_at` for one recipient; sent at most once (claimed atomically)."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="reminders")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders"
    )
    lead_minutes = models.PositiveIntegerField()
    # The appointment's sequence when scheduled: a rescheduled appointment gets fresh rows.
    sequence = models.PositiveIntegerField(default=0)
    due_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "recipient", "lead_minutes", "sequence"],
                name="reminder_once_per_lead_and_sequence",
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_at"],
                condition=Q(sent_at=None, cancelled_at=None),
                name="reminder_pending_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Reminder {self.lead_minutes} min before #{self.appointment_id} to {self.recipient}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped (no longer relevant)"


class EmailDelivery(models.Model):
    """The outbox: one row per email, so that no failure is silently lost."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_deliveries"
    )
    to_email = models.EmailField(max_length=254)
    kind = models.CharField(max_length=16, choices=NotificationKind.choices)
    subject = models.CharField(max_length=200)
    appointment = models.ForeignKey(
        Appointment,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="email_deliveries",
    )
    # What the templates need beyond the appointment (old times, reason, actor, digest date).
    context = models.JSONField(default=dict, blank=True)
    # Makes a second run of the same job a no-op (e.g. "reminder:42", "digest:7:2026-03-02").
    dedupe_key = models.CharField(max_length=100, null=True, blank=True, unique=True)
    status = models.CharField(
        max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # While a send is in flight nobody else may start one (worker retry vs. the sweep).
    locked_until = models.DateTimeField(null=True, blank=True)
    # When the current attempt chain is expected to try again; the sweep re-drives rows
    # left pending well past it (e.g. enqueued while the broker was down).
    next_attempt_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "email deliveries"
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_status_next_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.to_email} ({self.status})"


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """A secret subscription URL for one user's calendar; regenerating revokes the old one."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    token = models.CharField(max_length=64, unique=True, default=new_feed_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(revoked_at=None), name="calendar_feed_one_active"
            ),
        ]

    def __str__(self) -> str:
        state = "revoked" if self.revoked_at else "active"
        return f"Calendar feed of {self.user} ({state})"

    @property
    def path(self) -> str:
        return f"/calendar/{self.token}.ics"


class ExtraReminder(models.Model):
    """The one extra reminder of an appointment at high risk of a no-show, with its "I'm
    coming" / "I can't make it" links (`notifications.services.attendance`). The row is the
    claim: one per appointment, so two sweeps at once send it once. `confirm_by` is the
    deadline it told the client (confirm-or-release), which is the only deadline they are
    held to."""

    appointment = models.OneToOneField(
        Appointment, on_delete=models.CASCADE, related_name="extra_reminder"
    )
    sent_at = models.DateTimeField()
    confirm_by = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at"]
        indexes = [
            models.Index(
                fields=["confirm_by"],
                condition=Q(confirm_by__isnull=False),
                name="extra_reminder_deadline_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Extra reminder of #{self.appointment_id} at {self.sent_at:%Y-%m-%d %H:%M}"
