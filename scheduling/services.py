"""Writes of scheduling: book, reschedule, cancel, complete, mark no-show.

Each function is one transaction and enforces every booking rule itself, so the API, the
admin and background jobs follow the same rules (staff pass `override_policy=True` to lift
policy limits, never the overlap rule). The provider row is locked before the checks
(`select_for_update` on PostgreSQL; SQLite takes its write lock at BEGIN), and on
PostgreSQL the exclusion constraints have the last word: their violation becomes
`SlotUnavailable`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from providers.models import Provider, Service, Urgency
from scheduling import events
from scheduling.availability import local_to_utc, open_slots, zone
from scheduling.errors import BookingRuleViolation, InvalidTransition, SlotUnavailable
from scheduling.models import (
    ACTIVE_STATUSES,
    BLOCKING_STATUSES,
    Appointment,
    AppointmentChange,
    AppointmentSource,
    AppointmentStatus,
    BookingPolicy,
)
from scheduling.selectors import (
    appointment_client_cutoff,
    client_active_appointments_between,
    provider_schedules,
    slot_request,
)

PROVIDER_OVERLAP_CONSTRAINT = "appointment_provider_no_overlap"
CLIENT_OVERLAP_CONSTRAINT = "appointment_client_no_overlap"

SLOT_TAKEN = "That time is no longer available with this provider; please pick another slot."
CLIENT_BUSY = "You already have an appointment at that time."

# The state machine: which status may follow which.
TRANSITIONS: dict[str, frozenset[str]] = {
    AppointmentStatus.BOOKED: frozenset(
        {
            AppointmentStatus.CONFIRMED,
            AppointmentStatus.CANCELLED,
            AppointmentStatus.COMPLETED,
            AppointmentStatus.NO_SHOW,
        }
    ),
    AppointmentStatus.CONFIRMED: frozenset(
        {AppointmentStatus.CANCELLED, AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW}
    ),
    AppointmentStatus.COMPLETED: frozenset(),
    AppointmentStatus.CANCELLED: frozenset(),
    AppointmentStatus.NO_SHOW: frozenset(),
}


def _is_staff(user: User | None) -> bool:
    return user is not None and (user.is_admin_role or user.is_staff)


def _actor_id(actor: User | None) -> int | None:
    return actor.pk if actor is not None else None


def _check_override_allowed(*, actor: User | None, override_policy: bool) -> None:
    # actor None is the system itself (commands, jobs); a person must be staff.
    if override_policy and actor is not None and not _is_staff(actor):
        raise BookingRuleViolation("override_policy", "Only staff can override the policy.")


def _ensure_may_change(*, appointment: Appointment, actor: User | None) -> None:
    if actor is None or _is_staff(actor):
        return
    if actor.pk == appointment.client_id or actor.pk == appointment.provider.user_id:
        return
    raise PermissionDenied("You cannot change this appointment.")


def _ensure_transition(*, appointment: Appointment, to: str, verb: str) -> None:
    if to not in TRANSITIONS[appointment.status]:
        raise InvalidTransition(
            f"A {appointment.get_status_display().lower()} appointment cannot be {verb}."
        )


# Row locks are FOR NO KEY UPDATE: they serialise our writers exactly as FOR UPDATE would,
# but do not wait for (or block) transactions that only insert rows referencing the locked
# one, such as a worker writing an event's notifications for this client.
def _lock_provider(provider: Provider) -> Provider:
    """Serialise bookings of one provider: every check below runs under this row lock."""
    return Provider.objects.select_for_update(no_key=True).get(pk=provider.pk)


def _lock_appointment(appointment: Appointment) -> Appointment:
    return (
        Appointment.objects.select_for_update(no_key=True)
        .select_related("provider", "service", "client")
        .get(pk=appointment.pk)
    )


def _lock_client(client: User) -> User:
    return User.objects.select_for_update(no_key=True).get(pk=client.pk)


def _check_client_cutoff(
    *,
    appointment: Appointment,
    actor: User | None,
    now: datetime,
    policy: BookingPolicy,
    override_policy: bool,
) -> None:
    if override_policy or actor is None or _is_staff(actor):
        return
    if actor.pk != appointment.client_id:
        return  # the cut-off protects the provider from late changes by clients
    if now > appointment_client_cutoff(appointment=appointment, policy=policy):
        raise BookingRuleViolation(
            "start",
            f"Appointments can be changed or cancelled online until "
            f"{policy.client_cutoff_hours} hours before they start; please contact us.",
        )


def _check_booking_subjects(
    *, client: User, provider: Provider, service: Service, urgency: str
) -> None:
    if not client.is_active:
        raise BookingRuleViolation("client", "This account cannot book.")
    if not provider.is_active:
        raise BookingRuleViolation("provider", "This provider is not taking bookings.")
    if provider.user_id == client.pk:
        raise BookingRuleViolation("provider", "Providers cannot book themselves.")
    if not service.is_active:
        raise BookingRuleViolation("service", "This service is not offered any more.")
    if not provider.services.filter(pk=service.pk).exists():
        raise BookingRuleViolation("service", f"{provider} does not offer {service}.")
    if urgency not in Urgency.values:
        raise BookingRuleViolation("urgency", f"Unknown urgency '{urgency}'.")
    if urgency not in (service.accepted_urgencies or []):
        raise BookingRuleViolation("urgency", f"{service} does not take {urgency} requests.")


def _check_slot_open(
    *,
    provider: Provider,
    service: Service,
    start: datetime,
    now: datetime,
    policy: BookingPolicy,
    override_policy: bool,
    exclude_appointment_id: int | None = None,
) -> None:
    """The time must be one of `open_slots` right now: the availability code itself."""
    if timezone.is_naive(start):
        raise BookingRuleViolation("start", "Give the start with a time zone offset.")
    if start <= now:
        raise BookingRuleViolation("start", "This time is in the past.")
    if not override_policy:
        if start < now + timedelta(minutes=policy.min_notice_minutes):
            raise BookingRuleViolation(
                "start", f"Bookings need at least {policy.min_notice_minutes} minutes' notice."
            )
        if start > now + timedelta(days=policy.horizon_days):
            raise BookingRuleViolation(
                "start", f"Bookings open at most {policy.horizon_days} days ahead."
            )
    end = start + timedelta(minutes=service.duration_minutes)
    (schedule,) = provider_schedules(
        providers=[provider], start=start, end=end, exclude_appointment_id=exclude_appointment_id
    )
    if override_policy:
        schedule = replace(schedule, daily_cap=None)
    # Notice and horizon were checked above with their own messages; the window is the slot.
    request = slot_request(
        service=service, start=start, end=end, now=now, policy=policy, override_policy=True
    )

    def offered(candidate) -> bool:
        return any(slot.start == start for slot in open_slots(candidate, request))

    if offered(schedule):
        return
    # Refused: say which rule, using the same computation without busy time or day cap.
    if offered(replace(schedule, busy=())):
        raise SlotUnavailable(SLOT_TAKEN)
    if offered(replace(schedule, busy=(), daily_cap=None)):
        raise BookingRuleViolation("start", f"{provider} is fully booked on that day.")
    raise BookingRuleViolation(
        "start",
        f"{provider} is not available then: outside working hours, on time off or a holiday, "
        f"or not on the {policy.slot_step_minutes}-minute grid.",
    )


def _check_client_limits(
    *,
    client: User,
    start: datetime,
    end: datetime,
    policy: BookingPolicy,
    override_policy: bool,
    exclude_appointment_id: int | None = None,
) -> None:
    limit = policy.max_client_appointments_per_day
    if limit and not override_policy:
        tz = zone(client.timezone)
        local_day = start.astimezone(tz).date()
        count = client_active_appointments_between(
            client=client,
            start=local_to_utc(local_day, time(0), tz),
            end=local_to_utc(local_day + timedelta(days=1), time(0), tz),
            exclude_appointment_id=exclude_appointment_id,
        )
        if count >= limit:
            raise BookingRuleViolation(
                "start", f"You can hold at most {limit} appointments on one day."
            )
    overlapping = Appointment.objects.filter(
        client=client, status__in=BLOCKING_STATUSES, start__lt=end, end__gt=start
    )
    if exclude_appointment_id is not None:
        overlapping = overlapping.exclude(pk=exclude_appointment_id)
    if overlapping.exists():
        raise SlotUnavailable(CLIENT_BUSY)


def _validate_fields(appointment: Appointment) -> None:
    """The model's field validation, without queries (see `_save_checked`)."""
    appointment.full_clean(
        exclude=["client", "provider", "service", "cancelled_by"],
        validate_unique=False,
        validate_constraints=False,
    )


def _save_checked(appointment: Appointment) -> None:
    """full_clean, then save; the exclusion constraints' verdict is final.

    Only the field values are validated here. The related rows were just read under lock, the
    check constraints hold by construction in `_set_time`, and `uid` is a fresh random UUID
    behind a unique index: validating those again would only add queries to the provider's
    critical section. No savepoint of its own: an IntegrityError leaves the caller's atomic
    block as an exception, which rolls it back.
    """
    _validate_fields(appointment)
    try:
        appointment.save()
    except IntegrityError as exc:
        message = str(exc)
        if PROVIDER_OVERLAP_CONSTRAINT in message:
            raise SlotUnavailable(SLOT_TAKEN) from exc
        if CLIENT_OVERLAP_CONSTRAINT in message:
            raise SlotUnavailable(CLIENT_BUSY) from exc
        raise


def _set_time(appointment: Appointment, *, start: datetime, service: Service) -> None:
    appointment.start = start
    appointment.end = start + timedelta(minutes=service.duration_minutes)
    appointment.blocked_start = start - timedelta(minutes=service.buffer_before_minutes)
    appointment.blocked_end = appointment.end + timedelta(minutes=service.buffer_after_minutes)


def appointment_book(
    *,
    client: User,
    provider: Provider,
    service: Service,
    start: datetime,
    urgency: str = Urgency.ROUTINE,
    client_notes: str = "",
    source: str = AppointmentSource.MANUAL,
    actor: User | None = None,
    override_policy: bool = False,
    context: dict[str, Any] | None = None,
) -> Appointment:
    """Book `service` with `provider` for `client` at `start` (an open slot)."""
    _check_override_allowed(actor=actor, override_policy=override_policy)
    with transaction.atomic():
        provider = _lock_provider(provider)
        client = _lock_client(client)
        policy = BookingPolicy.load()
        now = timezone.now()
        _check_booking_subjects(client=client, provider=provider, service=service, urgency=urgency)
        _check_slot_open(
            provider=provider,
            service=service,
            start=start,
            now=now,
            policy=policy,
            override_policy=override_policy,
        )
        appointment = Appointment(
            client=client,
            provider=provider,
            service=service,
            urgency=urgency,
            client_notes=client_notes,
            source=source,
        )
        _set_time(appointment, start=start, service=service)
        _check_client_limits(
            client=client,
            start=appointment.start,
            end=appointment.end,
            policy=policy,
            override_policy=override_policy,
        )
        _save_checked(appointment)
        events.run_booking_hooks(appointment=appointment, context=context or {})
        events.send_on_commit(
            events.appointment_booked, appointment_id=appointment.pk, actor_id=_actor_id(actor)
        )
    return appointment


def appointment_reschedule(
    *,
    appointment: Appointment,
    new_start: datetime,
    actor: User | None,
    reason: str = "",
    override_policy: bool = False,
) -> Appointment:
    """Move the appointment (same row) to `new_start` in one transaction."""
    _check_override_allowed(actor=actor, override_policy=override_policy)
    with transaction.atomic():
        provider = _lock_provider(appointment.provider)
        appointment = _lock_appointment(appointment)
        _ensure_may_change(appointment=appointment, actor=actor)
        if appointment.status not in ACTIVE_STATUSES:
            raise InvalidTransition(
                f"A {appointment.get_status_display().lower()} appointment cannot be moved."
            )
        policy = BookingPolicy.load()
        now = timezone.now()
        _check_client_cutoff(
            appointment=appointment,
            actor=actor,
            now=now,
            policy=policy,
            override_policy=override_policy,
        )
        if new_start == appointment.start:
            raise BookingRuleViolation("start", "The appointment is already at that time.")
        if not provider.is_active:
            raise BookingRuleViolation("provider", "This provider is not taking bookings.")
        service = appointment.service
        _lock_client(appointment.client)
        _check_slot_open(
            provider=provider,
            service=service,
            start=new_start,
            now=now,
            policy=policy,
            override_policy=override_policy,
            exclude_appointment_id=appointment.pk,
        )
        old_start, old_end = appointment.start, appointment.end
        _set_time(appointment, start=new_start, service=service)
        _check_client_limits(
            client=appointment.client,
            start=appointment.start,
            end=appointment.end,
            policy=policy,
            override_policy=override_policy,
            exclude_appointment_id=appointment.pk,
        )
        appointment.sequence += 1
        _save_checked(appointment)
        change = AppointmentChange(
            appointment=appointment,
            old_start=old_start,
            old_end=old_end,
            new_start=appointment.start,
            new_end=appointment.end,
            changed_by=actor,
            reason=reason,
        )
        # The appointment and the actor are the rows in hand: no existence queries for them.
        change.full_clean(exclude=["appointment", "changed_by"])
        change.save()
        events.send_on_commit(
            events.appointment_rescheduled,
            appointment_id=appointment.pk,
            actor_id=_actor_id(actor),
            old_start=old_start,
            old_end=old_end,
        )
    return appointment


def appointment_update(
    *,
    appointment: Appointment,
    actor: User | None,
    new_start: datetime | None = None,
    client_notes: str | None = None,
    reason: str = "",
    override_policy: bool = False,
) -> Appointment:
    """Change the time and/or the notes of an active appointment, all or nothing."""
    with transaction.atomic():
        if new_start is not None:
            appointment = appointment_reschedule(
                appointment=appointment,
                new_start=new_start,
                actor=actor,
                reason=reason,
                override_policy=override_policy,
            )
        if client_notes is not None:
            appointment = _lock_appointment(appointment)
            _ensure_may_change(appointment=appointment, actor=actor)
            if appointment.status not in ACTIVE_STATUSES:
                raise InvalidTransition("Only booked or confirmed appointments can be edited.")
            appointment.client_notes = client_notes
            _validate_fields(appointment)
            appointment.save(update_fields=["client_notes", "updated_at"])
    return appointment


def appointment_cancel(
    *,
    appointment: Appointment,
    actor: User | None,
    reason: str = "",
    override_policy: bool = False,
) -> Appointment:
    """Cancel, keeping the row with who, when and why; its time is free again."""
    _check_override_allowed(actor=actor, override_policy=override_policy)
    with transaction.atomic():
        appointment = _lock_appointment(appointment)
        _ensure_may_change(appointment=appointment, actor=actor)
        _ensure_transition(
            appointment=appointment, to=AppointmentStatus.CANCELLED, verb="cancelled"
        )
        now = timezone.now()
        _check_client_cutoff(
            appointment=appointment,
            actor=actor,
            now=now,
            policy=BookingPolicy.load(),
            override_policy=override_policy,
        )
        appointment.status = AppointmentStatus.CANCELLED
        appointment.cancelled_by = actor
        appointment.cancelled_at = now
        appointment.cancellation_reason = reason
        _validate_fields(appointment)
        appointment.save(
            update_fields=[
                "status",
                "cancelled_by",
                "cancelled_at",
                "cancellation_reason",
                "updated_at",
            ]
        )
        events.send_on_commit(
            events.appointment_cancelled,
            appointment_id=appointment.pk,
            actor_id=_actor_id(actor),
            reason=reason,
        )
    return appointment


def _close(
    *, appointment: Appointment, actor: User | None, to: str, verb: str, signal
) -> Appointment:
    with transaction.atomic():
        appointment = _lock_appointment(appointment)
        if actor is not None and not _is_staff(actor) and actor.pk != appointment.provider.user_id:
            raise PermissionDenied(f"Only the provider or staff can mark it {verb}.")
        _ensure_transition(appointment=appointment, to=to, verb=f"marked {verb}")
        if appointment.start > timezone.now():
            raise InvalidTransition(f"An appointment cannot be marked {verb} before it starts.")
        appointment.status = to
        _validate_fields(appointment)
        appointment.save(update_fields=["status", "updated_at"])
        events.send_on_commit(signal, appointment_id=appointment.pk, actor_id=_actor_id(actor))
    return appointment


def appointment_complete(*, appointment: Appointment, actor: User | None) -> Appointment:
    return _close(
        appointment=appointment,
        actor=actor,
        to=AppointmentStatus.COMPLETED,
        verb="completed",
        signal=events.appointment_completed,
    )


def appointment_mark_no_show(*, appointment: Appointment, actor: User | None) -> Appointment:
    return _close(
        appointment=appointment,
        actor=actor,
        to=AppointmentStatus.NO_SHOW,
        verb="no-show",
        signal=events.appointment_no_show,
    )


def appointment_staff_update(
    *,
    appointment: Appointment,
    actor: User,
    new_start: datetime | None = None,
    client_notes: str | None = None,
    status: str | None = None,
    reason: str = "",
    override_policy: bool = False,
) -> Appointment:
    """A staff change: time and notes, or a status (cancel, complete, no-show), at once.

    `override_policy` lifts notice, horizon, per-day limits and the client cut-off; the
    overlap rule and working hours still hold.
    """
    if not _is_staff(actor):
        raise PermissionDenied("Only staff can do this.")
    with transaction.atomic():
        if new_start is not None or client_notes is not None:
            appointment = appointment_update(
                appointment=appointment,
                actor=actor,
                new_start=new_start,
                client_notes=client_notes,
                reason=reason,
                override_policy=override_policy,
            )
        if status == AppointmentStatus.CANCELLED:
            appointment = appointment_cancel(
                appointment=appointment, actor=actor, reason=reason, override_policy=True
            )
        elif status == AppointmentStatus.COMPLETED:
            appointment = appointment_complete(appointment=appointment, actor=actor)
        elif status == AppointmentStatus.NO_SHOW:
            appointment = appointment_mark_no_show(appointment=appointment, actor=actor)
        elif status is not None:
            raise BookingRuleViolation("status", f"Staff cannot set the status to '{status}'.")
    return appointment
