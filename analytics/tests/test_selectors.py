"""Every dashboard number on the hand-computed clinic of conftest.py."""

from datetime import UTC, date, datetime, time

import pytest

from analytics.selectors import (
    DashboardQuery,
    dashboard,
    default_query,
    frame_records,
    period_bounds,
    provider_utilisation,
    users_summary,
)
from providers.models import WorkingHours

WEEK = DashboardQuery(first_day=date(2026, 3, 2), last_day=date(2026, 3, 8), tz="UTC")


def test_default_range_is_the_last_30_days_with_the_30_before(frozen_now):
    query = default_query(tz="UTC")
    assert (query.first_day, query.last_day) == (date(2026, 2, 15), date(2026, 3, 16))
    previous = query.previous()
    assert (previous.first_day, previous.last_day) == (date(2026, 1, 16), date(2026, 2, 14))


def test_period_bounds_are_local_midnights():
    window = period_bounds(date(2026, 3, 2), date(2026, 3, 8), "Europe/Helsinki")
    assert window.start == datetime(2026, 3, 1, 22, tzinfo=UTC)
    assert window.end == datetime(2026, 3, 8, 22, tzinfo=UTC)


def test_headline_figures_of_the_week(clinic):
    figures = dashboard(WEEK).figures
    assert figures["bookings"] == 6
    assert figures["cancellations"] == 2
    assert round(figures["cancellation_rate"] * 100, 1) == 33.3
    assert figures["no_shows"] == 1
    assert figures["no_show_rate"] == pytest.approx(0.25)  # 1 of the 4 not cancelled
    # Booked: 30 (completed) + 60 (no-show) + 30 (completed) + 30 (confirmed) = 150 minutes.
    assert figures["booked_minutes"] == 150
    # Working: A 5 x 480 - 240 time off = 2160, B 5 x 240 = 1200.
    assert figures["working_minutes"] == 3360
    assert figures["utilisation"] == pytest.approx(150 / 3360)
    assert figures["recommendation_bookings"] == 2
    assert figures["recommendation_share"] == pytest.approx(2 / 6)
    assert figures["new_clients"] == 2


def test_previous_period_and_change(clinic):
    result = dashboard(WEEK)
    previous = result.previous
    assert previous["bookings"] == 2
    assert previous["cancellation_rate"] == pytest.approx(0.5)
    assert previous["no_show_rate"] == 0
    assert previous["working_minutes"] == 3600
    assert previous["utilisation"] == pytest.approx(30 / 3600)
    assert previous["recommendation_share"] == 0
    assert previous["new_clients"] == 1
    assert result.change["bookings"] == 4
    assert result.change["new_clients"] == 1


def test_series_of_the_week(clinic):
    charts = dashboard(WEEK).charts
    assert [r["bookings"] for r in frame_records(charts["bookings_per_day"])] == [
        2,
        2,
        0,
        1,
        1,
        0,
        0,
    ]
    assert frame_records(charts["bookings_per_day"])[0]["date"] == "2026-03-02"
    heat = {(r["weekday"], r["hour"]): r["bookings"] for r in frame_records(charts["heatmap"])}
    assert heat[("Mon", 10)] == 1 and heat[("Tue", 9)] == 1 and heat[("Fri", 12)] == 1
    assert sum(heat.values()) == 6
    utilisation = {r["provider"]: r for r in frame_records(charts["utilisation"])}
    assert utilisation["A Adams"]["utilisation"] == pytest.approx(90 / 2160)
    assert utilisation["B Brown"]["utilisation"] == pytest.approx(60 / 1200)
    services = frame_records(charts["services"])
    assert [(s["service"], s["bookings"], s["cancellations"]) for s in services] == [
        ("Check-up", 4, 1),
        ("Treatment", 2, 1),
    ]


def test_heatmap_in_the_staff_zone(clinic):
    helsinki = DashboardQuery(
        first_day=date(2026, 3, 2), last_day=date(2026, 3, 8), tz="Europe/Helsinki"
    )
    heat = {
        (r["weekday"], r["hour"]): r["bookings"]
        for r in frame_records(dashboard(helsinki).charts["heatmap"])
    }
    assert heat[("Mon", 12)] == 1  # 10:00 UTC is 12:00 in Helsinki
    assert heat[("Mon", 10)] == 0


def test_filters_by_provider_and_service(clinic):
    by_b = dashboard(DashboardQuery(date(2026, 3, 2), date(2026, 3, 8), provider=clinic["b"]))
    assert by_b.figures["bookings"] == 3
    assert by_b.figures["working_minutes"] == 1200
    assert by_b.figures["utilisation"] == pytest.approx(60 / 1200)
    long_only = dashboard(
        DashboardQuery(date(2026, 3, 2), date(2026, 3, 8), service=clinic["long"])
    )
    assert long_only.figures["bookings"] == 2
    assert long_only.figures["cancellations"] == 1
    assert long_only.figures["no_shows"] == 1


def test_forecast_is_14_days_from_today_marked_as_forecast(clinic):
    forecast = frame_records(dashboard(WEEK).charts["forecast"])
    assert len(forecast) == 14
    assert forecast[0]["date"] == "2026-03-16"
    assert all(row["forecast"] for row in forecast)
    # Eight weeks of history: Mondays held 1 (23 Feb) + 2 (2 March) bookings -> 3 / 8.
    assert forecast[0]["bookings"] == pytest.approx(3 / 8, abs=0.01)


def test_dashboard_query_count_does_not_grow_with_data(clinic, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        dashboard(WEEK)


def test_provider_utilisation(clinic):
    window = period_bounds(date(2026, 3, 2), date(2026, 3, 8), "UTC")
    assert provider_utilisation(clinic["a"], window.start, window.end) == pytest.approx(90 / 2160)


def test_working_minutes_follow_changed_hours(clinic):
    WorkingHours.objects.filter(provider=clinic["b"]).update(end_time=time(11))
    by_b = dashboard(DashboardQuery(date(2026, 3, 2), date(2026, 3, 8), provider=clinic["b"]))
    assert by_b.figures["working_minutes"] == 5 * 120


def test_users_summary(clinic):
    summary = users_summary(WEEK)
    assert summary["new_clients"] == 2
    assert summary["previous_new_clients"] == 1
    per_day = frame_records(summary["new_clients_per_day"])
    assert per_day[0] == {"date": "2026-03-02", "new_clients": 1}
    assert per_day[6] == {"date": "2026-03-08", "new_clients": 1}
    assert summary["clients_with_bookings"] == 2
    assert summary["active_users_by_role"]["provider"] == 3  # A, B and the late joiner


def log_pick(*, appointment, picked_rank: int, shown: int = 3):
    """A recommendation list of `shown` slots from which the client booked `appointment`."""
    from recommendations.models import RecommendationItem, RecommendationLog

    log = RecommendationLog.objects.create(
        client=appointment.client,
        service=appointment.service,
        window_start=appointment.start,
        window_end=appointment.start,
        ranker="rules",
    )
    items = [
        RecommendationItem.objects.create(
            log=log,
            rank=rank,
            provider=appointment.provider,
            service=appointment.service,
            start=appointment.start,
            end=appointment.end,
            score=1.0 / rank,
        )
        for rank in range(1, shown + 1)
    ]
    log.picked_item = items[picked_rank - 1]
    log.picked_appointment = appointment
    log.save()
    return log


def test_top_pick_rate_from_the_recommendation_log(clinic):
    first, _, _, fourth, *_ = clinic["current"]  # the two bookings made from a recommendation
    log_pick(appointment=first, picked_rank=1)
    log_pick(appointment=fourth, picked_rank=2)
    figures = dashboard(WEEK).figures
    assert figures["top_pick_rate"] == pytest.approx(0.5)  # 1 of 2 picks was the top slot
    assert dashboard(WEEK).previous["top_pick_rate"] is None  # no picks that week
    by_a = dashboard(DashboardQuery(date(2026, 3, 2), date(2026, 3, 8), provider=clinic["a"]))
    assert by_a.figures["top_pick_rate"] == 1.0
