"""The offline evaluation: a generated clinic -> the features -> training -> held-out metrics
(`python manage.py evaluate_no_show`). Pure: no database, the same feature code as production."""

from __future__ import annotations

import time

from attendance.features import feature_frame, training_targets
from attendance.generator import generate_clinic
from attendance.learning import train_and_evaluate


def evaluate(*, seed: int, appointments: int = 20_000) -> dict:
    started = time.perf_counter()
    clinic = generate_clinic(seed=seed, appointments=appointments)
    targets = training_targets(clinic.history)
    features = feature_frame(clinic.history, clinic.reminders, targets)
    evaluation = train_and_evaluate(
        features, targets["missed"].to_numpy(), targets["start"], seed=seed
    )
    model, base = evaluation.metrics, evaluation.base_rate_metrics
    return {
        "seed": seed,
        "appointments": int(len(clinic.history)),
        "train_rows": evaluation.train_rows,
        "test_rows": evaluation.test_rows,
        "model": evaluation.model.kind,
        "auc": model["auc"],
        "pr_auc": model["pr_auc"],
        "brier": model["brier"],
        "ece": model["ece"],
        "base_rate": base["rate"],
        "base_rate_brier": base["brier"],
        "base_rate_auc": base["auc"],
        "validation": evaluation.validation,
        "seconds": round(time.perf_counter() - started, 1),
    }
