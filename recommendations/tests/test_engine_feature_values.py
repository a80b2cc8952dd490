"""recommendations/engine/features.py value by value: each feature's exact number for inputs
whose answer can be worked out by hand (no database).

Monday 2 March 2026 07:00 UTC is "now" (London is on GMT, the client's zone is UTC), so
`slot(d, 7)` starts exactly `d` days ahead and a booking `booked_at=NOW` weighs exactly 1.
"""

import math
from datetime import timedelta

import numpy as np
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
    working_day,
)

MONDAY, TUESDAY, THURSDAY, FRIDAY = 0, 1, 3, 4


def booking(*, weekday=TUESDAY, hour=10.0, provider_id=1, lead_days=7.0, days_ago=0.0):
    return PastAppointment(
        weekday=weekday,
        local_hour=hour,
        provider_id=provider_id,
        lead_time_days=lead_days,
        booked_at=NOW - timedelta(days=days_ago),
    )


def history(*bookings, half_life_days=120.0):
    return ClientHistory(appointments=tuple(bookings), half_life_days=half_life_days)


def values(feature, candidates, ctx):
    return feature(cols(*candidates), ctx).tolist()


# --- how much the history counts ------------------------------------------------------------


def test_a_booking_counts_half_per_half_life_and_a_future_one_counts_as_made_now():
    ctx = context(
        history=history(
            booking(days_ago=0),
            booking(days_ago=120),
            booking(days_ago=240),
            booking(days_ago=-5),  # a clock ahead of ours: never more than a fresh booking
        )
    )
    assert ctx.history_weights().tolist() == pytest.approx([1.0, 0.5, 0.25, 1.0], rel=1e-12)
    short = context(history=history(booking(days_ago=30), half_life_days=30.0))
    assert short.history_weights().tolist() == pytest.approx([0.5], rel=1e-12)
    assert context().history_weights().tolist() == []


def test_history_confidence_is_the_weight_over_the_weight_plus_two():
    assert context().history_confidence() == 0.0
    assert context(history=history(booking())).history_confidence() == pytest.approx(1 / 3)
    four_halves = history(*(booking(days_ago=120) for _ in range(4)))
    assert context(history=four_halves).history_confidence() == pytest.approx(0.5)


# --- weekday fit ------------------------------------------------------------------------------


def test_one_fresh_booking_is_blended_a_third_with_the_stated_days():
    ctx = context(
        history=history(booking(weekday=TUESDAY)),
        preferences=StatedPreferences(weekdays=frozenset({THURSDAY})),
    )
    table, source = f.weekday_preference_table(ctx)
    assert table.tolist() == pytest.approx([0, 1 / 3, 0, 2 / 3, 0, 0, 0])
    assert source == "stated"


def test_two_fresh_bookings_are_enough_to_call_the_fit_history():
    ctx = context(
        history=history(booking(weekday=TUESDAY), booking(weekday=TUESDAY)),
        preferences=StatedPreferences(weekdays=frozenset({THURSDAY})),
    )
    table, source = f.weekday_preference_table(ctx)
    assert table.tolist() == pytest.approx([0, 0.5, 0, 0.5, 0, 0, 0])
    assert source == "history"


def test_weekday_fit_adds_up_the_bookings_of_each_day():
    # Two Tuesdays and a Thursday (confidence 3/5), topped up by a stated Friday.
    ctx = context(
        history=history(booking(weekday=TUESDAY), booking(weekday=TUESDAY), booking(weekday=3)),
        preferences=StatedPreferences(weekdays=frozenset({FRIDAY})),
    )
    table, source = f.weekday_preference_table(ctx)
    assert table.tolist() == pytest.approx([0, 0.6, 0, 0.3, 0.4, 0, 0])
    assert source == "history"
    fits = values(f.weekday_fit, [slot(1, 10), slot(3, 10), slot(4, 10), slot(0, 10)], ctx)
    assert fits == pytest.approx([0.6, 0.3, 0.4, 0.0])


def test_history_alone_is_scaled_to_its_best_day_whatever_its_confidence():
    ctx = context(history=history(booking(weekday=TUESDAY), booking(weekday=THURSDAY)))
    table, source = f.weekday_preference_table(ctx)
    assert table.tolist() == [0, 1, 0, 1, 0, 0, 0]
    assert source == "history"
    table, source = f.weekday_preference_table(context(history=history(booking())))
    assert table.tolist() == [0, 1, 0, 0, 0, 0, 0]
    assert source == "none"  # one booking is not yet a habit worth naming


def test_stated_days_win_over_the_population_and_without_either_nothing_fits():
    population = PopulationPatterns(weekday_share={MONDAY: 0.2, TUESDAY: 0.8})
    table, source = f.weekday_preference_table(context(population=population))
    assert table.tolist() == pytest.approx([0.25, 1, 0, 0, 0, 0, 0])
    assert source == "population"
    both = context(population=population, preferences=StatedPreferences(weekdays=frozenset({4})))
    table, source = f.weekday_preference_table(both)
    assert table.tolist() == [0, 0, 0, 0, 1, 0, 0]
    assert source == "stated"
    table, source = f.weekday_preference_table(context())
    assert table.tolist() == [0.0] * 7
    assert source == "none"


# --- time-of-day fit ------------------------------------------------------------------------


def test_time_of_day_fit_is_a_gaussian_of_one_hour_around_the_usual_time():
    ctx = context(history=history(booking(hour=10.0)))
    fits = values(
        f.time_of_day_fit, [slot(1, 10), slot(1, 10, 15), slot(1, 11), slot(1, 12), slot(1, 8)], ctx
    )
    expected = [math.exp(-(h**2) / 2) for h in (0.0, 0.25, 1.0, 2.0, 2.0)]
    assert fits == pytest.approx(expected, rel=1e-9)


def test_the_time_table_has_a_value_per_quarter_hour():
    table, source = f.hour_preference_table(context(history=history(booking(hour=10.0))))
    assert table.shape == (96,)
    assert table[40] == 1.0  # 10:00
    assert table[44] == pytest.approx(math.exp(-0.5))  # 11:00
    assert source == "none"


def test_slots_round_to_the_nearest_quarter_hour_and_stay_inside_the_day():
    ctx = context(history=history(booking(hour=0.0), booking(hour=23.75)))
    # 10:10 rounds to 10:15; 00:00 and 23:45 are the first and last quarter hours, 23:55
    # rounds up to midnight and stays at 23:45 (the table does not wrap round to 00:00).
    fits = values(
        f.time_of_day_fit, [slot(1, 0), slot(1, 23, 45), slot(1, 23, 55), slot(1, 23, 30)], ctx
    )
    assert fits == pytest.approx([1.0, 1.0, 1.0, math.exp(-(0.25**2) / 2)], rel=1e-9)
    quarter_past = context(history=history(booking(hour=10.25)))
    assert values(f.time_of_day_fit, [slot(1, 10, 10)], quarter_past) == [1.0]


def test_each_booking_adds_its_own_weight_to_the_time_table():
    # A fresh 10:00 (weight 1) and a 14:00 booked a half-life ago (weight 1/2).
    ctx = context(history=history(booking(hour=10.0), booking(hour=14.0, days_ago=120)))
    tail = math.exp(-8)  # four hours away
    at_ten, at_two = values(f.time_of_day_fit, [slot(1, 10), slot(1, 14)], ctx)
    assert at_ten == 1.0
    assert at_two == pytest.approx((0.5 + tail) / (1 + 0.5 * tail), rel=1e-9)


def test_two_fresh_bookings_blend_the_time_half_with_the_stated_periods():
    ctx = context(
        history=history(booking(hour=10.0), booking(hour=10.0)),
        preferences=StatedPreferences(times_of_day=frozenset({"afternoon"})),
    )
    table, source = f.hour_preference_table(ctx)
    assert source == "history"
    ten, three = values(f.time_of_day_fit, [slot(1, 10), slot(1, 15)], ctx)
    assert ten == pytest.approx(0.5 + 0.0)
    assert three == pytest.approx(0.5 * math.exp(-12.5) + 0.5)


def test_unknown_periods_are_ignored():
    stated = context(preferences=StatedPreferences(times_of_day=frozenset({"night", "evening"})))
    assert values(f.time_of_day_fit, [slot(1, 10), slot(1, 14), slot(1, 18)], stated) == [
        0.0,
        0.0,
        1.0,
    ]
    assert f.hour_preference_table(stated)[1] == "stated"
    population = context(
        population=PopulationPatterns(time_of_day_share={"night": 0.9, "morning": 0.45})
    )
    assert values(f.time_of_day_fit, [slot(1, 10), slot(1, 14)], population) == [1.0, 0.0]
    assert f.hour_preference_table(population)[1] == "population"
    assert f.hour_preference_table(context())[1] == "none"


def test_usual_slot_is_the_product_of_the_day_and_the_time_fit():
    ctx = context(history=history(booking(weekday=TUESDAY, hour=10.0)))
    tuesday_eleven, thursday_ten = values(f.usual_slot, [slot(1, 11), slot(3, 10)], ctx)
    assert tuesday_eleven == pytest.approx(math.exp(-0.5), rel=1e-9)
    assert thursday_ten == 0.0


# --- provider continuity --------------------------------------------------------------------


def test_provider_continuity_is_each_providers_weight_over_the_usual_ones():
    ctx = context(
        history=history(
            booking(provider_id=7),
            booking(provider_id=7),
            booking(provider_id=8),
            booking(provider_id=8, days_ago=120),
        )
    )
    candidates = [slot(1, 10, provider_id=p) for p in (7, 8, 9)]
    assert values(f.provider_continuity, candidates, ctx) == pytest.approx([1.0, 0.75, 0.0])


@pytest.mark.parametrize("days_ago", [0, 120, 240])  # weights 1, 1/2 and 1/4
def test_the_usual_provider_scores_1_whatever_the_weight_of_the_history(days_ago):
    ctx = context(history=history(booking(provider_id=7, days_ago=days_ago)))
    candidates = [slot(1, 10, provider_id=p) for p in (7, 8)]
    assert values(f.provider_continuity, candidates, ctx) == pytest.approx([1.0, 0.0])


def test_bookings_too_old_to_weigh_anything_give_no_continuity():
    ancient = context(history=history(booking(provider_id=7, days_ago=2000), half_life_days=1.0))
    assert ancient.history_weights().tolist() == [0.0]
    assert values(f.provider_continuity, [slot(1, 10, provider_id=7)], ancient) == [0.0]


# --- urgency and timing ---------------------------------------------------------------------


def test_urgent_fit_halves_every_day_and_soon_every_three_days():
    candidates = [slot(0, 19), slot(1, 7), slot(3, 7), slot(6, 7)]
    urgent = values(f.urgency_fit, candidates, context(urgency="urgent"))
    assert urgent == pytest.approx([2**-0.5, 0.5, 0.125, 2**-6], rel=1e-9)
    soon = values(f.urgency_fit, candidates, context(urgency="soon"))
    assert soon == pytest.approx([2 ** (-1 / 6), 2 ** (-1 / 3), 0.5, 0.25], rel=1e-9)


def test_a_slot_already_started_counts_as_now():
    started = slot(0, 6)  # an hour before now
    assert values(f.urgency_fit, [started], context(urgency="urgent")) == [1.0]
    assert values(f.soonness, [started], context()) == [1.0]
    assert values(f.wait_days, [started], context()) == [0.0]


def test_soonness_halves_every_week():
    fits = values(f.soonness, [slot(0, 7), slot(7, 7), slot(14, 7), slot(0, 19)], context())
    assert fits == pytest.approx([1.0, 0.5, 0.25, 2 ** (-0.5 / 7)], rel=1e-9)


def test_wait_days_counts_fortnights_up_to_two():
    # London is on summer time from 29 March: 08:00 there is 07:00 UTC.
    candidates = [slot(0, 7), slot(0, 19), slot(7, 7), slot(21, 7), slot(28, 8), slot(40, 8)]
    assert values(f.wait_days, candidates, context()) == pytest.approx(
        [0.0, 0.5 / 14, 0.5, 1.5, 2.0, 2.0], rel=1e-9
    )


def test_the_usual_lead_time_is_the_weighted_median():
    equal = context(history=history(*(booking(lead_days=d) for d in (9, 1, 5))))
    assert f.usual_lead_time_days(equal) == 5.0
    # One fresh booking a day ahead outweighs two a half-life old, whatever their order.
    recent_habit = history(
        booking(lead_days=9, days_ago=240), booking(lead_days=1), booking(lead_days=5, days_ago=240)
    )
    assert f.usual_lead_time_days(context(history=recent_habit)) == 1.0
    assert f.usual_lead_time_days(context()) is None


def test_lead_time_fit_decays_by_half_the_usual_lead_time_and_at_least_a_day():
    six_days = context(history=history(booking(lead_days=6)))  # tolerance three days
    fits = values(f.lead_time_fit, [slot(6, 7), slot(9, 7), slot(3, 7)], six_days)
    assert fits == pytest.approx([1.0, math.exp(-1), math.exp(-1)], rel=1e-9)
    one_day = context(history=history(booking(lead_days=1)))  # tolerance one day, not half
    fits = values(f.lead_time_fit, [slot(1, 7), slot(3, 7)], one_day)
    assert fits == pytest.approx([1.0, math.exp(-2)], rel=1e-9)
    assert values(f.lead_time_fit, [slot(3, 7)], context()) == [0.0]


# --- provider fit ---------------------------------------------------------------------------


def test_specialisation_without_a_share_is_one_over_the_services_offered():
    ctx = context(
        providers=[
            provider_context(1, service_share=0.9),
            provider_context(2),  # offers one service
            provider_context(3, services_offered=0),
            provider_context(4, services_offered=4),
            provider_context(5, service_share=0.0, services_offered=4),
        ]
    )
    candidates = [slot(1, 10, provider_id=p) for p in (1, 2, 3, 4, 5, 6)]
    assert values(f.specialisation, candidates, ctx) == [0.9, 1.0, 1.0, 0.25, 0.0, 0.0]


def test_load_balance_takes_half_the_window_load_and_half_the_days():
    tuesday = at(1, 0).date()
    ctx = context(
        providers=[
            provider_context(2, load_share=0.4, day_load={tuesday: 0.2}),
            provider_context(3, load_share=1.2, day_load={tuesday: 1.5}),  # over-booked
        ]
    )
    # Provider 1 is not in the context: neither idle nor busy.
    candidates = [
        slot(1, 10, provider_id=1),
        slot(1, 10, provider_id=2),
        slot(2, 10, provider_id=2),  # a day without a load figure
        slot(1, 10, provider_id=3),
    ]
    assert values(f.load_balance, candidates, ctx) == pytest.approx([0.5, 0.7, 0.8, 0.0])


# --- schedule efficiency --------------------------------------------------------------------


def test_free_ranges_skip_appointments_before_every_working_day():
    provider = provider_context(
        1, working=(working_day(1),), busy=(TimeRange(at(0, 10), at(0, 11)),)
    )
    assert f.free_ranges(provider) == [TimeRange(at(1, 9), at(1, 17))]
    fully_booked = provider_context(1, working=(working_day(1),), busy=(working_day(1),))
    assert f.free_ranges(fully_booked) == []


def test_free_ranges_sweep_unsorted_working_days_and_appointments():
    provider = provider_context(
        1,
        working=(working_day(2), working_day(0), working_day(1)),
        busy=(
            TimeRange(at(2, 11), at(2, 12)),
            TimeRange(at(0, 11), at(0, 12)),
            TimeRange(at(1, 11), at(1, 12)),
            TimeRange(at(1, 12), at(1, 13)),  # back to back with the one before
            TimeRange(at(0, 8), at(0, 9)),  # ends as the day starts
            TimeRange(at(1, 16), at(1, 17)),  # ends as the day ends
            TimeRange(at(2, 10), at(2, 11, 30)),
            TimeRange(at(2, 10, 30), at(2, 11)),  # inside the one before
        ),
    )
    assert f.free_ranges(provider) == [
        TimeRange(at(0, 9), at(0, 11)),
        TimeRange(at(0, 12), at(0, 17)),
        TimeRange(at(1, 9), at(1, 11)),
        TimeRange(at(1, 13), at(1, 16)),
        TimeRange(at(2, 9), at(2, 10)),
        TimeRange(at(2, 12), at(2, 17)),
    ]


def test_gaps_are_the_free_time_left_on_each_side_for_every_provider_that_has_some():
    day = (TimeRange(at(1, 9), at(1, 17)),)
    ctx = context(
        providers=[
            provider_context(2, working=()),  # no free time at all
            provider_context(3, working=day, busy=(TimeRange(at(1, 11), at(1, 12)),)),
        ]
    )
    # Provider 1 is not in the context.
    candidates = cols(
        slot(1, 10, provider_id=1),
        slot(1, 10, provider_id=2),
        slot(1, 10, provider_id=3),
        slot(1, 12, provider_id=3),
        slot(1, 11, provider_id=3),  # inside the appointment
        slot(1, 8, provider_id=3),  # before the working day
    )
    gaps = f.gaps_left(candidates, ctx)
    nan = float("nan")
    assert gaps.before.tolist() == pytest.approx([nan, nan, 3600, 0, nan, nan], nan_ok=True)
    assert gaps.after.tolist() == pytest.approx([nan, nan, 1800, 4.5 * 3600, nan, nan], nan_ok=True)


def test_a_slot_that_leaves_too_little_on_both_sides_is_a_whole_fragment_point():
    ctx = context(
        providers=[
            provider_context(
                1,
                working=(working_day(1),),
                busy=(TimeRange(at(1, 9), at(1, 10)), TimeRange(at(1, 11), at(1, 17))),
            )
        ]
    )
    # 10:10-10:40 leaves 10 minutes before and 20 after; 10:00-10:30 touches and leaves 30.
    both_short, touching = values(f.short_fragments, [slot(1, 10, 10), slot(1, 10)], ctx)
    assert (both_short, touching) == (1.0, 0.0)
    assert values(f.adjacency, [slot(1, 10, 10), slot(1, 10)], ctx) == [0.0, 0.5]


def test_any_free_time_shorter_than_the_shortest_service_is_a_fragment():
    ctx = context(
        providers=[
            provider_context(
                1,
                working=(working_day(1),),
                busy=(TimeRange(at(1, 9), at(1, 10) - timedelta(seconds=1)),),
            )
        ]
    )
    (leaves_a_second,) = values(f.short_fragments, [slot(1, 10)], ctx)
    assert leaves_a_second == 0.5


def test_a_context_of_only_a_request_knows_no_provider():
    ctx = f.FeatureContext(request=context().request)
    matrix = f.feature_matrix(cols(slot(1, 10)), ctx)
    row = dict(zip(f.FEATURE_NAMES, matrix[0].tolist(), strict=True))
    assert (row["specialisation"], row["load_balance"], row["adjacency"]) == (0.0, 0.5, 0.0)
    assert (row["weekday_fit"], row["provider_continuity"], row["lead_time_fit"]) == (0, 0, 0)


def test_the_matrix_holds_each_feature_in_the_column_of_its_name():
    ctx = context(
        urgency="soon",
        history=history(booking(weekday=TUESDAY, hour=10.0, lead_days=2, provider_id=1)),
        providers=[
            provider_context(
                1, service_share=0.6, load_share=0.3, busy=(TimeRange(at(1, 11), at(1, 12)),)
            ),
            provider_context(2, services_offered=3),
        ],
    )
    candidates = cols(slot(1, 10, 15), slot(2, 9, provider_id=2), slot(3, 16, 30))
    matrix = f.feature_matrix(candidates, ctx)
    for index, name in enumerate(f.FEATURE_NAMES):
        assert matrix[:, index].tolist() == getattr(f, name)(candidates, ctx).tolist(), name
    assert len(set(map(tuple, matrix.T.tolist()))) > 8  # the columns really differ
    assert np.all(matrix[:, f.FEATURE_NAMES.index("short_fragments")] >= 0)
