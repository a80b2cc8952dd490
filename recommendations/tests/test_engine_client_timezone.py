"""A client's "Tuesday mornings" are in the client's own zone, whatever the provider's: the
pure engine (the selectors' side is in test_client_timezone.py).

Early March 2026: London is on GMT (UTC+0), New York on EST (UTC-5), Kolkata on IST (UTC+5:30).
"""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from recommendations.engine import (
    DEFAULT_WEIGHTS,
    CandidateColumns,
    CandidateSlot,
    ClientHistory,
    PastAppointment,
    StatedPreferences,
    TimeRange,
    recommend,
)
from recommendations.engine import features as f
from recommendations.engine.types import time_of_day
from recommendations.tests.engine_helpers import NOW, at, context, provider_context, slot

NEW_YORK = "America/New_York"
KOLKATA = ZoneInfo("Asia/Kolkata")
TUESDAY_MORNINGS = StatedPreferences(weekdays=frozenset({1}), times_of_day=frozenset({"morning"}))


def client_context(zone: str, **kwargs):
    """A client in `zone` who accepts any hour: these tests are about whose clock the fit
    reads, and 09:00 in Kolkata is 22:30 in New York (the limits have their own tests)."""
    ctx = context(**kwargs)
    ctx.request = replace(ctx.request, client_timezone=zone)
    ctx.preferences = replace(ctx.preferences, earliest_hour=0.0, latest_hour=24.0)
    return ctx


def kolkata_slot(day: int, hour: int, minute: int = 0, *, provider_id: int = 2) -> CandidateSlot:
    """`day` days after Monday 2 March 2026, at hour:minute in Kolkata."""
    local = datetime(2026, 3, 2, hour, minute, tzinfo=KOLKATA) + timedelta(days=day)
    start = local.astimezone(UTC)
    return CandidateSlot(
        provider_id=provider_id,
        start=start,
        end=start + timedelta(minutes=30),
        local_start=local,
        timezone="Asia/Kolkata",
        blocked_start=start,
        blocked_end=start + timedelta(minutes=30),
    )


# --- the engine -------------------------------------------------------------------------------


def test_columns_see_each_start_in_the_client_zone_and_each_date_in_the_providers():
    tuesday_nine_ist = kolkata_slot(1, 9)  # Monday 22:30 in New York
    columns = CandidateColumns.of([tuesday_nine_ist], NEW_YORK)
    assert list(columns.client_weekdays) == [0]
    assert list(columns.client_hours) == [22.5]
    assert columns.provider_dates == [tuesday_nine_ist.local_start.date()]


def test_a_kolkata_tuesday_morning_is_not_a_new_york_clients_tuesday_morning():
    ctx = client_context(NEW_YORK, preferences=TUESDAY_MORNINGS)
    columns = CandidateColumns.of([kolkata_slot(1, 9)], NEW_YORK)  # Monday 22:30 New York
    assert list(f.weekday_fit(columns, ctx)) == [0.0]
    assert list(f.time_of_day_fit(columns, ctx)) == [0.0]
    assert list(f.usual_slot(columns, ctx)) == [0.0]


def test_a_london_afternoon_can_be_a_new_york_clients_morning():
    ctx = client_context(NEW_YORK, preferences=TUESDAY_MORNINGS)
    # Tuesday 14:00 London is 09:00 in New York; Tuesday 09:00 London is 04:00 there, which the
    # engine's own boundaries (morning before 12:00) still call a morning.
    assert time_of_day(4.0) == "morning"
    columns = CandidateColumns.of([slot(1, 14), slot(1, 9), slot(1, 17, 30)], NEW_YORK)
    assert list(f.weekday_fit(columns, ctx)) == [1.0, 1.0, 1.0]
    # 17:30 London is 12:30 in New York: an afternoon.
    assert list(f.time_of_day_fit(columns, ctx)) == [1.0, 1.0, 0.0]


def test_history_in_the_client_zone_matches_slots_seen_in_the_client_zone():
    # Past Tuesdays at 10:00 New York time (15:00 in London).
    history = ClientHistory(
        appointments=tuple(
            PastAppointment(
                weekday=1,
                local_hour=10.0,
                provider_id=1,
                lead_time_days=7,
                booked_at=NOW - timedelta(days=20 * i),
            )
            for i in range(1, 5)
        )
    )
    ctx = client_context(NEW_YORK, history=history)
    london_ten, london_three = f.time_of_day_fit(
        CandidateColumns.of([slot(1, 10), slot(1, 15)], NEW_YORK), ctx
    )
    assert london_three > 0.9
    assert london_ten < 0.1


def test_reasons_name_the_new_york_weekday_and_period_for_a_london_slot():
    ctx = client_context(NEW_YORK, preferences=TUESDAY_MORNINGS)
    candidates = [slot(1, 14), slot(2, 14)]  # Tuesday and Wednesday, 09:00 in New York
    top = recommend(candidates, ctx, weights=DEFAULT_WEIGHTS, limit=2)
    assert top[0].candidate == candidates[0]
    assert "fits your preferred Tuesday mornings" in top[0].reasons


def test_the_kolkata_tuesday_slot_loses_to_a_true_new_york_tuesday_morning():
    london = provider_context(1)
    kolkata = provider_context(
        2, working=(TimeRange(kolkata_slot(1, 9).start, kolkata_slot(1, 17).start),)
    )
    ctx = client_context(NEW_YORK, preferences=TUESDAY_MORNINGS, providers=[london, kolkata])
    candidates = [kolkata_slot(1, 9), slot(1, 14)]
    top = recommend(candidates, ctx, weights=DEFAULT_WEIGHTS, limit=2)
    assert top[0].candidate == candidates[1]
    kolkata_result = top[1]
    assert not any("Tuesday" in reason for reason in kolkata_result.reasons)


def test_no_gap_reasons_print_the_new_york_clock_time():
    provider = provider_context(
        1,
        working=(TimeRange(at(2, 9), at(2, 17)),),
        busy=(TimeRange(at(2, 11), at(2, 12)),),  # 11:00-12:00 London, 06:00-07:00 New York
    )
    ctx = client_context(NEW_YORK, providers=[provider])
    (before,) = recommend([slot(2, 10, 30)], ctx, weights=DEFAULT_WEIGHTS, limit=1)
    assert "fills the free time right up to 06:00" in before.reasons
    (after,) = recommend([slot(2, 12)], ctx, weights=DEFAULT_WEIGHTS, limit=1)
    assert "starts at 07:00, as soon as time is free" in after.reasons


def test_the_providers_least_busy_day_is_its_own_local_date():
    # Kolkata Tuesday 09:00 is Monday evening in New York; the provider's quiet day is Tuesday.
    tuesday, wednesday = (
        kolkata_slot(1, 9).local_start.date(),
        kolkata_slot(2, 9).local_start.date(),
    )
    provider = provider_context(2, name="Dr. Rao", day_load={tuesday: 0.1, wednesday: 0.9})
    ctx = client_context(NEW_YORK, providers=[provider])
    top = recommend([kolkata_slot(1, 9), kolkata_slot(2, 9)], ctx, weights=DEFAULT_WEIGHTS)
    quiet = next(r for r in top if r.candidate == kolkata_slot(1, 9))
    assert "a quieter day for Dr. Rao" in quiet.reasons
