"""recommendations/engine/scoring.py term by term: the rankers, the urgent window, the order
of ties, and each reason's condition and wording (no database).

Monday 2 March 2026 07:00 UTC is "now"; London is on GMT, the client's zone is UTC.
"""

from datetime import timedelta

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from recommendations.engine import (
    CLIENT_FEATURES,
    DEFAULT_WEIGHTS,
    FEATURE_NAMES,
    ClientHistory,
    ExploringRanker,
    PastAppointment,
    PopulationPatterns,
    RulesRanker,
    SklearnRanker,
    StatedPreferences,
    TimeRange,
    load_ranker,
    recommend,
    save_artifact,
)
from recommendations.engine.features import BUSINESS_FEATURES
from recommendations.engine.scoring import (
    score_candidates,
    weight_vector,
    within_urgent_window,
)
from recommendations.tests.engine_helpers import NOW, at, context, provider_context, slot

TUESDAY = 1


def history(*, weekday=TUESDAY, hour=10.0, provider_id=1, lead_days=6, count=4):
    return ClientHistory(
        appointments=tuple(
            PastAppointment(
                weekday=weekday,
                local_hour=hour,
                provider_id=provider_id,
                lead_time_days=lead_days,
                booked_at=NOW - timedelta(days=20 * i),
            )
            for i in range(1, count + 1)
        )
    )


def reasons_of(candidates, ctx, weights=DEFAULT_WEIGHTS, **kwargs):
    top = recommend(candidates, ctx, weights=weights, limit=len(candidates), **kwargs)
    return {result.candidate: result.reasons for result in top}


# --- weights and rankers ------------------------------------------------------------------


def test_weight_vector_follows_the_names_and_gives_unknown_names_zero():
    vector = weight_vector({"soonness": 2.5, "not_a_feature": 9.0}, ("adjacency", "soonness"))
    assert vector.tolist() == [0.0, 2.5]


def test_rules_ranker_scores_each_row_as_its_weighted_sum():
    weights = {"soonness": 2.0, "short_fragments": -1.0}
    features = np.zeros((2, len(FEATURE_NAMES)))
    features[0, FEATURE_NAMES.index("soonness")] = 1.0
    features[1, FEATURE_NAMES.index("short_fragments")] = 1.0
    assert RulesRanker(weights).score(features).tolist() == [2.0, -1.0]


def _fitted_model():
    rng = np.random.default_rng(3)
    x = rng.random((40, len(CLIENT_FEATURES)))
    y = (x[:, 0] > 0.5).astype(int)
    return LogisticRegression().fit(x, y)


def test_learned_ranker_adds_the_weighted_business_terms_to_the_models_utility():
    model = _fitted_model()
    weights = {name: float(index + 1) for index, name in enumerate(BUSINESS_FEATURES)}
    ranker = SklearnRanker(model, weights=weights, version="learned-7")
    features = np.random.default_rng(5).random((3, len(FEATURE_NAMES)))
    client = features[:, [FEATURE_NAMES.index(n) for n in CLIENT_FEATURES]]
    business = features[:, [FEATURE_NAMES.index(n) for n in BUSINESS_FEATURES]]
    expected = model.decision_function(client) + business @ np.array(list(weights.values()))
    assert np.allclose(ranker.score(features), expected)
    assert ranker.version == "learned-7"


def test_learned_ranker_scores_no_candidates_as_an_empty_array():
    ranker = SklearnRanker(_fitted_model(), weights=DEFAULT_WEIGHTS)
    assert ranker.score(np.zeros((0, len(FEATURE_NAMES)))).shape == (0,)


def test_exploring_ranker_adds_gumbel_noise_of_the_given_scale_to_the_base_scores():
    base = RulesRanker(DEFAULT_WEIGHTS)
    features = np.random.default_rng(1).random((50, len(FEATURE_NAMES)))
    exploring = ExploringRanker(base, noise=0.7, rng=np.random.default_rng(42))
    expected_noise = np.random.default_rng(42).gumbel(0.0, 0.7, 50)
    assert np.allclose(exploring.score(features), base.score(features) + expected_noise)
    assert exploring.version == base.version
    silent = ExploringRanker(base, noise=0.0, rng=np.random.default_rng(42))
    assert np.allclose(silent.score(features), base.score(features))


def test_an_artifact_of_another_format_falls_back_to_the_rules(tmp_path, caplog):
    import joblib

    path = tmp_path / "model.joblib"
    joblib.dump({"format": 99, "feature_names": list(CLIENT_FEATURES), "model": None}, path)
    assert isinstance(load_ranker(path, weights=DEFAULT_WEIGHTS), RulesRanker)
    assert "unknown artifact format" in caplog.text


def test_no_artifact_path_means_the_rules_without_a_warning(caplog):
    assert isinstance(load_ranker(None, weights=DEFAULT_WEIGHTS), RulesRanker)
    assert isinstance(load_ranker("", weights=DEFAULT_WEIGHTS), RulesRanker)
    assert caplog.text == ""


def test_a_saved_artifact_loads_with_its_version(tmp_path):
    path = tmp_path / "model.joblib"
    save_artifact(_fitted_model(), path)
    ranker = load_ranker(path, weights=DEFAULT_WEIGHTS, version="learned-3")
    assert isinstance(ranker, SklearnRanker) and ranker.version == "learned-3"


# --- the urgent window and the order ------------------------------------------------------


def test_urgent_window_excludes_a_start_exactly_at_its_end():
    ctx = context(urgency="urgent")  # 3 days from now
    limit = NOW + timedelta(days=3)
    inside, at_limit = slot(0, 10), slot(3, 7)
    assert at_limit.start == limit
    assert within_urgent_window([inside, at_limit], ctx) == [inside]


@pytest.mark.parametrize("urgency", ["routine", "soon"])
def test_only_urgent_requests_are_limited_to_the_window(urgency):
    candidates = [slot(0, 10), slot(9, 10)]
    assert within_urgent_window(candidates, context(urgency=urgency)) == candidates


def test_ties_go_to_the_earlier_slot_then_the_lower_provider():
    ctx = context(providers=[provider_context(1), provider_context(2)])
    later, earlier_high, earlier_low = slot(1, 10), slot(0, 10, provider_id=2), slot(0, 10)
    scored = score_candidates([later, earlier_high, earlier_low], ctx, RulesRanker({}))
    assert scored.scores.tolist() == [0.0, 0.0, 0.0]
    ordered = [scored.columns.candidates[i] for i in scored.order()]
    assert ordered == [earlier_low, earlier_high, later]


def test_a_higher_score_beats_an_earlier_start():
    ctx = context()
    soon, later = slot(0, 10), slot(4, 10)
    prefers_later = RulesRanker({"soonness": -1.0})
    top = recommend([soon, later], ctx, weights={}, ranker=prefers_later, limit=1)
    assert [r.candidate for r in top] == [later]


def test_recommend_returns_at_most_limit_results_ranked_from_one_with_rounded_scores():
    candidates = [slot(0, h) for h in (10, 11, 12, 13)]
    top = recommend(candidates, context(), weights={"soonness": 1 / 3}, limit=2)
    assert [r.rank for r in top] == [1, 2]
    assert all(r.score == round(r.score, 4) for r in top)
    assert set(top[0].features) == set(FEATURE_NAMES)
    assert recommend([], context(), weights=DEFAULT_WEIGHTS) == []


# --- reasons: where the client's fit comes from -------------------------------------------


def test_stated_day_and_time_give_one_combined_reason():
    ctx = context(
        preferences=StatedPreferences(
            weekdays=frozenset({TUESDAY}), times_of_day=frozenset({"morning"})
        )
    )
    tuesday_morning = slot(1, 10)
    reasons = reasons_of([tuesday_morning, slot(3, 15)], ctx)[tuesday_morning]
    assert "fits your preferred Tuesday mornings" in reasons
    assert not any(r.startswith("on ") or r.startswith("in the ") for r in reasons)


def test_population_day_and_time_give_the_popular_reason():
    population = PopulationPatterns(
        weekday_share={TUESDAY: 0.6, 3: 0.1}, time_of_day_share={"afternoon": 0.7}
    )
    ctx = context(population=population)
    tuesday_afternoon = slot(1, 14)
    reasons = reasons_of([tuesday_afternoon, slot(3, 9)], ctx)[tuesday_afternoon]
    assert "a popular Tuesday afternoon time" in reasons


def test_the_usual_day_with_a_time_an_hour_off_is_still_the_usual_slot():
    ctx = context(history=history(weekday=TUESDAY, hour=10.0))
    # An hour from the usual 10:00 the time fits 0.61, ninety minutes away 0.32.
    hour_off, ninety_off = slot(1, 11), slot(1, 11, 30)
    reasons = reasons_of([hour_off, ninety_off, slot(3, 9)], ctx)
    assert "matches your usual Tuesday mornings" in reasons[hour_off]
    assert "on your usual Tuesday" in reasons[ninety_off]
    assert "matches your usual Tuesday mornings" not in reasons[ninety_off]


def test_a_stated_day_without_a_stated_time_names_the_day_only():
    ctx = context(preferences=StatedPreferences(weekdays=frozenset({TUESDAY})))
    tuesday = slot(1, 15)
    reasons = reasons_of([tuesday, slot(3, 15)], ctx)[tuesday]
    assert "on your preferred Tuesday" in reasons
    assert not any("mornings" in r or "afternoons" in r for r in reasons)


def test_a_popular_day_alone_says_so():
    ctx = context(population=PopulationPatterns(weekday_share={TUESDAY: 0.9, 3: 0.1}))
    tuesday = slot(1, 15)
    assert "a popular day (Tuesday)" in reasons_of([tuesday, slot(3, 15)], ctx)[tuesday]


def test_a_stated_time_alone_names_the_period():
    ctx = context(preferences=StatedPreferences(times_of_day=frozenset({"afternoon"})))
    afternoon = slot(3, 15)
    reasons = reasons_of([afternoon, slot(3, 9)], ctx)[afternoon]
    assert "in the afternoon, as you prefer" in reasons


def test_a_day_that_fits_poorly_gets_no_day_reason():
    ctx = context(preferences=StatedPreferences(weekdays=frozenset({TUESDAY})))
    thursday = slot(3, 15)
    reasons = reasons_of([slot(1, 15), thursday], ctx)[thursday]
    assert not any("Tuesday" in r or "Thursday" in r for r in reasons)


# --- reasons: provider, urgency, schedule ---------------------------------------------------


def test_the_usual_provider_is_named_and_another_is_not():
    ctx = context(
        history=history(provider_id=2),
        providers=[provider_context(1), provider_context(2, name="Dr. Osei")],
    )
    usual, other = slot(2, 15, provider_id=2), slot(2, 15, provider_id=1)
    reasons = reasons_of([usual, other], ctx)
    assert "with Dr. Osei, as usual" in reasons[usual]
    assert not any("as usual" in r for r in reasons[other])


def test_urgent_within_a_day_but_not_the_earliest_says_so():
    ctx = context(urgency="urgent")
    earliest, same_day, two_days = slot(0, 10), slot(0, 16), slot(2, 16)
    reasons = reasons_of([earliest, same_day, two_days], ctx)
    assert "earliest for an urgent need" in reasons[earliest]
    assert "within a day, for an urgent need" in reasons[same_day]
    assert not any("urgent" in r for r in reasons[two_days])


def test_soon_requests_say_soon_only_within_the_first_days():
    ctx = context(urgency="soon")
    tomorrow, next_week = slot(1, 10), slot(7, 10)
    reasons = reasons_of([tomorrow, next_week], ctx)
    assert "soon, as you asked" in reasons[tomorrow]
    assert "soon, as you asked" not in reasons[next_week]


def test_routine_requests_never_mention_urgency():
    reasons = reasons_of([slot(0, 10), slot(1, 10)], context())
    assert not any("urgent" in r or "soon" in r for rs in reasons.values() for r in rs)


def test_a_slot_right_after_busy_time_leaves_no_gap_after_it():
    busy = (TimeRange(at(2, 9), at(2, 11)),)
    ctx = context(providers=[provider_context(1, busy=busy)])
    after_busy = slot(2, 11)  # 11:00-11:30, free until 17:00 after it
    reasons = reasons_of([after_busy, slot(2, 14)], ctx)[after_busy]
    assert "starts at 11:00, as soon as time is free" in reasons


def test_usual_lead_time_is_a_reason_only_near_it():
    ctx = context(history=history(weekday=4, hour=16.0, lead_days=2))
    # 2.2 days ahead fits 0.81; 3.2 days ahead 0.30 (tolerance one day); a week ahead 0.01.
    near, off_by_a_day, in_a_week = slot(2, 12), slot(3, 12), slot(7, 12)
    reasons = reasons_of([near, off_by_a_day, in_a_week], ctx)
    assert "as far ahead as you usually book" in reasons[near]
    assert "as far ahead as you usually book" not in reasons[off_by_a_day]
    assert "as far ahead as you usually book" not in reasons[in_a_week]


def test_specialisation_is_a_reason_only_when_there_is_a_choice_of_providers():
    specialist = provider_context(1, name="Dr. Knee", service_share=0.9)
    general = provider_context(2, name="Dr. All", service_share=0.1)
    two = context(providers=[specialist, general])
    mine, theirs = slot(2, 12), slot(2, 12, provider_id=2)
    reasons = reasons_of([mine, theirs], two)
    assert "Dr. Knee often does this service" in reasons[mine]
    assert not any("often does" in r for r in reasons[theirs])
    alone = context(providers=[specialist])
    assert not any("often does" in r for r in reasons_of([mine], alone)[mine])


def test_least_busy_day_needs_days_that_differ():
    even = provider_context(1, day_load={at(1, 0).date(): 0.5, at(2, 0).date(): 0.5})
    candidate = slot(1, 12)
    reasons = reasons_of([candidate], context(providers=[even]))[candidate]
    assert not any("quieter day" in r for r in reasons)


# --- reasons: the fallbacks and their order -------------------------------------------------


def test_without_any_signal_the_earliest_is_earliest_available_and_the_rest_a_good_fit():
    ctx = context(providers=[provider_context(1, working=())])  # no free time: no gap reasons
    first, second = slot(0, 10), slot(1, 10)
    reasons = reasons_of([first, second], ctx, weights={})
    assert reasons[first] == ("the earliest free time",)
    assert reasons[second] == ("a good match",)


def test_reasons_are_strongest_first_by_weight_times_feature():
    ctx = context(
        history=history(weekday=TUESDAY, hour=15.0, provider_id=1, lead_days=1),
        providers=[provider_context(1, name="Dr. One"), provider_context(2)],
    )
    candidate = slot(1, 15)
    heavy_provider = {**DEFAULT_WEIGHTS, "provider_continuity": 50.0}
    reasons = reasons_of([candidate, slot(3, 9, provider_id=2)], ctx, heavy_provider)[candidate]
    assert reasons[0] == "with Dr. One, as usual"
    heavy_habit = {**DEFAULT_WEIGHTS, "weekday_fit": 50.0, "time_of_day_fit": 50.0}
    reasons = reasons_of([candidate, slot(3, 9, provider_id=2)], ctx, heavy_habit)[candidate]
    assert reasons[0] == "matches your usual Tuesday afternoons"
    assert len(reasons) <= 3


# --- reasons: names, boundaries and the default limit ---------------------------------------

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@pytest.mark.parametrize("day", range(7))
def test_a_stated_day_is_named_in_full(day):
    ctx = context(preferences=StatedPreferences(weekdays=frozenset({day})))
    candidate = slot(day, 15)
    assert f"on your preferred {WEEKDAYS[day]}" in reasons_of([candidate], ctx)[candidate]


def test_half_past_twelve_is_an_afternoon():
    ctx = context(preferences=StatedPreferences(times_of_day=frozenset({"afternoon"})))
    half_past_twelve = slot(3, 12, 30)
    assert reasons_of([half_past_twelve], ctx)[half_past_twelve] == (
        "in the afternoon, as you prefer",
    )


def test_recommend_returns_five_results_unless_told_otherwise():
    candidates = [slot(0, h) for h in range(9, 16)]
    top = recommend(candidates, context(), weights=DEFAULT_WEIGHTS)
    assert [r.rank for r in top] == [1, 2, 3, 4, 5]
    assert all(value == round(value, 4) for r in top for value in r.features.values())
    assert any(value != round(value, 2) for value in top[0].features.values())


def test_a_slot_with_more_than_three_reasons_keeps_the_three_strongest():
    tuesday, wednesday = at(1, 0).date(), at(2, 0).date()
    ctx = context(
        history=history(weekday=TUESDAY, hour=10.0, provider_id=1, lead_days=1),
        providers=[
            provider_context(1, name="Dr. One", service_share=0.9, day_load={tuesday: 0.1}),
            provider_context(2, service_share=0.1, day_load={wednesday: 0.9}),
        ],
    )
    candidate = slot(1, 10)
    # Usual day and time (2.0), usual provider (1.0), specialist (0.27), usual lead time (0.26).
    assert reasons_of([candidate, slot(2, 10, provider_id=2)], ctx)[candidate] == (
        "matches your usual Tuesday mornings",
        "with Dr. One, as usual",
        "Dr. One often does this service",
    )


def test_a_provider_missing_from_the_context_is_called_this_provider():
    ctx = context(history=history(provider_id=7))
    candidate = slot(2, 15, provider_id=7)
    assert "with This provider, as usual" in reasons_of([candidate], ctx)[candidate]


def test_a_popular_day_at_three_quarters_and_a_time_at_half_are_enough_together():
    population = PopulationPatterns(
        weekday_share={TUESDAY: 0.375, 3: 0.5},
        time_of_day_share={"afternoon": 0.25, "morning": 0.5},
    )
    ctx = context(population=population)
    tuesday_afternoon = slot(1, 14)
    (result,) = recommend([tuesday_afternoon], ctx, weights=DEFAULT_WEIGHTS, limit=1)
    assert (result.features["weekday_fit"], result.features["time_of_day_fit"]) == (0.75, 0.5)
    assert "a popular Tuesday afternoon time" in result.reasons


def test_a_popular_day_at_three_quarters_is_a_reason_on_its_own():
    ctx = context(population=PopulationPatterns(weekday_share={TUESDAY: 0.375, 3: 0.5}))
    tuesday = slot(1, 15)
    (result,) = recommend([tuesday], ctx, weights=DEFAULT_WEIGHTS, limit=1)
    assert result.features["weekday_fit"] == 0.75
    assert "a popular day (Tuesday)" in result.reasons


def test_a_popular_time_at_three_quarters_is_a_reason_on_its_own():
    population = PopulationPatterns(time_of_day_share={"afternoon": 0.375, "morning": 0.5})
    afternoon = slot(3, 14)
    (result,) = recommend([afternoon], context(population=population), weights=DEFAULT_WEIGHTS)
    assert result.features["time_of_day_fit"] == 0.75
    assert "in the afternoon, a popular time" in result.reasons


def test_three_visits_in_four_with_a_provider_are_as_usual():
    same_day = NOW - timedelta(days=10)
    visits = tuple(
        PastAppointment(
            weekday=3, local_hour=9.0, provider_id=pid, lead_time_days=30, booked_at=same_day
        )
        for pid in (1, 1, 1, 1, 2, 2, 2)
    )
    ctx = context(
        history=ClientHistory(appointments=visits),
        providers=[provider_context(1), provider_context(2, name="Dr. Three")],
    )
    candidate = slot(1, 15, provider_id=2)
    (result,) = recommend([candidate], ctx, weights=DEFAULT_WEIGHTS, limit=1)
    assert result.features["provider_continuity"] == 0.75
    assert "with Dr. Three, as usual" in result.reasons


def test_an_urgent_slot_exactly_a_day_ahead_is_still_within_a_day():
    exactly_a_day = slot(1, 7)
    assert exactly_a_day.start == NOW + timedelta(days=1)
    reasons = reasons_of([slot(0, 10), exactly_a_day], context(urgency="urgent"))
    assert "within a day, for an urgent need" in reasons[exactly_a_day]


def test_a_soon_slot_exactly_three_days_ahead_is_still_soon():
    three_days = slot(3, 7)
    assert three_days.start == NOW + timedelta(days=3)
    assert "soon, as you asked" in reasons_of([three_days], context(urgency="soon"))[three_days]


def test_half_the_providers_appointments_for_the_service_makes_it_a_specialist():
    ctx = context(
        providers=[
            provider_context(1, name="Dr. Half", service_share=0.5),
            provider_context(2, service_share=0.1),
        ]
    )
    candidate = slot(2, 12)
    assert "Dr. Half often does this service" in reasons_of([candidate], ctx)[candidate]


# --- reasons: each strength is its own weight times its own feature ------------------------


def _quiet_tuesday_provider(**kwargs):
    tuesday, wednesday = at(1, 0).date(), at(2, 0).date()
    return provider_context(1, name="Dr. One", day_load={tuesday: 0.0, wednesday: 0.9}, **kwargs)


def test_without_weights_only_the_least_busy_day_has_strength_and_the_rest_keep_their_order():
    ctx = context(
        history=history(weekday=TUESDAY, hour=10.0, provider_id=1, lead_days=1),
        providers=[_quiet_tuesday_provider(service_share=0.9), provider_context(2)],
    )
    candidate = slot(1, 10)
    assert reasons_of([candidate, slot(2, 10, provider_id=2)], ctx, weights={})[candidate] == (
        "a quieter day for Dr. One",
        "matches your usual Tuesday mornings",
        "with Dr. One, as usual",
    )


@pytest.mark.parametrize(
    ("ctx_kwargs", "reason"),
    [
        (
            {"preferences": StatedPreferences(weekdays=frozenset({TUESDAY}))},
            "on your preferred Tuesday",
        ),
        (
            {"preferences": StatedPreferences(times_of_day=frozenset({"afternoon"}))},
            "in the afternoon, as you prefer",
        ),
        ({"urgency": "soon"}, "soon, as you asked"),
    ],
)
def test_without_weights_a_reason_comes_after_the_least_busy_day(ctx_kwargs, reason):
    ctx = context(providers=[_quiet_tuesday_provider(working=())], **ctx_kwargs)
    candidate = slot(1, 15)
    reasons = reasons_of([candidate, slot(2, 15)], ctx, weights={})[candidate]
    assert reasons == ("a quieter day for Dr. One", reason)


def test_without_weights_an_urgent_slot_within_a_day_comes_after_the_least_busy_day():
    ctx = context(urgency="urgent", providers=[_quiet_tuesday_provider(working=())])
    within_a_day = slot(1, 7)
    reasons = reasons_of([slot(0, 10), within_a_day], ctx, weights={})[within_a_day]
    assert reasons == ("a quieter day for Dr. One", "within a day, for an urgent need")


@pytest.mark.parametrize(
    ("hour", "minute", "reason"),
    [
        (9, 0, "starts at 09:00, as soon as time is free"),
        (16, 30, "fills the free time right up to 17:00"),
    ],
)
def test_without_weights_a_gap_reason_comes_after_the_least_busy_day(hour, minute, reason):
    ctx = context(providers=[_quiet_tuesday_provider()])
    at_an_edge = slot(1, hour, minute)
    reasons = reasons_of([at_an_edge, slot(2, 12)], ctx, weights={})[at_an_edge]
    assert reasons == ("a quieter day for Dr. One", reason)


def test_the_least_busy_day_is_its_weight_times_its_fit_plus_a_tenth():
    # Wednesday's fit is 1 - 0.5 * 0.0 load share - 0.5 * 0.2 = 0.9: with weight 0.5, 0.55;
    # no gap after the start of the day is half the adjacency weight: 0.4 with 0.8, after it,
    # and 0.6 with 1.2, before it.
    wednesday, thursday = at(2, 0).date(), at(3, 0).date()
    provider = provider_context(1, name="Dr. Q", day_load={wednesday: 0.2, thursday: 0.9})
    ctx = context(providers=[provider])
    candidate = slot(2, 9)
    after = reasons_of([candidate, slot(3, 12)], ctx, {"load_balance": 0.5, "adjacency": 0.8})
    assert after[candidate] == (
        "a quieter day for Dr. Q",
        "starts at 09:00, as soon as time is free",
    )
    before = reasons_of([candidate, slot(3, 12)], ctx, {"load_balance": 0.5, "adjacency": 1.2})
    assert before[candidate] == (
        "starts at 09:00, as soon as time is free",
        "a quieter day for Dr. Q",
    )
