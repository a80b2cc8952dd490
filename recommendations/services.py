"""Writes of recommendations: answer and log a recommendation, record the pick, manage models."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from providers.models import Provider, Service, Urgency
from recommendations.engine import (
    ExploringRanker,
    Ranker,
    RulesRanker,
    ScoredSlot,
    load_ranker,
    recommend,
)
from recommendations.models import (
    ClientProviderPreference,
    ModelVersion,
    ProviderWish,
    RecommendationItem,
    RecommendationLog,
    SchedulerSettings,
)
from recommendations.selectors import active_model_version, recommendation_inputs
from scheduling import rules
from scheduling.availability import Interval
from scheduling.models import Appointment, AppointmentSource, BookingPolicy
from scheduling.selectors import service_facts
from smartbook.model_versions import version_activate, version_rollback

logger = logging.getLogger(__name__)

MAX_LIMIT = 20
# A month of the booking page in any zone: 31 days, and an hour more where clocks go back.
MAX_WINDOW = timedelta(days=32)

_ranker_cache: dict[tuple, Ranker] = {}


def ranker_cache_clear() -> None:
    """Forget loaded models (after training or a change of the active version)."""
    _ranker_cache.clear()


@dataclass
class Recommendation:
    log: RecommendationLog
    slots: list[ScoredSlot]
    providers: dict[int, Provider]
    snapshot: rules.Snapshot  # what the slots were offered from (its clock and policy)


def ranker_for(*, settings_row: SchedulerSettings) -> tuple[Ranker, ModelVersion | None]:
    """The active learned model when trusted and loadable, else the rules."""
    weights = settings_row.weights()
    version = active_model_version(settings_row=settings_row)
    if version is None:
        return RulesRanker(weights), None
    path = version.artifact_file
    try:
        stamp = path.stat().st_mtime
    except OSError:
        stamp = None
    key = (version.pk, str(path), stamp, tuple(sorted(weights.items())))
    ranker = _ranker_cache.get(key)
    if ranker is None:
        if stamp is None:
            logger.warning("Model artifact %s missing; falling back to rules.", path)
            ranker = RulesRanker(weights)
        else:
            ranker = load_ranker(path, weights=weights, version=f"v{version.version}")
        _ranker_cache.clear()
        _ranker_cache[key] = ranker
    return ranker, (None if isinstance(ranker, RulesRanker) else version)


def _validate_window(*, start: datetime, end: datetime, limit: int, now: datetime) -> datetime:
    """Check the shape of the request (the booking rules are asked later, of the snapshot);
    returns the effective window start (not before now)."""
    errors: dict[str, str] = {}
    if not 1 <= limit <= MAX_LIMIT:
        errors["limit"] = f"Give a limit from 1 to {MAX_LIMIT}."
    if timezone.is_naive(start) or timezone.is_naive(end):
        errors["start"] = "Give times with a time zone offset."
    elif end <= start:
        errors["end"] = "The end must be after the start."
    elif end <= now or start < now - timedelta(days=1):
        errors["start"] = "The window is in the past."
    elif end - start > MAX_WINDOW:
        errors["end"] = f"Ask for at most {MAX_WINDOW.days} days at once."
    if errors:
        raise ValidationError(errors)
    return max(start, now)


def _raise_refusal(refused: rules.Refusal | None) -> None:
    if refused is not None:
        raise ValidationError({refused.field: refused.message})


def recommendation_for_client(
    *,
    client: User,
    service: Service,
    start: datetime,
    end: datetime,
    provider: Provider | None = None,
    urgency: str = Urgency.ROUTINE,
    limit: int = 5,
    now: datetime | None = None,
    ranker: Ranker | None = None,
    rng: np.random.Generator | None = None,
    moving: Appointment | None = None,
) -> Recommendation:
    """Rank the bookable slots for `client` and log what was shown (one transaction).

    `ranker` overrides the configured one and turns exploration off (the evaluation compares
    policies with it); `rng` drives exploration (seeded by the simulator).
    """
    now = now or timezone.now()
    policy = BookingPolicy.load()
    start = _validate_window(start=start, end=end, limit=limit, now=now)
    _raise_refusal(rules.urgency_refusal(service_facts(service), urgency, Urgency.values))
    settings_row = SchedulerSettings.load()
    inputs = recommendation_inputs(
        client=client,
        service=service,
        start=start,
        end=end,
        now=now,
        provider=provider,
        urgency=urgency,
        policy=policy,
        settings_row=settings_row,
        moving=moving,
    )
    _raise_refusal(
        rules.subject_refusal(
            inputs.snapshot, service.pk, provider.pk if provider is not None else None
        )
        or rules.window_refusal(inputs.snapshot, Interval(start, end))
    )
    version, explored = None, False
    if ranker is None:
        ranker, version = ranker_for(settings_row=settings_row)
        rng = rng or np.random.default_rng()
        if settings_row.exploration_noise > 0 and rng.random() < settings_row.exploration_share:
            ranker = ExploringRanker(ranker, noise=settings_row.exploration_noise, rng=rng)
            explored = True
    weights = settings_row.weights()
    slots = recommend(
        inputs.candidates, inputs.context, weights=weights, ranker=ranker, limit=limit
    )
    with transaction.atomic():
        log = RecommendationLog.objects.create(
            client=client,
            service=service,
            provider=provider,
            urgency=urgency,
            window_start=start,
            window_end=end,
            limit=limit,
            candidate_count=len(inputs.candidates),
            ranker=ranker.version,
            model_version=version,
            explored=explored,
            created_at=now,
        )
        RecommendationItem.objects.bulk_create(
            [
                RecommendationItem(
                    log=log,
                    rank=slot.rank,
                    provider_id=slot.candidate.provider_id,
                    service=service,
                    start=slot.candidate.start,
                    end=slot.candidate.end,
                    score=slot.score,
                    features=slot.features,
                    reasons=list(slot.reasons),
                )
                for slot in slots
            ]
        )
    return Recommendation(
        log=log, slots=slots, providers=inputs.providers, snapshot=inputs.snapshot
    )


def recommendation_pick_record(*, appointment: Appointment, context: dict[str, Any]) -> None:
    """Booking hook (inside the booking transaction): when the booking names the
    recommendation it came from, check it and record the pick; raising rolls the booking back.
    """
    raw = context.get("recommendation_id")
    if raw in (None, ""):
        return
    unknown = ValidationError({"recommendation_id": "Unknown recommendation."})
    try:
        log_id = raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw))
    except ValueError:
        raise unknown from None
    log = (
        RecommendationLog.objects.select_for_update()
        .filter(pk=log_id, client_id=appointment.client_id)
        .first()
    )
    if log is None:
        raise unknown
    if log.picked_appointment_id not in (None, appointment.pk):
        raise ValidationError({"recommendation_id": "This recommendation was already used."})
    item = log.items.filter(
        provider_id=appointment.provider_id,
        service_id=appointment.service_id,
        start=appointment.start,
    ).first()
    if item is None:
        raise ValidationError(
            {"recommendation_id": "The booked slot was not one of this recommendation's slots."}
        )
    log.picked_item = item
    log.picked_appointment = appointment
    log.picked_at = timezone.now()
    log.save(update_fields=["picked_item", "picked_appointment", "picked_at"])
    if appointment.source != AppointmentSource.RECOMMENDATION:
        Appointment.objects.filter(pk=appointment.pk).update(
            source=AppointmentSource.RECOMMENDATION
        )
        appointment.source = AppointmentSource.RECOMMENDATION


def model_version_activate(*, version: ModelVersion, note: str = "") -> ModelVersion:
    """Make `version` the one that re-ranks (staff activation or roll back)."""
    version_activate(version, note=note)
    ranker_cache_clear()
    return version


def model_version_rollback(*, note: str = "") -> ModelVersion | None:
    """Reactivate the newest promoted version older than the active one; with none,
    deactivate the active one (back to the rules)."""
    version = version_rollback(ModelVersion, note=note)
    ranker_cache_clear()
    return version


@transaction.atomic
def provider_preferences_set(
    *, client: User, preferred: list[Provider], avoided: list[Provider]
) -> None:
    """Replace the client's provider wishes. A provider cannot be both. (A preferred provider
    scores as the usual one whatever the history, so the history's days and hours keep their
    weight: only a change of those wishes is stamped, by the profile service.)"""
    both = {p.pk for p in preferred} & {p.pk for p in avoided}
    if both:
        raise ValidationError(
            {"avoided_providers": "A provider cannot be both preferred and avoided."}
        )
    wanted = {p.pk: ProviderWish.PREFER for p in preferred} | {
        p.pk: ProviderWish.AVOID for p in avoided
    }
    # The client's own row is the lock: two saves at once (even the first, with no wishes
    # yet to lock) go one after the other instead of colliding on the unique pair.
    list(User.objects.select_for_update().filter(pk=client.pk).values_list("pk", flat=True))
    current = dict(
        ClientProviderPreference.objects.filter(client=client).values_list("provider_id", "wish")
    )
    if current == wanted:
        return
    ClientProviderPreference.objects.filter(client=client).delete()
    ClientProviderPreference.objects.bulk_create(
        ClientProviderPreference(client=client, provider_id=pk, wish=wish)
        for pk, wish in wanted.items()
    )
