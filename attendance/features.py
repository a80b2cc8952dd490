"""The no-show features, pure (pandas, no Django): one implementation for production scoring,
training on the database and the synthetic generator.

The input is the frame `attendance.history` reads from the database (or the generator builds):
one row per appointment of the clients concerned (`HISTORY_COLUMNS`), the delivered reminders
(`REMINDER_COLUMNS`) and the targets: an appointment and the instant of the prediction. A
target's features use only what was known strictly before its prediction time: appointments
that had ended, cancellations and confirmations made, reminders delivered before it. Its own
outcome is never read.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

HISTORY_COLUMNS = (
    "id",
    "client_id",
    "service_id",
    "provider_id",
    "client_zone",  # the client's IANA zone
    "created_at",  # booked
    "start",
    "end",
    "status",
    "cancelled_at",
    "confirmed_at",
)
REMINDER_COLUMNS = ("appointment_id", "delivered_at")
TARGET_COLUMNS = ("appointment_id", "predict_at")

ATTENDED = "completed"
MISSED = "no_show"
OUTCOMES = (ATTENDED, MISSED)

# A new client's no-show rate is pulled towards this prior (weight in appointments).
PRIOR_RATE = 0.2
PRIOR_WEIGHT = 2.0
RECENT_COUNT = 4

# Lead time (booked -> start) in days: the published relation is not monotone (about 5% for
# same-day bookings, about a third at two to four weeks), so the model gets buckets.
LEAD_BUCKETS = (
    ("lead_same_day", 0, 1),
    ("lead_1_3_days", 1, 4),
    ("lead_4_13_days", 4, 14),
    ("lead_14_28_days", 14, 29),
    ("lead_over_28_days", 29, float("inf")),
)
LEAD_LABELS = {
    "lead_same_day": "Same day",
    "lead_1_3_days": "1 to 3 days",
    "lead_4_13_days": "4 to 13 days",
    "lead_14_28_days": "2 to 4 weeks",
    "lead_over_28_days": "Over 4 weeks",
}
HOUR_BUCKETS = (
    ("hour_early", 0, 10),
    ("hour_midday", 10, 14),
    ("hour_afternoon", 14, 17),
    ("hour_evening", 17, 24),
)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

NUMERIC_FEATURES = (
    "past_visits",  # log(1 + finished appointments before the prediction)
    "past_no_show_rate",  # with the prior
    "recent_no_shows",  # of the last RECENT_COUNT finished
    "last_was_no_show",
    "days_since_last_visit",  # log(1 + days); 0 for a new client
    "is_new",
    "past_cancellations",  # log(1 + cancellations made before the prediction)
    *(name for name, _, _ in LEAD_BUCKETS),
    "days_left",  # log(1 + days from the prediction to the start)
    *(f"weekday_{day}" for day in WEEKDAYS),
    *(name for name, _, _ in HOUR_BUCKETS),
    "reminders_delivered",
    "confirmed",
)
CATEGORICAL_FEATURES = ("service", "provider")
FEATURE_NAMES = (*NUMERIC_FEATURES, *CATEGORICAL_FEATURES)

# Columns that describe one fact to a person (the reasons group a model's contributions by
# these families): family -> columns.
FAMILIES: dict[str, tuple[str, ...]] = {
    "attendance": ("past_no_show_rate", "recent_no_shows", "last_was_no_show"),
    "experience": ("past_visits", "is_new"),
    "recency": ("days_since_last_visit",),
    "cancellations": ("past_cancellations",),
    "lead_time": tuple(name for name, _, _ in LEAD_BUCKETS),
    "days_left": ("days_left",),
    "weekday": tuple(f"weekday_{day}" for day in WEEKDAYS),
    "hour": tuple(name for name, _, _ in HOUR_BUCKETS),
    "reminders": ("reminders_delivered",),
    "confirmed": ("confirmed",),
    "service": ("service",),
    "provider": ("provider",),
}

DAY = pd.Timedelta(days=1)
LAST_SCORING_HOURS = 3


def empty_history() -> pd.DataFrame:
    return pd.DataFrame({column: [] for column in HISTORY_COLUMNS})


def _utc(series: pd.Series) -> pd.Series:
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        # Already instants (the database's frames): converting is free, where `to_datetime`
        # would look at every value again.
        return series.dt.tz_convert("UTC")
    return pd.to_datetime(series, utc=True)


def lead_bucket(lead_days: float) -> str:
    for name, low, high in LEAD_BUCKETS:
        if low <= lead_days < high:
            return name
    return LEAD_BUCKETS[0][0]  # booked after the start (a staff entry): treat as same day


def feature_frame(
    history: pd.DataFrame, reminders: pd.DataFrame, targets: pd.DataFrame
) -> pd.DataFrame:
    """One row of features per target, indexed like `targets` (columns `FEATURE_NAMES`)."""
    targets = targets[list(TARGET_COLUMNS)]
    if targets.empty:
        return pd.DataFrame(columns=list(FEATURE_NAMES))
    history = history.copy()
    for column in ("created_at", "start", "end", "cancelled_at", "confirmed_at"):
        history[column] = _utc(history[column])
    own = targets.reset_index(drop=True)
    own = own.assign(predict_at=_utc(own["predict_at"])).merge(
        history, left_on="appointment_id", right_on="id", how="left", validate="many_to_one"
    )
    if own["id"].isna().any():
        missing = own.loc[own["id"].isna(), "appointment_id"].tolist()[:5]
        raise ValueError(f"targets without a history row: {missing}")
    own["target"] = np.arange(len(own))
    rest = pd.DataFrame(
        {
            "confirmed": (
                own["confirmed_at"].notna() & (own["confirmed_at"] < own["predict_at"])
            ).astype(float),
            "service": own["service_id"].astype("int64").astype(str),
            "provider": own["provider_id"].astype("int64").astype(str),
        },
        index=own.index,
    )
    frame = pd.concat(
        [_past_attendance(own, history), _booking(own), _reminders(own, reminders), rest], axis=1
    )
    return frame[list(FEATURE_NAMES)].set_index(targets.index)


def _past_attendance(own: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    """The client's record before each prediction: finished appointments that had ended,
    cancellations already made."""
    keys = own[["target", "client_id", "appointment_id", "predict_at"]]
    others = history[["id", "client_id", "end", "status", "cancelled_at"]].rename(
        columns={"id": "other_id"}
    )
    pairs = keys.merge(others, on="client_id")
    pairs = pairs[pairs["other_id"] != pairs["appointment_id"]]
    finished = pairs[pairs["status"].isin(OUTCOMES) & (pairs["end"] < pairs["predict_at"])]
    finished = finished.assign(missed=(finished["status"] == MISSED).astype(float))
    finished = finished.sort_values(["target", "end"], kind="stable")
    grouped = finished.groupby("target")
    count = grouped.size()
    missed = grouped["missed"].sum()
    last = grouped.tail(1).set_index("target")
    recent = finished.groupby("target").tail(RECENT_COUNT).groupby("target")["missed"].sum()
    cancelled = pairs[pairs["cancelled_at"].notna() & (pairs["cancelled_at"] < pairs["predict_at"])]
    cancellations = cancelled.groupby("target").size()

    index = own["target"]
    n = count.reindex(index, fill_value=0).to_numpy(dtype=float)
    k = missed.reindex(index, fill_value=0).to_numpy(dtype=float)
    last_end = last["end"].reindex(index).reset_index(drop=True)
    since = ((own["predict_at"].reset_index(drop=True) - last_end) / DAY).to_numpy(dtype=float)
    columns = {
        "past_visits": np.log1p(n),
        "past_no_show_rate": (k + PRIOR_WEIGHT * PRIOR_RATE) / (n + PRIOR_WEIGHT),
        "recent_no_shows": recent.reindex(index, fill_value=0).to_numpy(dtype=float),
        "last_was_no_show": last["missed"].reindex(index, fill_value=0).to_numpy(dtype=float),
        "days_since_last_visit": np.where(n > 0, np.log1p(np.nan_to_num(since, nan=0.0)), 0.0),
        "is_new": (n == 0).astype(float),
        "past_cancellations": np.log1p(
            cancellations.reindex(index, fill_value=0).to_numpy(dtype=float)
        ),
    }
    return pd.DataFrame(columns, index=own.index)


def _booking(own: pd.DataFrame) -> pd.DataFrame:
    """Lead time, days left, weekday and hour of the start in the client's zone."""
    columns: dict[str, np.ndarray] = {}
    lead = ((own["start"] - own["created_at"]) / DAY).to_numpy(dtype=float)
    buckets = np.array([lead_bucket(value) for value in lead])
    for name, _, _ in LEAD_BUCKETS:
        columns[name] = (buckets == name).astype(float)
    left = ((own["start"] - own["predict_at"]) / DAY).to_numpy(dtype=float)
    columns["days_left"] = np.log1p(np.clip(left, 0, None))
    weekday = np.zeros(len(own), dtype=int)
    hour = np.zeros(len(own), dtype=int)
    for zone, rows in own.groupby("client_zone").groups.items():
        local = own.loc[rows, "start"].dt.tz_convert(zone)
        positions = own.index.get_indexer(rows)
        weekday[positions] = local.dt.weekday.to_numpy()
        hour[positions] = local.dt.hour.to_numpy()
    for number, day in enumerate(WEEKDAYS):
        columns[f"weekday_{day}"] = (weekday == number).astype(float)
    for name, low, high in HOUR_BUCKETS:
        columns[name] = ((hour >= low) & (hour < high)).astype(float)
    return pd.DataFrame(columns, index=own.index)


def _reminders(own: pd.DataFrame, reminders: pd.DataFrame) -> pd.DataFrame:
    delivered = reminders.assign(delivered_at=_utc(reminders["delivered_at"]))
    pairs = own[["target", "appointment_id", "predict_at"]].merge(delivered, on="appointment_id")
    before = pairs[pairs["delivered_at"] < pairs["predict_at"]].groupby("target").size()
    return pd.DataFrame(
        {"reminders_delivered": before.reindex(own["target"], fill_value=0).to_numpy(float)},
        index=own.index,
    )


def training_targets(history: pd.DataFrame) -> pd.DataFrame:
    """The targets of training: every finished appointment, predicted twice, as at booking
    and as on the day (`LAST_SCORING_HOURS` before the start, when booked earlier), with its
    label `missed`. The scores in between (daily until the day) interpolate by `days_left`."""
    finished = history[history["status"].isin(OUTCOMES)].reset_index(drop=True)
    created = _utc(finished["created_at"])
    start = _utc(finished["start"])
    on_the_day = start - pd.Timedelta(hours=LAST_SCORING_HOURS)
    day_before = on_the_day.where(on_the_day > created, created)
    base = pd.DataFrame(
        {
            "appointment_id": finished["id"],
            "start": start,
            "missed": (finished["status"] == MISSED).astype(int),
        }
    )
    at_booking = base.assign(predict_at=created)
    later = base.assign(predict_at=day_before)[day_before > created]
    targets = pd.concat([at_booking, later], ignore_index=True)
    return targets.sort_values(["start", "predict_at"], kind="stable").reset_index(drop=True)
