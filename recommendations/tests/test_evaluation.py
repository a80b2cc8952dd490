import io
import json
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction

from recommendations.evaluation import POLICIES, EvaluationConfig, evaluate

pytestmark = pytest.mark.slow  # a whole-clinic run; CI runs it

KEYS = {
    "hit_at_1",
    "hit_at_3",
    "mrr",
    "utilisation",
    "short_fragments_per_provider_day",
    "urgent_within_48h",
}
SMALL = EvaluationConfig(
    seed=11, clients=50, history_requests=300, heldout_requests=150, month_requests=40
)


@pytest.fixture(scope="module")
def small_evaluation(django_db_setup, django_db_blocker):
    with (
        time_machine.travel(datetime(2026, 4, 1, 12, 0, tzinfo=UTC), tick=False),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        result = evaluate(SMALL)
        transaction.set_rollback(True)
    return result


def test_learned_model_beats_the_rules_on_simulated_data(small_evaluation):
    rules = small_evaluation["policies"]["rules"]
    learned = small_evaluation["policies"]["learned"]
    assert learned["mrr"] >= rules["mrr"] * 1.1
    assert learned["hit_at_3"] > rules["hit_at_3"]


def test_recommender_finds_the_clients_choice_far_more_often_than_earliest_first(
    small_evaluation,
):
    policies = small_evaluation["policies"]
    assert policies["rules"]["hit_at_3"] >= 2 * max(policies["earliest"]["hit_at_3"], 0.01)
    assert policies["learned"]["hit_at_3"] >= 2 * max(policies["earliest"]["hit_at_3"], 0.01)


def test_history_is_booked_through_the_real_services(small_evaluation):
    history = small_evaluation["history"]
    assert history["booked"] > 200
    assert "Beat rules" in small_evaluation["training"]["message"]


@pytest.mark.django_db
def test_evaluate_command_prints_json_with_every_policy_and_metric(capsys):
    with time_machine.travel(datetime(2026, 4, 1, 12, 0, tzinfo=UTC), tick=False):
        call_command(
            "evaluate_recommender",
            "--json",
            "--seed",
            "3",
            "--clients",
            "12",
            "--history-requests",
            "40",
            "--heldout-requests",
            "10",
            "--month-requests",
            "10",
        )
    result = json.loads(capsys.readouterr().out)
    assert set(result["policies"]) == set(POLICIES)
    for metrics in result["policies"].values():
        assert set(metrics) >= KEYS


@pytest.mark.django_db
def test_evaluate_command_leaves_no_rows_behind():
    from accounts.models import User
    from recommendations.models import RecommendationLog
    from scheduling.models import Appointment

    with time_machine.travel(datetime(2026, 4, 1, 12, 0, tzinfo=UTC), tick=False):
        call_command(
            "evaluate_recommender",
            "--clients",
            "8",
            "--history-requests",
            "20",
            "--heldout-requests",
            "5",
            "--month-requests",
            "5",
            stdout=io.StringIO(),
        )
    assert not Appointment.objects.exists()
    assert not RecommendationLog.objects.exists()
    assert not User.objects.exists()
