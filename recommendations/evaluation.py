"""Offline evaluation: the simulated clinic, end to end through the real services.

1. Build a clinic (providers, services, clients with hidden preferences).
2. History: clients ask for recommendations (rules), pick or walk away, and book through the
   booking service with the recommendation id; the picks are logged.
3. Train a model on that log (the real training service).
4. Held-out requests: rank every bookable slot with each policy and see where the slot the
   client would pick lands (hit@1, hit@3, MRR).
5. A simulated month per policy (rolled back after each): clients book from the top slots
   each policy shows; then utilisation, short idle fragments per provider-day and the share of
   urgent requests served within 48 hours.

`evaluate()` writes to the database: run it inside a transaction that is rolled back (the
`evaluate_recommender` command does).
"""

from __future__ import annotations

import tempfile
import time as clock
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from django.core.cache import cache
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from recommendations.engine import Ranker, RulesRanker, load_ranker, score_candidates
from recommendations.engine.features import free_ranges
from recommendations.models import ModelVersion, SchedulerSettings
from recommendations.selectors import (
    POPULATION_CACHE_KEY,
    provider_contexts,
    recommendation_inputs,
)
from recommendations.simulator import (
    TEMPERATURE,
    PhaseStats,
    SimClinic,
    build_clinic,
    generate_requests,
    run_requests,
)
from recommendations.training import recommender_train
from scheduling.models import Appointment, AppointmentStatus, BookingPolicy

POLICIES = ("earliest", "random", "rules", "learned")


@dataclass
class EvaluationConfig:
    seed: int = 7
    providers: int = 4
    clients: int = 80
    history_days: int = 42
    history_requests: int = 800
    heldout_requests: int = 300
    month_days: int = 21
    month_requests: int = 320
    window_days: int = 14
    shown: int = 5


class EarliestRanker:
    """Earliest first (what other booking products do): equal scores, ties by start."""

    version = "earliest"

    def score(self, features: np.ndarray) -> np.ndarray:
        return np.zeros(len(features))


class RandomRanker:
    version = "random"

    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)

    def score(self, features: np.ndarray) -> np.ndarray:
        return self.rng.random(len(features))


def _start_of_simulation(now: datetime) -> datetime:
    """The Monday 00:00 UTC at least two days from now (simulated time lies in the future,
    so the real booking service accepts every simulated booking)."""
    day = (now + timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0)
    return day + timedelta(days=(7 - day.weekday()) % 7)


def ranking_quality(
    *, clinic: SimClinic, rankers: dict[str, Ranker], start: datetime, config: EvaluationConfig
) -> dict[str, dict[str, float]]:
    """Where each policy ranks the slot the client would pick among all bookable slots:
    hit@1, hit@3 and MRR, as expectations over the client's choice probabilities."""
    rng = np.random.default_rng(config.seed + 1)
    requests = generate_requests(
        rng=rng,
        clinic=clinic,
        start=start,
        end=start + timedelta(days=7),
        count=config.heldout_requests,
    )
    expected: dict[str, list[tuple[float, float, float]]] = {name: [] for name in rankers}
    weights = SchedulerSettings.load().weights()
    for request in requests:
        inputs = recommendation_inputs(
            client=clinic.users[request.client_index],
            service=clinic.services[request.service_index],
            start=request.at,
            end=request.at + timedelta(days=config.window_days),
            now=request.at,
            urgency=request.urgency,
        )
        scored = score_candidates(inputs.candidates, inputs.context, RulesRanker(weights))
        if not len(scored):
            continue
        client = clinic.clients[request.client_index]
        utilities = client.utility(scored.columns, now=request.at, urgency=request.urgency)
        # The client's choice probabilities over every slot (multinomial logit): the metrics
        # are their expectations, the same figures as sampling picks but with less noise.
        weights_choice = np.exp((utilities - utilities.max()) / TEMPERATURE)
        probability = weights_choice / weights_choice.sum()
        for name, ranker in rankers.items():
            scored.scores = np.asarray(ranker.score(scored.features), dtype=float)
            ranks = np.empty(len(scored), dtype=float)
            ranks[scored.order()] = np.arange(1, len(scored) + 1)
            expected[name].append(
                (
                    float(probability[ranks <= 1].sum()),
                    float(probability[ranks <= 3].sum()),
                    float((probability / ranks).sum()),
                )
            )
    result = {}
    for name, rows in expected.items():
        values = np.array(rows or [(0.0, 0.0, 0.0)])
        result[name] = {
            "hit_at_1": round(float(values[:, 0].mean()), 4),
            "hit_at_3": round(float(values[:, 1].mean()), 4),
            "mrr": round(float(values[:, 2].mean()), 4),
        }
    return result


def schedule_quality(
    *, clinic: SimClinic, start: datetime, end: datetime, shortest_minutes: int
) -> dict[str, float]:
    """Utilisation of working time and idle fragments too short for any service."""
    contexts = provider_contexts(
        providers=clinic.providers, service=clinic.services[0], start=start, end=end, now=end
    )
    shortest = timedelta(minutes=shortest_minutes)
    worked = booked = 0.0
    fragments = provider_days = 0
    for context in contexts.values():
        working = [w for w in context.working if w.start >= start and w.end <= end]
        days = {w.start.astimezone(UTC).date() for w in working}
        provider_days += len(days)
        restricted = type(context)(
            provider_id=context.provider_id,
            name=context.name,
            busy=context.busy,
            working=tuple(working),
        )
        for piece in free_ranges(restricted):
            if piece.end - piece.start < shortest:
                fragments += 1
        for w in working:
            worked += (w.end - w.start).total_seconds()
            for b in context.busy:
                overlap = (min(w.end, b.end) - max(w.start, b.start)).total_seconds()
                booked += max(0.0, overlap)
    return {
        "utilisation": round(booked / worked, 4) if worked else 0.0,
        "short_fragments_per_provider_day": round(fragments / provider_days, 4)
        if provider_days
        else 0.0,
    }


def simulated_month(
    *,
    clinic: SimClinic,
    rankers: dict[str, Ranker],
    start: datetime,
    config: EvaluationConfig,
) -> dict[str, dict[str, float]]:
    rng = np.random.default_rng(config.seed + 2)
    end = start + timedelta(days=config.month_days)
    requests = generate_requests(
        rng=rng, clinic=clinic, start=start, end=end, count=config.month_requests
    )
    shortest = min(s.duration_minutes for s in clinic.services)
    result = {}
    for name, ranker in rankers.items():
        with transaction.atomic():
            stats = run_requests(
                clinic=clinic,
                requests=requests,
                ranker_for_request=lambda _request, ranker=ranker: ranker,
                window_days=config.window_days,
                limit=config.shown,
            )
            quality = schedule_quality(
                clinic=clinic, start=start, end=end, shortest_minutes=shortest
            )
            transaction.set_rollback(True)
        result[name] = {
            **quality,
            "urgent_within_48h": round(stats.urgent_within_48h / stats.urgent, 4)
            if stats.urgent
            else 0.0,
            "booked": stats.booked,
            "walked_away": stats.walked_away,
        }
    return result


def _mark_past(stats: PhaseStats, before: datetime, rng: np.random.Generator) -> None:
    """History becomes history: most past appointments completed, a few no-shows."""
    past = list(
        Appointment.objects.filter(pk__in=stats.appointment_ids, start__lt=before).values_list(
            "pk", flat=True
        )
    )
    no_show = {pk for pk in past if rng.random() < 0.05}
    Appointment.objects.filter(pk__in=no_show).update(status=AppointmentStatus.NO_SHOW)
    Appointment.objects.filter(pk__in=set(past) - no_show).update(
        status=AppointmentStatus.COMPLETED
    )


def evaluate(config: EvaluationConfig | None = None) -> dict:
    """Run the whole evaluation (writes: wrap in a rolled-back transaction)."""
    config = config or EvaluationConfig()
    started = clock.perf_counter()
    rng = np.random.default_rng(config.seed)
    cache.delete(POPULATION_CACHE_KEY)
    BookingPolicy.objects.update_or_create(pk=1, defaults={"horizon_days": 366})
    SchedulerSettings.objects.filter(pk=1).delete()  # the default settings, reproducibly
    weights = SchedulerSettings.load().weights()
    ModelVersion.objects.update(is_active=False)  # history is logged by the rules

    clinic = build_clinic(rng=rng, provider_count=config.providers, client_count=config.clients)
    sim_start = _start_of_simulation(timezone.now())
    history_end = sim_start + timedelta(days=config.history_days)
    history = run_requests(
        clinic=clinic,
        requests=generate_requests(
            rng=rng,
            clinic=clinic,
            start=sim_start,
            end=history_end,
            count=config.history_requests,
        ),
        ranker_for_request=None,  # live traffic: the configured ranker, with exploration
        window_days=config.window_days,
        limit=config.shown,
    )
    _mark_past(history, history_end, rng)

    with (
        tempfile.TemporaryDirectory() as artifacts,
        override_settings(MODEL_ARTIFACT_DIR=Path(artifacts)),
    ):
        training = recommender_train(min_choices=20, since=sim_start)
        learned: Ranker = RulesRanker(weights)
        if training.version is not None:
            learned = load_ranker(training.version.artifact_file, weights=weights)
        rankers: dict[str, Ranker] = {
            "earliest": EarliestRanker(),
            "random": RandomRanker(config.seed + 3),
            "rules": RulesRanker(weights),
            "learned": learned,
        }
        ranking = ranking_quality(clinic=clinic, rankers=rankers, start=history_end, config=config)
        month = simulated_month(clinic=clinic, rankers=rankers, start=history_end, config=config)

    policies = {name: {**ranking[name], **month[name]} for name in POLICIES}
    return {
        "policies": policies,
        "training": {
            "message": training.message,
            "metrics": training.metrics,
            "coefficients": training.version.metrics.get("coefficients")
            if training.version
            else None,
            "baseline": training.baseline_metrics,
        },
        "history": {
            "requests": history.requests,
            "booked": history.booked,
            "walked_away": history.walked_away,
            "refused": history.refused,
        },
        "config": asdict(config),
        "seconds": round(clock.perf_counter() - started, 1),
    }
