"""Who turns up: the no-show risk of each appointment, the models that estimate it and the
staff's thresholds (docs/architecture.md, "No-show prediction")."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from scheduling.models import Appointment
from smartbook.models import SingletonModel


class RiskLevel(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class NoShowSettings(SingletonModel):
    """The single row (pk=1) of no-show thresholds, editable by staff."""

    medium_from = models.FloatField(
        default=0.15,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text="A chance of not turning up from this (0 to 1) shows as medium risk.",
    )
    high_from = models.FloatField(
        default=0.30,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text="A chance of not turning up from this (0 to 1) shows as high risk.",
    )
    min_outcomes = models.PositiveIntegerField(
        default=200,
        help_text="Finished appointments (attended or missed) needed before a trained model "
        "replaces each service's plain no-show rate.",
    )

    class Meta:
        verbose_name = "no-show settings"
        verbose_name_plural = "no-show settings"

    def __str__(self) -> str:
        return "No-show settings"

    def clean(self) -> None:
        both = self.medium_from is not None and self.high_from is not None
        if both and self.medium_from > self.high_from:
            raise ValidationError({"high_from": "High risk must start at or above medium risk."})

    def level_for(self, probability: float) -> str:
        if probability >= self.high_from:
            return RiskLevel.HIGH
        if probability >= self.medium_from:
            return RiskLevel.MEDIUM
        return RiskLevel.LOW


class NoShowModelVersion(models.Model):
    """One trained no-show model: its held-out metrics, what it was compared with, and
    whether it is the one in use (at most one is active)."""

    version = models.PositiveIntegerField(unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=40, help_text="Which candidate won: logistic or boosting.")
    artifact_path = models.CharField(
        max_length=300, help_text="Relative to the MODEL_ARTIFACT_DIR setting."
    )
    metrics = models.JSONField(default=dict, blank=True)
    baseline_metrics = models.JSONField(
        default=dict,
        blank=True,
        help_text="The active version's and the base rate's metrics on the same held-out data.",
    )
    training_size = models.PositiveIntegerField(default=0, help_text="Outcomes trained on.")
    test_size = models.PositiveIntegerField(default=0, help_text="Held-out outcomes evaluated.")
    is_active = models.BooleanField(default=False)
    promoted = models.BooleanField(default=False, help_text="Beat the one in use when trained.")
    notes = models.TextField(blank=True, max_length=2000)

    class Meta:
        ordering = ["-version"]
        verbose_name = "no-show model version"
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=Q(is_active=True),
                name="one_active_no_show_model",
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.version}" + (" (active)" if self.is_active else "")

    @property
    def artifact_file(self):
        return settings.MODEL_ARTIFACT_DIR / self.artifact_path


class RowJSONField(models.JSONField):
    """A JSONField that bulk inserts row by row (`VALUES`). Without a placeholder of its own,
    Django sends PostgreSQL a bulk insert as one array per column (`UNNEST`), and quoting a
    jsonb array quotes every element again in Python: upserting a day's 600 scores took about
    a third less time this way (70 against 45-50 ms on PostgreSQL)."""

    def get_placeholder(self, value, compiler, connection) -> str:
        return "%s"


class RiskScore(models.Model):
    """The latest no-show risk of one appointment (re-scored at booking, on a move and
    daily until the day)."""

    appointment = models.OneToOneField(
        Appointment, primary_key=True, on_delete=models.CASCADE, related_name="risk_score"
    )
    probability = models.FloatField(validators=[MinValueValidator(0), MaxValueValidator(1)])
    level = models.CharField(max_length=8, choices=RiskLevel.choices)
    reasons = models.JSONField(default=list, blank=True)
    model_version = models.ForeignKey(
        NoShowModelVersion,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="scores",
        help_text="Empty: the service's plain no-show rate (not enough outcomes yet).",
    )
    features = RowJSONField(default=dict, blank=True)
    scored_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "risk score"
        indexes = [models.Index(fields=["level"], name="riskscore_level_idx")]

    def __str__(self) -> str:
        return f"{self.appointment_id}: {self.level} ({self.probability:.0%})"


class ReminderDelivery(models.Model):
    """A reminder that reached the client (notifications tells attendance through
    `attendance.services.reminder_delivered`; attendance cannot import notifications)."""

    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, related_name="reminder_deliveries"
    )
    delivered_at = models.DateTimeField()

    class Meta:
        ordering = ["delivered_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "delivered_at"], name="reminder_delivery_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.appointment_id} at {self.delivered_at:%Y-%m-%d %H:%M}"
