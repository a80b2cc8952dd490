"""Entries: join, change, leave a waitlist; expire the ones past their date."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from accounts.models import User
from providers.models import Provider, Service, Urgency
from scheduling import rules
from scheduling.errors import InvalidTransition
from scheduling.models import ACTIVE_STATUSES, Appointment
from scheduling.selectors import active_providers_for, service_facts
from waitlist import dispatch
from waitlist.models import EntryStatus, Offer, OfferStatus, WaitlistEntry, WaitlistRange
from waitlist.services.holds import offers_close

MAX_RANGES = 10
MAX_ACTIVE_ENTRIES = 20


@dataclass(frozen=True, slots=True)
class RangeInput:
    """Days and wall-clock times, in the client's own zone."""

    first_date: date
    last_date: date
    earliest: time
    latest: time


def client_today(client: User, now: datetime) -> date:
    return now.astimezone(ZoneInfo(client.timezone)).date()


def _range_errors(ranges: Sequence[RangeInput], today: date) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not ranges:
        return {"ranges": ["Give at least one range of days and times you could come."]}
    if len(ranges) > MAX_RANGES:
        return {"ranges": [f"Give at most {MAX_RANGES} ranges."]}
    for index, item in enumerate(ranges):
        name = f"ranges[{index}]"
        if item.first_date < today:
            errors[f"{name}.first_date"] = ["This range starts in the past."]
        if item.last_date < item.first_date:
            errors[f"{name}.last_date"] = ["The last day must not be before the first."]
        if item.latest <= item.earliest:
            errors[f"{name}.latest"] = ["The latest time must be after the earliest."]
    return errors


def _check_expiry(expires_on: date, today: date) -> dict[str, list[str]]:
    if expires_on < today:
        return {"expires_on": ["The expiry date is in the past."]}
    return {}


def _check_subject(
    *,
    client: User,
    service: Service,
    provider: Provider | None,
    urgency: str,
    appointment: Appointment | None,
    now: datetime,
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not service.is_active:
        errors["service"] = ["This service is not offered any more."]
    refused = rules.urgency_refusal(service_facts(service), urgency, Urgency.values)
    if refused is not None:
        errors[refused.field] = [refused.message]
    if (
        provider is not None
        and not active_providers_for(service=service).filter(pk=provider.pk).exists()
    ):
        errors["provider"] = ["This provider does not offer this service."]
    if provider is not None and provider.user_id == client.pk:
        errors["provider"] = ["You cannot book yourself."]
    if appointment is not None:
        if appointment.client_id != client.pk:
            raise PermissionDenied("This appointment is not yours.")
        if appointment.status not in ACTIVE_STATUSES or appointment.start <= now:
            errors["appointment"] = ["Only an upcoming appointment can be moved earlier."]
        elif appointment.service_id != service.pk:
            errors["appointment"] = ["A moved appointment keeps its service."]
        elif provider is not None and appointment.provider_id != provider.pk:
            errors["appointment"] = ["A moved appointment keeps its provider."]
    return errors


def _save_ranges(entry: WaitlistEntry, ranges: Sequence[RangeInput]) -> None:
    rows = [
        WaitlistRange(
            entry=entry,
            first_date=item.first_date,
            last_date=item.last_date,
            earliest=item.earliest,
            latest=item.latest,
        )
        for item in ranges
    ]
    for row in rows:
        row.full_clean(exclude=["entry"])
    WaitlistRange.objects.bulk_create(rows)


def entry_join(
    *,
    client: User,
    service: Service,
    ranges: Sequence[RangeInput],
    expires_on: date,
    now: datetime,
    urgency: str = Urgency.ROUTINE,
    provider: Provider | None = None,
    appointment: Appointment | None = None,
    short_notice: bool = False,
) -> WaitlistEntry:
    """Put `client` on the waitlist for `service` (with `provider`, or anyone offering it)
    in `ranges` until `expires_on`; with `appointment`, to move it if something earlier
    opens; with `short_notice`, they may be given standby places. Open time is looked for
    at once, after commit."""
    today = client_today(client, now)
    errors = {
        **_check_subject(
            client=client,
            service=service,
            provider=provider,
            urgency=urgency,
            appointment=appointment,
            now=now,
        ),
        **_range_errors(ranges, today),
        **_check_expiry(expires_on, today),
    }
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=client.pk).first()
        active = WaitlistEntry.objects.filter(client=client, status=EntryStatus.ACTIVE)
        if active.count() >= MAX_ACTIVE_ENTRIES:
            raise ValidationError(
                {"non_field_errors": [f"You can wait for at most {MAX_ACTIVE_ENTRIES} things."]}
            )
        if appointment is not None and active.filter(appointment=appointment).exists():
            raise ValidationError({"appointment": ["This appointment is already waiting."]})
        entry = WaitlistEntry(
            client=client,
            service=service,
            provider=provider,
            urgency=urgency,
            expires_on=expires_on,
            appointment=appointment,
            short_notice=short_notice,
            created_at=now,
        )
        entry.full_clean(exclude=["client", "service", "provider", "appointment"])
        entry.save()
        _save_ranges(entry, ranges)
        dispatch.match_entry_on_commit(entry_id=entry.pk)
    return entry


def _lock_own_entry(*, entry: WaitlistEntry, client: User) -> WaitlistEntry:
    entry = (
        WaitlistEntry.objects.select_for_update(of=("self",))
        .select_related("client", "service", "provider")
        .get(pk=entry.pk)
    )
    if entry.client_id != client.pk:
        raise PermissionDenied("This waitlist entry is not yours.")
    return entry


def entry_update(
    *,
    entry: WaitlistEntry,
    client: User,
    now: datetime,
    ranges: Sequence[RangeInput] | None = None,
    expires_on: date | None = None,
    urgency: str | None = None,
    short_notice: bool | None = None,
) -> WaitlistEntry:
    """Change the ranges (replaced as a whole), the expiry, the urgency or whether they can
    come at short notice of an active entry. A pending offer stays as it is; open time is
    looked for again after commit."""
    with transaction.atomic():
        entry = _lock_own_entry(entry=entry, client=client)
        if entry.status != EntryStatus.ACTIVE:
            raise InvalidTransition(
                f"A {entry.get_status_display().lower()} waitlist entry cannot be changed."
            )
        today = client_today(client, now)
        errors: dict[str, list[str]] = {}
        if urgency is not None:
            refused = rules.urgency_refusal(service_facts(entry.service), urgency, Urgency.values)
            if refused is not None:
                errors[refused.field] = [refused.message]
        if ranges is not None:
            errors.update(_range_errors(ranges, today))
        if expires_on is not None:
            errors.update(_check_expiry(expires_on, today))
        if errors:
            raise ValidationError(errors)
        if urgency is not None:
            entry.urgency = urgency
        if expires_on is not None:
            entry.expires_on = expires_on
        if short_notice is not None:
            entry.short_notice = short_notice
        entry.checked_at = None
        entry.full_clean(exclude=["client", "service", "provider", "appointment"])
        entry.save(update_fields=["urgency", "expires_on", "short_notice", "checked_at"])
        if ranges is not None:
            entry.ranges.all().delete()
            _save_ranges(entry, ranges)
        dispatch.match_entry_on_commit(entry_id=entry.pk)
    return entry


def entry_leave(*, entry: WaitlistEntry, client: User, now: datetime) -> WaitlistEntry:
    """Leave the waitlist (idempotent). A pending offer is withdrawn: its time is released
    and offered to the next candidate."""
    with transaction.atomic():
        entry = _lock_own_entry(entry=entry, client=client)
        if entry.status == EntryStatus.LEFT:
            return entry
        if entry.status != EntryStatus.ACTIVE:
            raise InvalidTransition(
                f"A {entry.get_status_display().lower()} waitlist entry cannot be left."
            )
        entry.status = EntryStatus.LEFT
        entry.save(update_fields=["status"])
        pending = Offer.objects.select_for_update().filter(entry=entry, status=OfferStatus.PENDING)
        offers_close(offers=list(pending), status=OfferStatus.GONE, now=now)
    return entry


def entries_expire(*, now: datetime) -> int:
    """Expire active entries whose last day has passed in their client's zone (the beat
    sweep); their pending offers go too. How many."""
    # A client's local date is at most a day behind UTC's: anything earlier is certainly past.
    candidates = WaitlistEntry.objects.filter(
        status=EntryStatus.ACTIVE, expires_on__lt=now.date()
    ).select_related("client")
    expired = [e.pk for e in candidates if e.expires_on < client_today(e.client, now)]
    if not expired:
        return 0
    with transaction.atomic():
        rows = list(
            WaitlistEntry.objects.select_for_update().filter(
                pk__in=expired, status=EntryStatus.ACTIVE
            )
        )
        WaitlistEntry.objects.filter(pk__in=[e.pk for e in rows]).update(status=EntryStatus.EXPIRED)
        pending = Offer.objects.select_for_update().filter(
            entry__in=rows, status=OfferStatus.PENDING
        )
        offers_close(offers=list(pending), status=OfferStatus.GONE, now=now)
    return len(rows)
