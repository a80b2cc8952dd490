"""Months of demo booking history, so the dashboard and recommendations have data.

Runs after `accounts.demo.create_demo_users()` and `providers.demo.create_demo_clinic()`.
Simulated clients (the demo clients Alice and Bob plus 30 more) with hidden preferences from
the simulator get past appointments (written directly: the booking service refuses the past),
then a few upcoming ones booked from real recommendations through the booking service, so
the log has picks; a first model version is trained if there are enough. Idempotent.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Profile, Role, User
from providers.models import Provider
from recommendations.engine import CandidateColumns
from recommendations.models import RecommendationLog
from recommendations.services import recommendation_for_client
from recommendations.simulator import HiddenClient, choose, make_clients
from scheduling.errors import SchedulingError
from scheduling.models import Appointment, AppointmentStatus, BookingPolicy
from scheduling.services import appointment_book_in_transaction

logger = logging.getLogger(__name__)

DEMO_CLIENTS = ("alice@smartbook.test", "bob@smartbook.test")
EXTRA_CLIENTS = 80
HISTORY_DAYS = 180
SEED = 2026
FIRST_NAMES = [
    "Aisha",
    "Ben",
    "Chloe",
    "Dev",
    "Ella",
    "Finn",
    "Grace",
    "Hugo",
    "Isla",
    "Jack",
    "Kiran",
    "Leah",
    "Mo",
    "Nina",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sam",
    "Tara",
    "Umar",
    "Vera",
    "Will",
    "Xena",
    "Yusuf",
    "Zoe",
    "Aaron",
    "Beth",
    "Cal",
    "Dina",
]


LAST_NAMES = ["Mensah", "Novak", "Okoye", "Lindqvist", "Haddad"]


def _demo_clients() -> list[User]:
    clients = list(User.objects.filter(email__in=DEMO_CLIENTS).order_by("email"))
    for index in range(EXTRA_CLIENTS):
        email = f"client{index + 1:02d}@smartbook.test"
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email,
                None,
                role=Role.CLIENT,
                first_name=FIRST_NAMES[index % len(FIRST_NAMES)],
                last_name=LAST_NAMES[index // len(FIRST_NAMES) % len(LAST_NAMES)],
            )
        clients.append(user)
    for user in clients:
        Profile.objects.get_or_create(user=user)
    return clients


def _grid_start(
    day,
    hours: list[tuple[time, time]],
    favourite: float,
    minutes: int,
    step: int,
    tz,
    client_tz,
) -> datetime | None:
    """The slot-grid start nearest the favourite hour (in the client's zone `client_tz`) inside
    one of the day's intervals (in the provider's zone `tz`)."""
    best, best_distance = None, None
    for start, end in hours:
        opening = datetime.combine(day, start, tzinfo=tz)
        closing = datetime.combine(day, end, tzinfo=tz)
        cursor = opening
        while cursor + timedelta(minutes=minutes) <= closing:
            seen = cursor.astimezone(client_tz)
            distance = abs(seen.hour + seen.minute / 60 - favourite)
            if best_distance is None or distance < best_distance:
                best, best_distance = cursor, distance
            cursor += timedelta(minutes=step)
    return best


def _past_appointments(
    *, rng: np.random.Generator, clients: list[User], hidden: list[HiddenClient], now: datetime
) -> int:
    providers = {
        p.pk: p
        for p in Provider.objects.filter(is_active=True).prefetch_related(
            "services", "working_hours"
        )
    }
    step = BookingPolicy.load().slot_step_minutes
    held: dict[int, list[tuple[datetime, datetime]]] = {pk: [] for pk in providers}
    client_held: dict[int, list[tuple[datetime, datetime]]] = {}
    rows, leads = [], []
    for user, person in zip(clients, hidden, strict=True):
        provider = providers[person.usual_provider_id]
        # Private services only: the seats of a group class are booked through the
        # booking service, which puts them in their session.
        services = [s for s in provider.services.all() if s.is_active and not s.is_group]
        if not services:
            continue
        service = services[int(rng.integers(len(services)))]
        tz = ZoneInfo(provider.timezone)
        by_weekday: dict[int, list[tuple[time, time]]] = {}
        for hours in provider.working_hours.all():
            by_weekday.setdefault(hours.weekday, []).append((hours.start_time, hours.end_time))
        if not by_weekday:
            continue
        preferred = [d for d in person.favourite_weekdays if d in by_weekday] or list(by_weekday)
        for _ in range(int(rng.integers(8, 20))):
            day = (now - timedelta(days=int(rng.integers(3, HISTORY_DAYS)))).astimezone(tz).date()
            while day.weekday() not in preferred:
                day -= timedelta(days=1)
            start = _grid_start(
                day,
                sorted(by_weekday[day.weekday()]),
                person.favourite_hour,
                service.duration_minutes,
                step,
                tz,
                ZoneInfo(user.timezone),
            )
            if start is None or start >= now:
                continue
            start = start.astimezone(ZoneInfo("UTC"))
            end = start + timedelta(minutes=service.duration_minutes)
            blocked = (
                start - timedelta(minutes=service.buffer_before_minutes),
                end + timedelta(minutes=service.buffer_after_minutes),
            )
            if any(a < blocked[1] and blocked[0] < b for a, b in held[provider.pk]) or any(
                a < end and start < b for a, b in client_held.get(user.pk, [])
            ):
                continue
            roll = rng.random()
            status = (
                AppointmentStatus.CANCELLED
                if roll < 0.08
                else AppointmentStatus.NO_SHOW
                if roll < 0.14
                else AppointmentStatus.COMPLETED
            )
            if status != AppointmentStatus.CANCELLED:
                held[provider.pk].append(blocked)
                client_held.setdefault(user.pk, []).append((start, end))
            lead = timedelta(days=float(rng.uniform(1, 2 * person.patience_days)))
            rows.append(
                Appointment(
                    client=user,
                    provider=provider,
                    service=service,
                    start=start,
                    end=end,
                    blocked_start=blocked[0],
                    blocked_end=blocked[1],
                    status=status,
                    source="recommendation" if rng.random() < 0.5 else "manual",
                    cancelled_by=user if status == AppointmentStatus.CANCELLED else None,
                    cancelled_at=start - lead / 2
                    if status == AppointmentStatus.CANCELLED
                    else None,
                    cancellation_reason="Could not make it"
                    if status == AppointmentStatus.CANCELLED
                    else "",
                )
            )
            leads.append(lead)
    created = Appointment.objects.bulk_create(rows)
    for appointment, lead in zip(created, leads, strict=True):  # booked some days before
        Appointment.objects.filter(pk=appointment.pk).update(created_at=appointment.start - lead)
    return len(created)


def _upcoming_from_recommendations(
    *, rng: np.random.Generator, clients: list[User], hidden: list[HiddenClient], now: datetime
) -> int:
    providers = {p.pk: p for p in Provider.objects.filter(is_active=True)}
    booked = 0
    for user, person in zip(clients, hidden, strict=True):
        provider = providers.get(person.usual_provider_id)
        services = list(provider.services.filter(is_active=True)) if provider else []
        if not services:
            continue
        service = services[int(rng.integers(len(services)))]
        urgency = "routine" if "routine" in service.accepted_urgencies else "soon"
        recommendation = recommendation_for_client(
            client=user,
            service=service,
            start=now + timedelta(days=1),
            end=now + timedelta(days=15),
            urgency=urgency,
            limit=5,
        )
        shown = [slot.candidate for slot in recommendation.slots]
        if not shown:
            continue
        utilities = person.utility(
            CandidateColumns.of(shown, user.timezone), now=now, urgency=urgency
        )
        slot = shown[choose(rng, utilities)]
        try:
            # The history is one transaction (see create_demo_history); the savepoint lets a
            # refused booking be skipped without losing the rest.
            with transaction.atomic():
                appointment_book_in_transaction(
                    client=user,
                    provider=providers[slot.provider_id],
                    service=service,
                    start=slot.start,
                    urgency=urgency,
                    source="recommendation",
                    actor=user,
                    context={"recommendation_id": recommendation.log.pk},
                )
            booked += 1
        except (SchedulingError, ValidationError) as exc:
            logger.info("Demo booking for %s skipped: %s", user, exc)
    return booked


def create_demo_history() -> None:
    if RecommendationLog.objects.filter(client__email__in=DEMO_CLIENTS).exists():
        return  # already there
    if not Provider.objects.filter(is_active=True).exists():
        return
    rng = np.random.default_rng(SEED)
    now = timezone.now()
    with transaction.atomic():
        clients = _demo_clients()
        provider_ids = list(
            Provider.objects.filter(is_active=True, services__isnull=False)
            .distinct()
            .values_list("pk", flat=True)
        )
        hidden = make_clients(rng, len(clients), provider_ids, service_count=1)
        zones = dict(Provider.objects.filter(pk__in=provider_ids).values_list("pk", "timezone"))
        for user, person in zip(clients, hidden, strict=True):
            # Hidden preferences are in the client's own zone: the extra clients live where
            # their usual provider works (the named demo clients keep theirs).
            if user.email not in DEMO_CLIENTS and user.timezone != zones[person.usual_provider_id]:
                user.timezone = zones[person.usual_provider_id]
                user.save(update_fields=["timezone"])
            profile = user.profile
            if person.states_preferences and not profile.preferred_weekdays:
                profile.preferred_weekdays = sorted(person.favourite_weekdays)
                profile.preferred_times_of_day = [person.favourite_time_of_day]
                profile.save(update_fields=["preferred_weekdays", "preferred_times_of_day"])
        past = _past_appointments(rng=rng, clients=clients, hidden=hidden, now=now)
        upcoming = _upcoming_from_recommendations(rng=rng, clients=clients, hidden=hidden, now=now)
    logger.info(
        "Demo history: %s past appointments, %s booked from recommendations.", past, upcoming
    )
    try:
        from recommendations.training import recommender_train

        recommender_train(min_choices=20)
    except Exception:  # the demo works with the rules alone
        logger.warning("Demo model training skipped.", exc_info=True)
