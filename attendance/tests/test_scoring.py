"""Scoring: bounded queries, at booking and on a move, daily for what is to come."""

import json
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from attendance.models import RiskScore
from attendance.selectors import appointment_risks
from attendance.services import risk_estimates, risk_scores_update, risk_scores_update_upcoming
from attendance.tests.support import write_small_clinic
from attendance.training import no_show_train
from providers.tests.factories import ProviderFactory, ServiceFactory
from scheduling.models import Appointment, AppointmentStatus
from scheduling.services import appointment_book, appointment_reschedule
from scheduling.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def _model_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("models")


@pytest.fixture
def trained(settings, _model_dir):
    settings.MODEL_ARTIFACT_DIR = _model_dir
    write_small_clinic(now=NOW, appointments=800)
    return no_show_train(seed=1, at=NOW).version


def _upcoming(count: int) -> list[int]:
    clients = list(
        Appointment.objects.values_list("client_id", "provider_id", "service_id").distinct()[:count]
    )
    ids = []
    for number, (client, provider, service) in enumerate(clients):
        start = NOW + timedelta(days=1, minutes=31 * number)
        ids.append(
            AppointmentFactory(
                client_id=client, provider_id=provider, service_id=service, start=start
            ).pk
        )
    return ids


def test_scoring_queries_do_not_grow_with_the_appointments(trained, django_assert_max_num_queries):
    few = _upcoming(40)[:3]
    with django_assert_max_num_queries(8):
        risk_scores_update(appointment_ids=few, at=NOW)
    many = list(Appointment.objects.filter(start__gt=NOW).values_list("pk", flat=True))
    assert len(many) == 40
    with django_assert_max_num_queries(8):
        assert risk_scores_update(appointment_ids=many, at=NOW) == 40
    with django_assert_max_num_queries(8):
        risks = appointment_risks(many)
    assert len(risks) == 40 and all(r.model_version == trained.version for r in risks.values())


def test_a_past_or_cancelled_appointment_is_not_scored(trained):
    (upcoming,) = _upcoming(1)
    Appointment.objects.filter(pk=upcoming).update(status=AppointmentStatus.CANCELLED)
    assert risk_scores_update(appointment_ids=[upcoming], at=NOW) == 0
    assert not RiskScore.objects.filter(pk=upcoming).exists()


def test_booking_and_moving_score_the_appointment(
    client_user, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(datetime(2026, 1, 12, 8, 0, tzinfo=UTC), tick=False)
    service = ServiceFactory(duration_minutes=30)
    provider = ProviderFactory(services=[service])
    with django_capture_on_commit_callbacks(execute=True):
        appointment = appointment_book(
            client=client_user,
            provider=provider,
            service=service,
            start=datetime(2026, 1, 14, 10, 0, tzinfo=UTC),
            actor=client_user,
        )
    first = RiskScore.objects.get(pk=appointment.pk)
    assert first.model_version is None and first.probability == 0.2
    time_machine.move_to(datetime(2026, 1, 12, 9, 0, tzinfo=UTC), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        appointment_reschedule(
            appointment=appointment,
            new_start=datetime(2026, 1, 14, 11, 0, tzinfo=UTC),
            actor=client_user,
        )
    assert RiskScore.objects.get(pk=appointment.pk).scored_at > first.scored_at


def test_the_daily_rescoring_covers_what_is_to_come_only():
    future = AppointmentFactory(start=NOW + timedelta(days=3))
    AppointmentFactory(start=NOW - timedelta(days=3), status=AppointmentStatus.COMPLETED)
    assert risk_scores_update_upcoming(at=NOW) == 1
    assert list(RiskScore.objects.values_list("pk", flat=True)) == [future.pk]


@pytest.mark.slow
def test_evaluate_command_prints_the_metrics_as_json_on_its_last_line():
    out = StringIO()
    call_command("evaluate_no_show", "--json", "--seed", "3", "--appointments", "3000", stdout=out)
    result = json.loads(out.getvalue().strip().splitlines()[-1])
    assert {"auc", "pr_auc", "brier", "ece", "base_rate", "base_rate_brier"} <= result.keys()
    assert result["seed"] == 3
    assert 0.5 < result["auc"] <= 1 and 0 <= result["ece"] <= 1
    assert 0.1 < result["base_rate"] < 0.3
    assert result["brier"] < result["base_rate_brier"]


def test_a_new_score_replaces_every_column_of_the_last(trained):
    (upcoming,) = _upcoming(1)
    RiskScore.objects.create(
        appointment_id=upcoming,
        probability=0.99,
        level="high",
        reasons=["stale"],
        model_version=None,
        features={"old": 1},
        scored_at=NOW - timedelta(days=3),
    )
    assert risk_scores_update(appointment_ids=[upcoming], at=NOW) == 1
    stored = RiskScore.objects.get(pk=upcoming)
    (fresh,) = risk_estimates([upcoming], at=NOW)
    assert (stored.probability, stored.level, stored.scored_at) == (
        fresh.probability,
        fresh.level,
        NOW,
    )
    assert stored.model_version_id == trained.pk
    assert stored.reasons == fresh.reasons and stored.reasons != ["stale"]
    assert (
        stored.features == json.loads(json.dumps(fresh.features)) and "old" not in stored.features
    )
