"""A clinic simulator: clients with hidden preferences who book by choosing among what they
are shown, with noise. Used by the offline evaluation, the tests and the demo history.

The client model is pure (numpy); `build_clinic` and `run_requests` drive the real models and
the real booking service (`scheduling.services.appointment_book_in_transaction`: a run is
one transaction of the caller's, which the evaluation rolls back).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

import numpy as np

from recommendations.engine import CandidateColumns
from recommendations.engine.types import time_of_day

URGENCIES = ("routine", "soon", "urgent")
TEMPERATURE = 0.5  # choice noise: lower is more deterministic
HOUR_WIDTH = 1.0  # hours around the favourite hour that still feel right


@dataclass(frozen=True)
class HiddenClient:
    """What a simulated client really wants (the recommender never sees this)."""

    favourite_weekdays: frozenset[int]
    favourite_hour: float  # in the client's own zone, as are the favourite weekdays
    usual_provider_id: int
    patience_days: float  # how long a routine need can comfortably wait
    urgency_mix: tuple[float, float, float]  # routine, soon, urgent
    service_mix: tuple[float, ...]
    weekday_taste: float
    hour_taste: float
    provider_taste: float
    states_preferences: bool

    @property
    def favourite_time_of_day(self) -> str:
        return time_of_day(self.favourite_hour)

    def utility(self, cols: CandidateColumns, *, now: datetime, urgency: str) -> np.ndarray:
        """How much the client likes each slot; `cols` must be built in the client's zone."""
        fav_day = np.isin(cols.client_weekdays, list(self.favourite_weekdays)).astype(float)
        hour_fit = np.exp(-((cols.client_hours - self.favourite_hour) ** 2) / (2 * HOUR_WIDTH**2))
        usual = (cols.provider_ids == self.usual_provider_id).astype(float)
        days = cols.days_ahead(now)
        if urgency == "urgent":
            waiting = days * 24 / 12  # every 12 hours of waiting hurts as much as a bad time
        elif urgency == "soon":
            waiting = days * 3 / self.patience_days
        else:
            waiting = days / self.patience_days
        return (
            self.weekday_taste * fav_day
            + self.hour_taste * hour_fit
            + self.provider_taste * usual
            - waiting
        )


def make_clients(
    rng: np.random.Generator, count: int, provider_ids: list[int], service_count: int
) -> list[HiddenClient]:
    clients = []
    for _ in range(count):
        days = rng.choice(5, size=int(rng.integers(1, 3)), replace=False)
        hour = float(rng.choice([9.5, 11.0, 14.5, 16.5]) + rng.normal(0, 0.4))
        urgent = float(rng.uniform(0.0, 0.2))
        soon = float(rng.uniform(0.1, 0.3))
        mix = rng.dirichlet(np.ones(service_count) * 2)
        clients.append(
            HiddenClient(
                favourite_weekdays=frozenset(int(d) for d in days),
                favourite_hour=min(max(hour, 8.5), 17.5),
                usual_provider_id=int(rng.choice(provider_ids)),
                patience_days=float(rng.uniform(3, 14)),
                urgency_mix=(1 - urgent - soon, soon, urgent),
                service_mix=tuple(float(x) for x in mix),
                weekday_taste=float(rng.uniform(1.5, 2.5)),
                hour_taste=float(rng.uniform(2.0, 3.0)),
                provider_taste=float(rng.uniform(1.0, 2.0)),
                states_preferences=bool(rng.random() < 0.5),
            )
        )
    return clients


def choose(
    rng: np.random.Generator,
    utilities: np.ndarray,
    *,
    outside: float | None = None,
    temperature: float = TEMPERATURE,
) -> int | None:
    """Multinomial logit choice; with `outside`, the client may walk away (None)."""
    values = np.asarray(utilities, dtype=float)
    if outside is not None:
        values = np.append(values, outside)
    if not values.size:
        return None
    weights = np.exp((values - values.max()) / temperature)
    index = int(rng.choice(values.size, p=weights / weights.sum()))
    if outside is not None and index == values.size - 1:
        return None
    return index


# --- the database side ----------------------------------------------------------------------

# (name, minutes, buffer after)
SIM_SERVICES = (("Consultation", 30, 0), ("Follow-up", 45, 0), ("Treatment", 60, 15))
# (working intervals Mon-Fri, services offered by index)
SIM_PROVIDERS = (
    (((9, 13), (14, 18)), (0, 1, 2)),
    (((8, 12), (13, 16)), (0, 1)),
    (((10, 14), (15, 19)), (0, 1, 2)),
    (((9, 17),), (0, 2)),
    (((8, 13), (14, 17)), (0, 1)),
    (((9, 12), (13, 18)), (0, 1, 2)),
)
OUTSIDE_UTILITY = 1.0  # a client walks away when nothing shown beats this by enough


@dataclass
class SimClinic:
    services: list
    providers: list
    users: list
    clients: list[HiddenClient]


@dataclass(frozen=True)
class SimRequest:
    at: datetime
    client_index: int
    service_index: int
    urgency: str
    seed: int


@dataclass
class PhaseStats:
    requests: int = 0
    booked: int = 0
    walked_away: int = 0
    refused: int = 0
    urgent: int = 0
    urgent_within_48h: int = 0
    appointment_ids: list[int] = field(default_factory=list)


def build_clinic(
    *,
    rng: np.random.Generator,
    provider_count: int = 4,
    client_count: int = 60,
    timezone_name: str = "Europe/London",
) -> SimClinic:
    """Services, providers with hours and clients with hidden preferences (fresh rows).

    Clients live in the clinic's zone, so their hidden favourite weekdays and hour (which are
    in their own zone) fall on the providers' working hours."""
    from accounts.models import Profile, Role, User
    from providers.models import Provider, Service, ServiceCategory, WorkingHours

    tag = uuid.uuid4().hex[:8]
    category = ServiceCategory.objects.create(name=f"Simulated clinic {tag}", slug=f"sim-{tag}")
    services = [
        Service.objects.create(
            category=category,
            name=name,
            duration_minutes=minutes,
            buffer_after_minutes=after,
        )
        for name, minutes, after in SIM_SERVICES
    ]
    providers = []
    for index in range(provider_count):
        hours, offered = SIM_PROVIDERS[index % len(SIM_PROVIDERS)]
        user = User.objects.create_user(
            f"sim-provider-{index}-{tag}@example.com", None, role=Role.PROVIDER
        )
        provider = Provider.objects.create(
            user=user, display_name=f"Dr. Sim {index + 1}", timezone=timezone_name
        )
        provider.services.set([services[i] for i in offered])
        WorkingHours.objects.bulk_create(
            WorkingHours(provider=provider, weekday=day, start_time=time(a), end_time=time(b))
            for day in range(5)
            for a, b in hours
        )
        providers.append(provider)
    hidden = make_clients(rng, client_count, [p.pk for p in providers], len(services))
    users = []
    for index, client in enumerate(hidden):
        user = User.objects.create_user(
            f"sim-client-{index}-{tag}@example.com", None, timezone=timezone_name
        )
        Profile.objects.update_or_create(
            user=user,
            defaults={
                "preferred_weekdays": sorted(client.favourite_weekdays)
                if client.states_preferences
                else [],
                "preferred_times_of_day": [client.favourite_time_of_day]
                if client.states_preferences
                else [],
            },
        )
        users.append(user)
    return SimClinic(services=services, providers=providers, users=users, clients=hidden)


def generate_requests(
    *, rng: np.random.Generator, clinic: SimClinic, start: datetime, end: datetime, count: int
) -> list[SimRequest]:
    """Requests at random moments in [start, end), in time order."""
    span = (end - start).total_seconds()
    offsets = np.sort(rng.uniform(0, span, size=count))
    requests = []
    for offset in offsets:
        index = int(rng.integers(len(clinic.clients)))
        client = clinic.clients[index]
        requests.append(
            SimRequest(
                at=start + timedelta(seconds=float(offset)),
                client_index=index,
                service_index=int(rng.choice(len(clinic.services), p=client.service_mix)),
                urgency=str(rng.choice(URGENCIES, p=client.urgency_mix)),
                seed=int(rng.integers(2**31)),
            )
        )
    return requests


def run_requests(
    *,
    clinic: SimClinic,
    requests: list[SimRequest],
    ranker_for_request: Callable[[SimRequest], object] | None = None,
    window_days: int = 14,
    limit: int = 5,
) -> PhaseStats:
    """Each request: the recommender (the real service, logged) shows `limit` slots, the
    client picks one or walks away, and the pick is booked through the real booking service
    with the recommendation id (so the pick is recorded), in the caller's transaction."""
    from django.core.exceptions import ValidationError

    from recommendations.services import recommendation_for_client
    from scheduling.errors import SchedulingError
    from scheduling.models import Appointment
    from scheduling.services import appointment_book_in_transaction

    stats = PhaseStats()
    for request in requests:
        stats.requests += 1
        user = clinic.users[request.client_index]
        client = clinic.clients[request.client_index]
        service = clinic.services[request.service_index]
        urgent = request.urgency == "urgent"
        stats.urgent += urgent
        ranker = ranker_for_request(request) if ranker_for_request else None
        recommendation = recommendation_for_client(
            client=user,
            service=service,
            start=request.at,
            end=request.at + timedelta(days=window_days),
            urgency=request.urgency,
            limit=limit,
            now=request.at,
            ranker=ranker,
            rng=np.random.default_rng(request.seed + 1),
        )
        shown = [slot.candidate for slot in recommendation.slots]
        if not shown:
            stats.walked_away += 1
            continue
        utilities = client.utility(
            CandidateColumns.of(shown, user.timezone), now=request.at, urgency=request.urgency
        )
        rng = np.random.default_rng(request.seed)
        picked = choose(rng, utilities, outside=OUTSIDE_UTILITY)
        if picked is None:
            stats.walked_away += 1
            continue
        slot = shown[picked]
        try:
            appointment = appointment_book_in_transaction(
                client=user,
                provider=next(p for p in clinic.providers if p.pk == slot.provider_id),
                service=service,
                start=slot.start,
                urgency=request.urgency,
                source="recommendation",
                actor=user,
                context={"recommendation_id": recommendation.log.pk},
            )
        except (SchedulingError, ValidationError):
            stats.refused += 1
            continue
        # Simulated time: the booking happened at the request's moment.
        Appointment.objects.filter(pk=appointment.pk).update(created_at=request.at)
        stats.booked += 1
        stats.appointment_ids.append(appointment.pk)
        if urgent and slot.start - request.at <= timedelta(hours=48):
            stats.urgent_within_48h += 1
    return stats
