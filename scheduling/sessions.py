"""Group sessions: who may see one and its attendees, cancelling one, and the minimum number
of participants checked at the deadline (a beat job, exactly once per session).

A session is opened by its first seat (`services._seat_sessions`); each seat is an
appointment with its own status, emails and invite, so everything that tells a client about
an appointment tells each attendee about theirs. Cancelling a session cancels every seat in
one transaction, and each attendee gets the cancellation with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from accounts.principals import is_api_key
from scheduling.errors import InvalidTransition
from scheduling.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentStatus,
    GroupSession,
    GroupSessionStatus,
)
from scheduling.selectors import appointments_visible_to
from scheduling.services import _cancel, _lock_provider, _own_transaction

# The seats that count as participants: booked or confirmed (a live hold is an offer, not a
# participant yet; it is released with the session).
PARTICIPANT = Q(seats__status__in=ACTIVE_STATUSES)
PARTICIPANTS = Count("seats", filter=PARTICIPANT)
# Only bounds the rows read (a deadline is at most 30 days before its session; each one's own
# deadline decides), so a longer bound changes nothing.
LONGEST_DEADLINE = timedelta(hours=24 * 30)  # pragma: no mutate


def sessions_visible_to(*, user) -> QuerySet[GroupSession]:
    """Sessions with a seat `user` may see (`appointments_visible_to`, the one gate): staff
    all, a provider their own, a client those they hold a seat in. Annotated with
    `participants`."""
    seats = appointments_visible_to(user=user).filter(session__isnull=False)
    return with_participants(GroupSession.objects.filter(pk__in=seats.values("session_id")))


def with_participants(sessions: QuerySet[GroupSession]) -> QuerySet[GroupSession]:
    """The sessions with their provider, service and `participants` (seats booked or
    confirmed) in the same query."""
    return sessions.select_related("provider", "service").annotate(participants=PARTICIPANTS)


def session_for_user(*, user, session_id: int) -> GroupSession:
    """The session if `user` may see it; DoesNotExist otherwise, as for unknown ids."""
    return sessions_visible_to(user=user).get(pk=session_id)


def sees_attendees(*, user, session: GroupSession) -> bool:
    """The provider of the session and staff see who attends; a client sees the seats left,
    never the other attendees."""
    if is_api_key(user):
        return False
    return user.is_staff_member or session.provider.user_id == user.pk


def _seats_taken() -> QuerySet[Appointment]:
    # The default manager: holds left out.
    return Appointment.objects.select_related("client").order_by("created_at", "pk")


def with_attendees(sessions: QuerySet[GroupSession]) -> QuerySet[GroupSession]:
    """The sessions with their attendees read in one query for all (`attendees` uses it)."""
    return sessions.prefetch_related(Prefetch("seats", queryset=_seats_taken()))


def attendees(session: GroupSession) -> list[Appointment]:
    """The session's seats that are or were taken (holds left out), by booking time."""
    if "seats" in getattr(session, "_prefetched_objects_cache", {}):
        return list(session.seats.all())
    return list(_seats_taken().filter(session=session))


def seats_left(session: GroupSession) -> int:
    return max(session.service.capacity - session.participants, 0)


@dataclass(frozen=True)  # pragma: no mutate (a result value: nothing changes it)
class MinimumCheck:
    checked: int  # sessions whose minimum was decided in this run
    cancelled: list[int]  # of those, the ids of the sessions cancelled


def session_cancel(*, session: GroupSession, actor: User | None, reason: str) -> GroupSession:
    """Cancel the whole session: every seat (each attendee is told, with `reason`) and any
    hold on it, in one transaction. The provider of the session or staff only."""
    if actor is not None and not sees_attendees(user=actor, session=session):
        raise PermissionDenied("Only the provider or staff can cancel a group session.")
    with _own_transaction():
        _lock_provider(session.provider, service=session.service)
        # FOR NO KEY UPDATE, as the booking core's row locks (only PostgreSQL tells them apart).
        locked = GroupSession.objects.select_for_update(no_key=True).get(  # pragma: no mutate
            pk=session.pk
        )
        if locked.status != GroupSessionStatus.SCHEDULED:
            raise InvalidTransition("This group session is already cancelled.")
        return _cancel_session(session=locked, actor=actor, reason=reason)


def _cancel_session(*, session: GroupSession, actor: User | None, reason: str) -> GroupSession:
    """Cancel a scheduled session its caller has locked (the provider's row, then the
    session's) in the caller's transaction."""
    now = timezone.now()
    for seat in Appointment.objects.filter(session=session, status__in=ACTIVE_STATUSES):
        _cancel(appointment=seat, actor=actor, reason=reason, override_policy=False)
    Appointment.with_holds.filter(session=session, status=AppointmentStatus.HELD).update(
        status=AppointmentStatus.RELEASED
    )
    session.status = GroupSessionStatus.CANCELLED
    session.cancelled_at = now
    session.cancellation_reason = reason
    session.minimum_checked_at = session.minimum_checked_at or now
    session.save(
        update_fields=["status", "cancelled_at", "cancellation_reason", "minimum_checked_at"]
    )
    return session


def minimum_reason(*, participants: int, minimum: int) -> str:
    return (
        f"Not enough participants: {participants} of the {minimum} needed had booked by the "
        "deadline, so the group session will not take place."
    )


def sessions_check_minimum(*, now: datetime | None = None) -> MinimumCheck:
    """Decide every session whose deadline has come: below its service's minimum it is
    cancelled and every attendee told; either way it is marked checked. Each session in a
    transaction of its own, claimed with SKIP LOCKED and `minimum_checked_at`, so two runs
    (or two workers) decide a session once."""
    now = now or timezone.now()
    upcoming = GroupSession.objects.filter(
        status=GroupSessionStatus.SCHEDULED,
        minimum_checked_at__isnull=True,
        start__gt=now,
        start__lte=now + LONGEST_DEADLINE,
        service__min_participants__gt=1,
    ).select_related("provider", "service")
    due = [
        session
        for session in upcoming
        if session.start - timedelta(hours=session.service.minimum_deadline_hours) <= now
    ]
    checked, cancelled = 0, []
    for found in due:
        with _own_transaction():
            # The provider first, as every writer of their time locks it.
            _lock_provider(found.provider, service=found.service)
            session = (
                GroupSession.objects.select_for_update(skip_locked=True, no_key=True)
                .filter(
                    pk=found.pk,
                    status=GroupSessionStatus.SCHEDULED,
                    minimum_checked_at__isnull=True,
                )
                .first()
            )
            if session is None:
                continue  # another run decided it
            checked += 1
            participants = Appointment.objects.filter(
                session=session, status__in=ACTIVE_STATUSES
            ).count()
            minimum = found.service.min_participants
            if participants >= minimum:
                GroupSession.objects.filter(pk=session.pk).update(minimum_checked_at=now)
                continue
            _cancel_session(
                session=session,
                actor=None,
                reason=minimum_reason(participants=participants, minimum=minimum),
            )
            cancelled.append(session.pk)
    return MinimumCheck(checked=checked, cancelled=cancelled)
