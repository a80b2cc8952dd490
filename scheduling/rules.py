"""The booking rules, once: may this start be booked, and if not, why. Pure (no Django).

Everything a decision depends on is in a `Snapshot` (loaded by one selector,
`scheduling.selectors.booking_snapshot`): the providers' schedules with their busy time, the
services, the client's own held time and active bookings per local day, the policy, and
whether the actor may lift the policy limits. Two functions answer from it:

- `refusal(snapshot, provider_id, service_id, start)` runs `RULES` in order and returns the
  first that refuses (a `Refusal` naming the field, a plain message and its kind), or None;
- `offered_slots(snapshot, service_id, window)` enumerates exactly the starts `refusal`
  accepts, built on the availability arithmetic's `open_slots` (a property test holds the two
  equal on random calendars, clients and policies).

Booking, rescheduling, availability, recommendations, the waitlist, analytics' conflict
check and every page ask these; a new kind of busy time enters the snapshot once, a new rule
is one more entry in `RULES`.
"""

from bisect import bisect_right
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from operator import attrgetter
from zoneinfo import ZoneInfo

from scheduling.availability import (
    Interval,
    ProviderSchedule,
    SessionSeats,
    Slot,
    SlotRequest,
    free_intervals,
    local_to_utc,
    merge_intervals,
    open_slots,
    working_dates,
)

SLOT_TAKEN = "That time is no longer available with this provider; please pick another slot."
CLIENT_BUSY = "You already have an appointment at that time."
SESSION_FULL = "Every seat of this session is taken; please pick another time."
# The smallest step after `now`: a start at `now` itself is already in the past.
INSTANT = timedelta(microseconds=1)


class RefusalKind(StrEnum):
    NOT_FOUND = "not_found"  # the provider or service is not known
    RULE = "rule"  # a booking rule refuses the request (400 naming the field)
    TAKEN = "taken"  # the time is held by someone (409)


@dataclass(frozen=True, slots=True)
class Refusal:
    rule: str  # the name of the rule in `RULES` that refused
    field: str
    message: str
    kind: RefusalKind


@dataclass(frozen=True, slots=True)
class Policy:
    slot_step: timedelta
    min_notice: timedelta
    horizon: timedelta
    client_cutoff: timedelta
    max_client_appointments_per_day: int | None
    # Whether a provider whose external calendar is stale is still offered (its last known
    # busy time blocks either way).
    offer_when_calendar_stale: bool = True


@dataclass(frozen=True, slots=True)
class ServiceFacts:
    service_id: int
    name: str
    is_active: bool
    duration: timedelta
    buffer_before: timedelta
    buffer_after: timedelta
    accepted_urgencies: frozenset[str]
    # A group service holds `capacity` clients per session (1: private appointments); with a
    # minimum above 1, no new session starts later than `minimum_deadline` before its start
    # (the minimum is checked then).
    capacity: int = 1
    min_participants: int = 1
    minimum_deadline: timedelta = timedelta(0)

    @property
    def is_group(self) -> bool:
        return self.capacity > 1


@dataclass(frozen=True, slots=True)
class ProviderFacts:
    provider_id: int
    name: str
    is_active: bool  # the provider and their account
    user_id: int | None
    service_ids: frozenset[int]
    schedule: ProviderSchedule
    # Since when one of their external calendars has been stale (not synced within the
    # policy's limit), or None; their busy time is in `schedule.busy` either way.
    calendar_stale_since: datetime | None = None


@dataclass(frozen=True, slots=True)
class ClientFacts:
    client_id: int
    is_active: bool
    timezone: str
    held: tuple[Interval, ...]  # [start, end) of their appointments that hold time, merged
    # client-local date -> their active (booked or confirmed) appointments starting that day
    active_per_day: dict[date, int]


@dataclass(frozen=True, slots=True)
class Snapshot:
    now: datetime
    policy: Policy
    services: dict[int, ServiceFacts]
    providers: dict[int, ProviderFacts]
    client: ClientFacts | None  # None: nobody in particular (public availability)
    may_override: bool  # a staff actor lifts notice, horizon and per-day limits


@dataclass(frozen=True, slots=True)
class Candidate:
    """One question put to the rules: this provider, this service, this start."""

    snapshot: Snapshot
    provider: ProviderFacts | None
    service: ServiceFacts | None
    start: datetime

    @property
    def end(self) -> datetime:
        return self.start + self.service.duration


Rule = Callable[[Candidate], Refusal | None]  # pragma: no mutate (a type alias)


def _refuse(rule: str, field_name: str, message: str, kind=RefusalKind.RULE) -> Refusal:
    return Refusal(rule, field_name, message, kind)


# --- the rules, in the order they are asked -------------------------------------------------


def start_has_offset(candidate: Candidate) -> Refusal | None:
    start = candidate.start
    if start.tzinfo is None or start.tzinfo.utcoffset(start) is None:
        return _refuse("start_has_offset", "start", "Give the start with a time zone offset.")
    return None


def service_known(candidate: Candidate) -> Refusal | None:
    if candidate.service is None:
        return _refuse("service_known", "service", "Unknown service.", RefusalKind.NOT_FOUND)
    return None


def provider_known(candidate: Candidate) -> Refusal | None:
    if candidate.provider is None:
        return _refuse("provider_known", "provider", "Unknown provider.", RefusalKind.NOT_FOUND)
    return None


def client_active(candidate: Candidate) -> Refusal | None:
    client = candidate.snapshot.client
    if client is not None and not client.is_active:
        return _refuse("client_active", "client", "This account cannot book.")
    return None


def provider_active(candidate: Candidate) -> Refusal | None:
    if not candidate.provider.is_active:
        return _refuse("provider_active", "provider", "This provider is not taking bookings.")
    return None


CALENDAR_STALE = (
    "{name}'s calendar could not be checked recently, so their times are not offered for now; "
    "please try again later or pick another provider."
)


def provider_calendar_current(candidate: Candidate) -> Refusal | None:
    """A provider whose external calendar is stale is not offered when the policy says so
    (lifted by an override: staff can ask the provider)."""
    if _calendar_offers(candidate.snapshot, candidate.provider):
        return None
    return _refuse(
        "provider_calendar_current",
        "provider",
        CALENDAR_STALE.format(name=candidate.provider.name),
    )


def _calendar_offers(snapshot: Snapshot, provider: ProviderFacts) -> bool:
    return (
        provider.calendar_stale_since is None
        or snapshot.policy.offer_when_calendar_stale
        or snapshot.may_override
    )


def provider_is_not_client(candidate: Candidate) -> Refusal | None:
    client = candidate.snapshot.client
    if client is not None and candidate.provider.user_id == client.client_id:
        return _refuse("provider_is_not_client", "provider", "Providers cannot book themselves.")
    return None


def service_active(candidate: Candidate) -> Refusal | None:
    if not candidate.service.is_active:
        return _refuse("service_active", "service", "This service is not offered any more.")
    return None


def service_offered(candidate: Candidate) -> Refusal | None:
    if candidate.service.service_id not in candidate.provider.service_ids:
        return _refuse(
            "service_offered",
            "service",
            f"{candidate.provider.name} does not offer {candidate.service.name}.",
        )
    return None


def start_in_future(candidate: Candidate) -> Refusal | None:
    if candidate.start <= candidate.snapshot.now:
        return _refuse("start_in_future", "start", "This time is in the past.")
    return None


def notice_given(candidate: Candidate) -> Refusal | None:
    snapshot = candidate.snapshot
    if snapshot.may_override or candidate.start >= earliest_start(snapshot):
        return None
    minutes = int(snapshot.policy.min_notice.total_seconds() // 60)  # pragma: no mutate
    return _refuse("notice_given", "start", f"Bookings need at least {minutes} minutes' notice.")


def within_horizon(candidate: Candidate) -> Refusal | None:
    return _horizon_refusal(candidate.snapshot, candidate.start)


def _horizon_refusal(snapshot: Snapshot, start: datetime) -> Refusal | None:
    if snapshot.may_override or start <= snapshot.now + snapshot.policy.horizon:
        return None
    return _refuse(
        "within_horizon",
        "start",
        f"Bookings open at most {snapshot.policy.horizon.days} days ahead.",
    )


def window_refusal(snapshot: Snapshot, window: Interval) -> Refusal | None:
    """A window that cannot hold any bookable start: it begins past the horizon."""
    return _horizon_refusal(snapshot, window.start)


OUTSIDE_HOURS = "outside working hours"
HOLIDAY = "on a public holiday"
TIME_OFF = "during time off"


def provider_working(candidate: Candidate) -> Refusal | None:
    """The whole appointment lies in one working interval, outside time off and holidays."""
    span = Interval(candidate.start, candidate.end)
    reason = working_conflict(candidate.provider.schedule, span)
    if reason is None:
        return None
    return _refuse(
        "provider_working", "start", f"{candidate.provider.name} is not available then: {reason}."
    )


def working_conflict(schedule: ProviderSchedule, span: Interval) -> str | None:
    """Why `span` does not fit the provider's working time (None: it fits): the reason the
    booking rule gives, and what staff see for an appointment the hours no longer cover."""
    free_of_busy = replace(schedule, busy=(), daily_cap=None)
    if _covers(free_of_busy, span):
        return None
    bare_hours = replace(free_of_busy, time_off=(), holidays=frozenset())
    if not _covers(bare_hours, span):
        return OUTSIDE_HOURS
    if not _covers(replace(free_of_busy, time_off=()), span):
        return HOLIDAY
    return TIME_OFF


def on_step_grid(candidate: Candidate) -> Refusal | None:
    """Starts are offered every `slot_step` from the start of each working interval."""
    if _offers(replace(candidate.provider.schedule, busy=(), daily_cap=None), candidate):
        return None
    step_minutes = int(
        candidate.snapshot.policy.slot_step.total_seconds() // 60
    )  # pragma: no mutate
    return _refuse(
        "on_step_grid",
        "start",
        f"{candidate.provider.name} takes bookings on the {step_minutes}-minute grid of their "
        f"hours; please pick one of the offered times.",
    )


def provider_day_open(candidate: Candidate) -> Refusal | None:
    if candidate.snapshot.may_override or candidate.provider.schedule.daily_cap is None:
        return None
    if joined_session(candidate) is not None:
        return None  # a seat of a session already on the day adds nothing to it
    if _offers(replace(candidate.provider.schedule, busy=()), candidate):
        return None
    return _refuse(
        "provider_day_open", "start", f"{candidate.provider.name} is fully booked on that day."
    )


def provider_free(candidate: Candidate) -> Refusal | None:
    """Nothing of the provider's is in the way: a seat of a group session only needs the
    session's own time to be free of everything else."""
    schedule = replace(candidate.provider.schedule, daily_cap=None)
    session = joined_session(candidate)
    if session is not None:
        schedule = without_session(schedule, session)
    if _offers(schedule, candidate):
        return None
    return _refuse("provider_free", "start", SLOT_TAKEN, RefusalKind.TAKEN)


def session_has_seat(candidate: Candidate) -> Refusal | None:
    session = joined_session(candidate)
    if session is None or session.taken < candidate.service.capacity:
        return None
    return _refuse("session_has_seat", "start", SESSION_FULL, RefusalKind.TAKEN)


def session_opens_in_time(candidate: Candidate) -> Refusal | None:
    """A new session of a group service with a minimum starts no later than its deadline:
    after it the minimum has been checked, and a new session would be cancelled at once."""
    service = candidate.service
    if candidate.start >= session_opening_limit(candidate.snapshot, service):
        return None  # (the limit is now for a private service or one without a minimum)
    if joined_session(candidate) is not None:
        return None
    hours = int(service.minimum_deadline.total_seconds() // 3600)  # pragma: no mutate
    return _refuse(
        "session_opens_in_time",
        "start",
        f"A new {service.name} session must be booked at least {hours} hours ahead; please "
        "pick a session that already has participants, or a later time.",
    )


def session_opening_limit(snapshot: Snapshot, service: ServiceFacts) -> datetime:
    """The earliest start at which a new session of `service` may open."""
    if not service.is_group or service.min_participants <= 1:
        return snapshot.now
    return snapshot.now + service.minimum_deadline


def joined_session(candidate: Candidate) -> SessionSeats | None:
    """The provider's session of this group service at exactly this start, if it has seats
    held: booking the candidate takes a seat in it rather than opening a session."""
    if not candidate.service.is_group:
        return None
    return session_at(candidate.provider.schedule, candidate.service.service_id, candidate.start)


def session_at(schedule: ProviderSchedule, service_id: int, start: datetime) -> SessionSeats | None:
    for session in schedule.sessions:
        if session.service_id == service_id and session.start == start:
            return session
    return None


def without_session(schedule: ProviderSchedule, session: SessionSeats) -> ProviderSchedule:
    """The schedule with the session's own time out of busy time (its one interval there)."""
    busy = list(schedule.busy)
    busy.remove(session.blocked)
    return replace(schedule, busy=tuple(busy))


def client_day_open(candidate: Candidate) -> Refusal | None:
    snapshot, client = candidate.snapshot, candidate.snapshot.client
    limit = snapshot.policy.max_client_appointments_per_day
    if client is None or not limit or snapshot.may_override:
        return None
    if client_day_count(client, candidate.start) < limit:
        return None
    return _refuse(
        "client_day_open",
        "start",
        f"You already have {limit} appointment{'' if limit == 1 else 's'} on this day, the "
        "most you can book for one day.",
    )


def client_free(candidate: Candidate) -> Refusal | None:
    client = candidate.snapshot.client
    if client is None or not _overlaps_held(client, candidate.start, candidate.end):
        return None
    return _refuse("client_free", "start", CLIENT_BUSY, RefusalKind.TAKEN)


# Who and what, before any time is looked at.
SUBJECT_RULES: tuple[Rule, ...] = (
    service_known,
    provider_known,
    client_active,
    provider_active,
    provider_calendar_current,
    provider_is_not_client,
    service_active,
    service_offered,
)
# The subject rules that need no provider (a question across all providers).
SERVICE_RULES: tuple[Rule, ...] = (service_known, client_active, service_active)

# The rules about the provider's schedule, which `open_slots` answers together.
SCHEDULE_RULES: frozenset[Rule] = frozenset(
    {provider_working, on_step_grid, provider_day_open, provider_free}
)

RULES: tuple[Rule, ...] = (
    start_has_offset,
    *SUBJECT_RULES,
    start_in_future,
    notice_given,
    within_horizon,
    session_opens_in_time,
    provider_working,
    on_step_grid,
    provider_day_open,
    provider_free,
    session_has_seat,
    client_day_open,
    client_free,
)


def start_refusal(start: datetime) -> Refusal | None:
    """The first rule alone, for callers that must check the start before loading the
    snapshot around it."""
    return start_has_offset(Candidate(snapshot=None, provider=None, service=None, start=start))


def subject_refusal(
    snapshot: Snapshot, service_id: int, provider_id: int | None = None
) -> Refusal | None:
    """The first subject rule that refuses this service (with this provider, if given)."""
    provider = None if provider_id is None else snapshot.providers.get(provider_id)
    candidate = Candidate(snapshot, provider, snapshot.services.get(service_id), start=None)
    for rule in SERVICE_RULES if provider_id is None else SUBJECT_RULES:
        refused = rule(candidate)
        if refused is not None:
            return refused
    return None


def refusal(
    snapshot: Snapshot, provider_id: int, service_id: int, start: datetime
) -> Refusal | None:
    """The first rule that refuses booking `service_id` with `provider_id` at `start`."""
    candidate = Candidate(
        snapshot, snapshot.providers.get(provider_id), snapshot.services.get(service_id), start
    )
    schedule_offers: bool | None = None  # asked once, when the first schedule rule comes
    for rule in RULES:
        if rule in SCHEDULE_RULES:
            # The common case in one `open_slots` call: a start the provider's whole schedule
            # offers passes every schedule rule; only a refused one is asked rule by rule.
            if schedule_offers is None:
                schedule_offers = _schedule_offers(candidate)
            if schedule_offers:
                continue
        refused = rule(candidate)
        if refused is not None:
            return refused
    return None


def _schedule_offers(candidate: Candidate) -> bool:
    schedule = candidate.provider.schedule
    if candidate.snapshot.may_override:
        schedule = replace(schedule, daily_cap=None)
    return _offers(schedule, candidate)


# --- what is offered: exactly the starts `refusal` accepts ----------------------------------


def earliest_start(snapshot: Snapshot) -> datetime:
    """The first bookable instant: after now, and after the notice unless overridden."""
    notice = INSTANT if snapshot.may_override else max(snapshot.policy.min_notice, INSTANT)
    return snapshot.now + notice


def slot_request(snapshot: Snapshot, service: ServiceFacts, window: Interval) -> SlotRequest:
    """The availability question for one service in `window` under the snapshot's policy."""
    latest = window.end if snapshot.may_override else snapshot.now + snapshot.policy.horizon
    return SlotRequest(
        duration=service.duration,
        step=snapshot.policy.slot_step,
        window=window,
        earliest_start=earliest_start(snapshot),
        latest_start=latest,
        buffer_before=service.buffer_before,
        buffer_after=service.buffer_after,
    )


def bookable_providers(snapshot: Snapshot, service: ServiceFacts) -> list[ProviderFacts]:
    """Providers the subject rules accept for this service and client, by id."""
    client = snapshot.client
    return [
        provider
        for _, provider in sorted(snapshot.providers.items())
        if provider.is_active
        and _calendar_offers(snapshot, provider)
        and service.service_id in provider.service_ids
        and (client is None or provider.user_id != client.client_id)
    ]


_slot_start = attrgetter("start")


def closed_dates(
    snapshot: Snapshot, service_id: int, window: Interval, zone: ZoneInfo
) -> list[date]:
    """The dates of `window` in the viewer's `zone` on which none of the providers who could
    take the service works (weekly hours, holidays, time off): the pages show them as closed,
    where a working day without a free time is fully booked."""
    first = window.start.astimezone(zone).date()
    last = (window.end - timedelta(microseconds=1)).astimezone(zone).date()
    every = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    service = snapshot.services.get(service_id)
    if service is None or not service.is_active:
        return every
    working: set[date] = set()
    for provider in bookable_providers(snapshot, service):
        working |= working_dates(provider.schedule, window, zone)
    return [day for day in every if day not in working]


def offered_slots(
    snapshot: Snapshot,
    service_id: int,
    window: Interval,
    provider_ids: Collection[int] | None = None,
) -> list[Slot]:
    """Every start in `window` that `refusal` accepts, sorted by (start, provider)."""
    service = snapshot.services.get(service_id)
    client = snapshot.client
    if service is None or not service.is_active or (client is not None and not client.is_active):
        return []
    request = slot_request(snapshot, service, window)
    slots: list[Slot] = []
    for provider in bookable_providers(snapshot, service):
        if provider_ids is not None and provider.provider_id not in provider_ids:
            continue
        schedule = provider.schedule
        if snapshot.may_override:
            schedule = replace(schedule, daily_cap=None)
        if service.is_group:
            slots.extend(_group_slots(snapshot, service, schedule, request))
        else:
            slots.extend(open_slots(schedule, request))
    if client is not None:
        slots = client_can_take(snapshot, slots)
    # Each provider's slots are sorted by start and the providers come by id, so a stable
    # sort by start alone orders by (start, provider) (and merges runs instead of tuples).
    slots.sort(key=_slot_start)
    return slots


def _group_slots(
    snapshot: Snapshot, service: ServiceFacts, schedule: ProviderSchedule, request: SlotRequest
) -> list[Slot]:
    """One provider's offer of a group service, sorted by start, each slot with its seats
    left: new sessions where `open_slots` offers one (from `session_opening_limit` on), and
    the sessions already held with a seat left whose own time the schedule still offers
    (`provider_free`, `provider_day_open` and `session_has_seat` for a seat)."""
    opens = session_opening_limit(snapshot, service)
    slots = [
        replace(slot, seats_left=service.capacity)
        for slot in open_slots(schedule, request)
        if slot.start >= opens
    ]
    for session in schedule.sessions:
        if session.service_id != service.service_id or session.taken >= service.capacity:
            continue
        at_session = replace(
            request,
            earliest_start=max(request.earliest_start, session.start),
            latest_start=min(request.latest_start, session.start),
        )
        free = replace(without_session(schedule, session), daily_cap=None)
        slots.extend(
            replace(slot, seats_left=service.capacity - session.taken)
            for slot in open_slots(free, at_session)
            if slot.start == session.start
        )
    slots.sort(key=_slot_start)
    return slots


def client_can_take(snapshot: Snapshot, slots: Iterable[Slot]) -> list[Slot]:
    """The slots the client rules (`client_day_open`, `client_free`) accept, in order."""
    client = snapshot.client
    slots = list(slots)
    if client is None:
        return slots
    limit = snapshot.policy.max_client_appointments_per_day
    check_days = bool(limit) and not snapshot.may_override and bool(client.active_per_day)
    return [
        slot
        for slot in slots
        if not (check_days and client_day_count(client, slot.start) >= limit)
        and not _overlaps_held(client, slot.start, slot.end)
    ]


# --- helpers the rules share ----------------------------------------------------------------


def _offers(schedule: ProviderSchedule, candidate: Candidate) -> bool:
    """Whether `open_slots` offers exactly this start (a window of the slot itself; notice
    and horizon are their own rules)."""
    start = candidate.start
    end = candidate.end
    request = SlotRequest(
        duration=candidate.service.duration,
        step=candidate.snapshot.policy.slot_step,
        window=Interval(start, end),
        earliest_start=start,
        latest_start=start,
        buffer_before=candidate.service.buffer_before,
        buffer_after=candidate.service.buffer_after,
    )
    return any(slot.start == start for slot in open_slots(schedule, request))


def _covers(schedule: ProviderSchedule, span: Interval) -> bool:
    """Whether one free piece of the schedule holds all of `span`."""
    return any(
        piece.start <= span.start and span.end <= piece.end
        for piece in free_intervals(schedule, span)
    )


def client_local_day(client: ClientFacts, instant: datetime) -> tuple[datetime, datetime]:
    """[00:00, next 00:00) of the client-local day holding `instant`, as instants."""
    tz = ZoneInfo(client.timezone)
    day = instant.astimezone(tz).date()
    return local_to_utc(day, time(0), tz), local_to_utc(day + timedelta(days=1), time(0), tz)


def client_day_count(client: ClientFacts, instant: datetime) -> int:
    return client.active_per_day.get(instant.astimezone(ZoneInfo(client.timezone)).date(), 0)


def _overlaps_held(client: ClientFacts, start: datetime, end: datetime) -> bool:
    held = client.held  # merged and sorted by the loader
    index = bisect_right(held, start, key=attrgetter("end"))  # first ending after `start`
    return index < len(held) and held[index].start < end


def merged_held(intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    """The client's held time as the rules expect it: merged, sorted."""
    return tuple(merge_intervals(intervals))


# --- rules about an existing appointment ----------------------------------------------------


def client_cutoff(start: datetime, policy: Policy) -> datetime:
    """The last moment a client may cancel or reschedule online (staff are not bound)."""
    return start - policy.client_cutoff


def cutoff_refusal(
    *, start: datetime, now: datetime, policy: Policy, bound: bool
) -> Refusal | None:
    """Refuses a client's own change after the cut-off; `bound` is False for staff, the
    system, the provider, or an override."""
    if not bound or now <= client_cutoff(start, policy):
        return None
    hours = int(policy.client_cutoff.total_seconds() // 3600)  # pragma: no mutate (whole hours)
    return _refuse(
        "client_cutoff",
        "start",
        f"Appointments can be changed or cancelled online until {hours} hours before they "
        f"start; please contact us.",
    )


def urgency_refusal(service: ServiceFacts, urgency: str, known: Collection[str]) -> Refusal | None:
    """Whether the service takes requests of this urgency."""
    if urgency not in known:
        return _refuse("urgency_known", "urgency", f"Choose one of {', '.join(known)}.")
    if urgency not in service.accepted_urgencies:
        return _refuse(
            "urgency_accepted", "urgency", f"{service.name} does not take {urgency} requests."
        )
    return None


def move_refusal(*, current_start: datetime, new_start: datetime) -> Refusal | None:
    """A move must go somewhere: the appointment's own start is not a new time."""
    if new_start == current_start:
        return _refuse("move_changes_time", "start", "The appointment is already at that time.")
    return None


def offered_moves(
    snapshot: Snapshot, service_id: int, window: Interval, current_start: datetime
) -> list[Slot]:
    """Where an appointment may move: `offered_slots` of a snapshot loaded without that
    appointment, less its current start (`move_refusal`)."""
    return [
        slot
        for slot in offered_slots(snapshot, service_id, window)
        if move_refusal(current_start=current_start, new_start=slot.start) is None
    ]
