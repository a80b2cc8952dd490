import uuid
from datetime import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Manager, Q

from providers.models import Provider, Service, Urgency
from smartbook.models import SingletonModel


class BookingPolicy(SingletonModel):
    """The single row of booking rules (pk=1), editable by staff."""

    slot_step_minutes = models.PositiveSmallIntegerField(
        default=15, validators=[MinValueValidator(5), MaxValueValidator(120)]
    )
    min_notice_minutes = models.PositiveIntegerField(
        default=120, validators=[MaxValueValidator(60 * 24 * 30)]
    )
    horizon_days = models.PositiveSmallIntegerField(
        default=60, validators=[MinValueValidator(1), MaxValueValidator(366)]
    )
    client_cutoff_hours = models.PositiveSmallIntegerField(
        default=24,
        validators=[MaxValueValidator(24 * 14)],
        help_text="Clients cannot cancel or reschedule later than this before the start.",
    )
    max_client_appointments_per_day = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text="Most active appointments a client may hold on one day (empty: no limit).",
    )
    hold_minutes = models.PositiveSmallIntegerField(
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 60)],
        help_text="How long a time offered from the waitlist stays held for the client.",
    )
    offer_batch_size = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="How many waitlisted clients are offered a freed time at once (first to "
        "accept takes it).",
    )
    offer_quiet_from = models.TimeField(
        null=True,
        blank=True,
        default=time(21),
        help_text="No waitlist offers from this time of the client's day until 'offer quiet "
        "until' (a hold that runs out while they sleep is lost to them and to everyone). The "
        "time is offered when their morning comes, if still free. Empty: offers at any hour.",
    )
    offer_quiet_until = models.TimeField(
        null=True, blank=True, default=time(8), help_text="When the quiet hours end."
    )
    urgent_window_days = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="Urgent requests only consider slots in the next this many days.",
    )
    # Acting on the no-show risk (`attendance.actions`): the risk never refuses a booking.
    extra_reminder_for_high_risk = models.BooleanField(
        default=True,
        help_text="Send clients of high-risk appointments one extra reminder, with one-click "
        "'I'm coming' and 'I can't make it' links.",
    )
    extra_reminder_hours_before = models.PositiveSmallIntegerField(
        default=48,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 14)],
        help_text="How many hours before a high-risk appointment the extra reminder goes out.",
    )
    confirm_or_release = models.BooleanField(
        default=False,
        help_text="Release a high-risk appointment the client has not confirmed in time: it "
        "is cancelled and its time offered to the waitlist. The extra reminder tells the "
        "client the deadline; they are told again when it is released.",
    )
    confirm_by_hours_before = models.PositiveSmallIntegerField(
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 14)],
        help_text="The client must confirm this many hours before the start.",
    )
    release_warning_hours = models.PositiveSmallIntegerField(
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 14)],
        help_text="A client is only held to the deadline if we told them at least this many "
        "hours before it. Told later (a late booking), their appointment is never released.",
    )
    standby_places = models.BooleanField(
        default=True,
        help_text="Give a waitlisted client who can come at short notice a standby place for "
        "a high-risk appointment's time: if it frees, they are offered it first.",
    )
    # External calendars (`calendars`): their busy time is in the snapshot like appointments.
    calendar_stale_minutes = models.PositiveIntegerField(
        default=60,
        validators=[MinValueValidator(5), MaxValueValidator(60 * 24 * 7)],
        help_text="A provider's external calendar that has not synced for this long is stale: "
        "staff see it on availability and in the admin.",
    )
    offer_when_calendar_stale = models.BooleanField(
        default=True,
        help_text="Keep offering a provider's times while one of their external calendars is "
        "stale (its last known busy time still blocks). Off: offer none until it syncs again.",
    )
    # Recurring series (`scheduling.series`): every occurrence is checked by the same rules.
    series_enabled = models.BooleanField(
        default=True, help_text="Clients and staff may book a repeating series of appointments."
    )
    series_max_occurrences = models.PositiveSmallIntegerField(
        default=52,
        validators=[MinValueValidator(2), MaxValueValidator(104)],
        help_text="The most appointments one series may hold.",
    )
    series_horizon_days = models.PositiveSmallIntegerField(
        default=366,
        validators=[MinValueValidator(1), MaxValueValidator(731)],
        help_text="How far ahead a series may reach (its first appointment stays within the "
        "normal horizon; the later ones may go up to this many days ahead).",
    )
    series_excluded_services = models.ManyToManyField(
        Service,
        blank=True,
        related_name="+",
        help_text="Services that cannot be booked as a series.",
    )

    class Meta:
        verbose_name = "booking policy"
        verbose_name_plural = "booking policy"

    def __str__(self) -> str:
        return "Booking policy"

    def clean(self) -> None:
        if (self.offer_quiet_from is None) != (self.offer_quiet_until is None):
            field = "offer_quiet_until" if self.offer_quiet_until is None else "offer_quiet_from"
            raise ValidationError({field: "Give both ends of the quiet hours, or neither."})
        if (
            self.confirm_by_hours_before is not None
            and self.extra_reminder_hours_before is not None
            and self.confirm_by_hours_before >= self.extra_reminder_hours_before
        ):
            raise ValidationError(
                {
                    "confirm_by_hours_before": "The deadline to confirm must come after the "
                    "extra reminder: give fewer hours than the reminder's."
                }
            )
        if (
            self.series_horizon_days is not None
            and self.horizon_days is not None
            and self.series_horizon_days < self.horizon_days
        ):
            raise ValidationError(
                {
                    "series_horizon_days": "A series reaches at least as far as single "
                    "bookings: give at least the horizon's days."
                }
            )

    def offer_quiet_at(self, local: time) -> bool:
        """Whether `local` (a client's wall-clock time) is in the offer quiet hours, which
        may run past midnight."""
        start, end = self.offer_quiet_from, self.offer_quiet_until
        if start is None or end is None or start == end:
            return False
        if start < end:
            return start <= local < end
        return local >= start or local < end


# The UID of an appointment's calendar event wherever it goes (invites, feeds, the providers'
# CalDAV calendars): the suffix is how SmartBook's own events are told apart when read back.
EVENT_UID_SUFFIX = "@smartbook"


def appointment_event_uid(appointment: "Appointment") -> str:
    return f"{appointment.uid}{EVENT_UID_SUFFIX}"


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    CONFIRMED = "confirmed", "Confirmed"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No-show"
    # A time held for a client it was offered to (the waitlist): it blocks the provider like
    # an appointment until `hold_expires_at`, but it is nobody's appointment yet.
    HELD = "held", "Held"
    # A hold that ended (taken, declined or expired): kept as the offer's history, blocking
    # nothing.
    RELEASED = "released", "Released"


ACTIVE_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED)
# Every status but cancelled holds its time: the overlap rule covers these.
BLOCKING_STATUSES = (
    AppointmentStatus.BOOKED,
    AppointmentStatus.CONFIRMED,
    AppointmentStatus.COMPLETED,
    AppointmentStatus.NO_SHOW,
)


HOLD_STATUSES = (AppointmentStatus.HELD, AppointmentStatus.RELEASED)


class AppointmentManager(models.Manager):
    """Appointments: every row but holds (`Appointment.with_holds` sees those too)."""

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().exclude(status__in=HOLD_STATUSES)


class AppointmentSource(models.TextChoices):
    RECOMMENDATION = "recommendation", "Recommendation"
    MANUAL = "manual", "Manual"
    STAFF = "staff", "Staff"
    WAITLIST = "waitlist", "Waitlist"


class Appointment(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appointments"
    )
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="appointments")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="appointments")
    start = models.DateTimeField()
    end = models.DateTimeField()
    # The provider's time held: [start - buffer before, end + buffer after), fixed at booking.
    blocked_start = models.DateTimeField(editable=False)
    blocked_end = models.DateTimeField(editable=False)
    status = models.CharField(
        max_length=16, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    urgency = models.CharField(max_length=16, choices=Urgency.choices, default=Urgency.ROUTINE)
    source = models.CharField(
        max_length=16, choices=AppointmentSource.choices, default=AppointmentSource.MANUAL
    )
    client_notes = models.TextField(blank=True, max_length=2000)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    cancellation_reason = models.CharField(max_length=500, blank=True)
    # Only for holds: when the hold stops blocking (an expired hold blocks nobody, and the
    # booking service releases it before it writes that provider's time).
    hold_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the client confirmed they are coming."
    )
    # Increases on every change of time, so calendar clients update the same event.
    sequence = models.PositiveIntegerField(default=0)
    # An occurrence of a recurring series, and the start the series' rule gave it (its
    # RECURRENCE-ID): it stays when the occurrence moves, so invites can say what moved.
    series = models.ForeignKey(
        "AppointmentSeries",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="occurrences",
    )
    series_original_start = models.DateTimeField(null=True, blank=True, editable=False)
    # A seat of a group session: the seats of one session share its time, and the provider's
    # exclusion constraint lets them (and only them) overlap each other (migration 0009).
    session = models.ForeignKey(
        "GroupSession",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="seats",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The default manager leaves holds out, so lists, feeds, reminders, analytics and the
    # admin see appointments only; the booking core reads `with_holds`.
    with_holds = Manager()
    objects = AppointmentManager()

    class Meta:
        ordering = ["start"]
        default_manager_name = "objects"
        base_manager_name = "with_holds"
        indexes = [
            models.Index(fields=["provider", "start"], name="appt_provider_start_idx"),
            models.Index(fields=["client", "start"], name="appt_client_start_idx"),
            models.Index(fields=["status", "start"], name="appt_status_start_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="appt_end_after_start"),
            models.CheckConstraint(
                condition=Q(blocked_start__lte=F("start")) & Q(blocked_end__gte=F("end")),
                name="appt_blocked_covers_time",
            ),
            models.CheckConstraint(
                condition=Q(status__in=HOLD_STATUSES, hold_expires_at__isnull=False)
                | (~Q(status__in=HOLD_STATUSES) & Q(hold_expires_at__isnull=True)),
                name="appt_hold_expiry_iff_hold",
            ),
            models.CheckConstraint(
                condition=Q(series__isnull=True, series_original_start__isnull=True)
                | Q(series__isnull=False, series_original_start__isnull=False),
                name="appt_series_original_iff_series",
            ),
            models.UniqueConstraint(
                fields=["series", "series_original_start"], name="appt_series_occurrence_unique"
            ),
        ]
        # The exclusion constraints (no overlap per provider and per client) are PostgreSQL-only
        # and live in migrations 0002, 0003 and 0009 as SQL; SQLite serialises writers instead
        # (DESIGN.md, 1).

    def __str__(self) -> str:
        return f"{self.service} with {self.provider} at {self.start:%Y-%m-%d %H:%M} UTC"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class AppointmentChange(models.Model):
    """Reschedule history: one row per move of an appointment."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="changes")
    old_start = models.DateTimeField()
    old_end = models.DateTimeField()
    new_start = models.DateTimeField()
    new_end = models.DateTimeField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=500, blank=True)
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["changed_at"]

    def __str__(self) -> str:
        return f"{self.appointment_id}: {self.old_start:%Y-%m-%d %H:%M} -> {self.new_start:%H:%M}"


class SeriesFrequency(models.TextChoices):
    WEEKLY = "weekly", "Every week"
    BIWEEKLY = "biweekly", "Every two weeks"
    MONTHLY = "monthly", "Every month on the same weekday"


class AppointmentSeries(models.Model):
    """A recurring series booked in one step: its rule, and its occurrences (appointments
    with `series` set), each with its own status and history."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appointment_series"
    )
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="series")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="series")
    frequency = models.CharField(max_length=16, choices=SeriesFrequency.choices)
    count = models.PositiveSmallIntegerField(null=True, blank=True)
    until = models.DateField(null=True, blank=True, help_text="The last provider-local date.")
    # The first occurrence's start (UTC) and the zone its wall-clock time repeats in.
    first_start = models.DateTimeField()
    timezone = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Increases on every change of any occurrence, so calendars update the series' event.
    sequence = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["first_start", "pk"]
        verbose_name_plural = "appointment series"
        constraints = [
            models.CheckConstraint(
                condition=Q(count__isnull=True, until__isnull=False)
                | Q(count__isnull=False, until__isnull=True),
                name="series_count_xor_until",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_frequency_display()}: {self.service} with {self.provider}"


class GroupSessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    CANCELLED = "cancelled", "Cancelled"


class GroupSession(models.Model):
    """One provider's session of a group service (`Service.capacity` > 1) at one time. Its
    seats are appointments (`Appointment.session`): each client's own, with its own status,
    reminders and invite. The first seat booked at a time opens the session; the seats taken
    are counted under the provider's row lock, so the last one is sold once."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="sessions")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="sessions")
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(
        max_length=16, choices=GroupSessionStatus.choices, default=GroupSessionStatus.SCHEDULED
    )
    # When the minimum number of participants was checked at the deadline (once: the beat
    # job claims the session by setting it), and what it decided.
    minimum_checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    cancelled_at = models.DateTimeField(null=True, blank=True, editable=False)
    cancellation_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start", "pk"]
        indexes = [models.Index(fields=["status", "start"], name="session_status_start_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="session_end_after_start"),
            # One scheduled session of a service per provider and start: every seat booked
            # there joins it.
            models.UniqueConstraint(
                fields=["provider", "service", "start"],
                condition=Q(status="scheduled"),
                name="session_one_scheduled_per_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service} (group) with {self.provider} at {self.start:%Y-%m-%d %H:%M} UTC"
