"""Recurring series: check, book, move and cancel a series in one step each.

A series is one `AppointmentSeries` row and its occurrences, ordinary appointments that
name it (and the start its rule gave them). Every occurrence is decided by the one rules
engine: `series_check` (a read) and `series_book` (a write) load ONE snapshot around the
whole series (`selectors.booking_snapshot`, the same six queries whatever its length) and
ask `rules.refusal` of each occurrence through `recurrence.series_check`. The booking runs in
the booking services' own pattern: its own durable transaction, the provider's row locked
and the client's, the snapshot read under the locks, then one INSERT for all occurrences,
whose exclusion constraints (PostgreSQL) still have the last word. Either every chosen
occurrence is written or none.

Moves and cancellations of one occurrence, "this and the following ones", or all of them go
through the booking services' own halves (`_reschedule`, `_cancel`) in one transaction, so
each occurrence keeps its own history (`AppointmentChange`, who cancelled and why), its own
cut-off and its own events. The events of a series-wide change carry `series_id`, and all but
the first `series_quiet`: notifications then sends one message for the change.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from django.db import IntegrityError
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from providers.models import Provider, Service, Urgency
from scheduling import events, recurrence, rules
from scheduling.availability import local_to_utc
from scheduling.errors import BookingRuleViolation, InvalidTransition, SlotUnavailable
from scheduling.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentSeries,
    AppointmentSource,
    BookingPolicy,
)
from scheduling.selectors import (
    appointments_visible_to,
    booking_snapshot,
    eligibility,
    service_facts,
)
from scheduling.services import (
    _actor_id,
    _cancel,
    _check_client_cutoff,
    _check_override_allowed,
    _ensure_may_change,
    _lock_appointment,
    _lock_client,
    _lock_provider,
    _own_transaction,
    _raise_overlap,
    _raise_refusal,
    _release_expired_holds,
    _reschedule,
    _seat_sessions,
    _set_time,
    _validate_fields,
)

# The snapshot reaches this far around the series: alternatives are searched up to three
# days either side of a refused occurrence.
ALTERNATIVE_DAYS = 3
SNAPSHOT_MARGIN = timedelta(days=ALTERNATIVE_DAYS + 1)


class BookMode(StrEnum):
    ALL = "all"  # book nothing unless every occurrence fits
    AVAILABLE = "available"  # book the occurrences that fit, skip the others


class Scope(StrEnum):
    THIS = "this"
    FOLLOWING = "following"  # this occurrence and the later ones
    ALL = "all"  # every upcoming occurrence


@dataclass(frozen=True)
class SeriesPlan:
    """What the rules say of each occurrence of an asked-for series."""

    provider: Provider
    service: Service
    first_start: datetime
    recurrence: recurrence.Recurrence
    checks: list[recurrence.OccurrenceCheck]
    snapshot: rules.Snapshot

    @property
    def available(self) -> list[recurrence.OccurrenceCheck]:
        return [check for check in self.checks if check.available]

    @property
    def refused(self) -> list[recurrence.OccurrenceCheck]:
        return [check for check in self.checks if not check.available]


@dataclass(frozen=True)
class SeriesBooking:
    series: AppointmentSeries
    appointments: list[Appointment]
    plan: SeriesPlan


def series_policy_facts(policy: BookingPolicy) -> recurrence.SeriesPolicy:
    """One query: the services that cannot repeat."""
    return recurrence.SeriesPolicy(
        enabled=policy.series_enabled,
        max_occurrences=policy.series_max_occurrences,
        horizon=timedelta(days=max(policy.series_horizon_days, policy.horizon_days)),
        excluded_service_ids=frozenset(
            policy.series_excluded_services.values_list("pk", flat=True)
        ),
    )


def _rule_starts(
    *,
    provider: Provider,
    service: Service,
    first_start: datetime,
    rule: recurrence.Recurrence,
    series_policy: recurrence.SeriesPolicy,
) -> list[datetime]:
    """The starts the rule gives, refused as a whole by the series' own rules."""
    _raise_refusal(rules.start_refusal(first_start))
    first_local = first_start.astimezone(ZoneInfo(provider.timezone))
    starts = recurrence.occurrence_starts(
        first_local, rule, limit=series_policy.max_occurrences + 1
    )
    _raise_refusal(
        recurrence.series_refusal(
            series_policy,
            service_id=service.pk,
            service_name=str(service),
            recurrence=rule,
            generated=len(starts),
        )
    )
    return starts


def _check_replacements(starts: list[datetime], replacements: dict[datetime, datetime]) -> None:
    known = set(starts)
    for original, start in replacements.items():
        if original not in known:
            raise BookingRuleViolation(
                "replacements", f"{original.isoformat()} is not a start of this series."
            )
        _raise_refusal(rules.start_refusal(start))


def _plan(
    *,
    client: User | None,
    provider: Provider,
    service: Service,
    first_start: datetime,
    rule: recurrence.Recurrence,
    replacements: dict[datetime, datetime],
    policy: BookingPolicy,
    now: datetime,
    may_override: bool,
    eligible: dict | None,
) -> SeriesPlan:
    series_policy = series_policy_facts(policy)
    starts = _rule_starts(
        provider=provider,
        service=service,
        first_start=first_start,
        rule=rule,
        series_policy=series_policy,
    )
    _check_replacements(starts, replacements)
    asked = [*starts, *replacements.values()]
    duration = timedelta(minutes=service.duration_minutes)
    snapshot = booking_snapshot(
        service=service,
        providers=[provider],
        client=client,
        start=min(asked) - SNAPSHOT_MARGIN,
        end=max(asked) + duration + SNAPSHOT_MARGIN,
        now=now,
        policy=policy,
        may_override=may_override,
        eligible=eligible,
    )
    # The first occurrence within the normal horizon; the later ones up to the series'.
    series_snapshot = replace(
        snapshot, policy=replace(snapshot.policy, horizon=series_policy.horizon)
    )
    checks = recurrence.series_check(
        series_snapshot,
        provider_id=provider.pk,
        service_id=service.pk,
        starts=starts,
        replacements=replacements,
        first_snapshot=snapshot,
    )
    return SeriesPlan(provider, service, first_start, rule, checks, series_snapshot)


def series_check(
    *,
    client: User,
    provider: Provider,
    service: Service,
    first_start: datetime,
    rule: recurrence.Recurrence,
    replacements: dict[datetime, datetime] | None = None,
    actor: User | None = None,
    override_policy: bool = False,
    now: datetime | None = None,
) -> SeriesPlan:
    """A read: each occurrence of the series available or refused (with why and the
    closest alternatives), exactly as `series_book` would decide now. Eight queries
    whatever the length."""
    _check_override_allowed(actor=actor, override_policy=override_policy)
    return _plan(
        client=client,
        provider=provider,
        service=service,
        first_start=first_start,
        rule=rule,
        replacements=replacements or {},
        policy=BookingPolicy.load(),
        now=now or timezone.now(),
        may_override=override_policy,
        eligible=None,
    )


def _describe(check: recurrence.OccurrenceCheck, zone: ZoneInfo) -> str:
    local = check.start.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %Y %H:%M}"


def series_book(
    *,
    client: User,
    provider: Provider,
    service: Service,
    first_start: datetime,
    rule: recurrence.Recurrence,
    mode: str = BookMode.ALL,
    replacements: dict[datetime, datetime] | None = None,
    urgency: str = Urgency.ROUTINE,
    client_notes: str = "",
    actor: User | None = None,
    override_policy: bool = False,
) -> SeriesBooking:
    """Book the series in one transaction: every occurrence (`mode` "all": nothing unless
    all fit) or every one that fits (`mode` "available"), each checked by the rules engine
    at its own local wall-clock time. Refused: `SlotUnavailable` (409) or
    `BookingRuleViolation` (400) naming the first occurrence refused."""
    with _own_transaction():
        _check_override_allowed(actor=actor, override_policy=override_policy)
        provider = _lock_provider(provider, service=service)
        client = _lock_client(client)
        policy = BookingPolicy.load()
        now = timezone.now()
        _raise_refusal(rules.urgency_refusal(service_facts(service), urgency, Urgency.values))
        _release_expired_holds(provider=provider, now=now)
        plan = _plan(
            client=client,
            provider=provider,
            service=service,
            first_start=first_start,
            rule=rule,
            replacements=replacements or {},
            policy=policy,
            now=now,
            may_override=override_policy,
            eligible={provider.pk: eligibility(provider)},
        )
        chosen = plan.available
        refused = plan.refused
        zone = ZoneInfo(provider.timezone)
        if refused and (mode == BookMode.ALL or not chosen):
            first = refused[0]
            words = f"{_describe(first, zone)} cannot be booked: {first.refusal.message} " + (
                "Nothing was booked." if mode == BookMode.ALL else "No occurrence fits."
            )
            if first.refusal.kind == rules.RefusalKind.TAKEN or mode != BookMode.ALL:
                raise SlotUnavailable(words)
            raise BookingRuleViolation(first.refusal.field, words)
        series = AppointmentSeries(
            client=client,
            provider=provider,
            service=service,
            frequency=rule.frequency,
            count=rule.count,
            until=rule.until,
            first_start=plan.checks[0].original_start,
            timezone=provider.timezone,
            created_by=actor,
        )
        # The related rows were just read under lock, `uid` is a fresh random UUID.
        series.full_clean(
            exclude=["client", "provider", "service", "created_by"], validate_unique=False
        )
        series.save()
        appointments = []
        source = AppointmentSource.STAFF if override_policy else AppointmentSource.MANUAL
        sessions = _seat_sessions(
            provider=provider, service=service, starts=[check.start for check in chosen]
        )
        for check in chosen:
            appointment = Appointment(
                client=client,
                provider=provider,
                service=service,
                urgency=urgency,
                client_notes=client_notes,
                source=source,
                series=series,
                series_original_start=check.original_start,
                session=sessions.get(check.start),
            )
            _set_time(appointment, start=check.start, service=service)
            _validate_fields(appointment)
            appointments.append(appointment)
        try:
            Appointment.objects.bulk_create(appointments)
        except IntegrityError as exc:
            _raise_overlap(exc)
            raise
        for index, appointment in enumerate(appointments):
            events.run_booking_hooks(appointment=appointment, context={})
            events.send_on_commit(
                events.appointment_booked,
                appointment_id=appointment.pk,
                actor_id=_actor_id(actor),
                series_id=series.pk,
                series_count=len(appointments),
                series_quiet=index > 0,
            )
        return SeriesBooking(series, appointments, plan)


# --- changing a booked series ----------------------------------------------------------------


def _targets(*, appointment: Appointment, scope: str, now: datetime) -> list[Appointment]:
    """The occurrences a change of `appointment` with `scope` reaches, locked, in order:
    itself; itself and the later active ones; or every active one still to come."""
    if appointment.series_id is None:
        raise BookingRuleViolation("scope", "This appointment is not part of a series.")
    if scope == Scope.THIS:
        return [appointment]
    occurrences = Appointment.objects.select_for_update(no_key=True).filter(
        series_id=appointment.series_id, status__in=ACTIVE_STATUSES
    )
    if scope == Scope.FOLLOWING:
        occurrences = occurrences.filter(start__gte=appointment.start)
    else:
        occurrences = occurrences.filter(start__gt=now)
    found = list(occurrences.select_related("provider", "service", "client").order_by("start"))
    if scope == Scope.FOLLOWING and appointment.pk not in {a.pk for a in found}:
        raise InvalidTransition(
            f"A {appointment.get_status_display().lower()} appointment cannot be changed."
        )
    if not found:
        raise InvalidTransition("No appointment of this series is still to come.")
    return found


def _bump_series(series_id: int) -> None:
    AppointmentSeries.objects.filter(pk=series_id).update(
        sequence=F("sequence") + 1, updated_at=timezone.now()
    )


def _change_extra(appointment: Appointment, count: int, index: int) -> dict:
    """What the events of one occurrence of a series change carry: the series, how many
    occurrences the change touched, and whether its message is the first one's (the others
    only keep their reminders in step)."""
    return {"series_id": appointment.series_id, "series_count": count, "series_quiet": index > 0}


def series_cancel(
    *,
    appointment: Appointment,
    scope: str,
    actor: User | None,
    reason: str = "",
    override_policy: bool = False,
) -> list[Appointment]:
    """Cancel one occurrence, it and the following ones, or every one still to come, in one
    transaction; each keeps its row with who, when and why. A client is held to the
    cut-off for each (the nearest decides)."""
    with _own_transaction():
        _check_override_allowed(actor=actor, override_policy=override_policy)
        appointment = _lock_appointment(appointment)
        _ensure_may_change(appointment=appointment, actor=actor)
        targets = _targets(appointment=appointment, scope=scope, now=timezone.now())
        cancelled = []
        for index, target in enumerate(targets):
            cancelled.append(
                _cancel(
                    appointment=target,
                    actor=actor,
                    reason=reason,
                    override_policy=override_policy,
                    event_extra=_change_extra(appointment, len(targets), index),
                )
            )
        _bump_series(appointment.series_id)
        return cancelled


def _moved_start(target: Appointment, *, anchor: Appointment, new_start: datetime) -> datetime:
    """Where `target` goes when `anchor` moves to `new_start`: as many local days later (or
    earlier) and at the new local wall-clock time, in the provider's zone."""
    zone = ZoneInfo(anchor.provider.timezone)
    new_local = new_start.astimezone(zone)
    day_shift = new_local.date() - anchor.start.astimezone(zone).date()
    day = target.start.astimezone(zone).date() + day_shift
    return local_to_utc(day, new_local.time().replace(tzinfo=None), zone)


def series_move(
    *,
    appointment: Appointment,
    new_start: datetime,
    scope: str,
    actor: User | None,
    reason: str = "",
    override_policy: bool = False,
) -> list[Appointment]:
    """Move one occurrence to `new_start`, or it and the following ones (or every one still
    to come) by the same shift of local day and to the same local time, in one transaction:
    all move or none. Each occurrence is checked by the booking rules and keeps its own
    history (one `AppointmentChange` each)."""
    _raise_refusal(rules.start_refusal(new_start))
    with _own_transaction():
        _check_override_allowed(actor=actor, override_policy=override_policy)
        appointment = _lock_appointment(appointment)
        _ensure_may_change(appointment=appointment, actor=actor)
        targets = _targets(appointment=appointment, scope=scope, now=timezone.now())
        if appointment.status not in ACTIVE_STATUSES:
            raise InvalidTransition(
                f"A {appointment.get_status_display().lower()} appointment cannot be moved."
            )
        policy = BookingPolicy.load()
        now = timezone.now()
        for target in targets:
            _check_client_cutoff(
                appointment=target,
                actor=actor,
                now=now,
                policy=policy,
                override_policy=override_policy,
            )
        moved = []
        # Later occurrences first when moving later (earlier first when moving earlier), so
        # no occurrence is refused for the old time of its neighbour.
        ordered = sorted(targets, key=lambda a: a.start, reverse=new_start > appointment.start)
        for index, target in enumerate(ordered):
            start = _moved_start(target, anchor=appointment, new_start=new_start)
            moved.append(
                _reschedule(
                    appointment=target,
                    new_start=start,
                    actor=actor,
                    reason=reason,
                    override_policy=override_policy,
                    event_extra=_change_extra(appointment, len(targets), index),
                )
            )
        _bump_series(appointment.series_id)
        return sorted(moved, key=lambda a: a.start)


def series_for_user(*, user, series_id: int) -> AppointmentSeries:
    """A read: the series if `user` may see it, that is one of its occurrences (the one
    access gate, `selectors.appointments_visible_to`); otherwise DoesNotExist, as for
    unknown ids, so callers answer 404 for both."""
    # The series row first: its primary key lookup refuses ids out of range itself.
    series = AppointmentSeries.objects.select_related("provider", "service", "client").get(
        pk=series_id
    )
    if not appointments_visible_to(user=user).filter(series=series).exists():
        raise AppointmentSeries.DoesNotExist
    return series
