import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from providers.models import Provider, Service, Urgency
from recommendations.engine import DEFAULT_WEIGHTS, FEATURE_NAMES
from smartbook.models import SingletonModel


def _weight_field(feature: str, help_text: str) -> models.FloatField:
    return models.FloatField(
        default=DEFAULT_WEIGHTS[feature],
        validators=[MinValueValidator(-20), MaxValueValidator(20)],
        help_text=help_text,
    )


class SchedulerSettings(SingletonModel):
    """The single row (pk=1) of scheduler parameters, editable by staff."""

    weight_weekday_fit = _weight_field("weekday_fit", "Slot on the client's usual weekday.")
    weight_time_of_day_fit = _weight_field("time_of_day_fit", "Slot at the client's usual time.")
    weight_provider_continuity = _weight_field(
        "provider_continuity", "Slot with the provider the client usually sees."
    )
    weight_urgency_fit = _weight_field("urgency_fit", "Soonness for urgent and soon requests.")
    weight_soonness = _weight_field("soonness", "Mild preference for sooner slots.")
    weight_lead_time_fit = _weight_field("lead_time_fit", "As far ahead as the client books.")
    weight_specialisation = _weight_field("specialisation", "Provider who does this service often.")
    weight_usual_slot = _weight_field("usual_slot", "Slot on the usual weekday at the usual time.")
    weight_wait_days = _weight_field(
        "wait_days", "Days of waiting, linear (negative: sooner is better)."
    )
    weight_load_balance = _weight_field("load_balance", "Provider and day with less booked.")
    weight_adjacency = _weight_field(
        "adjacency", "Slot touching an appointment or the edge of working hours."
    )
    weight_short_fragments = _weight_field(
        "short_fragments", "Penalty (negative) for leaving gaps too short for any service."
    )
    min_training_choices = models.PositiveIntegerField(
        default=200,
        help_text="Recorded picks a model must be trained on before it re-ranks.",
    )
    exploration_share = models.FloatField(
        default=0.3,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text="Share of live responses whose ranking gets random noise, so the log shows "
        "the model more than today's favourites (0 turns exploration off).",
    )
    exploration_noise = models.FloatField(
        default=1.0,
        validators=[MinValueValidator(0), MaxValueValidator(5)],
        help_text="Size of that noise (Gumbel scale, in score points).",
    )
    history_half_life_days = models.PositiveSmallIntegerField(
        default=120,
        validators=[MinValueValidator(7), MaxValueValidator(3650)],
        help_text="A past appointment this old counts half as much as a recent one.",
    )

    class Meta:
        verbose_name = "scheduler settings"
        verbose_name_plural = "scheduler settings"

    def __str__(self) -> str:
        return "Scheduler settings"

    def weights(self) -> dict[str, float]:
        return {name: float(getattr(self, f"weight_{name}")) for name in FEATURE_NAMES}


class ModelVersion(models.Model):
    version = models.PositiveIntegerField(unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    artifact_path = models.CharField(
        max_length=300, help_text="Relative to the MODEL_ARTIFACT_DIR setting."
    )
    metrics = models.JSONField(default=dict, blank=True)
    baseline_metrics = models.JSONField(
        default=dict, blank=True, help_text="What it was compared with on the same held-out data."
    )
    training_size = models.PositiveIntegerField(default=0, help_text="Picks trained on.")
    test_size = models.PositiveIntegerField(default=0, help_text="Held-out picks evaluated.")
    is_active = models.BooleanField(default=False)
    promoted = models.BooleanField(default=False, help_text="Beat the baseline when trained.")
    notes = models.TextField(blank=True, max_length=2000)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="one_active_model_version"
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.version}" + (" (active)" if self.is_active else "")

    @property
    def artifact_file(self):
        return settings.MODEL_ARTIFACT_DIR / self.artifact_path


class RecommendationLog(models.Model):
    """One response of the recommender: who asked what, and what was shown (the items)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recommendation_logs"
    )
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    provider = models.ForeignKey(
        Provider, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    urgency = models.CharField(max_length=16, choices=Urgency.choices, default=Urgency.ROUTINE)
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    limit = models.PositiveSmallIntegerField(default=5)
    candidate_count = models.PositiveIntegerField(default=0)
    ranker = models.CharField(max_length=40, help_text="'rules' or the learned model's version.")
    model_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="logs"
    )
    explored = models.BooleanField(
        default=False, help_text="The ranking had exploration noise (see scheduler settings)."
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    picked_item = models.ForeignKey(
        "RecommendationItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    picked_appointment = models.ForeignKey(
        "scheduling.Appointment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="recommendation_logs",
    )
    picked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.client} {self.created_at:%Y-%m-%d %H:%M} ({self.ranker})"


class RecommendationItem(models.Model):
    log = models.ForeignKey(RecommendationLog, on_delete=models.CASCADE, related_name="items")
    rank = models.PositiveSmallIntegerField()
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    score = models.FloatField()
    features = models.JSONField(default=dict)
    reasons = models.JSONField(default=list)

    class Meta:
        ordering = ["log", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["log", "rank"], name="recommendation_item_rank"),
        ]

    def __str__(self) -> str:
        return f"#{self.rank} {self.provider_id} {self.start:%Y-%m-%d %H:%M}"


class ProviderWish(models.TextChoices):
    PREFER = "prefer", "Prefer"
    AVOID = "avoid", "Avoid"


class ClientProviderPreference(models.Model):
    """A client's wish about one provider: preferred ones are favoured, avoided ones are never
    recommended (the free times still show everyone)."""

    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="provider_preferences"
    )
    provider = models.ForeignKey(
        Provider, on_delete=models.CASCADE, related_name="client_preferences"
    )
    wish = models.CharField(max_length=8, choices=ProviderWish.choices)

    class Meta:
        verbose_name = "client's provider preference"
        constraints = [
            models.UniqueConstraint(fields=["client", "provider"], name="one_wish_per_provider")
        ]

    def __str__(self) -> str:
        return f"{self.client} {self.get_wish_display().lower()}s {self.provider}"
