import logging
import subprocess
import sys
from datetime import timedelta

import numpy as np
from sklearn.linear_model import LogisticRegression

from recommendations.engine import (
    CLIENT_FEATURES,
    DEFAULT_WEIGHTS,
    FEATURE_NAMES,
    ClientHistory,
    PastAppointment,
    RulesRanker,
    SklearnRanker,
    TimeRange,
    load_ranker,
    recommend,
    save_artifact,
    score_candidates,
)
from recommendations.tests.engine_helpers import NOW, at, context, provider_context, slot


def tuesday_morning_client(provider_id: int = 1) -> ClientHistory:
    return ClientHistory(
        appointments=tuple(
            PastAppointment(
                weekday=1,
                local_hour=10.0,
                provider_id=provider_id,
                lead_time_days=6,
                booked_at=NOW - timedelta(days=20 * i),
            )
            for i in range(1, 5)
        )
    )


def test_engine_imports_no_django():
    code = (
        "import sys; import recommendations.engine, recommendations.engine.features, "
        "recommendations.engine.scoring; "
        "print(any(m == 'django' or m.startswith('django.') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_rules_rank_the_usual_tuesday_morning_first_with_a_reason():
    ctx = context(history=tuesday_morning_client())
    candidates = [slot(0, 15), slot(1, 10), slot(3, 15)]  # Mon 15:00, Tue 10:00, Thu 15:00
    top = recommend(candidates, ctx, weights=DEFAULT_WEIGHTS, limit=3)
    assert top[0].candidate == candidates[1]
    assert top[0].rank == 1
    assert "matches your usual Tuesday mornings" in top[0].reasons
    assert [r.rank for r in top] == [1, 2, 3]
    assert top[0].score > top[1].score


def test_weights_change_the_ranking():
    ctx = context(history=tuesday_morning_client())
    candidates = [slot(0, 15), slot(1, 10)]
    preference_first = recommend(candidates, ctx, weights=DEFAULT_WEIGHTS, limit=1)
    assert preference_first[0].candidate == candidates[1]
    soonest_first = dict.fromkeys(FEATURE_NAMES, 0.0) | {"soonness": 5.0}
    assert recommend(candidates, ctx, weights=soonest_first, limit=1)[0].candidate == candidates[0]


def test_score_is_the_weighted_sum_of_the_features():
    ctx = context()
    (result,) = recommend([slot(1, 10)], ctx, weights=DEFAULT_WEIGHTS, limit=1)
    expected = sum(DEFAULT_WEIGHTS[name] * value for name, value in result.features.items())
    assert abs(result.score - expected) < 1e-3


def test_urgent_request_ranks_the_earliest_first_and_says_so():
    ctx = context(urgency="urgent", history=tuesday_morning_client())
    candidates = [slot(0, 11), slot(1, 10), slot(2, 10)]
    top = recommend(candidates, ctx, weights=DEFAULT_WEIGHTS, limit=3)
    assert top[0].candidate == candidates[0]
    assert "earliest for an urgent need" in top[0].reasons


def test_urgent_request_only_uses_the_urgent_window():
    ctx = context(urgency="urgent")
    top = recommend([slot(0, 11), slot(5, 10)], ctx, weights=DEFAULT_WEIGHTS, limit=5)
    assert [r.candidate.start for r in top] == [at(0, 11)]


def test_reason_names_the_time_no_gap_is_left_before():
    ctx = context(
        providers=[
            provider_context(
                1,
                working=(TimeRange(at(2, 9), at(2, 17)),),
                busy=(TimeRange(at(2, 11), at(2, 12)),),
            )
        ]
    )
    (result,) = recommend([slot(2, 10, 30)], ctx, weights=DEFAULT_WEIGHTS, limit=1)
    assert "fills the free time right up to 11:00" in result.reasons


def test_reason_names_the_providers_least_busy_day():
    tuesday, wednesday = at(1, 9).date(), at(2, 9).date()
    ctx = context(
        providers=[provider_context(1, name="Dr. Ncube", day_load={tuesday: 0.8, wednesday: 0.1})]
    )
    top = recommend([slot(1, 14), slot(2, 14)], ctx, weights=DEFAULT_WEIGHTS, limit=2)
    wednesday_result = next(r for r in top if r.candidate.start == at(2, 14))
    assert "a quieter day for Dr. Ncube" in wednesday_result.reasons
    assert top[0].candidate.start == at(2, 14)


def test_every_result_has_at_most_three_reasons():
    ctx = context(history=tuesday_morning_client())
    top = recommend(
        [slot(d, h) for d in range(5) for h in (9, 12, 15)], ctx, weights=DEFAULT_WEIGHTS, limit=10
    )
    assert all(1 <= len(r.reasons) <= 3 for r in top)


def _trained_model():
    rng = np.random.default_rng(0)
    x = rng.random((200, len(CLIENT_FEATURES)))
    y = (x[:, 0] + rng.normal(0, 0.1, 200) > 0.5).astype(int)
    return LogisticRegression().fit(x, y)


def test_learned_ranker_loads_from_a_joblib_artifact(tmp_path):
    path = tmp_path / "model.joblib"
    save_artifact(_trained_model(), path)
    ranker = load_ranker(path, weights=DEFAULT_WEIGHTS, version="v1")
    assert isinstance(ranker, SklearnRanker)
    assert ranker.version == "v1"
    high_weekday = np.zeros((1, len(FEATURE_NAMES)))
    high_weekday[0, FEATURE_NAMES.index("weekday_fit")] = 1.0
    assert ranker.score(high_weekday)[0] > ranker.score(np.zeros((1, len(FEATURE_NAMES))))[0]


def test_broken_artifact_falls_back_to_rules_with_a_warning(tmp_path, caplog):
    path = tmp_path / "model.joblib"
    path.write_bytes(b"not a model")
    with caplog.at_level(logging.WARNING, logger="recommendations.engine.scoring"):
        ranker = load_ranker(path, weights=DEFAULT_WEIGHTS)
    assert isinstance(ranker, RulesRanker)
    assert "falling back to rules" in caplog.text


def test_missing_artifact_falls_back_to_rules(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="recommendations.engine.scoring"):
        ranker = load_ranker(tmp_path / "absent.joblib", weights=DEFAULT_WEIGHTS)
    assert isinstance(ranker, RulesRanker)
    assert "absent.joblib" in caplog.text


def test_a_fresh_install_starts_from_the_engines_cold_start_weights():
    from django.db.migrations.loader import MigrationLoader

    state = MigrationLoader(None, ignore_no_migrations=True).project_state()
    settings_model = state.apps.get_model("recommendations", "SchedulerSettings")
    migrated = {
        name: settings_model._meta.get_field(f"weight_{name}").default for name in FEATURE_NAMES
    }
    assert migrated == DEFAULT_WEIGHTS


def test_an_artifact_written_in_format_1_still_loads(tmp_path):
    import joblib

    path = tmp_path / "model.joblib"
    payload = {"format": 1, "feature_names": list(CLIENT_FEATURES), "model": _trained_model()}
    joblib.dump(payload, path)
    ranker = load_ranker(path, weights=DEFAULT_WEIGHTS)
    assert isinstance(ranker, SklearnRanker)
    assert ranker.version == "learned"


def test_an_artifact_is_saved_into_missing_folders_and_over_an_old_one(tmp_path):
    path = tmp_path / "models" / "v2" / "model.joblib"
    save_artifact(_trained_model(), path)
    save_artifact(_trained_model(), path)
    assert isinstance(load_ranker(path, weights=DEFAULT_WEIGHTS), SklearnRanker)


def test_the_rules_rank_under_the_rules_version():
    scored = score_candidates([slot(1, 10)], context(), RulesRanker(DEFAULT_WEIGHTS))
    assert scored.ranker_version == "rules"
    assert SklearnRanker(_trained_model(), weights=DEFAULT_WEIGHTS).version == "learned"
