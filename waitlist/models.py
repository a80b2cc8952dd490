"""Waitlist entries (who waits for what, when they could come) and the offers made to them.

An offer holds the freed time for its client through a held appointment row
(`scheduling`'s hold, `Offer.hold`); offers of one freed time sent together (a batch) share
the hold and the `batch` id, and the first to accept takes it.
"""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from providers.models import Provider, Service, Urgency
from scheduling.models import Appointment


class EntryStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    FULFILLED = "fulfilled", "Fulfilled"
    LEFT = "left", "Left"
    EXPIRED = "expired", "Expired"


class EntryKind(models.TextChoices):
    JOINED = "joined", "Joined by the client"
    # The provider's change (time off, shorter hours, a cancellation) took the client's
    # appointment away: the waitlist finds them the next best time.
    DISPLACED = "displaced", "Displaced by the provider"


class WaitlistEntry(models.Model):
    """A client waiting for `service` (with `provider`, or anyone offering it) in the ranges
    they gave, until `expires_on` (their local date, inclusive).

    With `appointment`, the client already has that appointment and waits for something
    earlier: accepting an offer moves it. A displaced entry (`kind`) was made for the client
    when the provider's change took `displaced_appointment` away: any time in its ranges
    will do, with the same provider first, then anyone offering the service; while that
    appointment can still be moved it is `appointment` too.
    """

    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="waitlist_entries"
    )
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    provider = models.ForeignKey(
        Provider, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    urgency = models.CharField(max_length=16, choices=Urgency.choices, default=Urgency.ROUTINE)
    expires_on = models.DateField(help_text="The last day (the client's own) the entry waits.")
    appointment = models.ForeignKey(
        Appointment,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="An appointment to move if something earlier opens.",
    )
    status = models.CharField(
        max_length=16, choices=EntryStatus.choices, default=EntryStatus.ACTIVE
    )
    kind = models.CharField(max_length=16, choices=EntryKind.choices, default=EntryKind.JOINED)
    displaced_appointment = models.ForeignKey(
        Appointment,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The appointment the provider's change took away.",
    )
    displaced_reason = models.CharField(max_length=300, blank=True)
    short_notice = models.BooleanField(
        default=False,
        help_text="The client can come at short notice: they may get a standby place for the "
        "time of an appointment at high risk of a no-show.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    # When the beat sweep last looked for open time for this entry (oldest looked at first).
    checked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "waitlist entries"
        indexes = [
            models.Index(fields=["status", "expires_on"], name="waitlist_entry_status_idx"),
            models.Index(fields=["client", "status"], name="waitlist_entry_client_idx"),
        ]
        constraints = [
            # Running the rebooking twice finds this entry instead of making a second one; a
            # fulfilled one (moved) leaves room for a later displacement of the same row.
            models.UniqueConstraint(
                fields=["displaced_appointment"],
                condition=Q(kind="displaced") & ~Q(status="fulfilled"),
                name="waitlist_one_open_displaced_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client} waiting for {self.service} (#{self.pk})"


class DisplacedEntry(WaitlistEntry):
    """The displaced entries, for the staff's view of affected appointments."""

    class Meta:
        proxy = True
        verbose_name = "displaced appointment"
        verbose_name_plural = "displaced appointments"


class WaitlistRange(models.Model):
    """Dates and wall-clock times the client could come, in their own zone
    (`User.timezone`): any day from `first_date` to `last_date`, starting no earlier than
    `earliest` and ending no later than `latest`."""

    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="ranges")
    first_date = models.DateField()
    last_date = models.DateField()
    earliest = models.TimeField()
    latest = models.TimeField()

    class Meta:
        ordering = ["first_date", "earliest"]
        constraints = [
            models.CheckConstraint(
                condition=Q(last_date__gte=F("first_date")), name="waitlist_range_dates_ordered"
            ),
            models.CheckConstraint(
                condition=Q(latest__gt=F("earliest")), name="waitlist_range_times_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_date}..{self.last_date} {self.earliest:%H:%M}-{self.latest:%H:%M}"


class OfferStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Expired"
    # Another client of the batch took it, or the held time stopped being bookable.
    GONE = "gone", "Gone"


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


class Offer(models.Model):
    """A freed time offered to one entry's client, held for them until `expires_at`."""

    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="offers")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    hold = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="offers"
    )
    batch = models.UUIDField(default=uuid.uuid4, db_index=True)
    rank = models.PositiveSmallIntegerField(default=1)
    ranking_reason = models.TextField(blank=True)
    status = models.CharField(
        max_length=16, choices=OfferStatus.choices, default=OfferStatus.PENDING
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)
    # The appointment booked (or moved) by accepting.
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Part of every link's signed token; cleared when the offer is answered, so a link
    # works once.
    nonce = models.CharField(max_length=32, blank=True, default=new_nonce, editable=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="waitlist_offer_status_idx"),
            models.Index(fields=["provider", "start"], name="waitlist_offer_provider_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["entry"],
                condition=Q(status="pending"),
                name="waitlist_one_pending_offer_per_entry",
            ),
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="waitlist_offer_end"),
        ]

    def __str__(self) -> str:
        return f"Offer of {self.service} at {self.start:%Y-%m-%d %H:%M} UTC to {self.entry.client}"


class StandbyStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    # The appointment was cancelled or released: its time was offered to the standby client.
    OFFERED = "offered", "Offered"
    # The appointment went ahead or moved, or the freed time could not be offered to them.
    ENDED = "ended", "Ended"


class StandbyPlace(models.Model):
    """A client who can come at short notice (`entry`), first in line for the time of an
    appointment at high risk of a no-show: if it is cancelled or released, they are offered
    its time before anyone else. One per appointment; an entry waits on one at a time."""

    entry = models.ForeignKey(
        WaitlistEntry, on_delete=models.CASCADE, related_name="standby_places"
    )
    appointment = models.OneToOneField(
        Appointment, on_delete=models.CASCADE, related_name="standby_place"
    )
    status = models.CharField(
        max_length=16, choices=StandbyStatus.choices, default=StandbyStatus.WAITING
    )
    offer = models.ForeignKey(
        Offer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["entry"],
                condition=Q(status="waiting"),
                name="waitlist_one_waiting_standby_per_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"Standby of {self.entry.client} for appointment #{self.appointment_id}"
