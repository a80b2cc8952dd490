"""The reasons of recommendations/engine/scoring.py where their strengths compete, and the
messages an operator reads when a model artifact is refused (no database).

Monday 2 March 2026 07:00 UTC is "now"; London is on GMT, the client's zone is UTC.
"""

import logging

import joblib

from recommendations.engine import (
    CLIENT_FEATURES,
    DEFAULT_WEIGHTS,
    PopulationPatterns,
    RulesRanker,
    StatedPreferences,
    TimeRange,
    load_ranker,
    recommend,
)
from recommendations.tests.engine_helpers import at, context, provider_context, slot
from recommendations.tests.test_scoring_terms import history, reasons_of

TUESDAY = 1


# --- refused artifacts ----------------------------------------------------------------------


def _warnings(caplog):
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_an_artifact_of_another_format_is_refused_in_one_plain_warning(tmp_path, caplog):
    path = tmp_path / "model.joblib"
    joblib.dump({"format": 99, "feature_names": list(CLIENT_FEATURES), "model": None}, path)
    with caplog.at_level(logging.WARNING, logger="recommendations.engine.scoring"):
        assert isinstance(load_ranker(path, weights=DEFAULT_WEIGHTS), RulesRanker)
    assert _warnings(caplog) == [
        f"Model artifact {path} unusable (unknown artifact format); falling back to rules."
    ]


def test_an_artifact_that_is_not_a_payload_is_refused_as_of_unknown_format(tmp_path, caplog):
    path = tmp_path / "model.joblib"
    joblib.dump(["format", 1], path)
    with caplog.at_level(logging.WARNING, logger="recommendations.engine.scoring"):
        assert isinstance(load_ranker(path, weights=DEFAULT_WEIGHTS), RulesRanker)
    assert _warnings(caplog) == [
        f"Model artifact {path} unusable (unknown artifact format); falling back to rules."
    ]


# --- which reason is strongest ----------------------------------------------------------------


def test_the_earliest_urgent_slot_says_so_with_a_strength_of_ten():
    ctx = context(urgency="urgent", history=history(provider_id=1))
    earliest = slot(0, 10)
    below = {**DEFAULT_WEIGHTS, "provider_continuity": 9.5}
    assert reasons_of([earliest, slot(1, 10)], ctx, below)[earliest][:2] == (
        "earliest for an urgent need",
        "with Dr. 1, as usual",
    )
    above = {**DEFAULT_WEIGHTS, "provider_continuity": 10.5}
    assert reasons_of([earliest, slot(1, 10)], ctx, above)[earliest][:2] == (
        "with Dr. 1, as usual",
        "earliest for an urgent need",
    )


def test_a_stated_day_and_a_popular_time_are_two_reasons_not_one():
    ctx = context(
        preferences=StatedPreferences(weekdays=frozenset({TUESDAY})),
        population=PopulationPatterns(time_of_day_share={"afternoon": 0.8, "morning": 0.2}),
    )
    tuesday_afternoon = slot(1, 14)
    assert reasons_of([tuesday_afternoon, slot(3, 9)], ctx)[tuesday_afternoon] == (
        "on your preferred Tuesday",
        "in the afternoon, a popular time",
    )


def test_one_booking_is_not_yet_a_usual_day_or_time():
    # One booking fits its own weekday and hour fully, but is too little to call a habit.
    ctx = context(history=history(count=1))
    same_slot = slot(1, 10)
    assert reasons_of([same_slot, slot(3, 15)], ctx)[same_slot] == ("with Dr. 1, as usual",)


def test_an_hour_off_the_usual_time_the_habit_counts_its_weaker_fit():
    # Day 1.0 and time 0.61: the habit is (1 + 1) * 0.61 = 1.21, below a provider weighed 1.5
    # and above one weighed 1.0.
    ctx = context(
        history=history(weekday=TUESDAY, hour=10.0, provider_id=1),
        providers=[provider_context(1), provider_context(2)],
    )
    hour_off = slot(1, 11)
    candidates = [hour_off, slot(3, 15, provider_id=2)]
    heavier = reasons_of(candidates, ctx, {**DEFAULT_WEIGHTS, "provider_continuity": 1.5})
    assert heavier[hour_off][:2] == ("with Dr. 1, as usual", "matches your usual Tuesday mornings")
    lighter = reasons_of(candidates, ctx, {**DEFAULT_WEIGHTS, "provider_continuity": 1.0})
    assert lighter[hour_off][:2] == ("matches your usual Tuesday mornings", "with Dr. 1, as usual")


def test_a_missing_weight_gives_its_reason_no_strength():
    tuesday, wednesday = at(1, 0).date(), at(2, 0).date()
    quiet_tuesday = provider_context(
        1, name="Dr. One", day_load={tuesday: 0.0, wednesday: 0.9}, working=()
    )
    ctx = context(history=history(provider_id=1), providers=[quiet_tuesday])
    candidate = slot(1, 15)
    # Continuity 0.5 * 1.0 beats the least busy day's 0 * 1.0 + 0.1.
    reasons = reasons_of([candidate, slot(2, 15)], ctx, {"provider_continuity": 0.5})
    assert reasons[candidate][:2] == ("with Dr. One, as usual", "Dr. One's least busy day")


def test_no_gap_before_the_end_of_the_day_is_six_tenths_of_the_adjacency_weight():
    # Wednesday's least busy day is 0.5 * 0.9 + 0.1 = 0.55; the gap reason 0.6 * weight.
    wednesday, thursday = at(2, 0).date(), at(3, 0).date()
    provider = provider_context(1, name="Dr. Q", day_load={wednesday: 0.2, thursday: 0.9})
    ctx = context(providers=[provider])
    last = slot(2, 16, 30)
    light = reasons_of([last, slot(3, 12)], ctx, {"load_balance": 0.5, "adjacency": 0.8})
    assert light[last] == ("Dr. Q's least busy day", "no gap left before 17:00")
    heavy = reasons_of([last, slot(3, 12)], ctx, {"load_balance": 0.5, "adjacency": 1.0})
    assert heavy[last] == ("no gap left before 17:00", "Dr. Q's least busy day")


def test_a_slot_between_two_appointments_names_the_gap_it_closes_before():
    provider = provider_context(
        1,
        working=(TimeRange(at(2, 9), at(2, 17)),),
        busy=(TimeRange(at(2, 9), at(2, 10)), TimeRange(at(2, 10, 30), at(2, 17))),
    )
    (result,) = recommend([slot(2, 10)], context(providers=[provider]), weights=DEFAULT_WEIGHTS)
    assert "no gap left before 10:30" in result.reasons
    assert not any(reason.startswith("no gap left after") for reason in result.reasons)
