"""Writes of scheduling: book, reschedule, cancel, confirm, complete, mark no-show.

Each public function is one transaction of its own, the outermost (see `_own_transaction`):
lock, load the rules snapshot, ask `scheduling.rules`, save. The API, the admin and
background jobs follow the same rules (staff pass `override_policy=True` to lift policy
limits, never the overlap rule). The provider row is locked before the snapshot is read
(`select_for_update` on PostgreSQL; SQLite takes its write lock at BEGIN), and on PostgreSQL
the exclusion constraints have the last word: their violation becomes `SlotUnavailable`.
"""

from __future__ import annotations

from copy import copy
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from accounts.models import User
from providers.models import Provider, Service, Urgency
from scheduling import events, rules
from scheduling.errors import BookingRuleViolation, HoldGone, InvalidTransition, SlotUnavailable
from scheduling.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentChange,
    AppointmentSource,
    AppointmentStatus,
    BookingPolicy,
    GroupSession,
    GroupSessionStatus,
)
from scheduling.rules import CLIENT_BUSY, SLOT_TAKEN
from scheduling.selectors import (
    booking_snapshot,
    eligibility,
    eligibility_annotations,
    policy_facts,
    service_facts,
)

PROVIDER_OVERLAP_CONSTRAINT = "appointment_provider_no_overlap"
CLIENT_OVERLAP_CONSTRAINT = "appointment_client_no_overlap"

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
    # Holds are not appointments: they are placed, taken or released (`hold_*` below).
    AppointmentStatus.HELD: frozenset(),
    AppointmentStatus.RELEASED: frozenset(),
}


def _own_transaction() -> transaction.Atomic:
    """The transaction of a public service: its own, and the outermost (`durable`).

    So a service that returns has committed: its rows are visible to everyone, its locks are
    released and its events are on their way. Opened inside another atomic block it raises
    RuntimeError, rather than leave the commit (and how long the provider stays locked) to
    an unknown caller. The services compose one another through their private halves below;
    code that must hold several bookings in one transaction of its own, committed or rolled
    back as a whole (the demo seed, the offline evaluation), books with
    `appointment_book_in_transaction`. Django exempts tests' own transactions (TestCase,
    pytest-django's `db`).
    """
    return transaction.atomic(durable=True)


def _ensure_callers_transaction(*, name: str, outside: str) -> None:
    """The `*_in_transaction` services run inside their caller's transaction, never alone."""
    if not connection.in_atomic_block:
        raise TransactionManagementError(
            f"{name} runs inside the caller's transaction; outside one, call {outside}."
        )


def _actor_id(actor: User | None) -> int | None:
    return actor.pk if actor is not None else None


def _check_override_allowed(*, actor: User | None, override_policy: bool) -> None:
    # actor None is the system itself (commands, jobs); a person must be staff.
    if override_policy and actor is not None and not actor.is_staff_member:
        raise BookingRuleViolation("override_policy", "Only staff can override the policy.")


def _ensure_may_change(*, appointment: Appointment, actor: User | None) -> None:
    if actor is None or actor.is_staff_member:
        return
    if actor.pk == appointment.client_id or actor.pk == appointment.provider.user_id:
        return
    raise PermissionDenied("You cannot change this appointment.")


def _raise_refusal(refused: rules.Refusal | None) -> None:
    """A refusal of the rules engine as the domain error the API maps to its status."""
    if refused is None:
        return
    if refused.kind == rules.RefusalKind.TAKEN:
        raise SlotUnavailable(refused.message)
    raise BookingRuleViolation(refused.field, refused.message)


def _ensure_transition(*, appointment: Appointment, to: str, verb: str) -> None:
    if to not in TRANSITIONS[appointment.status]:
        raise InvalidTransition(
            f"A {appointment.get_status_display().lower()} appointment cannot be {verb}."
        )


# Row locks are FOR NO KEY UPDATE: they serialise our writers exactly as FOR UPDATE would,
# but do not wait for (or block) transactions that only insert rows referencing the locked
# one, such as a worker writing an event's notifications for this client.
def _lock_provider(provider: Provider, *, service: Service) -> Provider:
    """Serialise bookings of one provider: every check below runs under this row lock.

    The same query reads whether the provider may take it
    (`selectors.eligibility`) and whether they have holds at all (`has_holds`: only then can
    an expired one be in the way), so a booking's critical section asks nothing twice.
    On PostgreSQL the wait is bounded (`BOOKING_LOCK_TIMEOUT_MS`): past it the lock error
    surfaces and the API answers 503 with Retry-After instead of queueing forever.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('lock_timeout', %s, true)",
                [f"{settings.BOOKING_LOCK_TIMEOUT_MS}ms"],
            )
    return (
        Provider.objects.select_for_update(no_key=True, of=("self",))
        .annotate(
            **eligibility_annotations(service),
            has_holds=Exists(
                Appointment.with_holds.filter(
                    provider_id=OuterRef("pk"), status=AppointmentStatus.HELD
                )
            ),
        )
        .get(pk=provider.pk)
    )


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
    # The cut-off protects the provider from a client's own late changes.
    bound = (
        not override_policy
        and actor is not None
        and not actor.is_staff_member
        and actor.pk == appointment.client_id
    )
    _raise_refusal(
        rules.cutoff_refusal(
            start=appointment.start, now=now, policy=policy_facts(policy), bound=bound
        )
    )


def _check_bookable(
    *,
    client: User,
    provider: Provider,
    service: Service,
    start: datetime,
    now: datetime,
    policy: BookingPolicy,
    override_policy: bool,
    exclude_appointment_id: int | None = None,
) -> None:
    """Ask the rules engine, from a snapshot read under the locks (`provider` as
    `_lock_provider` read it for `service`)."""
    _raise_refusal(rules.start_refusal(start))
    snapshot = booking_snapshot(
        service=service,
        providers=[provider],
        client=client,
        start=start,
        end=start + timedelta(minutes=service.duration_minutes),
        now=now,
        policy=policy,
        may_override=override_policy,
        exclude_appointment_id=exclude_appointment_id,
        eligible={provider.pk: eligibility(provider)},
    )
    _raise_refusal(rules.refusal(snapshot, provider.pk, service.pk, start))


def _validate_fields(appointment: Appointment) -> None:
    """The model's field validation, without queries (see `_save_checked`)."""
    appointment.full_clean(
        exclude=["client", "provider", "service", "cancelled_by", "series", "session"],
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
        _raise_overlap(exc)
        raise


def _raise_overlap(exc: IntegrityError) -> None:
    """An exclusion constraint's violation as the domain error it means (any other
    integrity error is left to the caller to re-raise)."""
    message = str(exc)
    if PROVIDER_OVERLAP_CONSTRAINT in message:
        raise SlotUnavailable(SLOT_TAKEN) from exc
    if CLIENT_OVERLAP_CONSTRAINT in message:
        raise SlotUnavailable(CLIENT_BUSY) from exc


def _set_time(appointment: Appointment, *, start: datetime, service: Service) -> None:
    appointment.start = start
    appointment.end = start + timedelta(minutes=service.duration_minutes)
    appointment.blocked_start = start - timedelta(minutes=service.buffer_before_minutes)
    appointment.blocked_end = appointment.end + timedelta(minutes=service.buffer_after_minutes)


def _seat_sessions(
    *, provider: Provider, service: Service, starts: list[datetime]
) -> dict[datetime, GroupSession]:
    """The scheduled session of a group service at each start, opened where there is none
    (two queries whatever the number of starts; none for a private service). Called under
    the provider's row lock after the rules found a seat free at each start, so the seats
    counted are the seats held; one scheduled session per start is also a unique index."""
    if not service.is_group:
        return {}
    sessions = {
        session.start: session
        for session in GroupSession.objects.filter(
            provider=provider,
            service=service,
            status=GroupSessionStatus.SCHEDULED,
            start__in=starts,
        )
    }
    duration = timedelta(minutes=service.duration_minutes)
    opened = [
        GroupSession(provider=provider, service=service, start=start, end=start + duration)
        for start in dict.fromkeys(starts)
        if start not in sessions
    ]
    GroupSession.objects.bulk_create(opened)
    sessions.update((session.start, session) for session in opened)
    return sessions


def _take_seat(appointment: Appointment, *, provider: Provider, service: Service) -> None:
    """A group service's appointment is a seat of the session at its start (see
    `_seat_sessions`); any other has no session."""
    sessions = _seat_sessions(provider=provider, service=service, starts=[appointment.start])
    appointment.session = sessions.get(appointment.start)


# --- holds ---------------------------------------------------------------------------------
#
# A hold is an appointment row with status "held": the provider's time is blocked for
# everybody (the snapshot's busy time, the PostgreSQL exclusion constraint) until it expires
# or is taken. Who may take it is the waitlist's rule; here a hold is taken by booking (or
# moving an appointment) into it, which releases it in the same transaction.


def _release_expired_holds(*, provider: Provider, now: datetime) -> None:
    """Release the provider's expired holds before writing its time: the snapshot already
    ignores them, and the exclusion constraint must too. One UPDATE, under the provider lock,
    only when the locking query saw a hold (`has_holds`)."""
    if not provider.has_holds:
        return
    Appointment.with_holds.filter(
        provider=provider, status=AppointmentStatus.HELD, hold_expires_at__lte=now
    ).update(status=AppointmentStatus.RELEASED)


def _take_hold(
    *, hold: Appointment, provider: Provider, service: Service, start: datetime, now: datetime
) -> None:
    """Release a live hold of exactly this provider, service and start, so the booking that
    takes it is checked and saved without it. A hold that expired or was released (or taken
    by someone else) raises HoldGone."""
    live = (
        Appointment.with_holds.select_for_update(no_key=True)
        .filter(pk=hold.pk, status=AppointmentStatus.HELD, hold_expires_at__gt=now)
        .first()
    )
    if live is None:
        raise HoldGone()
    if (live.provider_id, live.service_id, live.start) != (provider.pk, service.pk, start):
        raise BookingRuleViolation(
            "hold", "The held time is for another provider, service or start."
        )
    live.status = AppointmentStatus.RELEASED
    live.save(update_fields=["status", "updated_at"])


def hold_place(
    *,
    provider: Provider,
    service: Service,
    start: datetime,
    client: User,
    expires_at: datetime,
    moving: Appointment | None = None,
) -> Appointment:
    """Hold `start` with `provider` for `client` until `expires_at`, in the caller's
    transaction (the waitlist composes it with its offer), refused exactly as booking it for
    that client would be now. With `moving`, the client's appointment that taking the hold
    would move does not count against them (its own time, their day's limit)."""
    with transaction.atomic():
        provider = _lock_provider(provider, service=service)
        client = _lock_client(client)
        now = timezone.now()
        if expires_at <= now:
            raise BookingRuleViolation("expires_at", "A hold must end in the future.")
        _release_expired_holds(provider=provider, now=now)
        _check_bookable(
            client=client,
            provider=provider,
            service=service,
            start=start,
            now=now,
            policy=BookingPolicy.load(),
            override_policy=False,
            exclude_appointment_id=moving.pk if moving is not None else None,
        )
        hold = Appointment(
            client=client,
            provider=provider,
            service=service,
            status=AppointmentStatus.HELD,
            hold_expires_at=expires_at,
            source=AppointmentSource.WAITLIST,
        )
        _set_time(hold, start=start, service=service)
        _take_seat(hold, provider=provider, service=service)
        _save_checked(hold)
        return hold


def hold_release(*, hold: Appointment) -> bool:
    """Release a hold (idempotent): its time is free at once. Whether it was still held."""
    released = Appointment.with_holds.filter(pk=hold.pk, status=AppointmentStatus.HELD).update(
        status=AppointmentStatus.RELEASED
    )
    return released == 1


def holds_release_expired(*, now: datetime | None = None) -> int:
    """Release every expired hold (the beat sweep); how many."""
    return Appointment.with_holds.filter(
        status=AppointmentStatus.HELD, hold_expires_at__lte=now or timezone.now()
    ).update(status=AppointmentStatus.RELEASED)


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
    hold: Appointment | None = None,
) -> Appointment:
    """Book `service` with `provider` for `client` at `start` (an open slot, or the time of
    `hold`, a live hold of exactly that provider, service and start)."""
    with _own_transaction():
        return appointment_book_in_transaction(
            client=client,
            provider=provider,
            service=service,
            start=start,
            urgency=urgency,
            client_notes=client_notes,
            source=source,
            actor=actor,
            override_policy=override_policy,
            context=context,
            hold=hold,
        )


def appointment_book_in_transaction(
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
    hold: Appointment | None = None,
) -> Appointment:
    """`appointment_book` inside the caller's transaction, for code that composes bookings.

    The same rules and locks; the locks are held, and the events wait, until the caller's
    transaction commits, and a rollback of it takes the booking back. A refused booking
    leaves the caller's transaction to roll back (on PostgreSQL it is aborted): wrap each
    call in `transaction.atomic()` (a savepoint) to go on after a refusal.
    """
    _ensure_callers_transaction(name="appointment_book_in_transaction", outside="appointment_book")
    _check_override_allowed(actor=actor, override_policy=override_policy)
    provider = _lock_provider(provider, service=service)
    client = _lock_client(client)
    # Equivalent when None: the snapshot loads the same policy and clock itself.
    policy = BookingPolicy.load()  # pragma: no mutate
    now = timezone.now()  # pragma: no mutate
    _raise_refusal(rules.urgency_refusal(service_facts(service), urgency, Urgency.values))
    _release_expired_holds(provider=provider, now=now)
    if hold is not None:
        _take_hold(hold=hold, provider=provider, service=service, start=start, now=now)
    _check_bookable(
        client=client,
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
    _take_seat(appointment, provider=provider, service=service)
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
    hold: Appointment | None = None,
) -> Appointment:
    """Move the appointment (same row) to `new_start` in one transaction (into the time of
    `hold`, a live hold of the same provider and service at `new_start`, if given)."""
    with _own_transaction():
        return _reschedule(
            appointment=appointment,
            new_start=new_start,
            actor=actor,
            reason=reason,
            override_policy=override_policy,
            hold=hold,
        )


def appointment_reschedule_in_transaction(
    *,
    appointment: Appointment,
    new_start: datetime,
    actor: User | None,
    reason: str = "",
    override_policy: bool = False,
    hold: Appointment | None = None,
) -> Appointment:
    """`appointment_reschedule` inside the caller's transaction (the waitlist moves an
    appointment and closes its offer as one), like `appointment_book_in_transaction`."""
    _ensure_callers_transaction(
        name="appointment_reschedule_in_transaction", outside="appointment_reschedule"
    )
    return _reschedule(
        appointment=appointment,
        new_start=new_start,
        actor=actor,
        reason=reason,
        override_policy=override_policy,
        hold=hold,
    )


def _series_reach(policy: BookingPolicy, *, appointment: Appointment) -> BookingPolicy:
    """An occurrence of a recurring series moves within the series' reach: its horizon is
    the policy's `series_horizon_days` (a copy; the row is not changed)."""
    if appointment.series_id is None or policy.series_horizon_days <= policy.horizon_days:
        return policy
    reach = copy(policy)
    reach.horizon_days = policy.series_horizon_days
    return reach


def _reschedule(
    *,
    appointment: Appointment,
    new_start: datetime,
    actor: User | None,
    reason: str,
    override_policy: bool,
    hold: Appointment | None = None,
    event_extra: dict[str, Any] | None = None,
) -> Appointment:
    """`event_extra` rides on the event (a series move says which series, and whether its
    own message covers this occurrence: `scheduling.series`)."""
    _check_override_allowed(actor=actor, override_policy=override_policy)
    # An appointment's service never changes: the one in hand is the one under the lock.
    provider = _lock_provider(appointment.provider, service=appointment.service)
    appointment = _lock_appointment(appointment)
    _ensure_may_change(appointment=appointment, actor=actor)
    if appointment.status not in ACTIVE_STATUSES:
        raise InvalidTransition(
            f"A {appointment.get_status_display().lower()} appointment cannot be moved."
        )
    policy = _series_reach(BookingPolicy.load(), appointment=appointment)
    now = timezone.now()
    _check_client_cutoff(
        appointment=appointment,
        actor=actor,
        now=now,
        policy=policy,
        override_policy=override_policy,
    )
    _raise_refusal(rules.move_refusal(current_start=appointment.start, new_start=new_start))
    service = appointment.service
    _release_expired_holds(provider=provider, now=now)
    if hold is not None:
        _take_hold(hold=hold, provider=provider, service=service, start=new_start, now=now)
    _check_bookable(
        client=_lock_client(appointment.client),
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
    _take_seat(appointment, provider=provider, service=service)
    appointment.sequence += 1
    # The client confirmed the old time, not this one (and its answer links are gone).
    appointment.status, appointment.confirmed_at = AppointmentStatus.BOOKED, None
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
        provider_id=appointment.provider_id,
        old_start=old_start,
        old_end=old_end,
        **(event_extra or {}),
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
    with _own_transaction():
        return _update(
            appointment=appointment,
            actor=actor,
            new_start=new_start,
            client_notes=client_notes,
            reason=reason,
            override_policy=override_policy,
        )


def _update(
    *,
    appointment: Appointment,
    actor: User | None,
    new_start: datetime | None,
    client_notes: str | None,
    reason: str,
    override_policy: bool,
) -> Appointment:
    if new_start is not None:
        appointment = _reschedule(
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
    with _own_transaction():
        return _cancel(
            appointment=appointment, actor=actor, reason=reason, override_policy=override_policy
        )


def appointment_cancel_in_transaction(
    *,
    appointment: Appointment,
    actor: User | None,
    reason: str = "",
    override_policy: bool = False,
) -> Appointment:
    """`appointment_cancel` inside the caller's transaction (the waitlist replaces a displaced
    appointment with another provider's time as one change), like
    `appointment_book_in_transaction`."""
    _ensure_callers_transaction(
        name="appointment_cancel_in_transaction", outside="appointment_cancel"
    )
    return _cancel(
        appointment=appointment, actor=actor, reason=reason, override_policy=override_policy
    )


def _cancel(
    *,
    appointment: Appointment,
    actor: User | None,
    reason: str,
    override_policy: bool,
    event_extra: dict[str, Any] | None = None,
) -> Appointment:
    _check_override_allowed(actor=actor, override_policy=override_policy)
    appointment = _lock_appointment(appointment)
    _ensure_may_change(appointment=appointment, actor=actor)
    _ensure_transition(appointment=appointment, to=AppointmentStatus.CANCELLED, verb="cancelled")
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
        provider_id=appointment.provider_id,
        blocked_start=appointment.blocked_start,
        blocked_end=appointment.blocked_end,
        reason=reason,
        **(event_extra or {}),
    )
    return appointment


# Closing an appointment after its start: the verb its messages use and the event it sends.
_CLOSINGS = {
    AppointmentStatus.COMPLETED: ("completed", events.appointment_completed),
    AppointmentStatus.NO_SHOW: ("no-show", events.appointment_no_show),
}


def _close(*, appointment: Appointment, actor: User | None, to: str) -> Appointment:
    verb, signal = _CLOSINGS[to]
    appointment = _lock_appointment(appointment)
    if actor is not None and not actor.is_staff_member and actor.pk != appointment.provider.user_id:
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
    with _own_transaction():
        return _close(appointment=appointment, actor=actor, to=AppointmentStatus.COMPLETED)


def appointment_mark_no_show(*, appointment: Appointment, actor: User | None) -> Appointment:
    with _own_transaction():
        return _close(appointment=appointment, actor=actor, to=AppointmentStatus.NO_SHOW)


def appointment_confirm(*, appointment: Appointment, actor: User | None) -> Appointment:
    """The client says they are coming: the appointment becomes confirmed and `confirmed_at`
    is set once (a second confirmation changes nothing and sends nothing; a move clears
    both, see `_reschedule`). Only an appointment that is booked and has not started may be
    confirmed; `actor` None is the client's word through a signed link."""
    with _own_transaction():
        appointment = _lock_appointment(appointment)
        _ensure_may_change(appointment=appointment, actor=actor)
        if appointment.status not in ACTIVE_STATUSES:
            raise InvalidTransition(
                f"A {appointment.get_status_display().lower()} appointment cannot be confirmed."
            )
        if appointment.confirmed_at is not None:
            return appointment
        now = timezone.now()
        if appointment.start <= now:
            raise InvalidTransition("An appointment cannot be confirmed once it has started.")
        appointment.confirmed_at = now
        appointment.status = AppointmentStatus.CONFIRMED
        _validate_fields(appointment)
        appointment.save(update_fields=["status", "confirmed_at", "updated_at"])
        events.send_on_commit(
            events.appointment_confirmed,
            appointment_id=appointment.pk,
            actor_id=_actor_id(actor),
        )
    return appointment


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
    if not actor.is_staff_member:
        raise PermissionDenied("Only staff can do this.")
    with _own_transaction():
        if new_start is not None or client_notes is not None:
            appointment = _update(
                appointment=appointment,
                actor=actor,
                new_start=new_start,
                client_notes=client_notes,
                reason=reason,
                override_policy=override_policy,
            )
        if status == AppointmentStatus.CANCELLED:
            appointment = _cancel(
                appointment=appointment,
                actor=actor,
                reason=reason,
                override_policy=True,  # pragma: no mutate (staff are never bound by the cut-off)
            )
        elif status in _CLOSINGS:
            appointment = _close(appointment=appointment, actor=actor, to=status)
        elif status is not None:
            raise BookingRuleViolation("status", f"Staff cannot set the status to '{status}'.")
    return appointment
