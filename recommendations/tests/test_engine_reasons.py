"""The reasons of recommendations/engine/scoring.py where their strengths compete, and the
messages an operator reads when a model artifact is refused (no database).

Monday 2 March 2026 07:00 UTC is "now"; London is on GMT, the client's zone is UTC.
"""

import logging
import math
from datetime import timedelta

import joblib

from recommendations.engine import (
    CLIENT_FEATURES,
    DEFAULT_WEIGHTS,
    ClientHistory,
    PastAppointment,
    PopulationPatterns,
    RulesRanker,
    StatedPreferences,
    TimeRange,
    load_ranker,
    recommend,
)
from recommendations.tests.engine_helpers import NOW, at, context, provider_context, slot
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
    assert reasons[candidate][:2] == ("with Dr. One, as usual", "a quieter day for Dr. One")


def test_no_gap_before_the_end_of_the_day_is_six_tenths_of_the_adjacency_weight():
    # Wednesday's least busy day is 0.5 * 0.9 + 0.1 = 0.55; the gap reason 0.6 * weight.
    wednesday, thursday = at(2, 0).date(), at(3, 0).date()
    provider = provider_context(1, name="Dr. Q", day_load={wednesday: 0.2, thursday: 0.9})
    ctx = context(providers=[provider])
    last = slot(2, 16, 30)
    light = reasons_of([last, slot(3, 12)], ctx, {"load_balance": 0.5, "adjacency": 0.8})
    assert light[last] == ("a quieter day for Dr. Q", "fills the free time right up to 17:00")
    heavy = reasons_of([last, slot(3, 12)], ctx, {"load_balance": 0.5, "adjacency": 1.0})
    assert heavy[last] == ("fills the free time right up to 17:00", "a quieter day for Dr. Q")


def test_a_slot_between_two_appointments_names_the_gap_it_closes_before():
    provider = provider_context(
        1,
        working=(TimeRange(at(2, 9), at(2, 17)),),
        busy=(TimeRange(at(2, 9), at(2, 10)), TimeRange(at(2, 10, 30), at(2, 17))),
    )
    (result,) = recommend([slot(2, 10)], context(providers=[provider]), weights=DEFAULT_WEIGHTS)
    assert "fills the free time right up to 10:30" in result.reasons
    assert not any(reason.endswith("as soon as time is free") for reason in result.reasons)


# --- each strength is its weight times its own fit (a fit below 1 makes it weaker) ----------


def test_a_popular_day_that_fits_less_than_fully_is_weaker_than_the_usual_provider():
    # One booking (confidence 1/3) with the population's Tuesday at 3/4: Tuesday fits 0.83.
    ctx = context(
        history=history(count=1), population=PopulationPatterns(weekday_share={1: 0.375, 3: 0.5})
    )
    tuesday = slot(1, 15)
    assert reasons_of([tuesday, slot(3, 9)], ctx)[tuesday] == (
        "with Dr. 1, as usual",
        "a popular day (Tuesday)",
    )


def test_a_popular_time_that_fits_less_than_fully_is_weaker_than_the_usual_provider():
    population = PopulationPatterns(time_of_day_share={"afternoon": 0.375, "morning": 0.5})
    ctx = context(history=history(weekday=0, hour=14.0, count=1), population=population)
    afternoon = slot(1, 14)
    assert reasons_of([afternoon, slot(3, 9)], ctx)[afternoon] == (
        "with Dr. 1, as usual",
        "in the afternoon, a popular time",
    )


def test_a_provider_seen_three_times_in_four_is_weaker_than_a_specialist_share_of_nine_tenths():
    visits = tuple(
        PastAppointment(
            weekday=3,
            local_hour=9.0,
            provider_id=pid,
            lead_time_days=30,
            booked_at=NOW - timedelta(days=10),
        )
        for pid in (1, 1, 1, 1, 2, 2, 2)
    )
    ctx = context(
        history=ClientHistory(appointments=visits),
        providers=[provider_context(1), provider_context(2, name="Dr. Three", service_share=0.9)],
    )
    candidate = slot(1, 15, provider_id=2)
    weights = {"provider_continuity": 1.0, "specialisation": 1.0}
    assert reasons_of([candidate], ctx, weights)[candidate] == (
        "Dr. Three often does this service",
        "with Dr. Three, as usual",
    )


def test_an_urgent_slot_a_day_ahead_weighs_half_the_urgency_weight():
    # Urgency 4 * 0.5 = 2: below the usual provider at 3, above the usual Tuesday at 1.
    ctx = context(urgency="urgent", history=history(provider_id=1))
    a_day_ahead = slot(1, 7)
    weights = {**DEFAULT_WEIGHTS, "provider_continuity": 3.0}
    assert reasons_of([slot(0, 10), a_day_ahead], ctx, weights)[a_day_ahead] == (
        "with Dr. 1, as usual",
        "within a day, for an urgent need",
        "on your usual Tuesday",
    )


def test_a_soon_slot_two_days_ahead_weighs_its_urgency_fit():
    # Urgency 4 * 0.62 = 2.5: below the usual provider at 3, above no gap after 09:00 at 0.4.
    ctx = context(urgency="soon", history=history(provider_id=1))
    candidate = slot(2, 9)
    weights = {**DEFAULT_WEIGHTS, "provider_continuity": 3.0}
    assert reasons_of([candidate], ctx, weights)[candidate] == (
        "with Dr. 1, as usual",
        "soon, as you asked",
        "starts at 09:00, as soon as time is free",
    )


def test_the_usual_lead_time_at_eight_tenths_is_weaker_than_a_full_specialist():
    # Lead time 0.3 * 0.81 = 0.24 after the specialist's 0.3 * 1.0.
    ctx = context(
        history=history(weekday=4, hour=16.0, lead_days=2),
        providers=[provider_context(1, service_share=1.0), provider_context(2)],
    )
    candidate = slot(2, 12)
    assert reasons_of([candidate], ctx)[candidate] == (
        "with Dr. 1, as usual",
        "Dr. 1 often does this service",
        "as far ahead as you usually book",
    )


def test_a_half_specialist_is_weaker_than_no_gap_at_the_start_of_the_day():
    # Specialisation 0.3 * 0.5 = 0.15 after no gap after 09:00 at 0.8 * 0.5 = 0.4.
    ctx = context(
        providers=[
            provider_context(1, name="Dr. Half", service_share=0.5),
            provider_context(2, service_share=0.1),
        ]
    )
    candidate = slot(2, 9)
    assert reasons_of([candidate], ctx)[candidate] == (
        "starts at 09:00, as soon as time is free",
        "Dr. Half often does this service",
    )


def test_the_usual_time_on_another_day_names_the_time_only():
    ctx = context(history=history(weekday=TUESDAY, hour=9.0, provider_id=1))
    thursday_nine = slot(3, 9)
    assert reasons_of([thursday_nine, slot(3, 15)], ctx)[thursday_nine] == (
        "in the morning, as you usually book",
        "with Dr. 1, as usual",
        "starts at 09:00, as soon as time is free",
    )


def test_a_lead_time_fit_of_exactly_eight_tenths_is_enough_and_ranks_by_its_strength():
    # Booking 1 + ln(1.25) days ahead, a slot exactly a day ahead fits exp(-ln 1.25) = 0.8:
    # 0.3 * 0.8 = 0.24, between the usual provider and a half specialist (0.3 * 0.5).
    ctx = context(
        history=history(weekday=3, hour=15.0, lead_days=1 + math.log(1.25)),
        providers=[provider_context(1, service_share=0.5), provider_context(2)],
    )
    a_day_ahead = slot(1, 7)
    (result,) = recommend([a_day_ahead], ctx, weights=DEFAULT_WEIGHTS)
    assert result.features["lead_time_fit"] == 0.8
    assert result.reasons == (
        "with Dr. 1, as usual",
        "as far ahead as you usually book",
        "Dr. 1 often does this service",
    )
