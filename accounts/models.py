from datetime import time
from zoneinfo import available_timezones

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone as dj_timezone
from rest_framework_api_key.models import AbstractAPIKey, BaseAPIKeyManager


def validate_timezone_name(value: str) -> None:
    if value not in _timezone_names():
        raise ValidationError(
            f"“{value}” is not a time zone we know. Choose one from the list, such as "
            "Europe/London."
        )


_TZ_CACHE: set[str] = set()


def _timezone_names() -> set[str]:
    if not _TZ_CACHE:
        _TZ_CACHE.update(available_timezones())
    return _TZ_CACHE


class Role(models.TextChoices):
    CLIENT = "client", "Client"
    PROVIDER = "provider", "Provider"
    ADMIN = "admin", "Administrator"


class TimeOfDay(models.TextChoices):
    MORNING = "morning", "Morning (before 12:00)"
    LUNCHTIME = "lunchtime", "Lunchtime (12:00-14:00)"
    AFTERNOON = "afternoon", "Afternoon (12:00-17:00)"
    EVENING = "evening", "Evening (after 17:00)"


# The hours a client may be offered unless they say otherwise, in their own zone.
DEFAULT_EARLIEST_TIME = time(7, 0)
DEFAULT_LATEST_TIME = time(21, 0)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("role", Role.CLIENT)
        extra.setdefault("is_staff", extra["role"] == Role.ADMIN)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.update(role=Role.ADMIN, is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField("email address", unique=True, max_length=254)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CLIENT)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone_name])
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(
        default=False, help_text="Can log in to the staff dashboard (admin)."
    )
    date_joined = models.DateTimeField(default=dj_timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]
        indexes = [models.Index(fields=["role", "is_active"], name="user_role_active_idx")]

    def __str__(self) -> str:
        return self.email

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.first_name or self.email

    @property
    def is_client(self) -> bool:
        return self.role == Role.CLIENT

    @property
    def is_provider(self) -> bool:
        return self.role == Role.PROVIDER

    @property
    def is_staff_member(self) -> bool:
        """The one definition of staff: an active administrator (role admin, or superuser).

        The `is_staff` flag only opens the Django admin; it grants no booking powers.
        """
        return self.is_active and (self.role == Role.ADMIN or self.is_superuser)


def default_reminder_leads() -> list[int]:
    return [24 * 60, 60]


MAX_REMINDERS = 5
MAX_REMINDER_LEAD_MINUTES = 4 * 7 * 24 * 60  # four weeks


def validate_weekdays(value) -> None:
    if not isinstance(value, list) or any(
        type(day) is not int or not 0 <= day <= 6 for day in value
    ):
        raise ValidationError("Give a list of weekdays from 0 (Monday) to 6 (Sunday).")
    if len(set(value)) != len(value):
        raise ValidationError("Each weekday may appear only once.")


def validate_times_of_day(value) -> None:
    allowed = set(TimeOfDay.values)
    if not isinstance(value, list) or any(
        not isinstance(item, str) or item not in allowed for item in value
    ):
        raise ValidationError(f"Give a list drawn from: {', '.join(TimeOfDay.values)}.")
    if len(set(value)) != len(value):
        raise ValidationError("Each time of day may appear only once.")


def validate_reminder_leads(value) -> None:
    if not isinstance(value, list) or any(
        type(minutes) is not int or not 0 < minutes <= MAX_REMINDER_LEAD_MINUTES
        for minutes in value
    ):
        raise ValidationError(
            f"Give a list of whole minutes between 1 and {MAX_REMINDER_LEAD_MINUTES}."
        )
    if len(value) > MAX_REMINDERS:
        raise ValidationError(f"At most {MAX_REMINDERS} reminders.")
    if len(set(value)) != len(value):
        raise ValidationError("Each reminder lead time may appear only once.")


class Profile(models.Model):
    """Preferences that shape recommendations and notifications."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    # 0 = Monday ... 6 = Sunday, as in datetime.weekday()
    preferred_weekdays = models.JSONField(default=list, blank=True, validators=[validate_weekdays])
    preferred_times_of_day = models.JSONField(
        default=list, blank=True, validators=[validate_times_of_day]
    )
    email_notifications = models.BooleanField(default=True)
    reminders_enabled = models.BooleanField(default=True)
    # minutes before the appointment at which reminders go out
    reminder_lead_minutes = models.JSONField(
        default=default_reminder_leads, blank=True, validators=[validate_reminder_leads]
    )
    max_wait_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(365)],
        help_text="How long the client is usually willing to wait for an appointment.",
    )
    # Hard limits of what is recommended (in the client's zone): never a time starting before
    # `earliest_time` or ending after `latest_time`, never on an avoided weekday.
    earliest_time = models.TimeField(
        default=DEFAULT_EARLIEST_TIME, help_text="No appointment is suggested before this."
    )
    latest_time = models.TimeField(
        default=DEFAULT_LATEST_TIME, help_text="No suggested appointment ends after this."
    )
    avoided_weekdays = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_weekdays],
        help_text="Days never suggested (0 = Monday ... 6 = Sunday).",
    )
    # When the stated wishes last changed: history from before then counts for less.
    preferences_changed_at = models.DateTimeField(null=True, blank=True, editable=False)

    def __str__(self) -> str:
        return f"Profile of {self.user}"

    def clean(self) -> None:
        errors = {}
        if self.earliest_time and self.latest_time and self.latest_time <= self.earliest_time:
            errors["latest_time"] = "Choose a latest time after the earliest time."
        avoided = set(self.avoided_weekdays or [])
        if len(avoided) == 7:
            errors["avoided_weekdays"] = "Leave at least one day you could come."
        elif avoided & set(self.preferred_weekdays or []):
            errors["avoided_weekdays"] = "A day cannot be both preferred and avoided."
        if errors:
            raise ValidationError(errors)


class APIKeyScope(models.TextChoices):
    """What a server-to-server API key may do. A view declares the scope each of its methods
    needs (`api_key_scopes`); a key reaches nothing else."""

    SERVICES_READ = "services:read", "Read services, providers and availability"
    APPOINTMENTS_WRITE = (
        "appointments:write",
        "Book, reschedule and cancel on behalf of clients",
    )
    APPOINTMENTS_READ = "appointments:read", "Read appointments"
    ANALYTICS_READ = "analytics:read", "Read analytics"


APIScope = APIKeyScope


def validate_scopes(value) -> None:
    allowed = set(APIKeyScope.values)
    if not isinstance(value, list) or not value:
        raise ValidationError("Give at least one scope.")
    unknown = [item for item in value if not isinstance(item, str) or item not in allowed]
    if unknown:
        raise ValidationError(
            f"Unknown scope(s): {', '.join(map(str, unknown))}. "
            f"Choose from: {', '.join(APIKeyScope.values)}."
        )
    if len(set(value)) != len(value):
        raise ValidationError("Each scope may appear only once.")


class APIKeyManager(BaseAPIKeyManager):
    def assign_key(self, obj: "APIKey") -> str:
        key = super().assign_key(obj)
        # The library makes "<prefix>.<hash>" the primary key; ours is a plain number so the
        # hash never appears in a URL (the admin's), a log line or another table.
        obj.id = None
        return key


class APIKey(AbstractAPIKey):
    """A key of another system (a patient record, a CRM, a chatbot): shown once when staff
    create it, stored as a hash (`hashed_key`), found by its `prefix`."""

    id = models.BigAutoField(primary_key=True)
    scopes = models.JSONField(default=list, validators=[validate_scopes])
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="created_api_keys",
        editable=False,
    )

    objects = APIKeyManager()

    class Meta(AbstractAPIKey.Meta):
        ordering = ("-created",)
        verbose_name = "API key"
        verbose_name_plural = "API keys"

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])


class APIKeyWrite(models.Model):
    """One key-authenticated write (a request with an unsafe method), whatever its answer.
    The key's name is copied, so the row still says who wrote after a rename or deletion."""

    key = models.ForeignKey(APIKey, null=True, on_delete=models.SET_NULL, related_name="writes")
    key_name = models.CharField(max_length=50)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=2000)
    status_code = models.PositiveSmallIntegerField()
    appointment_id = models.PositiveBigIntegerField(null=True, blank=True)
    at = models.DateTimeField(default=dj_timezone.now, db_index=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = "API key write"

    def __str__(self) -> str:
        return f"{self.key_name}: {self.method} {self.path} -> {self.status_code}"
