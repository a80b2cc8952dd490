"""Training: the clinic's finished appointments -> a calibrated no-show model version.

`no_show_train()` reads the history (`attendance.history`), builds the features once
(`attendance.features`), splits by time (the newest appointments are held out), fits and
chooses a candidate (`attendance.learning`), evaluates AUC, PR-AUC, Brier score and ECE on
the held-out slice against the active version and against the base rate, stores a
`NoShowModelVersion` and promotes it only when its Brier score beats both.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import joblib
from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from attendance.features import OUTCOMES, feature_frame, training_targets
from attendance.history import history_of_clients, reminders_of
from attendance.learning import NoShowModel, metrics, train_and_evaluate
from attendance.models import NoShowModelVersion, NoShowSettings

logger = logging.getLogger(__name__)

ARTIFACT_FORMAT = "smartbook-no-show-1"
TEST_SHARE = 0.25

_loaded: dict[tuple[str, str], NoShowModel] = {}


def model_save(model: NoShowModel, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump({"format": ARTIFACT_FORMAT, "model": model}, path)


def model_load(version: NoShowModelVersion) -> NoShowModel | None:
    """The version's fitted model (cached per process), or None when its file is missing or
    unusable: a broken artifact falls back to the base rate instead of failing a page."""
    # The file and the row's creation: a version number alone may name another model (a
    # database rebuilt, another artifact folder).
    key = (str(version.artifact_file), version.created_at.isoformat())
    if key not in _loaded:
        try:
            payload = joblib.load(version.artifact_file)
            if not isinstance(payload, dict) or payload.get("format") != ARTIFACT_FORMAT:
                raise ValueError("unknown artifact format")
            _loaded[key] = payload["model"]
        except Exception:  # noqa: BLE001 (any unreadable file: log it, score by base rate)
            logger.warning("No-show model %s cannot be loaded.", version, exc_info=True)
            return None
    return _loaded[key]


@dataclass
class TrainingResult:
    version: NoShowModelVersion | None
    promoted: bool
    message: str
    metrics: dict = field(default_factory=dict)
    baseline_metrics: dict = field(default_factory=dict)


def _better(candidate: dict, other: dict | None) -> bool:
    return other is None or candidate["brier"] < other["brier"]


def no_show_train(*, seed: int = 0, at: datetime | None = None) -> TrainingResult:
    """Fit on the outcomes so far, store the version, promote it if it is better."""
    at = at or timezone.now()
    required = NoShowSettings.load().min_outcomes
    history = history_of_clients()
    ended = history[history["status"].isin(OUTCOMES) & (history["end"] < at)]
    if len(ended) < max(required, 2):
        return TrainingResult(
            None, False, f"Not enough outcomes to train ({len(ended)}/{required})."
        )
    if ended["status"].nunique() < 2:
        return TrainingResult(None, False, "Every outcome is the same: nothing to learn.")
    targets = training_targets(history[history["end"] < at])
    features = feature_frame(history, reminders_of(), targets)
    evaluation = train_and_evaluate(
        features, targets["missed"].to_numpy(), targets["start"], seed=seed, test_share=TEST_SHARE
    )
    active = NoShowModelVersion.objects.filter(is_active=True).first()
    active_model = model_load(active) if active is not None else None
    active_metrics = (
        metrics(evaluation.test_labels, active_model.probabilities(evaluation.test_features))
        if active_model is not None
        else None
    )
    base = evaluation.base_rate_metrics
    candidate = evaluation.metrics
    promoted = _better(candidate, base) and _better(candidate, active_metrics)
    compared = f"v{active.version}" if active_metrics is not None else "the base rate"
    best_other = active_metrics if active_metrics is not None else base
    notes = (
        f"{'Beat' if promoted else 'Kept'} {compared}: Brier {candidate['brier']} vs "
        f"{best_other['brier']} (base rate {base['brier']})."
    )
    with transaction.atomic():
        number = (NoShowModelVersion.objects.aggregate(n=Max("version"))["n"] or 0) + 1
        relative = f"no-show-v{number}.joblib"
        model_save(evaluation.model, settings.MODEL_ARTIFACT_DIR / relative)
        if promoted:
            NoShowModelVersion.objects.filter(is_active=True).update(is_active=False)
        version = NoShowModelVersion.objects.create(
            version=number,
            kind=evaluation.model.kind,
            artifact_path=relative,
            metrics={**candidate, "validation": evaluation.validation},
            baseline_metrics={"active": active_metrics, "base_rate": base},
            training_size=evaluation.train_rows,
            test_size=evaluation.test_rows,
            is_active=promoted,
            promoted=promoted,
            notes=notes,
        )
    logger.info("Trained no-show model v%s: %s", number, notes)
    return TrainingResult(version, promoted, notes, candidate, version.baseline_metrics)
