"""Reading the no-show risk (the interface other apps code against)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from attendance.models import RiskLevel, RiskScore
from scheduling.models import Appointment, AppointmentStatus


@dataclass(frozen=True)
class Risk:
    probability: float  # 0..1, calibrated
    level: str  # RiskLevel: "low" | "medium" | "high"
    reasons: tuple[str, ...]  # plain words, most important first, at most 3
    model_version: int | None  # None: the cold-start base rate of the service


def _risk_of(score: RiskScore) -> Risk:
    return Risk(
        probability=score.probability,
        level=score.level,
        reasons=tuple(score.reasons[:3]),
        model_version=score.model_version.version if score.model_version_id else None,
    )


def appointment_risks(appointment_ids: Iterable[int]) -> dict[int, Risk]:
    """The risk of each of these appointments: its stored score, or (not scored yet) an
    estimate made now and not stored. Bounded queries, whatever the number of ids; an id of
    no appointment is left out."""
    from attendance.services import risk_estimates  # the estimate is the scoring's own

    ids = set(appointment_ids)
    if not ids:
        return {}
    scores = RiskScore.objects.filter(appointment_id__in=ids).select_related("model_version")
    risks = {score.appointment_id: _risk_of(score) for score in scores}
    missing = ids - risks.keys()
    if missing:
        for score in risk_estimates(missing):
            risks[score.appointment_id] = _risk_of(score)
    return risks


def high_risk_upcoming(*, start: datetime, end: datetime) -> QuerySet[Appointment]:
    """Booked appointments starting in [start, end) whose stored risk level is high."""
    return Appointment.objects.filter(
        status=AppointmentStatus.BOOKED,
        start__gte=start,
        start__lt=end,
        risk_score__level=RiskLevel.HIGH,
    )
