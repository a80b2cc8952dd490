"""The waitlist measured: the project's simulated clinic with cancellations and a waitlist,
run twice on the same seed, without and with the waitlist, through the real services.

The clinic, its clients with hidden preferences and their requests are the recommender's
simulator (`recommendations.simulator`): each request is shown the recommender's slots and the
client books one or walks away, as in the offline evaluation. On top of that:

- a share of bookings is cancelled (`cancel_share`), some of them late (within the client
  cutoff, by staff on the client's behalf, with the policy override);
- a client who walks away joins the waitlist (`join_share`) for the days and hours they could
  come (around their favourite hour, over a horizon set by their urgency);
- an offer is answered by its client after a delay (none when they ignore it), asleep at night,
  and accepted as the simulator's clients choose (their hidden utility against walking away);
- the waitlist's beat sweep runs every `sweep_minutes`; its first step, expiring offers past
  their hold (the next candidate's turn), also runs `BEAT_MINUTES` after each hold ends, as
  the deployed beat (every two minutes) would, without simulating a sweep every two minutes.

Simulated time is a stopped clock moved from event to event, so every service (the booking
service's own `now` included) sees the simulated moment. Everything writes to the configured
database: `simulate()` runs each clinic in a throw-away one (the `simulate_waitlist` command).

Figures are measured over the middle of the run: time freed by cancellations made from
`warmup_days` until `window_days` before the end (every such time starts before the end, so
whether it was refilled is known), the waitlisted clients who joined in the same period, and
utilisation of working time from `warmup_days` to the end.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import os
import statistics
import time as clock
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall_time
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.db import transaction
from django.dispatch import Signal
from django.test.utils import override_settings

from accounts.models import Role, User
from recommendations.engine import CandidateColumns
from recommendations.engine.types import CandidateSlot
from recommendations.evaluation import schedule_quality
from recommendations.simulator import (
    OUTSIDE_UTILITY,
    HiddenClient,
    SimClinic,
    SimRequest,
    build_clinic,
    choose,
    generate_requests,
    run_requests,
)
from scheduling import events as scheduling_events
from scheduling.errors import SchedulingError
from scheduling.models import (
    ACTIVE_STATUSES,
    BLOCKING_STATUSES,
    Appointment,
    AppointmentSource,
    AppointmentStatus,
    BookingPolicy,
)
from scheduling.services import appointment_cancel
from smartbook.celery import app as celery_app
from smartbook.scratch import scratch_database
from waitlist import events as waitlist_events
from waitlist.models import EntryStatus, Offer, OfferStatus, WaitlistEntry
from waitlist.selectors import freed_time_refill
from waitlist.services import (
    RangeInput,
    entry_join,
    entry_leave,
    offer_accept,
    offer_decline,
    offers_expire,
)
from waitlist.services.entries import MAX_RANGES
from waitlist.tasks import sweep_waitlist

# A Monday in January: London (the simulated clinic's zone) is on GMT for the whole run.
SIM_START = datetime(2031, 1, 6, tzinfo=UTC)
AHEAD = timedelta(hours=24)  # time freed further ahead than this is the goal's
# Each client's range of hours around their favourite hour, and its bounds.
RANGE_HALF_WIDTH = timedelta(hours=1, minutes=30)
EARLIEST_RANGE, LATEST_RANGE = wall_time(7), wall_time(20)
NIGHT = (22, 7)  # clients neither cancel nor answer between these local hours
BEAT_MINUTES = 2  # the deployed beat's interval (notifications.beat)
RUNS = ("without", "with")


@dataclass(frozen=True)
class SimulationConfig:
    seed: int = 7
    days: int = 28
    providers: int = 4
    clients: int = 120
    requests_per_day: float = 40.0
    warmup_days: int = 5
    window_days: int = 14  # how far ahead clients look, and wait at most
    shown: int = 5
    cancel_share: float = 0.15  # of bookings
    late_share: float = 0.3  # of cancellations: within the client cutoff
    join_share: float = 0.6  # of clients who walk away
    ignore_share: float = 0.15  # of offers: never answered
    answer_median_minutes: float = 6.0  # once awake; lognormal, some beyond the hold
    answer_spread: float = 1.0
    sweep_minutes: int = 60

    def __post_init__(self) -> None:
        if self.days < self.warmup_days + self.window_days + 1:
            raise ValueError(
                f"days must be at least warmup_days + window_days + 1 "
                f"({self.warmup_days + self.window_days + 1})."
            )


# --- the event queue ----------------------------------------------------------------------


@dataclass(order=True)
class _Event:
    at: datetime
    order: int
    kind: str = field(compare=False)
    payload: Any = field(compare=False, default=None)


class _Queue:
    """Simulated events in time order (ties in the order they were pushed)."""

    def __init__(self) -> None:
        self._heap: list[_Event] = []
        self._counter = itertools.count()

    def push(self, at: datetime, kind: str, payload: Any = None) -> None:
        heapq.heappush(self._heap, _Event(at, next(self._counter), kind, payload))

    def pop(self) -> _Event | None:
        return heapq.heappop(self._heap) if self._heap else None


# --- the simulated people -----------------------------------------------------------------


def _awake(at: datetime, zone: ZoneInfo, rng: np.random.Generator) -> datetime:
    """`at`, or a moment in the first hour of the next morning when `at` is at night."""
    local = at.astimezone(zone)
    start, end = NIGHT
    if end <= local.hour < start:
        return at
    morning = local.date() + timedelta(days=1) if local.hour >= start else local.date()
    wake = datetime.combine(morning, wall_time(end), tzinfo=zone).astimezone(UTC)
    return wake + timedelta(minutes=float(rng.uniform(0, 60)))


def _quarter(value: datetime) -> wall_time:
    minutes = (value.hour * 60 + value.minute) // 15 * 15
    return wall_time(minutes // 60, minutes % 60)


def horizon_days(client: HiddenClient, urgency: str, window_days: int) -> int:
    """How many days ahead a client could come: as long as waiting does not cost them more
    than a bad time would (their patience; a third of it when soon, two days when urgent)."""
    patience = {"urgent": 2.0, "soon": client.patience_days / 3}.get(urgency, client.patience_days)
    return int(min(window_days, max(2, np.ceil(patience))))


def waitlist_ranges(*, client: HiddenClient, urgency: str, today: date, window_days: int):
    """What a client who walked away tells the waitlist (a list of `RangeInput`): the hours
    around their favourite one on their favourite weekdays of their horizon (any day when
    urgent, or when none of their weekdays falls in it)."""
    centre = datetime.combine(today, wall_time(0)) + timedelta(hours=client.favourite_hour)
    earliest = max(_quarter(centre - RANGE_HALF_WIDTH), EARLIEST_RANGE)
    latest = min(_quarter(centre + RANGE_HALF_WIDTH), LATEST_RANGE)
    horizon = [today + timedelta(days=n) for n in range(horizon_days(client, urgency, window_days))]
    favourite_weekdays = client.favourite_weekdays
    days = [day for day in horizon if day.weekday() in favourite_weekdays]
    if urgency == "urgent" or not days:
        return [
            RangeInput(first_date=today, last_date=horizon[-1], earliest=earliest, latest=latest)
        ]
    return [
        RangeInput(first_date=day, last_date=day, earliest=earliest, latest=latest)
        for day in days[:MAX_RANGES]
    ]


# --- the run ------------------------------------------------------------------------------


@dataclass
class _Waiting:
    """A client who walked away and would join the waitlist (in both runs), until served."""

    since: datetime
    until: datetime
    measured: bool
    served_at: datetime | None = None
    via_waitlist: bool = False
    entry_id: int | None = None


@dataclass
class _Counts:
    requests: int = 0
    booked: int = 0
    walked_away: int = 0
    refused: int = 0
    joined: int = 0
    join_refused: int = 0
    cancelled: int = 0
    cancelled_late: int = 0
    cancel_refused: int = 0
    answers_too_late: int = 0


class ClinicRun:
    """One simulated clinic, with or without the waitlist, in the current database."""

    def __init__(self, config: SimulationConfig, *, waitlist: bool, traveller) -> None:
        self.config = config
        self.waitlist = waitlist
        self.traveller = traveller
        self.queue = _Queue()
        self.counts = _Counts()
        self.waiting: dict[tuple[int, int], _Waiting] = {}
        self.finished: list[_Waiting] = []
        self.start = SIM_START
        self.end = SIM_START + timedelta(days=config.days)
        self.measured = (
            SIM_START + timedelta(days=config.warmup_days),
            self.end - timedelta(days=config.window_days),
        )
        self.now = SIM_START

    # -- set-up --

    def build(self) -> None:
        config = self.config
        rng = np.random.default_rng(config.seed)
        self.clinic: SimClinic = build_clinic(
            rng=rng, provider_count=config.providers, client_count=config.clients
        )
        self.client_index = {user.pk: i for i, user in enumerate(self.clinic.users)}
        self.staff = User.objects.create_user(
            f"sim-staff-{config.seed}@example.com", None, role=Role.ADMIN
        )
        self.zone = ZoneInfo(self.clinic.users[0].timezone)
        self.cutoff = timedelta(hours=BookingPolicy.load().client_cutoff_hours)
        requests = generate_requests(
            rng=rng,
            clinic=self.clinic,
            start=self.start,
            end=self.end,
            count=round(config.requests_per_day * config.days),
        )
        for request in requests:
            self.queue.push(request.at, "request", request)
        if self.waitlist:
            self.queue.push(self.start + timedelta(minutes=config.sweep_minutes), "sweep")

    def run(self) -> None:
        handlers: dict[str, Callable[[Any], None]] = {
            "request": self._request,
            "cancel": self._cancel,
            "answer": self._answer,
            "sweep": self._sweep,
            "expire": self._expire,
        }
        while (event := self.queue.pop()) is not None:
            if event.at >= self.end:
                break
            self.now = event.at
            self.traveller.move_to(event.at)
            handlers[event.kind](event.payload)

    # -- events --

    def _rng(self, *key: int) -> np.random.Generator:
        return np.random.default_rng([self.config.seed, *key])

    def _request(self, request: SimRequest) -> None:
        self.counts.requests += 1
        with transaction.atomic():
            stats = run_requests(
                clinic=self.clinic,
                requests=[request],
                window_days=self.config.window_days,
                limit=self.config.shown,
            )
        key = (request.client_index, request.service_index)
        if stats.booked:
            self.counts.booked += 1
            appointment = Appointment.objects.get(pk=stats.appointment_ids[0])
            self._booked(key, appointment, via_waitlist=False)
            self._plan_cancellation(appointment, self._rng(1, request.seed))
            return
        if stats.refused:
            self.counts.refused += 1
            return
        self.counts.walked_away += 1
        if key in self.waiting or self._rng(2, request.seed).random() >= self.config.join_share:
            return
        self._join(key, request)

    def _join(self, key: tuple[int, int], request: SimRequest) -> None:
        user = self.clinic.users[request.client_index]
        client = self.clinic.clients[request.client_index]
        today = self.now.astimezone(ZoneInfo(user.timezone)).date()
        ranges = waitlist_ranges(
            client=client,
            urgency=request.urgency,
            today=today,
            window_days=self.config.window_days,
        )
        last = ranges[-1].last_date
        until = datetime.combine(last + timedelta(days=1), wall_time(0), ZoneInfo(user.timezone))
        waiting = _Waiting(
            since=self.now,
            until=until.astimezone(UTC),
            measured=self.measured[0] <= self.now < self.measured[1],
        )
        self.waiting[key] = waiting
        if not self.waitlist:
            return
        try:
            entry = entry_join(
                client=user,
                service=self.clinic.services[request.service_index],
                ranges=ranges,
                expires_on=last,
                urgency=request.urgency,
                now=self.now,
            )
        except ValidationError:
            self.counts.join_refused += 1
            del self.waiting[key]
            return
        self.counts.joined += 1
        waiting.entry_id = entry.pk

    def _booked(
        self, key: tuple[int, int], appointment: Appointment, *, via_waitlist: bool
    ) -> None:
        """A booking of `key`'s client and service: it serves their wait, if any; a booking
        made otherwise takes them off the waitlist."""
        waiting = self.waiting.pop(key, None)
        if waiting is None:
            return
        if appointment.created_at < waiting.until:
            waiting.served_at = appointment.created_at
            waiting.via_waitlist = via_waitlist
        self.finished.append(waiting)
        if waiting.entry_id is not None and not via_waitlist:
            entry = WaitlistEntry.objects.get(pk=waiting.entry_id)
            if entry.status == EntryStatus.ACTIVE:
                entry_leave(entry=entry, client=appointment.client, now=self.now)

    def _plan_cancellation(self, appointment: Appointment, rng: np.random.Generator) -> None:
        """Whether and when the client cancels: late (within the client cutoff) or earlier,
        by day."""
        if rng.random() >= self.config.cancel_share:
            return
        booked, start = appointment.created_at, appointment.start
        latest = start - timedelta(hours=1)
        early_until = start - self.cutoff
        if early_until > booked and rng.random() >= self.config.late_share:
            low, high = booked, early_until
        else:
            low, high = max(booked, early_until), latest
        if high <= low:
            return
        at = low + (high - low) * float(rng.random())
        at = _awake(at, self.zone, rng)
        if at < latest:
            self.queue.push(at, "cancel", appointment.pk)

    def _cancel(self, appointment_id: int) -> None:
        appointment = Appointment.objects.select_related("client").get(pk=appointment_id)
        if appointment.status not in ACTIVE_STATUSES:
            return
        late = appointment.start - self.now < self.cutoff
        try:
            appointment_cancel(
                appointment=appointment,
                # Late, the client phones and staff cancel for them (the cutoff lifted).
                actor=self.staff if late else appointment.client,
                override_policy=late,
                # No reason: a reason from staff is read as the clinic's own cancellation,
                # which the waitlist answers by rebooking the client.
                reason="",
            )
        except SchedulingError:
            self.counts.cancel_refused += 1
            return
        self.counts.cancelled += 1
        self.counts.cancelled_late += late

    def _offer_made(self, sender, *, offer: Offer, **kwargs) -> None:
        """Decide now how and when the offer's client will answer; the beat expires the
        offer after its hold."""
        self.queue.push(offer.expires_at + timedelta(minutes=BEAT_MINUTES), "expire")
        rng = self._rng(3, offer.pk)
        if rng.random() < self.config.ignore_share:
            return
        index = self.client_index[offer.entry.client_id]
        user, client = self.clinic.users[index], self.clinic.clients[index]
        zone = ZoneInfo(user.timezone)
        delay = rng.lognormal(np.log(self.config.answer_median_minutes), self.config.answer_spread)
        at = _awake(self.now, zone, rng) + timedelta(minutes=float(delay))
        provider_zone = ZoneInfo(offer.provider.timezone)
        slot = CandidateSlot(
            provider_id=offer.provider_id,
            start=offer.start,
            end=offer.end,
            local_start=offer.start.astimezone(provider_zone),
            timezone=offer.provider.timezone,
            blocked_start=offer.start,
            blocked_end=offer.end,
        )
        utility = client.utility(
            CandidateColumns.of([slot], user.timezone), now=self.now, urgency=offer.entry.urgency
        )
        accept = choose(rng, utility, outside=OUTSIDE_UTILITY) is not None
        self.queue.push(max(at, self.now), "answer", (offer.pk, accept))

    def _answer(self, payload: tuple[int, bool]) -> None:
        offer_id, accept = payload
        offer = Offer.objects.select_related("entry__client").get(pk=offer_id)
        client = offer.entry.client
        try:
            if not accept:
                offer_decline(offer=offer, client=client, now=self.now)
                return
            appointment = offer_accept(offer=offer, client=client, now=self.now)
        except SchedulingError:  # HoldGone: expired, or taken off the waitlist meanwhile
            self.counts.answers_too_late += 1
            return
        index = self.client_index[client.pk]
        service_index = next(
            i for i, s in enumerate(self.clinic.services) if s.pk == offer.service_id
        )
        self._booked((index, service_index), appointment, via_waitlist=True)
        self._plan_cancellation(appointment, self._rng(4, appointment.pk))

    def _expire(self, _payload: None) -> None:
        offers_expire(now=self.now)

    def _sweep(self, _payload: None) -> None:
        sweep_waitlist()
        self.queue.push(self.now + timedelta(minutes=self.config.sweep_minutes), "sweep")

    # -- figures --

    def figures(self) -> dict[str, Any]:
        counts = self.counts
        measured_start, measured_end = self.measured
        freed_all = refill_figures(start=measured_start, end=measured_end)
        freed_ahead = refill_figures(start=measured_start, end=measured_end, min_lead=AHEAD)
        dashboard = freed_time_refill(start=measured_start, end=measured_end)
        quality = schedule_quality(
            clinic=self.clinic,
            start=measured_start,
            end=self.end,
            shortest_minutes=min(s.duration_minutes for s in self.clinic.services),
        )
        made = Appointment.objects.filter(created_at__lt=self.end).count()
        offers = dict.fromkeys(OfferStatus.values, 0)
        for status in Offer.objects.values_list("status", flat=True):
            offers[status] += 1
        return {
            "requests": counts.requests,
            "booked_from_requests": counts.booked,
            "walked_away": counts.walked_away,
            "refused": counts.refused,
            "bookings": made,
            "cancelled": counts.cancelled,
            "cancelled_share": _ratio(counts.cancelled, made),
            "late_share_of_cancellations": _ratio(counts.cancelled_late, counts.cancelled),
            "freed_minutes": freed_all["freed_minutes"],
            "refilled_minutes": freed_all["refilled_minutes"],
            "refilled_by_waitlist_minutes": freed_all["refilled_by_waitlist_minutes"],
            "share_refilled": freed_all["share_refilled"],
            "median_minutes_to_refill": freed_all["median_minutes_to_refill"],
            "freed_ahead_minutes": freed_ahead["freed_minutes"],
            "refilled_ahead_minutes": freed_ahead["refilled_minutes"],
            "share_refilled_ahead": freed_ahead["share_refilled"],
            "utilisation": quality["utilisation"],
            "dashboard": {
                "freed_minutes": round(dashboard.freed_minutes, 1),
                "refilled_minutes": round(dashboard.refilled_minutes, 1),
                "median_minutes_to_refill": _round(dashboard.median_minutes_to_refill),
                "offers_accepted": dashboard.offers_accepted,
            },
            "waitlisted": self._waiting_figures(),
            "joined": counts.joined,
            "join_refused": counts.join_refused,
            "offers": {**offers, "answered_too_late": counts.answers_too_late},
        }

    def _waiting_figures(self) -> dict[str, Any]:
        measured = [w for w in self.finished + list(self.waiting.values()) if w.measured]
        served = [w for w in measured if w.served_at is not None]
        hours = [(w.served_at - w.since).total_seconds() / 3600 for w in served]
        return {
            "clients": len(measured),
            "served": len(served),
            "served_via_waitlist": sum(w.via_waitlist for w in served),
            "served_share": _ratio(len(served), len(measured)),
            "median_wait_hours": _round(float(np.median(hours))) if hours else None,
            "p90_wait_hours": _round(float(np.percentile(hours, 90))) if hours else None,
        }


def _ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def _round(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


def _covered_minutes(start: datetime, end: datetime, fills: list[tuple]) -> float:
    """Minutes of [start, end) that `fills` (provider, start, end, ...) cover, at most all."""
    covered = sum((min(end, f[2]) - max(start, f[1])).total_seconds() / 60 for f in fills)
    return min((end - start).total_seconds() / 60, covered)


def refill_figures(
    *, start: datetime, end: datetime, min_lead: timedelta = timedelta(0)
) -> dict[str, Any]:
    """Time freed by cancellations made in [start, end) more than `min_lead` before it
    started, and how much of it was booked again before it passed (and by the waitlist).

    The dashboard's definition (`waitlist.selectors.freed_time_refill`, whose figures the
    run reports beside these and which the test holds them to at `min_lead` 0), split by how
    far ahead the time was freed, which the dashboard does not ask."""
    freed = [
        row
        for row in Appointment.objects.filter(
            status=AppointmentStatus.CANCELLED, cancelled_at__gte=start, cancelled_at__lt=end
        ).values_list("provider_id", "start", "end", "cancelled_at")
        if row[3] < row[1] - min_lead
    ]
    fills = list(
        Appointment.objects.filter(
            provider_id__in={row[0] for row in freed},
            status__in=BLOCKING_STATUSES,
            created_at__gte=start,
        ).values_list("provider_id", "start", "end", "created_at", "source")
    )
    freed_minutes = refilled = by_waitlist = 0.0
    waits = []
    for provider_id, s, e, freed_at in freed:
        minutes = (e - s).total_seconds() / 60
        freed_minutes += minutes
        covering = [
            f for f in fills if f[0] == provider_id and f[3] > freed_at and f[1] < e and f[2] > s
        ]
        if not covering:
            continue
        refilled += _covered_minutes(s, e, covering)
        by_waitlist += _covered_minutes(
            s, e, [f for f in covering if f[4] == AppointmentSource.WAITLIST]
        )
        waits.append((min(f[3] for f in covering) - freed_at).total_seconds() / 60)
    return {
        "freed_minutes": round(freed_minutes, 1),
        "refilled_minutes": round(refilled, 1),
        "refilled_by_waitlist_minutes": round(by_waitlist, 1),
        "share_refilled": _ratio(refilled, freed_minutes),
        "median_minutes_to_refill": _round(statistics.median(waits)) if waits else None,
    }


# --- the machinery around a run -----------------------------------------------------------


SCHEDULING_SIGNALS = (
    scheduling_events.appointment_booked,
    scheduling_events.appointment_rescheduled,
    scheduling_events.appointment_cancelled,
    scheduling_events.appointment_completed,
    scheduling_events.appointment_no_show,
)
WAITLIST_SIGNALS = (
    waitlist_events.offer_made,
    waitlist_events.offer_gone,
    waitlist_events.offer_expired,
    waitlist_events.offer_accepted,
)


@contextmanager
def receivers_of_waitlist_only(*, waitlist: bool) -> Iterator[None]:
    """Scheduling's events reach the waitlist's receivers only (with the waitlist) or none
    (without it), and the waitlist's own events none: no notifications, no emails."""

    def kept(entry) -> bool:
        uid = entry[0][0]
        return waitlist and isinstance(uid, str) and uid.startswith("waitlist.")

    saved = [(signal, signal.receivers) for signal in SCHEDULING_SIGNALS + WAITLIST_SIGNALS]
    for signal, receivers in saved:
        signal.receivers = [entry for entry in receivers if kept(entry)]
        signal.sender_receivers_cache.clear()
    try:
        yield
    finally:
        for signal, receivers in saved:
            signal.receivers = receivers
            signal.sender_receivers_cache.clear()


@contextmanager
def tasks_in_process() -> Iterator[None]:
    """The waitlist's matching tasks run here, on this database (never a broker's worker)."""
    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = saved


@contextmanager
def quiet_task_log() -> Iterator[None]:
    """Celery logs every task it runs here; thousands of lines say nothing."""
    log = logging.getLogger("celery.app.trace")
    saved = log.level
    log.setLevel(logging.WARNING)
    try:
        yield
    finally:
        log.setLevel(saved)


@contextmanager
def _connected(signal: Signal, receiver: Callable[..., None]) -> Iterator[None]:
    uid = f"simulation-{id(receiver)}"
    signal.connect(receiver, weak=False, dispatch_uid=uid)
    try:
        yield
    finally:
        signal.disconnect(dispatch_uid=uid)


def simulate_clinic(config: SimulationConfig, *, waitlist: bool) -> dict[str, Any]:
    """One clinic run in a throw-away database; its figures."""
    try:
        import time_machine
    except ImportError as exc:  # a development tool: the dev extras bring time-machine
        raise CommandError("The simulation needs time-machine (make install-dev).") from exc

    cache_name = f"simulate-waitlist-{os.getpid()}-{'with' if waitlist else 'without'}"
    with (
        scratch_database("simulate"),
        override_settings(
            CACHES={
                "default": {
                    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                    "LOCATION": cache_name,
                }
            },
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        ),
        receivers_of_waitlist_only(waitlist=waitlist),
        tasks_in_process(),
        quiet_task_log(),
        time_machine.travel(SIM_START, tick=False) as traveller,
    ):
        run = ClinicRun(config, waitlist=waitlist, traveller=traveller)
        with _connected(waitlist_events.offer_made, run._offer_made):
            run.build()
            run.run()
        return run.figures()


def simulate(config: SimulationConfig | None = None) -> dict[str, Any]:
    """The same seeded clinic without and with the waitlist."""
    config = config or SimulationConfig()
    started = clock.perf_counter()
    runs = {name: simulate_clinic(config, waitlist=name == "with") for name in RUNS}
    return {
        "runs": runs,
        "config": asdict(config),
        "seconds": round(clock.perf_counter() - started, 1),
    }
