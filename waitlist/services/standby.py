"""Standby places: a waiting client who can come at short notice is put first in line for
the time of an appointment at high risk of a no-show (attendance decides which appointments;
the waitlist decides who). When that appointment is cancelled or released, the matching of
its freed time offers it to them before anyone else (`matching.standby_offer_first`), with
the usual offer and hold.

Who is chosen is the waitlist's own question, answered the waitlist's way: the entries that
wait for that service with that provider (or anyone) and whose ranges hold the time, ranked
by the matching's own order (`Candidate.rank_key`: urgency, then days waited), the first
one that scheduling's rules would let book the time were the appointment gone.
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef

from scheduling import rules
from scheduling.availability import Interval, Slot
from scheduling.models import ACTIVE_STATUSES, Appointment, BookingPolicy
from scheduling.selectors import booking_snapshot
from waitlist import events
from waitlist.models import EntryKind, StandbyPlace, StandbyStatus, WaitlistEntry
from waitlist.services.entries import client_today
from waitlist.services.matching import Candidate, _in_ranges, _locked, _waiting_entries

logger = logging.getLogger(__name__)

# The best-ranked candidates asked of the rules engine (five queries each) before giving up.
CANDIDATES_ASKED = 10


def _slot_of(appointment: Appointment) -> Slot:
    zone = appointment.provider.timezone
    return Slot(
        provider_id=appointment.provider_id,
        start=appointment.start,
        end=appointment.end,
        local_start=appointment.start.astimezone(ZoneInfo(zone)),
        timezone=zone,
    )


def _could_take(entry: WaitlistEntry, appointment: Appointment, *, now, policy) -> bool:
    """Whether the booking rules would let the entry's client book the appointment's time
    if the appointment were gone (its own row left out of the provider's busy time)."""
    snapshot = booking_snapshot(
        service=appointment.service,
        providers=[appointment.provider],
        client=entry.client,
        start=appointment.start,
        end=appointment.end,
        now=now,
        policy=policy,
        exclude_appointment_id=appointment.pk,
    )
    refused = rules.refusal(
        snapshot, appointment.provider_id, appointment.service_id, appointment.start
    )
    return refused is None


def _standby_candidates(appointment: Appointment, *, now: datetime) -> list[WaitlistEntry]:
    waiting = StandbyPlace.objects.filter(entry=OuterRef("pk"), status=StandbyStatus.WAITING)
    entries = (
        _waiting_entries(
            provider=appointment.provider,
            service_id=appointment.service_id,
            window=Interval(appointment.start, appointment.end),
            now=now,
        )
        # A client who wants an appointment of theirs moved earlier waits for that, not this.
        .filter(short_notice=True, kind=EntryKind.JOINED, appointment=None)
        .exclude(client_id=appointment.client_id)
        .filter(~Exists(waiting))
    )
    return _locked(entries)


def standby_place(*, appointment: Appointment, now: datetime) -> StandbyPlace | None:
    """Give the time of `appointment` (booked, upcoming) a standby client, the best-ranked
    short-notice entry that could take it; None when it has one already or nobody fits.
    Idempotent: one place per appointment (a database constraint), so two sweeps at once
    make one."""
    policy = BookingPolicy.load()
    with transaction.atomic(durable=True):
        appointment = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("provider", "service", "client")
            .filter(pk=appointment.pk, status__in=ACTIVE_STATUSES, start__gt=now)
            .first()
        )
        if appointment is None or StandbyPlace.objects.filter(appointment=appointment).exists():
            return None
        slot = _slot_of(appointment)
        candidates = [
            Candidate(entry=entry, slots=[slot], waited_days=max(0, (now - entry.created_at).days))
            for entry in _standby_candidates(appointment, now=now)
            if entry.expires_on >= client_today(entry.client, now) and _in_ranges(entry, slot)
        ]
        candidates.sort(key=Candidate.rank_key)
        for candidate in candidates[:CANDIDATES_ASKED]:
            if not _could_take(candidate.entry, appointment, now=now, policy=policy):
                continue
            try:
                with transaction.atomic():
                    place = StandbyPlace.objects.create(
                        entry=candidate.entry, appointment=appointment, created_at=now
                    )
            except IntegrityError:  # pragma: no cover - the locks above make this a backstop
                logger.info("Appointment %s got a standby place meanwhile", appointment.pk)
                return None
            events.send_on_commit(events.standby_placed, place=place)
            return place
    return None


def standby_places_close(*, now: datetime) -> int:
    """End the waiting places whose appointment's time has come (the beat sweep): it went
    ahead, or its freed time was never matched. How many."""
    return StandbyPlace.objects.filter(
        status=StandbyStatus.WAITING, appointment__start__lte=now
    ).update(status=StandbyStatus.ENDED, ended_at=now)
