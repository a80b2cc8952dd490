from datetime import timedelta

import numpy as np
import pytest
from django.core.management import call_command
from django.utils import timezone

from recommendations.engine import FEATURE_NAMES
from recommendations.models import ModelVersion, RecommendationItem, RecommendationLog
from recommendations.tasks import retrain_recommender
from recommendations.training import recommender_train, time_split, training_frame


@pytest.fixture
def pick_log(db, client_user, service, providers):
    """60 recommendations of 5 slots; the client always picks the slot with the best lead
    time fit, a signal the default rules weigh lightly, so a model can learn to beat them."""
    rng = np.random.default_rng(3)
    start = timezone.now() - timedelta(days=90)
    for index in range(60):
        log = RecommendationLog.objects.create(
            client=client_user,
            service=service,
            window_start=start,
            window_end=start + timedelta(days=14),
            ranker="rules",
            created_at=start + timedelta(days=index),
        )
        values = rng.random((5, len(FEATURE_NAMES)))
        values[:, FEATURE_NAMES.index("short_fragments")] = 0
        items = RecommendationItem.objects.bulk_create(
            RecommendationItem(
                log=log,
                rank=rank,
                provider=providers[0],
                service=service,
                start=start + timedelta(days=index, hours=rank),
                end=start + timedelta(days=index, hours=rank, minutes=30),
                score=0,
                features=dict(zip(FEATURE_NAMES, map(float, row), strict=True)),
            )
            for rank, row in enumerate(values, start=1)
        )
        best = int(np.argmax(values[:, FEATURE_NAMES.index("lead_time_fit")]))
        log.picked_item = items[best]
        log.save()
    return 60


def test_training_frame_has_one_row_per_shown_item(pick_log):
    frame = training_frame()
    assert len(frame) == 5 * pick_log
    assert frame["picked"].sum() == pick_log
    train, test = time_split(frame, 0.25)
    assert train["created_at"].max() < test["created_at"].min()
    assert test["log_id"].nunique() == 15


def test_training_promotes_a_model_that_beats_the_rules(pick_log, artifact_dir):
    result = recommender_train(min_choices=30)
    assert result.promoted
    version = ModelVersion.objects.get()
    assert version.is_active and version.promoted
    assert version.training_size == 45
    assert version.test_size == 15
    assert version.metrics["mrr"] > version.baseline_metrics["mrr"]
    assert version.baseline_metrics["name"] == "rules"
    assert {"hit_at_1", "hit_at_3", "mrr"} <= set(version.metrics)
    assert version.artifact_file.exists()


def test_training_keeps_the_active_model_when_the_new_one_is_no_better(pick_log, artifact_dir):
    first = recommender_train(min_choices=30).version
    second = recommender_train(min_choices=30)
    assert not second.promoted
    assert second.version.version == 2
    assert not second.version.is_active
    assert second.baseline_metrics["name"] == "v1"
    first.refresh_from_db()
    assert first.is_active


def test_training_needs_enough_picks(pick_log, artifact_dir):
    result = recommender_train(min_choices=100)
    assert result.version is None
    assert "Not enough picks" in result.message
    assert not ModelVersion.objects.exists()


def test_retrain_task_and_command_call_the_training_service(pick_log, artifact_dir, capsys):
    outcome = retrain_recommender.delay().get()
    assert outcome["version"] == 1
    assert outcome["promoted"] is True
    call_command("train_recommender", "--min-choices", "30")
    assert "v2 metrics" in capsys.readouterr().out
    assert ModelVersion.objects.count() == 2
