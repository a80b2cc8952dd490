"""Acting on the no-show risk: what the clinic does for appointments at high risk, each a
staff policy on scheduling's `BookingPolicy` (the risk never refuses a booking).

- **The answer links.** A signed link per appointment and answer ("I'm coming", "I can't
  make it"), made for the extra reminder (notifications sends it) and answered on web's
  page without a login. "I'm coming" confirms (`appointment_confirm`, idempotent); "I can't
  make it" cancels through the booking service, which frees the time to the waitlist (its
  standby client first). A changed token answers 400 (`LinkInvalid`), a link whose "I can't
  make it" was used 409 (`LinkUsed`), an appointment that moved, started or was cancelled
  otherwise 410 (`AnswerGone`).
- **Confirm-or-release** (off by default). A high-risk appointment not confirmed by the
  deadline the extra reminder told its client is released: cancelled by the clinic with a
  plain reason, which frees it to the waitlist. Only appointments whose client was told the
  deadline are released; who was told, and which deadline, is notifications' record (it
  sits above), given to `appointments_release`.
- **Standby places** (on by default). Each high-risk appointment in the coming
  `extra_reminder_hours_before` hours gets a standby client from the waitlist
  (`waitlist.services.standby_place`), who is offered the time first if it frees.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet

from accounts.models import User
from attendance.selectors import high_risk_upcoming
from scheduling.models import ACTIVE_STATUSES, Appointment, AppointmentStatus, BookingPolicy
from scheduling.services import (
    appointment_cancel,
    appointment_cancel_in_transaction,
    appointment_confirm,
)
from smartbook.links import LinkTampered, link_payload, link_token, link_url
from waitlist import services as waitlist_services
from waitlist.errors import LinkInvalid, LinkUsed, WaitlistError

logger = logging.getLogger(__name__)

SALT = "attendance.answer-link"
COMING, CANNOT_COME = "coming", "cannot-come"
ANSWERS = (COMING, CANNOT_COME)
# Where a link leads: web's page for the answer (`attendance-answer-link`).
LINK_PATH = "/attendance/{answer}/{token}"

# The cancellation's reason, as the client and the provider read it.
CANNOT_COME_REASON = 'The answer to our reminder was "I can\'t make it".'
RELEASE_REASON = "Not confirmed by the deadline in our reminder, so the time was offered to others."
# Appointments looked at per sweep, so each run costs about the same.
SWEEP_LIMIT = 200


class AnswerGone(WaitlistError):
    """The link's appointment moved, started, or was cancelled by someone else -> 410."""

    status_code = 410
    code = "gone"
    field = "token"

    def __init__(self, message: str = "This appointment has changed or is over.") -> None:
        super().__init__(message)


# --- the answer links ----------------------------------------------------------------------


def answer_token(appointment: Appointment) -> str:
    """The signed token of the appointment for its client, bound to its current time (a move
    makes the old links gone)."""
    payload = {
        "a": appointment.pk,
        "c": appointment.client_id,
        "s": appointment.sequence,
        "e": int(appointment.start.timestamp()),
    }
    return link_token(payload, salt=SALT)


def answer_link(appointment: Appointment, *, answer: str) -> str:
    if answer not in ANSWERS:
        raise ValueError(f"Unknown answer {answer!r}.")
    return link_url(LINK_PATH.format(answer=answer, token=answer_token(appointment)))


def answer_links(appointment: Appointment) -> dict[str, str]:
    return {answer: answer_link(appointment, answer=answer) for answer in ANSWERS}


def _cancelled_by_its_link(appointment: Appointment) -> bool:
    return (
        appointment.status == AppointmentStatus.CANCELLED
        and appointment.cancelled_by_id is None
        and appointment.cancellation_reason == CANNOT_COME_REASON
    )


def appointment_for_answer(token: str, *, now: datetime) -> Appointment:
    """The appointment a token was made for, still open to an answer. LinkInvalid when
    tampered with or naming no appointment of its client; LinkUsed once its "I can't make
    it" was used; AnswerGone once it moved, started or was cancelled otherwise."""
    try:
        payload = link_payload(token, salt=SALT, keys=("a", "c", "s"))
        appointment_id, client_id, sequence = int(payload["a"]), int(payload["c"]), payload["s"]
    except (LinkTampered, TypeError, ValueError):
        raise LinkInvalid() from None
    appointment = (
        Appointment.objects.select_related("client", "provider", "service")
        .filter(pk=appointment_id, client_id=client_id)
        .first()
    )
    if appointment is None:
        raise LinkInvalid()
    if _cancelled_by_its_link(appointment):
        raise LinkUsed("You already told us you can't make it: the appointment is cancelled.")
    if appointment.status not in ACTIVE_STATUSES or appointment.start <= now:
        raise AnswerGone("This appointment was cancelled, or its time has passed.")
    if appointment.sequence != sequence:
        raise AnswerGone("This appointment has moved: the link was for its old time.")
    return appointment


def attendance_coming(*, appointment: Appointment) -> Appointment:
    """'I'm coming': the appointment is confirmed (again: nothing changes)."""
    return appointment_confirm(appointment=appointment, actor=appointment.client)


def attendance_cannot_come(*, appointment: Appointment) -> Appointment:
    """'I can't make it': cancelled through the booking service, so its time goes to the
    waitlist. The clinic asked, so the client's cut-off is lifted: a late answer frees the
    time for someone who can come, which a no-show would not. The system cancels on the
    client's signed word (actor None), as the waitlist moves a displaced client on theirs."""
    return appointment_cancel(
        appointment=appointment, actor=None, reason=CANNOT_COME_REASON, override_policy=True
    )


def answered_by(appointment: Appointment, viewer: User | None) -> bool:
    """Whether the person looking at an answer page is the appointment's client (signed in
    as them), who may see the link to the appointment's own page."""
    return viewer is not None and viewer.is_authenticated and viewer.pk == appointment.client_id


# --- the extra reminder and confirm-or-release ----------------------------------------------


def _due_by(now: datetime, hours: int) -> datetime:
    """The (exclusive) end of the window of starts due `hours` ahead of `now`: a start
    exactly that far ahead is due."""
    return now + timedelta(hours=hours, microseconds=1)


def extra_reminders_due(*, now: datetime, policy: BookingPolicy) -> QuerySet[Appointment]:
    """High-risk booked appointments starting within `extra_reminder_hours_before`, not
    confirmed (none while the extra reminder is off). Which were reminded already is the
    caller's (notifications') record."""
    if not policy.extra_reminder_for_high_risk:
        return Appointment.objects.none()
    end = _due_by(now, policy.extra_reminder_hours_before)
    return high_risk_upcoming(start=now, end=end).filter(confirmed_at=None)


def confirm_deadline(appointment: Appointment, *, now: datetime, policy: BookingPolicy):
    """The deadline an extra reminder sent `now` tells its client, or None: none while
    confirm-or-release is off, and none when it would leave them less than
    `release_warning_hours` to answer (a late booking is never released)."""
    if not policy.confirm_or_release:
        return None
    deadline = appointment.start - timedelta(hours=policy.confirm_by_hours_before)
    if deadline - now < timedelta(hours=policy.release_warning_hours):
        return None
    return deadline


def releases_due(*, now: datetime, policy: BookingPolicy | None = None) -> QuerySet[Appointment]:
    """High-risk booked appointments past the confirm-by time, not confirmed (none while
    confirm-or-release is off). Whether each client was told is the caller's question."""
    policy = policy or BookingPolicy.load()
    if not policy.confirm_or_release:
        return Appointment.objects.none()
    end = _due_by(now, policy.confirm_by_hours_before)
    return high_risk_upcoming(start=now, end=end).filter(confirmed_at=None)


def _release_one(appointment_id: int, *, now: datetime) -> bool:
    with transaction.atomic(durable=True):
        # Two sweeps at once: the second skips the row the first holds, then finds it gone.
        appointment = (
            Appointment.objects.select_for_update(no_key=True, skip_locked=True)
            .filter(
                pk=appointment_id,
                status=AppointmentStatus.BOOKED,
                confirmed_at=None,
                start__gt=now,
            )
            .first()
        )
        if appointment is None:
            return False
        appointment_cancel_in_transaction(
            appointment=appointment, actor=None, reason=RELEASE_REASON, override_policy=True
        )
    return True


def appointments_release(*, now: datetime, told: Mapping[int, datetime | None]) -> list[int]:
    """Release each due appointment (`releases_due`) whose client was told a deadline that
    has passed (`told`: appointment id -> the deadline their reminder gave). Idempotent and
    safe when two sweeps overlap. The ids released."""
    released = []
    due = releases_due(now=now).values_list("pk", flat=True)[:SWEEP_LIMIT]
    for appointment_id in due:
        deadline = told.get(appointment_id)
        if deadline is None or deadline > now:
            continue
        if _release_one(appointment_id, now=now):
            released.append(appointment_id)
    return released


# --- standby places ------------------------------------------------------------------------


def standby_places_give(*, now: datetime) -> int:
    """Give each high-risk appointment of the coming `extra_reminder_hours_before` hours a
    standby client, and end the places whose time has come. How many were given."""
    policy = BookingPolicy.load()
    waitlist_services.standby_places_close(now=now)
    if not policy.standby_places:
        return 0
    end = _due_by(now, policy.extra_reminder_hours_before)
    due = (
        high_risk_upcoming(start=now, end=end)
        .filter(standby_place=None, confirmed_at=None)
        .order_by("start")[:SWEEP_LIMIT]
    )
    given = 0
    for appointment in due:
        given += waitlist_services.standby_place(appointment=appointment, now=now) is not None
    return given
