"""Smart rescheduling: when the provider's change takes a client's appointment away (time
off or shorter hours over it, or the provider or staff cancelling it with a reason), the
client gets a displaced waitlist entry and is offered the best alternative, held for them.

Which appointments are displaced is `scheduling.selectors.working_conflicts` (the booking
rules' own working-time rule); what is offered and how it is ranked is the matching engine's
(`entry_match`: the same provider first, then anyone offering the service); accepting moves
the appointment (`offer_accept`). Everything here is idempotent: a second run finds the
entry it made and the offer pending.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction

from accounts.models import User
from providers.models import Provider
from scheduling.errors import BookingRuleViolation
from scheduling.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentChange,
    AppointmentStatus,
)
from scheduling.selectors import staff_move_slots, working_conflicts
from scheduling.services import appointment_reschedule_in_transaction
from waitlist.models import EntryKind, EntryStatus, Offer, OfferStatus, WaitlistEntry
from waitlist.services.entries import RangeInput, _save_ranges, client_today
from waitlist.services.holds import offers_close
from waitlist.services.matching import entry_match
from waitlist.services.offers import fulfil, lock_batch

# How many days past the displaced appointment's own day (or today) the client's range runs.
DISPLACED_DAYS = 14
STAFF_MOVE_REASON = "Moved by staff after the provider's change."


def _cancelled_by_the_clinic(appointment: Appointment) -> bool:
    """A provider's cancellation: by the provider or staff, with a reason (a client's own,
    or the system's, is not)."""
    actor: User | None = appointment.cancelled_by
    if actor is None or not appointment.cancellation_reason.strip():
        return False
    return actor.is_staff_member or actor.pk == appointment.provider.user_id


def _displaced_entry(
    *, appointment: Appointment, bound: bool, reason: str, now: datetime
) -> WaitlistEntry:
    """The open displaced entry of `appointment`, made if missing: any time of the day from
    the client's today to a fortnight past the appointment's own day, in their zone."""
    found = WaitlistEntry.objects.filter(
        kind=EntryKind.DISPLACED, displaced_appointment=appointment
    ).exclude(status=EntryStatus.FULFILLED)
    existing = found.first()
    if existing is not None:
        return existing
    client = appointment.client
    today = client_today(client, now)
    own_day = appointment.start.astimezone(ZoneInfo(client.timezone)).date()
    last_day = max(today, own_day) + timedelta(days=DISPLACED_DAYS)
    entry = WaitlistEntry(
        client=client,
        service=appointment.service,
        provider=appointment.provider,
        urgency=appointment.urgency,
        expires_on=last_day,
        appointment=appointment if bound else None,
        kind=EntryKind.DISPLACED,
        displaced_appointment=appointment,
        displaced_reason=reason[:300],
        created_at=now,
    )
    entry.full_clean(
        exclude=["client", "service", "provider", "appointment", "displaced_appointment"],
        validate_constraints=False,
    )
    try:
        with transaction.atomic():  # a concurrent run's insert wins; read it instead
            entry.save()
            _save_ranges(entry, [RangeInput(today, last_day, time(0), time(23, 59))])
    except IntegrityError:
        return found.get()
    return entry


def _close_resolved(*, conflicts: set[int], provider: Provider | None, now: datetime) -> None:
    """Close the open displaced entries whose appointment is no longer displaced: moved by
    other means (fulfilled), back inside working time or cancelled (left), or past."""
    open_entries = WaitlistEntry.objects.filter(
        kind=EntryKind.DISPLACED, status=EntryStatus.ACTIVE, appointment__isnull=False
    ).exclude(appointment_id__in=conflicts)
    if provider is not None:
        open_entries = open_entries.filter(appointment__provider=provider)
    for entry in open_entries.select_related("appointment"):
        appointment = entry.appointment
        if appointment.status in ACTIVE_STATUSES and appointment.start < now:
            status = EntryStatus.EXPIRED
        elif (
            appointment.status in ACTIVE_STATUSES
            and AppointmentChange.objects.filter(
                appointment=appointment, changed_at__gte=entry.created_at
            ).exists()
        ):
            status = EntryStatus.FULFILLED
        else:
            status = EntryStatus.LEFT
        with transaction.atomic():
            closed = WaitlistEntry.objects.filter(pk=entry.pk, status=EntryStatus.ACTIVE).update(
                status=status
            )
            if closed:
                pending = Offer.objects.select_for_update().filter(
                    entry=entry, status=OfferStatus.PENDING
                )
                offers_close(offers=list(pending), status=OfferStatus.GONE, now=now)


def displaced_rebook(*, now: datetime, provider: Provider | None = None) -> list[WaitlistEntry]:
    """Every upcoming appointment (of `provider`, or anyone's) that the provider's working
    time no longer accepts gets a displaced entry bound to it, and is offered the best open
    alternative (held for the client). Entries whose appointment stopped being displaced
    are closed. The open displaced entries, one per affected appointment."""
    conflicts = working_conflicts(now=now, provider=provider)
    _close_resolved(conflicts={a.pk for a, _ in conflicts}, provider=provider, now=now)
    entries = []
    for appointment, reason in conflicts:
        entry = _displaced_entry(appointment=appointment, bound=True, reason=reason, now=now)
        if entry.status == EntryStatus.ACTIVE:
            entry_match(entry=entry, now=now)  # nothing new while an offer is pending
        entries.append(entry)
    return entries


def displaced_by_cancellation(*, appointment_id: int, now: datetime) -> WaitlistEntry | None:
    """A provider's cancellation (by the provider or staff, with a reason) of an upcoming
    appointment gives its client a displaced entry (not bound: the appointment is gone) and
    an offer of the next best time. None for other cancellations."""
    appointment = (
        Appointment.objects.filter(pk=appointment_id, status=AppointmentStatus.CANCELLED)
        .select_related("client", "provider", "service", "cancelled_by")
        .first()
    )
    if appointment is None or appointment.start <= now or not _cancelled_by_the_clinic(appointment):
        return None
    reason = f"Cancelled by the clinic: {appointment.cancellation_reason}"
    entry = _displaced_entry(appointment=appointment, bound=False, reason=reason, now=now)
    if entry.status == EntryStatus.ACTIVE:
        entry_match(entry=entry, now=now)
    return entry


def displaced_offer_again(*, entry: WaitlistEntry, now: datetime) -> list[Offer]:
    """Staff: look again for the displaced client's best open time (after a decline or an
    offer left unanswered); nothing while one is pending."""
    return entry_match(entry=entry, now=now)


def displaced_move(*, entry: WaitlistEntry, actor: User, now: datetime) -> Appointment:
    """Staff move a displaced appointment for the client, through the booking service with
    the policy lifted: into the time held for them when an offer of the same provider is
    pending, else to the provider's first open time in the entry's days. The entry is
    fulfilled, other pending offers gone."""
    with transaction.atomic(durable=True):
        entry = (
            WaitlistEntry.objects.select_for_update(of=("self",))
            .select_related("client", "service", "appointment__provider")
            .get(pk=entry.pk)
        )
        appointment = entry.appointment
        if entry.kind != EntryKind.DISPLACED or entry.status != EntryStatus.ACTIVE:
            raise BookingRuleViolation("entry", "Only an open displaced entry can be moved.")
        if appointment is None:
            raise BookingRuleViolation(
                "entry", "The appointment was cancelled: offer the client a time instead."
            )
        pending = (
            Offer.objects.filter(
                entry=entry, status=OfferStatus.PENDING, provider_id=appointment.provider_id
            )
            .order_by("pk")
            .first()
        )
        if pending is not None:
            offer, batch = lock_batch(pending)
            moved = appointment_reschedule_in_transaction(
                appointment=appointment,
                new_start=offer.start,
                actor=actor,
                reason=STAFF_MOVE_REASON,
                override_policy=True,
                hold=offer.hold,
            )
            fulfil(offer=offer, batch=batch, appointment=moved, now=now)
            return moved
        moved = appointment_reschedule_in_transaction(
            appointment=appointment,
            new_start=_first_open_start(entry=entry, now=now),
            actor=actor,
            reason=STAFF_MOVE_REASON,
            override_policy=True,
        )
        WaitlistEntry.objects.filter(pk=entry.pk).update(status=EntryStatus.FULFILLED)
        others = Offer.objects.select_for_update().filter(entry=entry, status=OfferStatus.PENDING)
        offers_close(offers=list(others), status=OfferStatus.GONE, now=now)
        return moved


def _first_open_start(*, entry: WaitlistEntry, now: datetime) -> datetime:
    appointment = entry.appointment
    zone = ZoneInfo(entry.client.timezone)
    end = datetime.combine(entry.expires_on + timedelta(days=1), time(0), tzinfo=zone)
    # A bound entry's appointment is its client's own (joined or displaced alike).
    slots = staff_move_slots(appointment=appointment, start=now, end=end, now=now)
    if not slots:
        raise BookingRuleViolation(
            "start", f"{appointment.provider} has no open time before {entry.expires_on}."
        )
    return slots[0].start
