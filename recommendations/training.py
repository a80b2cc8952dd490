"""Training: the log of shown-versus-picked slots -> a scikit-learn model version.

`recommender_train()` builds the data set with pandas, splits it by time (the newest picks are
held out), fits, evaluates hit@1, hit@3 and MRR on the held-out picks, stores a
`ModelVersion` and promotes it only if it beats the active model (or the rules when none).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from recommendations.engine import (
    CLIENT_FEATURES,
    FEATURE_NAMES,
    Ranker,
    RulesRanker,
    SklearnRanker,
    load_ranker,
    save_artifact,
)
from recommendations.models import ModelVersion, RecommendationItem, SchedulerSettings
from recommendations.services import ranker_cache_clear

logger = logging.getLogger(__name__)

MIN_CHOICES_TO_TRAIN = 30
TEST_SHARE = 0.25
PROMOTION_MARGIN = 0.005  # MRR points the new model must gain to replace the old


def training_frame(*, since: datetime | None = None) -> pd.DataFrame:
    """One row per shown item of every recommendation (made `since`) that led to a booking."""
    items = RecommendationItem.objects.filter(log__picked_item__isnull=False)
    if since is not None:
        items = items.filter(log__created_at__gte=since)
    rows = items.values_list(
        "log_id", "log__created_at", "rank", "pk", "log__picked_item_id", "features"
    )
    records = []
    for log_id, created_at, rank, item_id, picked_id, features in rows.iterator(chunk_size=2000):
        record: dict[str, Any] = {
            "log_id": str(log_id),
            "created_at": created_at,
            "rank": rank,
            "picked": int(item_id == picked_id),
        }
        for name in FEATURE_NAMES:
            record[name] = float((features or {}).get(name, 0.0))
        records.append(record)
    columns = ["log_id", "created_at", "rank", "picked", *FEATURE_NAMES]
    return pd.DataFrame.from_records(records, columns=columns)


def time_split(frame: pd.DataFrame, test_share: float = TEST_SHARE):
    """Train on the older choices, test on the newest `test_share` of them."""
    logs = frame.groupby("log_id")["created_at"].first().sort_values(kind="stable")
    cut = int(round(len(logs) * (1 - test_share)))
    train_ids = set(logs.index[:cut])
    in_train = frame["log_id"].isin(train_ids)
    return frame[in_train], frame[~in_train]


def pairwise_differences(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """For each recommendation, (picked - other) labelled 1 and (other - picked) labelled 0:
    the model learns what made the client prefer the pick over what else they were shown."""
    columns = list(CLIENT_FEATURES)
    rows, labels = [], []
    for _, group in frame.groupby("log_id", sort=False):
        values = group[columns].to_numpy()
        picked = group["picked"].to_numpy().astype(bool)
        if picked.sum() != 1 or len(group) < 2:
            continue
        differences = values[picked] - values[~picked]
        rows.extend([differences, -differences])
        labels.extend([np.ones(len(differences)), np.zeros(len(differences))])
    if not rows:
        return np.zeros((0, len(columns))), np.zeros(0)
    return np.vstack(rows), np.concatenate(labels)


def fit_model(train: pd.DataFrame) -> Pipeline:
    """Pairwise logistic regression (a linear utility, as in a conditional logit). Without an
    intercept or centring, its decision function on a slot's own features orders slots the way
    the learned utility does."""
    x, y = pairwise_differences(train)
    model = make_pipeline(
        StandardScaler(with_mean=False), LogisticRegression(C=1.0, fit_intercept=False)
    )
    model.fit(x, y)
    return model


def ranking_metrics(frame: pd.DataFrame, ranker: Ranker) -> dict[str, float]:
    """hit@1, hit@3 and mean reciprocal rank of the picked item when `ranker` reorders each
    recommendation's shown items (ties broken by the original rank)."""
    if frame.empty:
        return {"hit_at_1": 0.0, "hit_at_3": 0.0, "mrr": 0.0, "choices": 0}
    scores = ranker.score(frame[list(FEATURE_NAMES)].to_numpy())
    scored = frame.assign(score=scores)
    ranks = []
    for _, group in scored.groupby("log_id", sort=False):
        ordered = group.sort_values(["score", "rank"], ascending=[False, True], kind="stable")
        position = int(np.flatnonzero(ordered["picked"].to_numpy())[0]) + 1
        ranks.append(position)
    ranks_array = np.array(ranks)
    return {
        "hit_at_1": round(float((ranks_array <= 1).mean()), 4),
        "hit_at_3": round(float((ranks_array <= 3).mean()), 4),
        "mrr": round(float((1 / ranks_array).mean()), 4),
        "choices": len(ranks),
    }


@dataclass
class TrainingResult:
    version: ModelVersion | None
    promoted: bool
    message: str
    metrics: dict[str, float] = field(default_factory=dict)
    baseline_metrics: dict[str, float] = field(default_factory=dict)


def _baseline(weights: dict[str, float]) -> tuple[Ranker, str]:
    active = ModelVersion.objects.filter(is_active=True).first()
    if active is not None and active.artifact_file.exists():
        ranker = load_ranker(active.artifact_file, weights=weights, version=str(active))
        if not isinstance(ranker, RulesRanker):
            return ranker, f"v{active.version}"
    return RulesRanker(weights), "rules"


def recommender_train(
    *,
    min_choices: int = MIN_CHOICES_TO_TRAIN,
    test_share: float = TEST_SHARE,
    since: datetime | None = None,
) -> TrainingResult:
    """Fit a model on the pick log, store it as a new version, promote it if it is better."""
    frame = training_frame(since=since)
    choices = frame["log_id"].nunique() if not frame.empty else 0
    if choices < min_choices:
        return TrainingResult(None, False, f"Not enough picks to train ({choices}/{min_choices}).")
    train, test = time_split(frame, test_share)
    if pairwise_differences(train)[0].shape[0] < 2 or test.empty:
        return TrainingResult(None, False, "Not enough variety in the picks to train.")
    weights = SchedulerSettings.load().weights()
    model = fit_model(train)
    candidate = SklearnRanker(model, weights=weights)
    metrics = ranking_metrics(test, candidate)
    baseline, baseline_name = _baseline(weights)
    baseline_metrics = {**ranking_metrics(test, baseline), "name": baseline_name}
    promoted = metrics["mrr"] > baseline_metrics["mrr"] + PROMOTION_MARGIN

    with transaction.atomic():
        number = (ModelVersion.objects.aggregate(n=Max("version"))["n"] or 0) + 1
        relative = f"recommender-v{number}.joblib"
        save_artifact(model, settings.MODEL_ARTIFACT_DIR / relative)
        if promoted:
            ModelVersion.objects.filter(is_active=True).update(is_active=False)
        coefficients = dict(zip(CLIENT_FEATURES, model[-1].coef_[0].round(4).tolist(), strict=True))
        version = ModelVersion.objects.create(
            version=number,
            created_at=timezone.now(),
            artifact_path=relative,
            metrics={**metrics, "coefficients": coefficients},
            baseline_metrics=baseline_metrics,
            training_size=int(train["log_id"].nunique()),
            test_size=int(test["log_id"].nunique()),
            is_active=promoted,
            promoted=promoted,
            notes=(
                f"Beat {baseline_name}: MRR {metrics['mrr']} vs {baseline_metrics['mrr']}."
                if promoted
                else f"Kept {baseline_name}: MRR {metrics['mrr']} vs {baseline_metrics['mrr']}."
            ),
        )
    ranker_cache_clear()
    message = version.notes
    logger.info("Trained recommender v%s: %s", number, message)
    return TrainingResult(version, promoted, message, metrics, baseline_metrics)
