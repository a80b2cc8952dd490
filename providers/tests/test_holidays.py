from datetime import date

import pytest

from providers.holidays import closed_dates


def test_christmas_closes_a_british_provider():
    closed = closed_dates(
        country="GB", subdivision="", start_date=date(2026, 12, 20), end_date=date(2026, 12, 31)
    )
    assert date(2026, 12, 25) in closed
    assert date(2026, 12, 24) not in closed


def test_new_york_closes_the_observed_friday_before_a_saturday_independence_day():
    closed = closed_dates(
        country="US", subdivision="NY", start_date=date(2026, 7, 1), end_date=date(2026, 7, 6)
    )
    assert date(2026, 7, 3) in closed
    assert date(2026, 7, 2) not in closed
    assert date(2026, 7, 6) not in closed


def test_subdivision_holidays_differ_within_a_country():
    window = {"start_date": date(2026, 1, 1), "end_date": date(2026, 1, 5)}
    assert date(2026, 1, 2) in closed_dates(country="GB", subdivision="SCT", **window)
    assert date(2026, 1, 2) not in closed_dates(country="GB", subdivision="ENG", **window)


def test_codes_are_case_insensitive():
    closed = closed_dates(
        country="gb", subdivision="eng", start_date=date(2026, 12, 25), end_date=date(2026, 12, 25)
    )
    assert closed == {date(2026, 12, 25)}


def test_window_across_new_year_includes_both_years():
    closed = closed_dates(
        country="GB", subdivision="", start_date=date(2026, 12, 30), end_date=date(2027, 1, 2)
    )
    assert closed == {date(2027, 1, 1)}


def test_dates_outside_the_window_are_left_out():
    closed = closed_dates(
        country="GB", subdivision="", start_date=date(2026, 12, 26), end_date=date(2026, 12, 27)
    )
    assert closed == {date(2026, 12, 26)}


def test_no_country_means_nothing_is_closed():
    assert (
        closed_dates(
            country="", subdivision="", start_date=date(2026, 12, 1), end_date=date(2026, 12, 31)
        )
        == set()
    )


def test_end_before_start_is_an_empty_window():
    assert (
        closed_dates(
            country="GB", subdivision="", start_date=date(2026, 12, 31), end_date=date(2026, 12, 1)
        )
        == set()
    )


def test_unknown_country_is_refused():
    with pytest.raises(ValueError, match="XX"):
        closed_dates(
            country="XX", subdivision="", start_date=date(2026, 1, 1), end_date=date(2026, 1, 2)
        )


def test_unknown_subdivision_is_refused():
    with pytest.raises(ValueError, match="GB-ZZ"):
        closed_dates(
            country="GB", subdivision="ZZ", start_date=date(2026, 1, 1), end_date=date(2026, 1, 2)
        )
