from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from accounts.models import validate_timezone_name
from providers.holidays import is_supported_country, supported_subdivisions


class Urgency(models.TextChoices):
    ROUTINE = "routine", "Routine"
    SOON = "soon", "Soon"
    URGENT = "urgent", "Urgent"


def all_urgencies() -> list[str]:
    return [choice.value for choice in Urgency]


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class ServiceCategory(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True, max_length=2000)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "service categories"

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    category = models.ForeignKey(ServiceCategory, on_delete=models.PROTECT, related_name="services")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, max_length=2000)
    duration_minutes = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(5), MaxValueValidator(8 * 60)]
    )
    price = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    buffer_before_minutes = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(240)]
    )
    buffer_after_minutes = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(240)]
    )
    accepted_urgencies = models.JSONField(
        default=all_urgencies, help_text="Urgency levels this service accepts."
    )
    is_active = models.BooleanField(default=True)
    # A group service: one provider's session at a time holds up to `capacity` clients (its
    # seats are appointments of one `scheduling.GroupSession`); 1 is a private appointment.
    capacity = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(500)],
        help_text="Seats per session: 1 for private appointments, more for group sessions.",
    )
    min_participants = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(500)],
        help_text=(
            "A group session with fewer seats taken at its deadline is cancelled and everyone "
            "is told (1: it always goes ahead)."
        ),
    )
    minimum_deadline_hours = models.PositiveSmallIntegerField(
        default=24,
        validators=[MaxValueValidator(24 * 30)],
        help_text=(
            "How many hours before a group session its minimum is checked; after it no new "
            "session of this service is started."
        ),
    )

    class Meta:
        ordering = ["category__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["category", "name"], name="service_unique_name"),
            models.CheckConstraint(
                condition=Q(duration_minutes__gt=0), name="service_duration_gt_0"
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="service_capacity_gte_1"),
            models.CheckConstraint(
                condition=Q(min_participants__gte=1, min_participants__lte=F("capacity")),
                name="service_minimum_within_capacity",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_group(self) -> bool:
        return self.capacity > 1

    def clean(self) -> None:
        urgencies = self.accepted_urgencies
        if not isinstance(urgencies, list) or not urgencies:
            raise ValidationError({"accepted_urgencies": "Give at least one urgency level."})
        unknown = sorted(set(urgencies) - set(all_urgencies()))
        if unknown:
            raise ValidationError({"accepted_urgencies": f"Unknown urgency levels: {unknown}."})
        if (
            self.capacity is not None
            and self.min_participants is not None
            and self.min_participants > self.capacity
        ):
            raise ValidationError(
                {"min_participants": "The minimum cannot be more than the seats per session."}
            )


class Provider(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="provider"
    )
    display_name = models.CharField(max_length=120)
    bio = models.TextField(blank=True, max_length=4000)
    services = models.ManyToManyField(Service, related_name="providers", blank=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone_name])
    country = models.CharField(
        max_length=2, blank=True, help_text="ISO 3166 country code for public holidays."
    )
    subdivision = models.CharField(
        max_length=10, blank=True, help_text="State or region code for public holidays."
    )
    daily_cap = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Most appointments in one local day (empty: no cap).",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name

    def clean(self) -> None:
        if self.country:
            if not is_supported_country(self.country):
                raise ValidationError({"country": f"No holiday calendar for '{self.country}'."})
            self.country = self.country.upper()
        if self.subdivision:
            if not self.country:
                raise ValidationError({"subdivision": "Set a country before a subdivision."})
            known = supported_subdivisions(self.country)
            if self.subdivision.upper() not in known:
                raise ValidationError(
                    {
                        "subdivision": f"No holiday calendar for '{self.subdivision}' in "
                        f"{self.country} (known: {', '.join(known) or 'none'})."
                    }
                )
            self.subdivision = self.subdivision.upper()


class WorkingHours(models.Model):
    """One interval of a weekday in the provider's local wall-clock time."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start_time = models.TimeField()
    end_time = models.TimeField()

    class Meta:
        ordering = ["provider", "weekday", "start_time"]
        verbose_name_plural = "working hours"
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")), name="working_hours_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}-{self.end_time:%H:%M}"

    def clean(self) -> None:
        # Overlaps between intervals are a property of the whole week, not of one row: they are
        # checked where a week is written as a whole (providers.services and the admin inline),
        # so that editing several rows at once is judged on the result, not on stale rows.
        if self.start_time and self.end_time and self.end_time <= self.start_time:
            raise ValidationError({"end_time": "The end must be after the start."})


class TimeOff(models.Model):
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="time_off")
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["provider", "start"]
        verbose_name_plural = "time off"
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")), name="time_off_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider}: {self.start:%Y-%m-%d %H:%M} - {self.end:%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        if self.start and self.end and self.end <= self.start:
            raise ValidationError({"end": "The end must be after the start."})


class BusySource(models.Model):
    """A calendar kept elsewhere whose events hold the provider's time (an ICS subscription,
    a CalDAV account). What is imported lives in `ExternalBusy`; how it is fetched belongs to
    the app that owns the connection (`calendars`). `synced_at` is the last import that
    succeeded: the snapshot loader calls a provider's calendars stale from it."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="busy_sources")
    label = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["provider", "pk"]

    def __str__(self) -> str:
        return f"{self.provider}: {self.label}"


class ExternalBusy(models.Model):
    """One busy occurrence imported from a `BusySource`, in UTC. `resource` is the file it
    came from (a CalDAV object's path; empty for a whole feed), so an incremental sync
    replaces only what changed; `uid` and `recurrence_id` name the occurrence."""

    source = models.ForeignKey(BusySource, on_delete=models.CASCADE, related_name="busy")
    # The source's provider, copied so that the snapshot reads busy time without a join.
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="+")
    resource = models.CharField(max_length=500, blank=True)
    uid = models.CharField(max_length=500)
    recurrence_id = models.CharField(max_length=64, blank=True)
    start = models.DateTimeField()
    end = models.DateTimeField()

    class Meta:
        ordering = ["provider", "start"]
        verbose_name_plural = "external busy time"
        indexes = [
            models.Index(fields=["provider", "end", "start"], name="external_busy_window"),
            models.Index(fields=["source", "resource"], name="external_busy_resource"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")), name="external_busy_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider}: {self.start:%Y-%m-%d %H:%M} - {self.end:%Y-%m-%d %H:%M}"
