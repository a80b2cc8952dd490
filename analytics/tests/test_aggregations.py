"""The pure dashboard arithmetic on hand-made frames (no database)."""

import ast
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from analytics import aggregations as agg


def frame(rows: list[tuple]) -> pd.DataFrame:
    """rows: (provider_id, service_id, status, source, start, minutes)."""
    records = [
        {
            "id": index,
            "provider_id": provider_id,
            "provider": f"P{provider_id}",
            "service_id": service_id,
            "service": f"S{service_id}",
            "client_id": 1,
            "status": status,
            "source": source,
            "start": start,
            "end": start + timedelta(minutes=length),
        }
        for index, (provider_id, service_id, status, source, start, length) in enumerate(rows)
    ]
    data = pd.DataFrame(records, columns=agg.APPOINTMENT_COLUMNS)
    data["start"] = pd.to_datetime(data["start"], utc=True)
    data["end"] = pd.to_datetime(data["end"], utc=True)
    return data


def utc(day: int, hour: int) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


SIX = frame(
    [
        (1, 1, "completed", "recommendation", utc(2, 10), 30),
        (1, 1, "cancelled", "manual", utc(2, 11), 30),
        (1, 2, "no_show", "manual", utc(3, 14), 60),
        (2, 1, "completed", "recommendation", utc(3, 9), 30),
        (2, 2, "cancelled", "staff", utc(5, 10), 60),
        (2, 1, "booked", "manual", utc(6, 23), 30),
    ]
)
WORKING = pd.DataFrame([(1, "P1", 2160.0), (2, "P2", 1200.0)], columns=agg.WORKING_COLUMNS)


def top_level_imports(path: str) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(Path(path).read_text())):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module.split(".")[0])
    return modules


def test_pure_modules_do_not_import_django():
    from analytics import working_time

    assert "django" not in top_level_imports(agg.__file__)
    assert "django" not in top_level_imports(working_time.__file__)


def test_period_figures_on_six_bookings():
    figures = agg.period_figures(SIX, WORKING, new_clients=2)
    assert figures["bookings"] == 6
    assert figures["cancellations"] == 2
    assert figures["cancellation_rate"] == pytest.approx(2 / 6)  # 33.3%
    assert figures["no_shows"] == 1
    assert figures["no_show_rate"] == pytest.approx(1 / 4)  # of the 4 not cancelled
    assert figures["booked_minutes"] == 30 + 60 + 30 + 30
    assert figures["working_minutes"] == 3360
    assert figures["utilisation"] == pytest.approx(150 / 3360)
    assert figures["recommendation_bookings"] == 2
    assert figures["recommendation_share"] == pytest.approx(2 / 6)
    assert figures["top_pick_rate"] is None  # no picks log given
    assert figures["new_clients"] == 2


def test_rates_are_none_not_zero_when_nothing_to_divide():
    figures = agg.period_figures(agg.empty_appointments(), agg.empty_working(), new_clients=0)
    assert figures["bookings"] == 0
    assert figures["cancellation_rate"] is None
    assert figures["no_show_rate"] is None
    assert figures["utilisation"] is None
    assert figures["recommendation_share"] is None


def test_top_pick_rate_counts_first_ranked_picks():
    picks = pd.DataFrame({"picked_rank": [1, 3, 1, 2]})
    assert agg.top_pick_rate(picks) == pytest.approx(0.5)
    assert agg.top_pick_rate(pd.DataFrame({"picked_rank": []})) is None


def test_compare_periods_gives_differences_and_none_where_undefined():
    change = agg.compare_periods(
        {"bookings": 6, "utilisation": 0.5, "top_pick_rate": None},
        {"bookings": 2, "utilisation": None, "top_pick_rate": None},
    )
    assert change == {"bookings": 4, "utilisation": None, "top_pick_rate": None}


def test_bookings_per_day_fills_empty_days_and_uses_the_display_zone():
    daily = agg.bookings_per_day(
        SIX, first_day=date(2026, 3, 2), last_day=date(2026, 3, 8), tz="UTC"
    )
    assert list(daily["bookings"]) == [2, 2, 0, 1, 1, 0, 0]
    assert list(daily["cancellations"]) == [1, 0, 0, 1, 0, 0, 0]
    # 23:00 UTC on Friday 6 March is Saturday 01:00 in Helsinki.
    helsinki = agg.bookings_per_day(
        SIX, first_day=date(2026, 3, 2), last_day=date(2026, 3, 8), tz="Europe/Helsinki"
    )
    assert list(helsinki["bookings"]) == [2, 2, 0, 1, 0, 1, 0]


def test_heatmap_counts_by_local_weekday_and_hour():
    heat = agg.weekday_hour_heatmap(SIX, tz="UTC")
    assert heat.shape == (7, 24)
    assert heat.loc[0, 10] == 1 and heat.loc[0, 11] == 1  # Monday
    assert heat.loc[1, 14] == 1 and heat.loc[1, 9] == 1  # Tuesday
    assert heat.loc[3, 10] == 1 and heat.loc[4, 23] == 1
    assert int(heat.to_numpy().sum()) == 6
    shifted = agg.weekday_hour_heatmap(SIX, tz="Europe/Helsinki")  # UTC+2 in March
    assert shifted.loc[0, 12] == 1 and shifted.loc[5, 1] == 1
    long = agg.heatmap_long(heat)
    assert len(long) == 7 * 24
    assert long[(long.weekday == "Mon") & (long.hour == 10)]["bookings"].item() == 1


def test_utilisation_per_provider():
    table = agg.utilisation_per_provider(SIX, WORKING)
    by_provider = table.set_index("provider_id")
    assert by_provider.loc[1, "booked_minutes"] == 90  # 30 completed + 60 no-show
    assert by_provider.loc[1, "utilisation"] == pytest.approx(90 / 2160)
    assert by_provider.loc[2, "booked_minutes"] == 60
    assert by_provider.loc[2, "utilisation"] == pytest.approx(60 / 1200)
    assert list(table["provider_id"]) == [2, 1]  # busiest first


def test_utilisation_of_provider_without_hours_is_none():
    table = agg.utilisation_per_provider(SIX, WORKING[WORKING.provider_id == 1])
    assert pd.isna(table.set_index("provider_id").loc[2, "utilisation"])  # n/a, not 0%


def test_bookings_per_service():
    table = agg.bookings_per_service(SIX)
    assert table.to_dict(orient="records") == [
        {"service_id": 1, "service": "S1", "bookings": 4, "cancellations": 1},
        {"service_id": 2, "service": "S2", "bookings": 2, "cancellations": 1},
    ]


def weekly_pattern(weeks: int, *, growth_per_week: float = 0.0) -> pd.DataFrame:
    """Mondays 6, Tuesdays 3, Saturdays 1, other days 0 (plus growth), ending Sunday 15 March."""
    last = date(2026, 3, 15)
    days = [last - timedelta(days=offset) for offset in range(weeks * 7 - 1, -1, -1)]
    base = {0: 6, 1: 3, 5: 1}
    counts = [
        base.get(day.weekday(), 0) + growth_per_week * (weeks - 1 - (last - day).days // 7)
        for day in days
    ]
    return pd.DataFrame({"date": days, "bookings": counts})


def test_forecast_repeats_a_weekly_pattern_for_14_days():
    forecast = agg.forecast_bookings(weekly_pattern(8), first_day=date(2026, 3, 16), days=14)
    assert len(forecast) == 14
    assert forecast["forecast"].all()
    assert forecast["date"].iloc[0] == date(2026, 3, 16)
    assert list(forecast["bookings"][:7]) == [6, 3, 0, 0, 0, 1, 0]
    assert list(forecast["bookings"][7:]) == [6, 3, 0, 0, 0, 1, 0]


def test_forecast_uses_only_the_last_n_weeks():
    old = weekly_pattern(8)
    old.loc[:27, "bookings"] = 100  # four old weeks of a very different pattern
    forecast = agg.forecast_bookings(old, first_day=date(2026, 3, 16), weeks=4)
    assert forecast["bookings"].iloc[0] == 6


def test_forecast_with_trend_follows_growth():
    history = weekly_pattern(8, growth_per_week=1.0)  # +1 booking a day every week
    flat = agg.forecast_bookings(history, first_day=date(2026, 3, 16), trend=False)
    trending = agg.forecast_bookings(history, first_day=date(2026, 3, 16), trend=True)
    # Mondays were 6..13 over eight weeks: the mean says 9.5, the trend says about 14.
    assert flat["bookings"].iloc[0] == pytest.approx(9.5)
    assert trending["bookings"].iloc[0] > 13
    assert trending["bookings"].iloc[7] > trending["bookings"].iloc[0]


def test_forecast_without_history_is_zero_and_never_negative():
    empty = pd.DataFrame({"date": [], "bookings": []})
    forecast = agg.forecast_bookings(empty, first_day=date(2026, 3, 16))
    assert list(forecast["bookings"]) == [0.0] * 14
    falling = weekly_pattern(8, growth_per_week=-1.0)
    assert (
        agg.forecast_bookings(falling, first_day=date(2026, 3, 16), trend=True)["bookings"] >= 0
    ).all()


def test_a_group_sessions_seats_take_the_providers_time_once():
    seats = frame(
        [
            (1, 3, "cancelled", "manual", utc(2, 10), 60),  # a seat given up
            (1, 3, "completed", "manual", utc(2, 10), 60),
            (1, 3, "no_show", "manual", utc(2, 10), 60),
            (1, 3, "completed", "manual", utc(2, 14), 60),  # another session
            (1, 1, "completed", "manual", utc(2, 16), 30),  # a private appointment
        ]
    )
    seats["session_id"] = [7, 7, 7, 8, None]
    figures = agg.period_figures(seats, WORKING, new_clients=0)
    assert figures["bookings"] == 5  # each seat is a client's booking
    assert figures["booked_minutes"] == 60 + 60 + 30
    (p1,) = agg.utilisation_per_provider(seats, WORKING[WORKING["provider_id"] == 1])[
        "booked_minutes"
    ]
    assert p1 == 150
