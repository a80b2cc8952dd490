"""The matching engine: freed time to the waitlist's best candidates, held for them.

Whether a slot is open for a client is asked of scheduling (`available_slots` with that
client, and the appointment they would move): every booking rule, their own overlaps and
per-day limit included, is decided there and nowhere here. This module only keeps the slots
inside the client's ranges, ranks the candidates (urgency, then days waited, then the
recommender's fit of the slot for them) and places the hold through
`scheduling.services.hold_place`, which refuses exactly as a booking would.

Two matching jobs at once: the candidate entries are locked (in id order) before anything
is read, so the second waits and then finds them offered; the unique pending offer per entry
and the provider's lock in `hold_place` back that up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet

from providers.models import Provider, Urgency
from recommendations.engine import recommend
from recommendations.selectors import recommendation_inputs
from recommendations.services import ranker_for
from scheduling.availability import Interval, Slot, local_to_utc
from scheduling.errors import BookingRuleViolation, SlotUnavailable
from scheduling.models import ACTIVE_STATUSES, Appointment, BookingPolicy
from scheduling.selectors import available_slots
from scheduling.services import hold_place
from waitlist import events
from waitlist.models import (
    EntryKind,
    EntryStatus,
    Offer,
    OfferStatus,
    StandbyPlace,
    StandbyStatus,
    WaitlistEntry,
    WaitlistRange,
)
from waitlist.services.entries import client_today

URGENCY_LEVEL = {Urgency.URGENT: 2, Urgency.SOON: 1, Urgency.ROUTINE: 0}
ORDINALS = ("first", "second", "third", "fourth", "fifth")
SWEEP_LIMIT = 25


@dataclass
class Candidate:
    entry: WaitlistEntry
    slots: list[Slot]
    best: Slot | None = None
    fit: float | None = None
    fit_reasons: tuple[str, ...] = ()
    waited_days: int = 0
    keys: set[tuple[int, datetime]] = field(default_factory=set)

    def rank_key(self) -> tuple:
        return (
            -URGENCY_LEVEL.get(self.entry.urgency, 0),
            -self.waited_days,
            -(self.fit if self.fit is not None else float("-inf")),
            self.entry.created_at,
            self.entry.pk,
        )


# --- which entries wait for this time ----------------------------------------------------


def _waiting_entries(
    *, provider: Provider | None, service_id: int | None, window: Interval, now: datetime
) -> QuerySet[WaitlistEntry]:
    pending = Offer.objects.filter(entry=OuterRef("pk"), status=OfferStatus.PENDING)
    in_window = WaitlistRange.objects.filter(
        entry=OuterRef("pk"),
        last_date__gte=(window.start - timedelta(days=1)).date(),
        first_date__lte=(window.end + timedelta(days=1)).date(),
    )
    entries = WaitlistEntry.objects.filter(
        Exists(in_window),
        ~Exists(pending),
        status=EntryStatus.ACTIVE,
        # a client's local date is at most a day behind UTC's
        expires_on__gte=(now - timedelta(days=1)).date(),
    )
    if service_id is not None:
        entries = entries.filter(service_id=service_id)
    if provider is not None:
        # A displaced client takes another provider's time when their own has none.
        entries = entries.filter(
            Q(provider=None) | Q(provider=provider) | Q(kind=EntryKind.DISPLACED)
        ).filter(service__providers=provider)
    return entries


def _locked(entries: QuerySet[WaitlistEntry]) -> list[WaitlistEntry]:
    """Lock the entries (id order, so two jobs never wait on each other crosswise), then
    read which of them have a pending offer now: a job that waited for the lock sees the
    other job's offers."""
    ids = list(entries.values_list("pk", flat=True).distinct())
    locked = list(
        WaitlistEntry.objects.select_for_update(of=("self",))
        .filter(pk__in=ids, status=EntryStatus.ACTIVE)
        .select_related(
            "client", "service", "provider", "appointment__provider", "displaced_appointment"
        )
        .prefetch_related("ranges")
        .order_by("pk")
    )
    offered = set(
        Offer.objects.filter(entry__in=locked, status=OfferStatus.PENDING).values_list(
            "entry_id", flat=True
        )
    )
    return [entry for entry in locked if entry.pk not in offered]


# --- which slots are open for one entry --------------------------------------------------


def _range_spans(entry: WaitlistEntry) -> list[Interval]:
    zone = ZoneInfo(entry.client.timezone)
    return [
        Interval(
            local_to_utc(item.first_date, time(0), zone),
            local_to_utc(item.last_date + timedelta(days=1), time(0), zone),
        )
        for item in entry.ranges.all()
    ]


def _in_ranges(entry: WaitlistEntry, slot: Slot) -> bool:
    zone = ZoneInfo(entry.client.timezone)
    local_start, local_end = slot.start.astimezone(zone), slot.end.astimezone(zone)
    day = local_start.date()
    if day > entry.expires_on or local_end.date() != day:
        return False
    return any(
        item.first_date <= day <= item.last_date
        and item.earliest <= local_start.time()
        and local_end.time() <= item.latest
        for item in entry.ranges.all()
    )


def _own_provider(entry: WaitlistEntry) -> Provider | None:
    return entry.appointment.provider if entry.appointment is not None else entry.provider


def moving_for(entry: WaitlistEntry, provider_id: int) -> Appointment | None:
    """The appointment that taking a slot of `provider_id` moves: the entry's own when it is
    that provider's. A displaced client offered another provider's time books it anew (the
    old appointment is cancelled after: `offers._take`), so theirs still counts then."""
    appointment = entry.appointment
    if appointment is not None and appointment.provider_id == provider_id:
        return appointment
    return None


def _searches(
    entry: WaitlistEntry, provider: Provider | None
) -> list[tuple[list[Provider] | None, int | None]]:
    """Whose time the entry may take, in the order to look: (providers or None for anyone
    offering the service, a provider id to leave out). The moved appointment's provider or
    the entry's own, else the freed provider's, else anyone; a displaced entry looks at its
    own provider first and, only when that finds nothing, at the others."""
    own = _own_provider(entry)
    if own is None:
        return [([provider] if provider is not None else None, None)]
    searches: list[tuple[list[Provider] | None, int | None]] = []
    if provider is None or own.pk == provider.pk:
        searches.append(([own], None))
    if entry.kind == EntryKind.DISPLACED and (provider is None or own.pk != provider.pk):
        searches.append(([provider] if provider is not None else None, own.pk))
    return searches


def _open_slots(
    *,
    entry: WaitlistEntry,
    provider: Provider | None,
    window: Interval,
    freed: Interval | None,
    refused: set[tuple[int, int, datetime]],
    now: datetime,
    policy: BookingPolicy,
) -> list[Slot]:
    """The slots scheduling would book for the entry's client (or move their appointment
    to) now, inside their ranges, overlapping the freed time (when given): from the first
    search of `_searches` that finds any."""
    spans = _range_spans(entry)
    if not spans:
        return []
    for providers, left_out in _searches(entry, provider):
        slots = _search(
            entry=entry,
            providers=providers,
            left_out=left_out,
            spans=spans,
            window=window,
            freed=freed,
            refused=refused,
            now=now,
            policy=policy,
        )
        if slots:
            return slots
    return []


def _search(
    *,
    entry: WaitlistEntry,
    providers: list[Provider] | None,
    left_out: int | None,
    spans: list[Interval],
    window: Interval,
    freed: Interval | None,
    refused: set[tuple[int, int, datetime]],
    now: datetime,
    policy: BookingPolicy,
) -> list[Slot]:
    service = entry.service
    reach = timedelta(
        minutes=service.duration_minutes
        + service.buffer_before_minutes
        + service.buffer_after_minutes
    )
    ask = Interval(
        max(window.start - reach, min(span.start for span in spans)),
        min(window.end + reach, max(span.end for span in spans)),
    )
    if ask.end <= ask.start:
        return []
    # Another provider's time is a new booking: the appointment still counts against them.
    moving = entry.appointment if left_out is None else None
    slots = available_slots(
        service=service,
        start=ask.start,
        end=ask.end,
        providers=providers,
        client=entry.client,
        moving=moving,
        now=now,
        policy=policy,
    )
    before = timedelta(minutes=service.buffer_before_minutes)
    after = timedelta(minutes=service.buffer_after_minutes)
    # A client who joined to move earlier wants earlier; a displaced one any time that works.
    earlier_than = moving.start if moving is not None and entry.kind == EntryKind.JOINED else None
    return [
        slot
        for slot in slots
        if slot.provider_id != left_out
        and _in_ranges(entry, slot)
        and (earlier_than is None or slot.start < earlier_than)
        and (entry.pk, slot.provider_id, slot.start) not in refused
        and (freed is None or (slot.start - before < freed.end and slot.end + after > freed.start))
    ]


def _fit(candidate: Candidate, *, now: datetime, policy: BookingPolicy) -> None:
    """The recommender's best slot of the candidate's, its score and reasons: the same
    features, weights and ranker the client's own recommendations use."""
    entry, slots = candidate.entry, candidate.slots
    candidate.keys = {(slot.provider_id, slot.start) for slot in slots}
    providers = {slot.provider_id for slot in slots}
    inputs = recommendation_inputs(
        client=entry.client,
        service=entry.service,
        start=min(slot.start for slot in slots),
        end=max(slot.end for slot in slots),
        now=now,
        provider=Provider.objects.get(pk=providers.pop()) if len(providers) == 1 else None,
        urgency=entry.urgency,
        policy=policy,
        moving=moving_for(entry, slots[0].provider_id),
    )
    ours = [c for c in inputs.candidates if (c.provider_id, c.start) in candidate.keys]
    ranker, _ = ranker_for(settings_row=inputs.settings)
    scored = recommend(
        ours, inputs.context, weights=inputs.settings.weights(), ranker=ranker, limit=1
    )
    if scored:
        top = scored[0]
        candidate.best = next(
            s
            for s in slots
            if (s.provider_id, s.start) == (top.candidate.provider_id, top.candidate.start)
        )
        candidate.fit, candidate.fit_reasons = top.score, top.reasons
    else:  # none scored (an urgent need outside the urgent window): the earliest
        candidate.best, candidate.fit, candidate.fit_reasons = slots[0], None, ()


def _candidate(
    entry: WaitlistEntry,
    *,
    provider: Provider | None,
    window: Interval,
    freed: Interval | None,
    refused: set[tuple[int, int, datetime]],
    now: datetime,
    policy: BookingPolicy,
) -> Candidate | None:
    if entry.expires_on < client_today(entry.client, now):
        return None
    if policy.offer_quiet_at(now.astimezone(ZoneInfo(entry.client.timezone)).time()):
        # Asleep: the beat sweep offers them what is still free when their morning comes.
        return None
    slots = _open_slots(
        entry=entry,
        provider=provider,
        window=window,
        freed=freed,
        refused=refused,
        now=now,
        policy=policy,
    )
    if not slots:
        return None
    candidate = Candidate(
        entry=entry, slots=slots, waited_days=max(0, (now - entry.created_at).days)
    )
    _fit(candidate, now=now, policy=policy)
    return candidate


# --- ranking, explained ----------------------------------------------------------------


def ranking_reason(candidate: Candidate, *, position: int, of: int) -> str:
    """Why this client was offered the time in this place, in plain words."""
    entry = candidate.entry
    ordinal = ORDINALS[position] if position < len(ORDINALS) else f"number {position + 1}"
    days = candidate.waited_days
    waited = "joined today" if days == 0 else f"waiting {days} day{'s' if days != 1 else ''}"
    if candidate.fit is None:
        fit = "no fit score (outside the urgent window)"
    else:
        fit = f"fit {candidate.fit:.2f}"
        if candidate.fit_reasons:
            fit += f" ({', '.join(candidate.fit_reasons)})"
    return (
        f"Offered {ordinal} of {of} candidate{'s' if of != 1 else ''}: "
        f"{entry.get_urgency_display().lower()} urgency, {waited} "
        f"(since {entry.created_at:%d %b %Y}), recommender {fit}. "
        "Candidates are ordered by urgency first, then days waited, then the recommender's "
        "fit for them."
    )


# --- offering ----------------------------------------------------------------------------


def _place(
    *,
    members: list[Candidate],
    slot: Slot,
    providers: dict[int, Provider],
    ranked: int,
    now: datetime,
    policy: BookingPolicy,
) -> list[Offer]:
    """Hold `slot` for the first member and offer it to every member (one batch)."""
    first = members[0].entry
    try:
        with transaction.atomic():  # a refused hold leaves the rest of the run standing
            hold = hold_place(
                provider=providers[slot.provider_id],
                service=first.service,
                start=slot.start,
                client=first.client,
                expires_at=now + timedelta(minutes=policy.hold_minutes),
                moving=moving_for(first, slot.provider_id),
            )
    except (SlotUnavailable, BookingRuleViolation):
        return []
    offers = []
    batch = Offer._meta.get_field("batch").default()
    for position, member in enumerate(members):
        offer = Offer(
            entry=member.entry,
            provider=providers[slot.provider_id],
            service=first.service,
            start=slot.start,
            end=slot.end,
            hold=hold,
            batch=batch,
            rank=position + 1,
            ranking_reason=ranking_reason(member, position=position, of=ranked),
            created_at=now,
            expires_at=hold.hold_expires_at,
        )
        offer.full_clean(exclude=["entry", "provider", "service", "hold"], validate_unique=False)
        offer.save()
        events.send_on_commit(events.offer_made, offer=offer)
        offers.append(offer)
    return offers


def _offer(
    entries: list[WaitlistEntry],
    *,
    provider: Provider | None,
    window: Interval,
    freed: Interval | None,
    now: datetime,
    policy: BookingPolicy,
) -> list[Offer]:
    # A client who declined or let this very time expire is not offered it again.
    refused = set(
        Offer.objects.filter(
            entry__in=entries, status__in=(OfferStatus.DECLINED, OfferStatus.EXPIRED)
        ).values_list("entry_id", "provider_id", "start")
    )

    def candidate_of(entry: WaitlistEntry) -> Candidate | None:
        return _candidate(
            entry,
            provider=provider,
            window=window,
            freed=freed,
            refused=refused,
            now=now,
            policy=policy,
        )

    remaining = [c for c in map(candidate_of, entries) if c is not None]
    provider_ids = {slot.provider_id for c in remaining for slot in c.slots}
    providers = Provider.objects.in_bulk(provider_ids)
    offers: list[Offer] = []
    while remaining:
        remaining.sort(key=Candidate.rank_key)
        best = remaining[0]
        slot = best.best
        key = (slot.provider_id, slot.start)
        members, clients = [best], {best.entry.client_id}
        for other in remaining[1:]:
            if len(members) >= policy.offer_batch_size:
                break
            if (
                key in other.keys
                and other.entry.service_id == best.entry.service_id
                and other.entry.client_id not in clients
            ):
                members.append(other)
                clients.add(other.entry.client_id)
        placed = _place(
            members=members,
            slot=slot,
            providers=providers,
            ranked=len(remaining),
            now=now,
            policy=policy,
        )
        offers.extend(placed)
        if not placed:  # refused at the last moment: that slot is not theirs
            refused.add((best.entry.pk, slot.provider_id, slot.start))
        offered_clients = {offer.entry.client_id for offer in placed}
        survivors = []
        for candidate in remaining:
            if candidate.entry.client_id in offered_clients:
                continue
            if candidate is best or any(s.provider_id == slot.provider_id for s in candidate.slots):
                # The hold (or the refusal) changed that provider's time: ask again.
                candidate = candidate_of(candidate.entry)
            if candidate is not None:
                survivors.append(candidate)
        remaining = survivors
    return offers


def _window(
    *, start: datetime | None, end: datetime | None, now: datetime, policy: BookingPolicy
) -> Interval:
    horizon = now + timedelta(days=policy.horizon_days)
    return Interval(max(start or now, now), min(end or horizon, horizon))


def standby_offer_first(
    *,
    provider: Provider,
    entries: list[WaitlistEntry],
    window: Interval,
    now: datetime,
    policy: BookingPolicy,
) -> tuple[list[Offer], set[int]]:
    """Within the matching of freed time (its transaction, `entries` locked): offer the time
    of each cancelled appointment of the provider in `window` to its waiting standby client
    (`waitlist.services.standby`) first, by the same offering. The offers made and the entry
    ids that were given their turn."""
    places = list(
        StandbyPlace.objects.select_for_update(of=("self",), skip_locked=True)
        .filter(
            status=StandbyStatus.WAITING,
            appointment__provider_id=provider.pk,
            appointment__blocked_start__lt=window.end,
            appointment__blocked_end__gt=window.start,
        )
        .exclude(appointment__status__in=ACTIVE_STATUSES)
        .select_related("appointment")
        .order_by("pk")
    )
    offers: list[Offer] = []
    served: set[int] = set()
    for place in places:
        appointment = place.appointment
        made = _offer(
            [entry for entry in entries if entry.pk == place.entry_id],
            provider=provider,
            window=window,
            freed=Interval(appointment.blocked_start, appointment.blocked_end),
            now=now,
            policy=policy,
        )
        place.status = StandbyStatus.OFFERED if made else StandbyStatus.ENDED
        place.offer = made[0] if made else None
        place.ended_at = None if made else now
        place.save(update_fields=["status", "offer", "ended_at"])
        served.add(place.entry_id)
        offers.extend(made)
    return offers, served


def match_freed_time(
    *,
    now: datetime,
    provider: Provider | None = None,
    service=None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[Offer]:
    """Offer time that freed up (a cancellation, a move away, an expired or declined offer,
    new working hours) to the waitlist: every slot in [start, end) of `provider` (or of
    anyone) open for a waiting client goes to the best candidate, or a batch of
    `BookingPolicy.offer_batch_size`, and is held for them. The offers made."""
    policy = BookingPolicy.load()
    window = _window(start=start, end=end, now=now, policy=policy)
    if window.end <= window.start:
        return []
    freed = window if start is not None or end is not None else None
    with transaction.atomic(durable=True):
        entries = _locked(
            _waiting_entries(
                provider=provider,
                service_id=service.pk if service is not None else None,
                window=window,
                now=now,
            )
        )
        offers: list[Offer] = []
        if provider is not None and freed is not None:
            # A cancelled appointment's standby client is offered its time before anyone.
            offers, served = standby_offer_first(
                provider=provider, entries=entries, window=window, now=now, policy=policy
            )
            entries = [entry for entry in entries if entry.pk not in served]
        return offers + _offer(
            entries, provider=provider, window=window, freed=freed, now=now, policy=policy
        )


def entry_match(*, entry: WaitlistEntry, now: datetime) -> list[Offer]:
    """Look for open time for one entry over its ranges (after it joins or changes, and in
    the beat sweep)."""
    policy = BookingPolicy.load()
    window = _window(start=None, end=None, now=now, policy=policy)
    with transaction.atomic(durable=True):
        entries = _locked(
            _waiting_entries(provider=None, service_id=None, window=window, now=now).filter(
                pk=entry.pk
            )
        )
        return _offer(entries, provider=None, window=window, freed=None, now=now, policy=policy)


def entries_match_sweep(*, now: datetime, limit: int = SWEEP_LIMIT) -> int:
    """The beat sweep's share of matching: time freed without an event (new working hours,
    time off removed) reaches the waitlist here. Looks at the `limit` entries looked at
    longest ago, so each run costs the same however long the waitlist. Offers made."""
    policy = BookingPolicy.load()
    window = _window(start=None, end=None, now=now, policy=policy)
    due = list(
        _waiting_entries(provider=None, service_id=None, window=window, now=now)
        .order_by(F("checked_at").asc(nulls_first=True), "pk")
        .values_list("pk", flat=True)[:limit]
    )
    WaitlistEntry.objects.filter(pk__in=due).update(checked_at=now)
    made = 0
    for entry_id in due:
        made += len(entry_match(entry=WaitlistEntry(pk=entry_id), now=now))
    return made
