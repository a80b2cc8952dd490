"""Ranking: a transparent weighted sum at cold start, a learned model once there is data.

Both are `Ranker`s: `score(features_matrix) -> scores`, one row per candidate with the columns
of `FEATURE_NAMES`. Each result carries short human reasons built from its strongest features.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import numpy as np

from recommendations.engine.features import (
    BUSINESS_FEATURES,
    CLIENT_FEATURES,
    FEATURE_NAMES,
    CandidateColumns,
    FeatureContext,
    feature_matrix,
    gaps_left,
    hour_preference_table,
    weekday_preference_table,
)
from recommendations.engine.types import CandidateSlot, ScoredSlot, time_of_day

logger = logging.getLogger(__name__)

DEFAULT_WEIGHTS: dict[str, float] = {
    "weekday_fit": 1.0,
    "time_of_day_fit": 1.0,
    "provider_continuity": 1.0,
    "urgency_fit": 4.0,
    "soonness": 0.5,
    "lead_time_fit": 0.3,
    "specialisation": 0.3,
    "usual_slot": 0.0,
    "wait_days": 0.0,
    "load_balance": 0.4,
    "adjacency": 0.8,
    "short_fragments": -2.0,
}

ARTIFACT_FORMAT = 1
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def weight_vector(weights: Mapping[str, float], names: tuple[str, ...] = FEATURE_NAMES):
    return np.array([float(weights.get(name, 0.0)) for name in names])


class Ranker(Protocol):
    version: str

    def score(self, features: np.ndarray) -> np.ndarray: ...


class RulesRanker:
    """The weighted sum of every feature with the staff-set weights."""

    version = "rules"

    def __init__(self, weights: Mapping[str, float]):
        self.vector = weight_vector(weights)

    def score(self, features: np.ndarray) -> np.ndarray:
        return features @ self.vector


class SklearnRanker:
    """A scikit-learn model's utility of each slot for the client (client features), plus the
    staff-weighted schedule terms (the clinic's interest, which clients don't pick on)."""

    def __init__(
        self,
        model: Any,
        *,
        weights: Mapping[str, float],
        feature_names: tuple[str, ...] = CLIENT_FEATURES,
        version: str = "learned",
    ):
        self.model = model
        self.version = version
        self.columns = [FEATURE_NAMES.index(name) for name in feature_names]
        self.business_columns = [FEATURE_NAMES.index(name) for name in BUSINESS_FEATURES]
        self.business_vector = weight_vector(weights, BUSINESS_FEATURES)

    def score(self, features: np.ndarray) -> np.ndarray:
        if not len(features):
            return np.zeros(0)
        learned = np.asarray(self.model.decision_function(features[:, self.columns]), dtype=float)
        return learned + features[:, self.business_columns] @ self.business_vector


class ExploringRanker:
    """Another ranker's scores plus Gumbel noise: sampling a ranking around the current best
    (Plackett-Luce), so the logged choices teach a model more than the favourites do."""

    def __init__(self, ranker: Ranker, *, noise: float, rng: np.random.Generator):
        self.ranker = ranker
        self.version = ranker.version
        self.noise = noise
        self.rng = rng

    def score(self, features: np.ndarray) -> np.ndarray:
        return self.ranker.score(features) + self.rng.gumbel(0.0, self.noise, len(features))


def save_artifact(model: Any, path: Path, *, feature_names: tuple[str, ...] = CLIENT_FEATURES):
    import joblib

    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"format": ARTIFACT_FORMAT, "feature_names": list(feature_names), "model": model}
    joblib.dump(payload, path)


def load_ranker(
    path: Path | str | None, *, weights: Mapping[str, float], version: str = "learned"
) -> Ranker:
    """The learned ranker from a joblib artifact, or the rules (with a warning) if it is missing
    or unusable: a broken model never fails a request."""
    if not path:
        return RulesRanker(weights)
    try:
        import joblib

        payload = joblib.load(path)
        if not isinstance(payload, dict) or payload.get("format") != ARTIFACT_FORMAT:
            raise ValueError("unknown artifact format")
        ranker = SklearnRanker(
            payload["model"],
            weights=weights,
            feature_names=tuple(payload["feature_names"]),
            version=version,
        )
        # Fail here, not in the middle of a request, if the model can't score our features.
        # no mutate: a probe of two rows fails exactly when one does
        ranker.score(np.zeros((1, len(FEATURE_NAMES))))  # pragma: no mutate
        return ranker
    except Exception as exc:  # any unreadable or incompatible artifact falls back
        logger.warning("Model artifact %s unusable (%s); falling back to rules.", path, exc)
        return RulesRanker(weights)


# --- ranking ----------------------------------------------------------------------------------


def within_urgent_window(
    candidates: list[CandidateSlot], ctx: FeatureContext
) -> list[CandidateSlot]:
    """Urgent requests may only use the next `urgent_window_days` days."""
    request = ctx.request
    if request.urgency != "urgent":
        return candidates
    limit = request.now + timedelta(days=request.urgent_window_days)
    return [c for c in candidates if c.start < limit]


def acceptable(cols: CandidateColumns, ctx: FeatureContext) -> np.ndarray:
    """Which candidates the client's limits allow, in their zone: starting no earlier than
    their earliest time, ending no later than their latest (a time running past midnight
    ends after any), not on a day they avoid, not with a provider they avoid. Whatever
    ranks, nothing else is recommended."""
    wishes = ctx.preferences
    ends = cols.client_hours + (cols.end_ts - cols.start_ts) / 3600.0
    allowed = (cols.client_hours >= wishes.earliest_hour) & (ends <= wishes.latest_hour)
    if wishes.avoided_weekdays:
        allowed &= ~np.isin(cols.client_weekdays, sorted(wishes.avoided_weekdays))
    if wishes.avoided_providers:
        allowed &= ~np.isin(cols.provider_ids, sorted(wishes.avoided_providers))
    return allowed


# An urgent request always shows the soonest bookable time among its first this many.
URGENT_SOONEST_WITHIN = 3


@dataclass
class ScoredCandidates:
    columns: CandidateColumns
    features: np.ndarray
    scores: np.ndarray
    ranker_version: str
    urgent: bool  # the request's urgency is "urgent"

    def order(self, within: int = URGENT_SOONEST_WITHIN) -> np.ndarray:
        """Indices best first; ties go to the earlier slot, then the lower provider id. For
        an urgent request the soonest time is moved up to the `within`th place (three, or
        fewer when fewer are shown) if the ranking put it lower: no ranker can hide it."""
        order = np.lexsort((self.columns.provider_ids, self.columns.start_ts, -self.scores))
        if not self.urgent or not len(order):
            return order
        soonest = np.lexsort((self.columns.provider_ids, self.columns.start_ts))[0]
        place = int(np.flatnonzero(order == soonest)[0])
        if place < within:
            return order
        return np.insert(np.delete(order, place), within - 1, soonest)

    def features_of(self, index: int) -> dict[str, float]:
        """One candidate's features by name."""
        row = self.features[index]
        return {name: float(row[column]) for column, name in enumerate(FEATURE_NAMES)}

    def __len__(self) -> int:
        return len(self.columns)


def score_candidates(
    candidates: list[CandidateSlot], ctx: FeatureContext, ranker: Ranker
) -> ScoredCandidates:
    columns = CandidateColumns.of(
        within_urgent_window(candidates, ctx), ctx.request.client_timezone
    )
    allowed = acceptable(columns, ctx)
    if not allowed.all():
        columns = columns.where(allowed)
    features = feature_matrix(columns, ctx)
    scores = ranker.score(features) if len(columns) else np.zeros(0)
    return ScoredCandidates(
        columns,
        features,
        np.asarray(scores, dtype=float),
        ranker.version,
        urgent=ctx.request.urgency == "urgent",
    )


def recommend(
    candidates: list[CandidateSlot],
    ctx: FeatureContext,
    *,
    weights: Mapping[str, float],
    ranker: Ranker | None = None,
    limit: int = 5,
) -> list[ScoredSlot]:
    """The best `limit` candidates with scores, features and reasons."""
    scored = score_candidates(candidates, ctx, ranker or RulesRanker(weights))
    top = scored.order(within=max(1, min(limit, URGENT_SOONEST_WITHIN)))[:limit]
    reasons = explain(scored, list(top), ctx, weights)
    return [
        ScoredSlot(
            candidate=scored.columns.candidates[i],
            rank=rank,
            score=round(float(scored.scores[i]), 4),
            features={name: round(v, 4) for name, v in scored.features_of(i).items()},
            reasons=reasons[rank - 1],
        )
        for rank, i in enumerate(top, start=1)
    ]


# --- reasons ----------------------------------------------------------------------------------

MAX_REASONS = 3


def explain(
    scored: ScoredCandidates,
    indices: list[int],
    ctx: FeatureContext,
    weights: Mapping[str, float],
) -> list[tuple[str, ...]]:
    """Up to three short reasons per chosen candidate, strongest contribution first.

    Weekdays and clock times are the client's (the pages show the viewer's zone); the provider's
    least busy day and the edges of its working periods are found in the provider's zone."""
    if not indices:
        return []
    cols = scored.columns
    client_zone = ZoneInfo(ctx.request.client_timezone)
    _, weekday_source = weekday_preference_table(ctx)
    _, hour_source = hour_preference_table(ctx)
    subset = CandidateColumns.of([cols.candidates[i] for i in indices], ctx.request.client_timezone)
    gaps = gaps_left(subset, ctx)
    earliest = float(cols.start_ts.min())
    least_busy = {
        pid: min(p.day_load, key=lambda d: (p.day_load[d], d))
        for pid, p in ctx.providers.items()
        if p.day_load and min(p.day_load.values()) < max(p.day_load.values())
    }
    out = []
    for position, i in enumerate(indices):
        f = scored.features_of(i)
        slot = cols.candidates[i]
        provider = ctx.providers.get(slot.provider_id)
        name = provider.name if provider else "This provider"
        client_start = slot.start.astimezone(client_zone)
        weekday = WEEKDAY_NAMES[client_start.weekday()]
        period = time_of_day(client_start.hour)  # its boundaries are whole hours
        options: list[tuple[float, str]] = []

        def offer(strength: float, text: str, options: list = options) -> None:
            options.append((strength, text))

        w = weights.get
        both = min(f["weekday_fit"], f["time_of_day_fit"])
        if (
            f["weekday_fit"] >= 0.75
            and f["time_of_day_fit"] >= 0.5
            and (weekday_source == hour_source != "none")
        ):
            text = {
                "history": f"matches your usual {weekday} {period}s",
                "stated": f"fits your preferred {weekday} {period}s",
                "population": f"a popular {weekday} {period} time",
            }[weekday_source]
            offer((w("weekday_fit", 0) + w("time_of_day_fit", 0)) * both, text)
        else:
            if f["weekday_fit"] >= 0.75 and weekday_source != "none":
                usual = {"history": "your usual", "stated": "your preferred"}.get(weekday_source)
                offer(
                    w("weekday_fit", 0) * f["weekday_fit"],
                    f"on {usual} {weekday}" if usual else f"a popular day ({weekday})",
                )
            if f["time_of_day_fit"] >= 0.75 and hour_source != "none":
                usual = {"history": "as you usually book", "stated": "as you prefer"}.get(
                    hour_source, "a popular time"
                )
                offer(w("time_of_day_fit", 0) * f["time_of_day_fit"], f"in the {period}, {usual}")
        if f["provider_continuity"] >= 0.75:  # a preferred provider scores 1
            why = (
                "as you prefer"
                if slot.provider_id in ctx.preferences.preferred_providers
                else "as usual"
            )
            offer(w("provider_continuity", 0) * f["provider_continuity"], f"with {name}, {why}")
        if ctx.request.urgency == "urgent":
            if slot.start.timestamp() == earliest:
                offer(10.0, "earliest for an urgent need")
            elif f["urgency_fit"] >= 0.5:
                offer(w("urgency_fit", 0) * f["urgency_fit"], "within a day, for an urgent need")
        elif ctx.request.urgency == "soon" and f["urgency_fit"] >= 0.5:
            offer(w("urgency_fit", 0) * f["urgency_fit"], "soon, as you asked")
        if least_busy.get(slot.provider_id) == slot.local_start.date():
            offer(w("load_balance", 0) * f["load_balance"] + 0.1, f"a quieter day for {name}")
        if gaps.after[position] == 0:
            ends = slot.blocked_end.astimezone(client_zone)
            offer(w("adjacency", 0) * 0.6, f"fills the free time right up to {ends:%H:%M}")
        elif gaps.before[position] == 0:
            starts = slot.blocked_start.astimezone(client_zone)
            offer(w("adjacency", 0) * 0.5, f"starts at {starts:%H:%M}, as soon as time is free")
        if f["lead_time_fit"] >= 0.8:
            offer(w("lead_time_fit", 0) * f["lead_time_fit"], "as far ahead as you usually book")
        if f["specialisation"] >= 0.5 and len(ctx.providers) > 1:
            offer(w("specialisation", 0) * f["specialisation"], f"{name} often does this service")
        options.sort(key=lambda item: -item[0])
        fallback = (
            "the earliest free time" if slot.start.timestamp() == earliest else "a good match"
        )
        out.append(tuple(text for _, text in options[:MAX_REASONS]) or (fallback,))
    return out
