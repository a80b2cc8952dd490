"""The client's hard limits and the urgent guarantee, whatever ranks: no time outside the
acceptable local hours or on an avoided day is recommended, an urgent request shows the
soonest time among its first three, and wishes stated after the history outweigh it."""

from dataclasses import replace
from datetime import timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from recommendations.engine import (
    DEFAULT_WEIGHTS,
    ClientHistory,
    PastAppointment,
    StatedPreferences,
    recommend,
)
from recommendations.engine.scoring import URGENT_SOONEST_WITHIN, score_candidates
from recommendations.tests.engine_helpers import NOW, at, context, provider_context, slot


class LateFirst:
    """A ranker that prefers the latest time: the worst case for the urgent guarantee."""

    version = "late-first"

    def score(self, features: np.ndarray) -> np.ndarray:
        return np.arange(len(features), dtype=float)


def test_the_default_hours_keep_out_early_mornings_and_late_evenings():
    ctx = context()
    candidates = [slot(1, 6, 45), slot(1, 7), slot(1, 20, 30), slot(1, 20, 45)]
    shown = [r.candidate for r in recommend(candidates, ctx, weights=DEFAULT_WEIGHTS)]
    # 06:45 starts too early; 20:45-21:15 ends too late; 07:00 and 20:30-21:00 fit.
    assert sorted(c.start for c in shown) == [at(1, 7), at(1, 20, 30)]


def test_a_client_who_only_comes_at_lunchtime_is_offered_lunchtime_only():
    wishes = StatedPreferences(earliest_hour=12.0, latest_hour=14.0, times_of_day={"lunchtime"})
    ctx = context(preferences=wishes)
    candidates = [slot(1, hour, minute) for hour in range(9, 17) for minute in (0, 30)]
    shown = recommend(candidates, ctx, weights=DEFAULT_WEIGHTS, limit=10)
    assert shown and all(at(1, 12) <= r.candidate.start <= at(1, 13, 30) for r in shown)


def test_an_end_a_moment_past_the_latest_time_is_too_late():
    late = slot(1, 20, 30)
    just_over = replace(late, end=late.end + timedelta(milliseconds=250))
    shown = recommend([just_over, slot(1, 10)], context(), weights=DEFAULT_WEIGHTS)
    assert [r.candidate.start for r in shown] == [at(1, 10)]


def test_each_limit_holds_beside_the_others():
    # An avoided day or provider does not lift the hours, nor the hours the avoided ones.
    wishes = StatedPreferences(avoided_weekdays=frozenset({0}), avoided_providers=frozenset({2}))
    candidates = [
        slot(1, 6),  # Tuesday (not avoided), provider 1 (not avoided), but too early
        slot(0, 10),  # Monday: avoided
        slot(1, 11, provider_id=2),  # provider 2: avoided
        slot(1, 12),  # fits
    ]
    ctx = context(providers=[provider_context(1), provider_context(2)], preferences=wishes)
    shown = recommend(candidates, ctx, weights=DEFAULT_WEIGHTS, limit=5)
    assert [(r.candidate.start, r.candidate.provider_id) for r in shown] == [(at(1, 12), 1)]


def test_an_avoided_weekday_is_never_recommended():
    ctx = context(preferences=StatedPreferences(avoided_weekdays=frozenset({0, 1})))
    candidates = [slot(day, 10) for day in range(5)]  # Monday to Friday
    shown = recommend(candidates, ctx, weights=DEFAULT_WEIGHTS, limit=5)
    assert [r.candidate.start for r in shown] and all(
        r.candidate.start.weekday() not in (0, 1) for r in shown
    )


def test_when_nothing_fits_the_limits_nothing_is_recommended():
    ctx = context(preferences=StatedPreferences(earliest_hour=18.0, latest_hour=20.0))
    assert recommend([slot(1, 10), slot(2, 11)], ctx, weights=DEFAULT_WEIGHTS) == []


def test_an_urgent_request_shows_the_soonest_time_even_to_a_ranker_that_hides_it():
    ctx = context(urgency="urgent")
    candidates = [slot(0, 10 + h) for h in range(6)] + [slot(1, 9 + h) for h in range(6)]
    shown = recommend(candidates, ctx, weights=DEFAULT_WEIGHTS, ranker=LateFirst(), limit=5)
    starts = [r.candidate.start for r in shown]
    assert starts.index(at(0, 10)) == 2  # moved up to the third place, no further
    # The ranker's own order is kept otherwise (latest first).
    assert starts[:2] == sorted(starts[:2], reverse=True)
    # A routine request leaves the ranker alone.
    routine = recommend(candidates, context(), weights=DEFAULT_WEIGHTS, ranker=LateFirst())
    assert at(0, 10) not in [r.candidate.start for r in routine]


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    hours=st.lists(
        st.tuples(st.integers(0, 2), st.integers(7, 19), st.sampled_from([0, 15, 30, 45])),
        min_size=1,
        max_size=25,
        unique=True,
    ),
    seed=st.integers(0, 2**16),
    limit=st.integers(1, 6),
)
def test_urgent_requests_always_show_the_soonest_time_first_three(hours, seed, limit):
    class Noise:
        version = "noise"

        def score(self, features):
            return np.random.default_rng(seed).random(len(features))

    candidates = [slot(day, hour, minute) for day, hour, minute in hours]
    ctx = context(urgency="urgent")
    scored = score_candidates(candidates, ctx, Noise())
    shown = recommend(candidates, ctx, weights=DEFAULT_WEIGHTS, ranker=Noise(), limit=limit)
    soonest = min(scored.columns.start_ts) if len(scored) else None
    if soonest is None:
        assert shown == []
        return
    firsts = [r.candidate.start.timestamp() for r in shown[: min(limit, URGENT_SOONEST_WITHIN)]]
    assert soonest in firsts


def _history(weekday_days, hour, booked_days_ago):
    return ClientHistory(
        appointments=tuple(
            PastAppointment(
                weekday=day % 7,
                local_hour=hour,
                provider_id=1,
                lead_time_days=7,
                booked_at=NOW - timedelta(days=booked_days_ago + n),
            )
            for n, day in enumerate(weekday_days)
        )
    )


def test_wishes_stated_after_the_history_outweigh_it():
    # Twenty Monday and Friday afternoons, then the client says: Tuesday and Thursday mornings.
    history = _history([0, 4] * 10, 15.0, booked_days_ago=30)
    stated = StatedPreferences(
        weekdays=frozenset({1, 3}),
        times_of_day=frozenset({"morning"}),
        stated_at=NOW - timedelta(days=2),
    )
    candidates = [slot(0, 15), slot(4, 15), slot(1, 9), slot(3, 10)]
    top = recommend(
        candidates, context(history=history, preferences=stated), weights=DEFAULT_WEIGHTS
    )
    assert {top[0].candidate.start, top[1].candidate.start} == {at(1, 9), at(3, 10)}
    assert any("preferred" in reason for reason in top[0].reasons)
    # The same wishes stated before that history leave the habit in charge.
    older = replace(stated, stated_at=NOW - timedelta(days=400))
    habit = recommend(
        candidates, context(history=history, preferences=older), weights=DEFAULT_WEIGHTS
    )
    assert habit[0].candidate.start in (at(0, 15), at(4, 15))


def test_bookings_after_the_change_count_in_full():
    stated = StatedPreferences(
        weekdays=frozenset({1}),
        times_of_day=frozenset({"morning"}),
        stated_at=NOW - timedelta(days=60),
    )
    # Since the change, eight Wednesday evenings: the client's behaviour is followed again.
    history = _history([2] * 8, 18.0, booked_days_ago=1)
    ctx = context(history=history, preferences=stated)
    assert ctx.history_confidence() > 0.6
    stale = context(history=_history([2] * 8, 18.0, booked_days_ago=61), preferences=stated)
    assert stale.history_confidence() < 0.1
