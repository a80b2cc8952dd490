"""The pure half of recurring series: the starts a rule gives (DST, months, ends) and the
series' own rules. No database."""

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduling import recurrence
from scheduling.recurrence import Frequency, Recurrence, SeriesPolicy

NEW_YORK = ZoneInfo("America/New_York")


def local(starts, zone=NEW_YORK) -> list[str]:
    return [start.astimezone(zone).strftime("%Y-%m-%d %H:%M") for start in starts]


def test_module_imports_no_django():
    code = (
        "import sys; import scheduling.recurrence; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('django', 'rest_framework')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_weekly_series_across_new_yorks_spring_change_keeps_nine_local():
    first = datetime(2026, 2, 23, 9, 0, tzinfo=NEW_YORK)  # DST begins Sunday 8 March
    starts = recurrence.occurrence_starts(first, Recurrence(Frequency.WEEKLY, count=4), limit=52)
    assert local(starts) == [
        "2026-02-23 09:00",
        "2026-03-02 09:00",
        "2026-03-09 09:00",
        "2026-03-16 09:00",
    ]
    # The instants move by an hour in UTC: 14:00 before the change, 13:00 after.
    assert [start.astimezone(UTC).hour for start in starts] == [14, 14, 13, 13]
    assert all(start.tzinfo is UTC for start in starts)


def test_weekly_series_across_the_autumn_change_keeps_nine_local():
    first = datetime(2026, 10, 26, 9, 0, tzinfo=NEW_YORK)  # DST ends Sunday 1 November
    starts = recurrence.occurrence_starts(first, Recurrence(Frequency.WEEKLY, count=2), limit=52)
    assert local(starts) == ["2026-10-26 09:00", "2026-11-02 09:00"]
    assert [start.hour for start in starts] == [13, 14]


def test_a_time_in_the_spring_gap_moves_to_the_transition():
    first = datetime(2026, 3, 1, 2, 30, tzinfo=NEW_YORK)  # Sundays; 8 March has no 02:30
    starts = recurrence.occurrence_starts(first, Recurrence(Frequency.WEEKLY, count=3), limit=52)
    assert local(starts) == ["2026-03-01 02:30", "2026-03-08 03:00", "2026-03-15 02:30"]


def test_every_two_weeks_until_a_date_includes_that_date():
    first = datetime(2026, 1, 5, 10, 0, tzinfo=NEW_YORK)
    rule = Recurrence(Frequency.BIWEEKLY, until=date(2026, 2, 16))
    assert local(recurrence.occurrence_starts(first, rule, limit=52)) == [
        "2026-01-05 10:00",
        "2026-01-19 10:00",
        "2026-02-02 10:00",
        "2026-02-16 10:00",
    ]


def test_monthly_keeps_the_weekday_of_the_month():
    first = datetime(2026, 1, 13, 9, 0, tzinfo=NEW_YORK)  # the 2nd Tuesday
    starts = recurrence.occurrence_starts(first, Recurrence(Frequency.MONTHLY, count=4), limit=52)
    assert local(starts) == [
        "2026-01-13 09:00",
        "2026-02-10 09:00",
        "2026-03-10 09:00",
        "2026-04-14 09:00",
    ]


def test_monthly_on_a_fifth_weekday_falls_on_the_last_one():
    first = datetime(2026, 1, 30, 9, 0, tzinfo=NEW_YORK)  # the 5th (last) Friday
    dates = recurrence.occurrence_dates(
        first.date(), Recurrence(Frequency.MONTHLY, count=3), limit=9
    )
    assert dates == [date(2026, 1, 30), date(2026, 2, 27), date(2026, 3, 27)]
    # Across a year end too.
    dates = recurrence.occurrence_dates(
        date(2026, 12, 8), Recurrence(Frequency.MONTHLY, count=2), limit=9
    )
    assert dates == [date(2026, 12, 8), date(2027, 1, 12)]


def test_generation_stops_at_the_limit():
    rule = Recurrence(Frequency.WEEKLY, until=date(2030, 1, 1))
    assert len(recurrence.occurrence_dates(date(2026, 1, 5), rule, limit=53)) == 53


def test_a_naive_first_start_is_refused():
    with pytest.raises(ValueError):
        recurrence.occurrence_starts(
            datetime(2026, 1, 5, 9),  # noqa: DTZ001 (naive on purpose)
            Recurrence(Frequency.WEEKLY, count=2),
            limit=5,
        )


POLICY = SeriesPolicy(
    enabled=True,
    max_occurrences=10,
    horizon=timedelta(days=366),
    excluded_service_ids=frozenset({7}),
)


def refusal(policy=POLICY, *, service_id=1, rule=None, generated=4):
    return recurrence.series_refusal(
        policy,
        service_id=service_id,
        service_name="Massage",
        recurrence=rule or Recurrence(Frequency.WEEKLY, count=4),
        generated=generated,
    )


def test_series_rules_accept_a_series_within_the_policy():
    assert refusal() is None
    assert refusal(rule=Recurrence(Frequency.WEEKLY, count=10), generated=10) is None
    assert refusal(rule=Recurrence(Frequency.WEEKLY, until=date(2026, 3, 1)), generated=10) is None


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"policy": SeriesPolicy(False, 10, timedelta(days=1))}, "frequency", "not offered"),
        ({"service_id": 7}, "service", "Massage cannot be booked as a repeating series"),
        ({"rule": Recurrence(Frequency.WEEKLY, count=11), "generated": 11}, "count", "2 to 10"),
        ({"rule": Recurrence(Frequency.WEEKLY, count=1), "generated": 1}, "count", "2 to 10"),
        (
            {"rule": Recurrence(Frequency.WEEKLY, until=date(2027, 1, 1)), "generated": 11},
            "until",
            "more than 10",
        ),
        (
            {"rule": Recurrence(Frequency.WEEKLY, until=date(2026, 1, 1)), "generated": 1},
            "until",
            "single appointment",
        ),
    ],
)
def test_series_rules_refuse_naming_the_field(kwargs, field, words):
    refused = refusal(**kwargs)
    assert refused is not None
    assert refused.field == field
    assert words in refused.message
