from datetime import UTC, datetime, timedelta

import pytest

from attendance.models import NoShowModelVersion, NoShowSettings, RiskScore
from attendance.selectors import appointment_risks
from attendance.services import (
    no_show_model_rollback,
    risk_scores_update,
)
from attendance.tests.support import write_small_clinic
from attendance.training import no_show_train
from scheduling.models import AppointmentStatus
from scheduling.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def artifacts(settings, tmp_path):
    settings.MODEL_ARTIFACT_DIR = tmp_path
    return tmp_path


@pytest.fixture
def trained(artifacts):
    # The clock is not frozen while fitting (scikit-learn's worker pools wait on it).
    write_small_clinic(now=NOW)
    return no_show_train(seed=1, at=NOW)


def test_training_refuses_below_min_outcomes(artifacts, time_machine):
    time_machine.move_to(NOW, tick=False)
    for _ in range(3):
        AppointmentFactory(start=NOW - timedelta(days=3), status=AppointmentStatus.NO_SHOW)
    result = no_show_train()
    assert result.version is None
    assert result.message == "Not enough outcomes to train (3/200)."
    assert not NoShowModelVersion.objects.exists()


def test_trained_model_beats_the_base_rate_and_is_promoted(trained, artifacts):
    version = trained.version
    assert trained.promoted and version.is_active and version.version == 1
    base = version.baseline_metrics["base_rate"]
    assert version.metrics["brier"] < base["brier"]
    assert version.metrics["auc"] > 0.7
    assert version.baseline_metrics["active"] is None
    assert version.kind in ("logistic", "boosting")
    assert (artifacts / "no-show-v1.joblib").exists()
    assert version.notes.startswith("Beat the base rate: Brier ")


def test_a_model_no_better_than_the_active_one_is_not_promoted(trained):
    again = no_show_train(seed=1, at=NOW)  # the same data and seed: the same predictions
    assert again.version.version == 2
    assert not again.promoted and not again.version.is_active
    assert again.version.baseline_metrics["active"]["brier"] == again.metrics["brier"]
    assert NoShowModelVersion.objects.get(is_active=True).version == 1
    assert again.message.startswith("Kept v1: Brier ")


def test_rollback_returns_to_the_previous_promoted_version_then_to_the_base_rate(trained):
    second = no_show_train(seed=2, at=NOW).version
    NoShowModelVersion.objects.filter(pk=second.pk).update(promoted=True)
    from attendance.services import no_show_model_activate

    no_show_model_activate(version=NoShowModelVersion.objects.get(pk=second.pk))
    assert no_show_model_rollback().version == 1
    assert NoShowModelVersion.objects.get(is_active=True).version == 1
    assert no_show_model_rollback() is None
    assert not NoShowModelVersion.objects.filter(is_active=True).exists()


def test_cold_start_scores_each_service_at_its_base_rate(time_machine):
    time_machine.move_to(NOW, tick=False)
    past = NOW - timedelta(days=10)
    missed = AppointmentFactory(start=past, status=AppointmentStatus.NO_SHOW)
    for _ in range(3):
        AppointmentFactory(start=past, service=missed.service, status=AppointmentStatus.COMPLETED)
    upcoming = AppointmentFactory(start=NOW + timedelta(days=2), service=missed.service)
    other = AppointmentFactory(start=NOW + timedelta(days=2))
    risks = appointment_risks([upcoming.pk, other.pk])
    overall = (1 + 20 * 0.2) / (4 + 20)  # 1 missed of 4, pulled towards 20%
    assert risks[upcoming.pk].probability == pytest.approx((1 + 20 * overall) / (4 + 20), abs=1e-4)
    assert risks[other.pk].probability == pytest.approx(overall, abs=1e-4)
    assert risks[upcoming.pk].model_version is None
    assert risks[upcoming.pk].level == "medium"
    assert not RiskScore.objects.exists()  # read, not stored


def test_scoring_with_the_model_stores_level_reasons_and_version(trained):
    upcoming = AppointmentFactory(start=NOW + timedelta(days=20))
    assert risk_scores_update(appointment_ids=[upcoming.pk], at=NOW) == 1
    score = RiskScore.objects.get(pk=upcoming.pk)
    assert score.model_version.version == 1
    assert score.level == NoShowSettings.load().level_for(score.probability)
    assert 1 <= len(score.reasons) <= 3
    assert score.features["is_new"] == 1.0
    risk = appointment_risks([upcoming.pk])[upcoming.pk]
    assert risk.model_version == 1 and risk.reasons == tuple(score.reasons)
