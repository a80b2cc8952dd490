"""Changes of attendance's own state: scores, delivered reminders, the active model."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from attendance.features import CATEGORICAL_FEATURES, NUMERIC_FEATURES, feature_frame
from attendance.history import history_for_scoring, reminders_of
from attendance.learning import BaseRates
from attendance.models import NoShowModelVersion, NoShowSettings, ReminderDelivery, RiskScore
from attendance.reasons import BASE_RATE_REASON, reasons
from attendance.training import model_load
from scheduling.models import ACTIVE_STATUSES, Appointment, AppointmentStatus
from smartbook.model_versions import version_activate, version_rollback


def reminder_delivered(appointment_id: int, at: datetime) -> None:
    """Record that a reminder of the appointment reached the client at `at` (called by
    notifications, which sits above attendance). Idempotent for the same instant."""
    with transaction.atomic():
        ReminderDelivery.objects.get_or_create(appointment_id=appointment_id, delivered_at=at)


def base_rates() -> BaseRates:
    """Each service's no-show rate so far (one query): the cold-start estimate."""
    rows = (
        Appointment.objects.filter(
            status__in=[AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW]
        )
        .order_by()
        .values("service_id")
        .annotate(
            missed=Count("pk", filter=Q(status=AppointmentStatus.NO_SHOW)), outcomes=Count("pk")
        )
    )
    return BaseRates.from_counts(
        {str(row["service_id"]): (row["missed"], row["outcomes"]) for row in rows}
    )


@dataclass(frozen=True, slots=True)
class Estimate:
    """A risk score not stored (yet): what `RiskScore` holds, without a model instance per
    appointment (600 of them were a tenth of scoring a day)."""

    appointment_id: int
    probability: float
    level: str
    reasons: list[str]
    model_version: NoShowModelVersion | None
    features: dict
    scored_at: datetime

    @property
    def model_version_id(self) -> int | None:
        return self.model_version.pk if self.model_version is not None else None


def risk_estimates(
    appointment_ids: Iterable[int], *, at: datetime | None = None, statuses=None
) -> list[Estimate]:
    """The estimates for these appointments (those in `statuses`, if given) as at `at`
    (now): the active model's, or the service's base rate without one. A bounded number of
    queries (at most six) whatever the number of appointments."""
    at = at or timezone.now()
    ids = sorted(set(appointment_ids))
    if not ids:
        return []
    thresholds = NoShowSettings.load()
    version = NoShowModelVersion.objects.filter(is_active=True).first()
    model = model_load(version) if version is not None else None
    history = history_for_scoring(ids, statuses=statuses)
    own = history[history["id"].isin(ids)]
    if own.empty:
        return []
    targets = own["id"].astype(int).tolist()
    if model is None:
        rates = base_rates()
        return [
            _estimate(
                pk,
                rates.per_service.get(str(service), rates.overall),
                thresholds,
                at,
                None,
                (BASE_RATE_REASON,),
                {},
            )
            for pk, service in zip(targets, own["service_id"].astype(int), strict=True)
        ]
    frame = pd.DataFrame({"appointment_id": targets, "predict_at": at})
    features = feature_frame(history, reminders_of(targets), frame)
    probabilities, contributions = model.explain(features)
    rows = features.to_dict("records")
    # What is stored of the features: the numbers to 4 places, the categories as they are.
    stored = pd.concat(
        [features[list(NUMERIC_FEATURES)].round(4), features[list(CATEGORICAL_FEATURES)]],
        axis=1,
    ).to_dict("records")
    return [
        _estimate(pk, float(probability), thresholds, at, version, reasons(shares, row), kept)
        for pk, probability, shares, row, kept in zip(
            targets, probabilities, contributions.to_dict("records"), rows, stored, strict=True
        )
    ]


def _estimate(pk, probability, thresholds, at, version, words, features) -> Estimate:
    probability = min(max(probability, 0.0), 1.0)
    return Estimate(
        appointment_id=pk,
        probability=round(probability, 4),
        level=thresholds.level_for(probability),
        reasons=list(words),
        model_version=version,
        features=features,
        scored_at=at,
    )


def risk_scores_update(*, appointment_ids: Iterable[int], at: datetime | None = None) -> int:
    """Score these appointments (those still booked or confirmed) and store the scores."""
    scores = risk_estimates(appointment_ids, at=at, statuses=ACTIVE_STATUSES)
    with transaction.atomic():
        _store(scores)
    return len(scores)


# What a new score replaces of the last one (all of it but the appointment).
_SCORE_COLUMNS = ("probability", "level", "reasons", "model_version_id", "features", "scored_at")
_ROW_FIELDS = ("appointment_id", *(name.removesuffix("_id") for name in _SCORE_COLUMNS))


def _store(scores: list[Estimate]) -> None:
    """Upsert the scores. On PostgreSQL one statement with ONE parameter, the rows as one
    JSON document (`jsonb_to_recordset`), where Django's bulk upsert prepares and quotes
    every value in Python, and so would the driver for arrays of text. Elsewhere Django's
    bulk upsert."""
    if not scores:
        return
    if connection.vendor != "postgresql":
        RiskScore.objects.bulk_create(
            [RiskScore(**{name: getattr(score, name) for name in _ROW_FIELDS}) for score in scores],
            update_conflicts=True,
            unique_fields=["appointment"],
            update_fields=list(_ROW_FIELDS[1:]),
        )
        return
    # pandas writes the document in C, numbers included (twice as fast as json.dumps).
    rows = pd.DataFrame(
        {
            "appointment_id": [score.appointment_id for score in scores],
            "probability": [score.probability for score in scores],
            "level": [score.level for score in scores],
            "reasons": [score.reasons for score in scores],
            "model_version_id": pd.Series(  # ints or None as such, never floats
                [score.model_version_id for score in scores], dtype=object
            ),
            "features": [score.features for score in scores],
            "scored_at": [score.scored_at.isoformat() for score in scores],
        }
    ).to_json(orient="records", double_precision=15)
    table = connection.ops.quote_name(RiskScore._meta.db_table)
    columns = ", ".join(_SCORE_COLUMNS)
    updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in _SCORE_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (appointment_id, {columns}) "
            f"SELECT appointment_id, {columns} FROM jsonb_to_recordset(%s::jsonb) AS rows ("
            "appointment_id bigint, probability double precision, level text, reasons jsonb, "
            "model_version_id bigint, features jsonb, scored_at timestamptz) "
            f"ON CONFLICT (appointment_id) DO UPDATE SET {updates}",
            [rows],
        )


def risk_scores_update_upcoming(*, at: datetime | None = None, batch: int = 2000) -> int:
    """Re-score every booked or confirmed appointment that has not started (daily)."""
    at = at or timezone.now()
    ids = list(
        Appointment.objects.filter(status__in=ACTIVE_STATUSES, start__gt=at)
        .order_by("start")
        .values_list("pk", flat=True)
    )
    return sum(
        risk_scores_update(appointment_ids=ids[i : i + batch], at=at)
        for i in range(0, len(ids), batch)
    )


def no_show_model_activate(*, version: NoShowModelVersion, note: str = "") -> NoShowModelVersion:
    """Make `version` the model that scores (staff activation or roll back)."""
    return version_activate(version, note=note)


def no_show_model_rollback(*, note: str = "") -> NoShowModelVersion | None:
    """Reactivate the newest promoted version older than the active one; with none,
    deactivate the active one (back to the base rate)."""
    return version_rollback(NoShowModelVersion, note=note)
