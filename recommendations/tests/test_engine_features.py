from datetime import timedelta

import pytest

from recommendations.engine import (
    ClientHistory,
    PastAppointment,
    PopulationPatterns,
    StatedPreferences,
    TimeRange,
)
from recommendations.engine import features as f
from recommendations.tests.engine_helpers import (
    NOW,
    at,
    cols,
    context,
    provider_context,
    slot,
)


def history(*items, half_life=120.0):
    """items: (weekday, hour, provider_id, lead_days, days_ago)"""
    return ClientHistory(
        appointments=tuple(
            PastAppointment(
                weekday=w,
                local_hour=h,
                provider_id=p,
                lead_time_days=lead,
                booked_at=NOW - timedelta(days=ago),
            )
            for w, h, p, lead, ago in items
        ),
        half_life_days=half_life,
    )


TUESDAY_MORNINGS = history(*[(1, 10.0, 1, 7, 30 * i) for i in range(1, 6)])


# --- preference fit -----------------------------------------------------------------------


def test_weekday_fit_is_highest_on_the_usual_weekday():
    ctx = context(history=TUESDAY_MORNINGS)
    values = f.weekday_fit(cols(slot(1, 10), slot(3, 10)), ctx)  # Tuesday, Thursday
    assert values[0] > 0.8
    assert values[1] < 0.2


def test_weekday_fit_weighs_recent_appointments_more():
    # Two old Thursdays (two years ago) against one recent Tuesday.
    ctx = context(history=history((3, 10, 1, 7, 700), (3, 10, 1, 7, 720), (1, 10, 1, 7, 10)))
    tuesday, thursday = f.weekday_fit(cols(slot(1, 10), slot(3, 10)), ctx)
    assert tuesday > thursday


def test_weekday_fit_falls_back_to_stated_preferences_then_population():
    stated = context(preferences=StatedPreferences(weekdays=frozenset({3})))
    assert list(f.weekday_fit(cols(slot(1, 10), slot(3, 10)), stated)) == [0.0, 1.0]
    population = context(population=PopulationPatterns(weekday_share={0: 0.2, 1: 0.8}))
    monday, tuesday = f.weekday_fit(cols(slot(0, 10), slot(1, 10)), population)
    assert tuesday == 1.0
    assert monday == pytest.approx(0.25)
    nothing = context()
    assert list(f.weekday_fit(cols(slot(0, 10)), nothing)) == [0.0]


def test_time_of_day_fit_prefers_hours_near_the_usual_time():
    ctx = context(history=TUESDAY_MORNINGS)
    at_ten, at_eleven, at_four = f.time_of_day_fit(cols(slot(1, 10), slot(1, 11), slot(1, 16)), ctx)
    assert at_ten > at_eleven > at_four
    assert at_four < 0.1


def test_time_of_day_fit_uses_stated_periods_for_a_new_client():
    ctx = context(preferences=StatedPreferences(times_of_day=frozenset({"afternoon"})))
    morning, afternoon, evening = f.time_of_day_fit(
        cols(slot(1, 10), slot(1, 14), slot(1, 18)), ctx
    )
    assert (morning, afternoon, evening) == (0.0, 1.0, 0.0)


def test_provider_continuity_scores_the_usual_provider():
    ctx = context(
        history=history((1, 10, 7, 7, 10), (1, 10, 7, 7, 20), (1, 10, 8, 7, 30)),
        providers=[provider_context(7), provider_context(8), provider_context(9)],
    )
    usual, sometimes, never = f.provider_continuity(
        cols(slot(1, 10, provider_id=7), slot(1, 10, provider_id=8), slot(1, 10, provider_id=9)),
        ctx,
    )
    assert usual == 1.0
    assert 0 < sometimes < usual
    assert never == 0.0


# --- urgency and timing -------------------------------------------------------------------


def test_urgent_requests_favour_the_soonest_slot_strongly():
    ctx = context(urgency="urgent")
    today, tomorrow, in_two_days = f.urgency_fit(cols(slot(0, 10), slot(1, 10), slot(2, 10)), ctx)
    assert today > 0.8
    assert tomorrow == pytest.approx(today / 2, rel=0.05)
    assert in_two_days < 0.3


def test_routine_requests_are_free_to_wait():
    ctx = context(urgency="routine")
    assert list(f.urgency_fit(cols(slot(0, 10), slot(9, 10)), ctx)) == [0.0, 0.0]


def test_soon_requests_decay_slower_than_urgent_ones():
    soon = f.urgency_fit(cols(slot(2, 10)), context(urgency="soon"))[0]
    urgent = f.urgency_fit(cols(slot(2, 10)), context(urgency="urgent"))[0]
    assert soon > urgent > 0


def test_soonness_decreases_with_waiting():
    today, next_week = f.soonness(cols(slot(0, 10), slot(7, 10)), context())
    assert today > next_week
    assert next_week == pytest.approx(0.5, abs=0.02)


def test_lead_time_fit_matches_how_far_ahead_the_client_books():
    ctx = context(history=history(*[(1, 10, 1, 7, 30 * i) for i in range(1, 4)]))
    tomorrow, in_a_week = f.lead_time_fit(cols(slot(1, 10), slot(7, 10)), ctx)
    assert in_a_week > 0.9
    assert tomorrow < 0.4
    assert list(f.lead_time_fit(cols(slot(1, 10)), context())) == [0.0]


# --- provider fit -------------------------------------------------------------------------


def test_specialisation_uses_the_service_share_or_the_offer_breadth():
    ctx = context(
        providers=[
            provider_context(1, service_share=0.9),
            provider_context(2, service_share=0.1),
            provider_context(3, services_offered=4),
        ]
    )
    values = f.specialisation(
        cols(slot(1, 10, provider_id=1), slot(1, 10, provider_id=2), slot(1, 10, provider_id=3)),
        ctx,
    )
    assert list(values) == [0.9, 0.1, 0.25]


def test_load_balance_prefers_the_less_booked_provider_and_day():
    tuesday, wednesday = at(1, 9).date(), at(2, 9).date()
    ctx = context(
        providers=[
            provider_context(1, load_share=0.8, day_load={tuesday: 0.9, wednesday: 0.7}),
            provider_context(2, load_share=0.2, day_load={tuesday: 0.1, wednesday: 0.3}),
        ]
    )
    busy_tue, busy_wed, free_tue = f.load_balance(
        cols(slot(1, 10, provider_id=1), slot(2, 10, provider_id=1), slot(1, 10, provider_id=2)),
        ctx,
    )
    assert free_tue > busy_wed > busy_tue


# --- schedule efficiency ------------------------------------------------------------------


def _day_with_appointment():
    """Tuesday 09:00-17:00 with an appointment held 11:00-12:00."""
    return context(
        providers=[
            provider_context(
                1,
                working=(TimeRange(at(1, 9), at(1, 17)),),
                busy=(TimeRange(at(1, 11), at(1, 12)),),
            )
        ]
    )


def test_adjacency_rewards_touching_an_appointment_or_a_working_edge():
    ctx = _day_with_appointment()
    before_appt, after_appt, day_start, middle = f.adjacency(
        cols(slot(1, 10, 30), slot(1, 12), slot(1, 9), slot(1, 14)), ctx
    )
    assert before_appt == 0.5
    assert after_appt == 0.5
    assert day_start == 0.5
    assert middle == 0.0


def test_adjacency_is_full_when_the_slot_fills_a_gap_exactly():
    ctx = context(
        providers=[
            provider_context(
                1,
                working=(TimeRange(at(1, 9), at(1, 17)),),
                busy=(TimeRange(at(1, 9), at(1, 10)), TimeRange(at(1, 10, 30), at(1, 17))),
            )
        ]
    )
    assert list(f.adjacency(cols(slot(1, 10)), ctx)) == [1.0]


def test_short_fragments_penalise_leaving_a_gap_shorter_than_the_shortest_service():
    ctx = _day_with_appointment()  # shortest service: 30 minutes
    leaves_15, leaves_30, adjacent = f.short_fragments(
        cols(slot(1, 10, 15), slot(1, 10), slot(1, 10, 30)), ctx
    )
    assert leaves_15 == 0.5  # 10:45-11:00 is too short for anything
    assert leaves_30 == 0.0  # 10:30-11:00 still fits a 30-minute service
    assert adjacent == 0.0


def test_buffers_outside_working_hours_still_find_their_gap():
    ctx = _day_with_appointment()
    candidate = slot(1, 9)
    buffered = type(candidate)(
        **{
            **{k: getattr(candidate, k) for k in candidate.__slots__},
            "blocked_start": candidate.start - timedelta(minutes=10),
        }
    )
    assert list(f.adjacency(cols(buffered), ctx)) == [0.5]


def test_feature_matrix_has_one_column_per_feature_name():
    matrix = f.feature_matrix(cols(slot(1, 10), slot(2, 14)), _day_with_appointment())
    assert matrix.shape == (2, len(f.FEATURE_NAMES))
    assert f.feature_matrix(cols(), context()).shape == (0, len(f.FEATURE_NAMES))


def test_usual_slot_needs_both_the_usual_weekday_and_the_usual_time():
    ctx = context(history=TUESDAY_MORNINGS)
    tuesday_ten, tuesday_four, thursday_ten = f.usual_slot(
        cols(slot(1, 10), slot(1, 16), slot(3, 10)), ctx
    )
    assert tuesday_ten > 0.8
    assert tuesday_four < 0.1
    assert thursday_ten < 0.2


def test_wait_days_grows_linearly_in_fortnights_and_is_capped():
    values = f.wait_days(cols(slot(0, 7), slot(7, 7), slot(14, 7), slot(40, 7)), context())
    assert values[0] == pytest.approx(0, abs=0.01)
    assert values[1] == pytest.approx(0.5, abs=0.01)
    assert values[2] == pytest.approx(1.0, abs=0.01)
    assert values[3] == 2.0
