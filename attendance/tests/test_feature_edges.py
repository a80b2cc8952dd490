"""The features' edges, on frames built by hand (pure, no database): every bucket boundary,
"strictly before the prediction" at the instant itself, the last-four window, the order of
outcomes by their end, and the targets of training."""

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from attendance.features import (
    FAMILIES,
    FEATURE_NAMES,
    HISTORY_COLUMNS,
    LAST_SCORING_HOURS,
    LEAD_LABELS,
    feature_frame,
    lead_bucket,
    training_targets,
)

T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday: the prediction instant
NAMES = {"reminders": ("appointment_id", "delivered_at")}


def row(pk, *, client=1, start, minutes=30, created=None, status="booked", **fields):
    values = {
        "id": pk,
        "client_id": client,
        "service_id": 3,
        "provider_id": 4,
        "client_zone": "UTC",
        "created_at": created or start - timedelta(days=2),
        "start": start,
        "end": start + timedelta(minutes=minutes),
        "status": status,
        "cancelled_at": None,
        "confirmed_at": None,
    }
    values.update(fields)
    return values


def history(*rows) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=list(HISTORY_COLUMNS))


def reminders(*pairs) -> pd.DataFrame:
    return pd.DataFrame(list(pairs), columns=list(NAMES["reminders"]))


def features(rows, *, target=1, at=T, delivered=()) -> dict:
    targets = pd.DataFrame({"appointment_id": [target], "predict_at": [at]})
    return feature_frame(history(*rows), reminders(*delivered), targets).iloc[0].to_dict()


UPCOMING = row(1, start=T + timedelta(days=3))


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (-0.5, "lead_same_day"),  # booked after its start (a staff entry)
        (0, "lead_same_day"),
        (0.999, "lead_same_day"),
        (1, "lead_1_3_days"),
        (3.999, "lead_1_3_days"),
        (4, "lead_4_13_days"),
        (13.999, "lead_4_13_days"),
        (14, "lead_14_28_days"),
        (28.999, "lead_14_28_days"),
        (29, "lead_over_28_days"),
        (400, "lead_over_28_days"),
    ],
)
def test_lead_time_buckets_at_their_edges(days, bucket):
    assert lead_bucket(days) == bucket
    start = T + timedelta(days=40)
    values = features([row(1, start=start, created=start - timedelta(days=days))])
    leads = {name: value for name, value in values.items() if name.startswith("lead_")}
    assert leads == {name: float(name == bucket) for name in leads}


@pytest.mark.parametrize(
    ("local", "bucket"),
    [
        ("09:59", "hour_early"),
        ("10:00", "hour_midday"),
        ("13:59", "hour_midday"),
        ("14:00", "hour_afternoon"),
        ("16:59", "hour_afternoon"),
        ("17:00", "hour_evening"),
        ("23:30", "hour_evening"),
        ("00:30", "hour_early"),
    ],
)
def test_hour_buckets_at_their_edges_in_the_clients_zone(local, bucket):
    # Friday 13 March 2026 in New York, on daylight time (UTC-4) since the 8th.
    hour, minute = map(int, local.split(":"))
    start = datetime(2026, 3, 13, hour, minute, tzinfo=UTC) + timedelta(hours=4)
    values = features([row(1, start=start, client_zone="America/New_York")])
    hours = {name: value for name, value in values.items() if name.startswith("hour_")}
    assert hours == {name: float(name == bucket) for name in hours}
    assert values["weekday_friday"] == 1  # its local day, whatever the UTC date
    assert sum(value for name, value in values.items() if name.startswith("weekday_")) == 1


def test_every_weekday_in_the_clients_zone():
    for offset, day in enumerate(
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    ):
        # 23:30 UTC is the next morning in Tokyo.
        start = datetime(2026, 3, 8, 23, 30, tzinfo=UTC) + timedelta(days=offset)
        values = features([row(1, start=start, client_zone="Asia/Tokyo")])
        assert [name for name in values if name.startswith("weekday_") and values[name]] == [
            f"weekday_{day}"
        ]


def test_what_happens_at_the_prediction_instant_itself_is_not_known_yet():
    just = T - timedelta(microseconds=1)
    at_instant = [
        UPCOMING | {"confirmed_at": T},
        row(2, start=T - timedelta(minutes=30), status="no_show"),  # ends at T
        row(3, start=T + timedelta(days=5), status="cancelled", cancelled_at=T),
    ]
    before = [
        UPCOMING | {"confirmed_at": just},
        row(2, start=just - timedelta(minutes=30), status="no_show"),
        row(3, start=T + timedelta(days=5), status="cancelled", cancelled_at=just),
    ]
    unknown = features(at_instant, delivered=[(1, T)])
    assert unknown["confirmed"] == 0 and unknown["reminders_delivered"] == 0
    assert unknown["past_visits"] == 0 and unknown["is_new"] == 1
    assert unknown["past_cancellations"] == 0 and unknown["last_was_no_show"] == 0
    known = features(before, delivered=[(1, just), (1, just - timedelta(hours=1))])
    assert known["confirmed"] == 1 and known["reminders_delivered"] == 2
    assert known["past_visits"] == pytest.approx(math.log1p(1)) and known["is_new"] == 0
    assert known["past_cancellations"] == pytest.approx(math.log1p(1))
    assert known["last_was_no_show"] == 1 and known["recent_no_shows"] == 1
    assert known["past_no_show_rate"] == pytest.approx((1 + 0.4) / 3)


def test_the_last_four_and_the_last_outcome_follow_the_end_not_the_row_order():
    outcomes = ["no_show", "no_show", "completed", "completed", "no_show", "completed"]
    past = [
        row(10 + n, start=T - timedelta(days=60 - 10 * n), status=status)
        for n, status in enumerate(outcomes)
    ]
    rng = np.random.default_rng(4)
    shuffled = [past[i] for i in rng.permutation(len(past))]
    values = features([UPCOMING, *shuffled])
    assert values["recent_no_shows"] == 1  # completed, completed, no-show, completed
    assert values["last_was_no_show"] == 0
    assert values["past_no_show_rate"] == pytest.approx((3 + 0.4) / (6 + 2))
    assert values["past_visits"] == pytest.approx(math.log1p(6))
    # the last visit started 10 days before and lasted 30 minutes
    assert values["days_since_last_visit"] == pytest.approx(math.log1p(10 - 30 / 1440))


def test_only_finished_outcomes_are_visits_and_only_cancellations_count_as_such():
    values = features(
        [
            UPCOMING,
            row(2, start=T - timedelta(days=3), status="booked"),  # never closed
            row(3, start=T - timedelta(days=4), status="cancelled"),  # no cancelled_at
            row(4, start=T - timedelta(days=5), status="held"),
            row(5, start=T - timedelta(days=6), status="completed"),
        ]
    )
    assert values["past_visits"] == pytest.approx(math.log1p(1))
    assert values["past_cancellations"] == 0
    assert values["recent_no_shows"] == 0 and values["last_was_no_show"] == 0
    assert values["past_no_show_rate"] == pytest.approx(0.4 / 3)


def test_days_left_is_never_negative_and_counts_from_the_prediction():
    assert features([UPCOMING])["days_left"] == pytest.approx(math.log1p(3))
    assert features([UPCOMING], at=T + timedelta(days=4))["days_left"] == 0


def test_other_clients_and_the_own_row_are_not_history():
    values = features(
        [
            UPCOMING | {"status": "no_show"},  # its own outcome
            row(2, client=2, start=T - timedelta(days=3), status="no_show"),
        ]
    )
    assert values["is_new"] == 1 and values["past_no_show_rate"] == pytest.approx(0.2)


def test_several_targets_keep_their_index_and_order():
    rows = [
        row(1, client=1, start=T + timedelta(days=3)),
        row(2, client=2, start=T + timedelta(days=1), service_id=8, provider_id=9),
        row(3, client=2, start=T - timedelta(days=1), status="no_show"),
    ]
    targets = pd.DataFrame(
        {"appointment_id": [2, 1], "predict_at": [T, T]}, index=pd.Index([70, 50])
    )
    frame = feature_frame(history(*rows), reminders(), targets)
    assert list(frame.index) == [70, 50]
    assert list(frame.columns) == list(FEATURE_NAMES)
    assert frame.loc[70, "last_was_no_show"] == 1 and frame.loc[50, "is_new"] == 1
    assert (frame.loc[70, "service"], frame.loc[70, "provider"]) == ("8", "9")


def test_targets_without_a_row_are_refused_and_no_targets_give_no_rows():
    with pytest.raises(ValueError, match=r"\[9\]"):
        features([UPCOMING], target=9)
    empty = feature_frame(
        history(UPCOMING), reminders(), pd.DataFrame(columns=["appointment_id", "predict_at"])
    )
    assert empty.empty and list(empty.columns) == list(FEATURE_NAMES)


def test_training_predicts_each_outcome_at_booking_and_on_the_day():
    start = T + timedelta(days=10)
    rows = history(
        row(1, start=start, created=start - timedelta(days=10), status="no_show"),
        # booked less than LAST_SCORING_HOURS ahead: only the prediction at booking
        row(2, start=T, created=T - timedelta(hours=LAST_SCORING_HOURS), status="completed"),
        row(3, start=T + timedelta(days=1), status="booked"),
        row(4, start=T + timedelta(days=2), status="cancelled", cancelled_at=T),
    )
    targets = training_targets(rows)
    assert list(targets.columns) == ["appointment_id", "start", "missed", "predict_at"]
    assert targets[["appointment_id", "missed"]].values.tolist() == [[2, 0], [1, 1], [1, 1]]
    assert targets["predict_at"].tolist() == [
        pd.Timestamp(T - timedelta(hours=LAST_SCORING_HOURS)),
        pd.Timestamp(start - timedelta(days=10)),
        pd.Timestamp(start - timedelta(hours=3)),  # on the day: three hours before
    ]
    assert list(targets.index) == [0, 1, 2]


def test_every_feature_belongs_to_exactly_one_family_of_reasons():
    # The reasons group a model's contributions by family: a feature in none would never be
    # explained, one in two would be explained twice.
    members = [name for columns in FAMILIES.values() for name in columns]
    assert sorted(members) == sorted(FEATURE_NAMES)
    assert list(FAMILIES) == [
        "attendance",
        "experience",
        "recency",
        "cancellations",
        "lead_time",
        "days_left",
        "weekday",
        "hour",
        "reminders",
        "confirmed",
        "service",
        "provider",
    ]
    assert FAMILIES["attendance"] == ("past_no_show_rate", "recent_no_shows", "last_was_no_show")
    assert FAMILIES["experience"] == ("past_visits", "is_new")


def test_the_bucket_columns_and_the_lead_time_labels_staff_read():
    assert [name for name in FEATURE_NAMES if name.startswith("hour_")] == [
        "hour_early",
        "hour_midday",
        "hour_afternoon",
        "hour_evening",
    ]
    assert LEAD_LABELS == {
        "lead_same_day": "Same day",
        "lead_1_3_days": "1 to 3 days",
        "lead_4_13_days": "4 to 13 days",
        "lead_14_28_days": "2 to 4 weeks",
        "lead_over_28_days": "Over 4 weeks",
    }
    assert [name for name in FEATURE_NAMES if name.startswith("lead_")] == list(LEAD_LABELS)


def test_a_new_client_has_no_recent_no_shows_and_one_visit_has_its_recency():
    new = features([UPCOMING])
    assert (new["recent_no_shows"], new["last_was_no_show"], new["past_visits"]) == (0, 0, 0)
    once = features([UPCOMING, row(2, start=T - timedelta(days=2), minutes=60, status="completed")])
    assert once["days_since_last_visit"] == pytest.approx(math.log1p(2 - 1 / 24))
    assert once["recent_no_shows"] == 0 and once["is_new"] == 0


def test_clients_in_several_zones_get_their_own_local_day_and_hour():
    start = datetime(2026, 3, 13, 23, 30, tzinfo=UTC)  # Friday night in London
    rows = [
        row(1, client=1, start=start, client_zone="Europe/London"),
        row(2, client=2, start=start, client_zone="Asia/Tokyo"),  # Saturday 08:30
        row(3, client=3, start=start, client_zone="America/Los_Angeles"),  # Friday 16:30
    ]
    targets = pd.DataFrame({"appointment_id": [1, 2, 3], "predict_at": [T, T, T]})
    frame = feature_frame(history(*rows), reminders(), targets)
    assert frame["weekday_friday"].tolist() == [1, 0, 1]
    assert frame["weekday_saturday"].tolist() == [0, 1, 0]
    assert frame["hour_evening"].tolist() == [1, 0, 0]
    assert frame["hour_early"].tolist() == [0, 1, 0]
    assert frame["hour_afternoon"].tolist() == [0, 0, 1]


def test_the_error_names_the_first_five_targets_without_a_row():
    targets = pd.DataFrame({"appointment_id": [11, 12, 13, 14, 15, 16], "predict_at": [T] * 6})
    with pytest.raises(ValueError) as refused:
        feature_frame(history(UPCOMING), reminders(), targets)
    assert str(refused.value) == "targets without a history row: [11, 12, 13, 14, 15]"
