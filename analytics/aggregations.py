"""The dashboard's arithmetic: pure pandas over frames built by `analytics.selectors`.

No Django imports (a test checks it), so every figure is unit-tested on hand-made frames.

Frames:
- appointments: one row per appointment, columns `APPOINTMENT_COLUMNS`; `start`/`end` are
  tz-aware UTC timestamps; `status` and `source` are the model's string values.
- working: one row per provider, columns `WORKING_COLUMNS` (minutes the provider was
  scheduled to work in the period, time off removed).
- picks: one row per recommendation list a client booked from, column `picked_rank`
  (1 = the top recommendation was picked).

Definitions (also in the README):
- bookings: appointments starting in the period, whatever their status;
- cancellation rate: cancelled / bookings;
- no-show rate: no-shows / bookings that were not cancelled;
- utilisation: minutes of non-cancelled appointments / working minutes;
- recommendation share: bookings made from a recommendation / bookings;
- top pick rate: picks of the first-ranked slot / picks.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from attendance.features import LEAD_LABELS, lead_bucket

APPOINTMENT_COLUMNS = [
    "id",
    "provider_id",
    "provider",
    "service_id",
    "service",
    "client_id",
    "status",
    "source",
    "start",
    "end",
    "session_id",  # a seat of a group session (None for a private appointment)
]
WORKING_COLUMNS = ["provider_id", "provider", "working_minutes"]

CANCELLED = "cancelled"
NO_SHOW = "no_show"
RECOMMENDATION = "recommendation"
WEEKDAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def empty_appointments() -> pd.DataFrame:
    frame = pd.DataFrame({column: [] for column in APPOINTMENT_COLUMNS})
    frame["start"] = pd.to_datetime(frame["start"], utc=True)
    frame["end"] = pd.to_datetime(frame["end"], utc=True)
    return frame


def empty_working() -> pd.DataFrame:
    return pd.DataFrame({column: [] for column in WORKING_COLUMNS})


def ratio(numerator: float, denominator: float) -> float | None:
    """A share, or None when there is nothing to divide by (shown as "n/a", never 0%)."""
    if not denominator:
        return None
    return float(numerator) / float(denominator)


def _booked_minutes(appointments: pd.DataFrame) -> pd.Series:
    """The provider's minutes each held appointment takes: a group session's once, however
    many of its seats are taken (its other seats count 0)."""
    held = appointments[appointments["status"] != CANCELLED]
    minutes = (held["end"] - held["start"]).dt.total_seconds() / 60
    another_seat = held["session_id"].notna() & held["session_id"].duplicated()
    return minutes.mask(another_seat, 0.0)


def top_pick_rate(picks: pd.DataFrame | None) -> float | None:
    if picks is None or picks.empty:
        return None
    return ratio(int((picks["picked_rank"] == 1).sum()), len(picks))


def period_figures(
    appointments: pd.DataFrame,
    working: pd.DataFrame,
    *,
    new_clients: int,
    picks: pd.DataFrame | None = None,
) -> dict:
    """The headline numbers of one period."""
    bookings = len(appointments)
    cancellations = int((appointments["status"] == CANCELLED).sum())
    no_shows = int((appointments["status"] == NO_SHOW).sum())
    from_recommendation = int((appointments["source"] == RECOMMENDATION).sum())
    booked_minutes = float(_booked_minutes(appointments).sum())
    working_minutes = float(working["working_minutes"].sum()) if not working.empty else 0.0
    return {
        "bookings": bookings,
        "cancellations": cancellations,
        "cancellation_rate": ratio(cancellations, bookings),
        "no_shows": no_shows,
        "no_show_rate": ratio(no_shows, bookings - cancellations),
        "booked_minutes": booked_minutes,
        "working_minutes": working_minutes,
        "utilisation": ratio(booked_minutes, working_minutes),
        "recommendation_bookings": from_recommendation,
        "recommendation_share": ratio(from_recommendation, bookings),
        "top_pick_rate": top_pick_rate(picks),
        "new_clients": int(new_clients),
    }


def compare_periods(current: dict, previous: dict) -> dict:
    """Per figure: the change from the previous period (None where either side is None)."""
    change = {}
    for key, value in current.items():
        before = previous.get(key)
        change[key] = None if value is None or before is None else value - before
    return change


def _local_starts(appointments: pd.DataFrame, tz: str) -> pd.Series:
    return appointments["start"].dt.tz_convert(tz)


def bookings_per_day(
    appointments: pd.DataFrame, *, first_day: date, last_day: date, tz: str
) -> pd.DataFrame:
    """Bookings and cancellations per local date (in `tz`), every day present (zeros kept)."""
    days = pd.date_range(first_day, last_day, freq="D").date
    local_dates = _local_starts(appointments, tz).dt.date
    cancelled = appointments["status"] == CANCELLED
    bookings = local_dates.value_counts().reindex(days, fill_value=0)
    cancellations = local_dates[cancelled].value_counts().reindex(days, fill_value=0)
    return pd.DataFrame(
        {
            "date": list(days),
            "bookings": bookings.to_numpy(dtype=int),
            "cancellations": cancellations.to_numpy(dtype=int),
        }
    )


def weekday_hour_heatmap(appointments: pd.DataFrame, *, tz: str) -> pd.DataFrame:
    """Bookings by local weekday (rows 0 = Monday) and hour of the start (columns 0-23)."""
    local = _local_starts(appointments, tz)
    counts = pd.crosstab(local.dt.weekday, local.dt.hour) if len(local) else pd.DataFrame()
    return counts.reindex(index=range(7), columns=range(24), fill_value=0).astype(int)


def heatmap_long(heatmap: pd.DataFrame) -> pd.DataFrame:
    """The heat map as rows of (weekday, hour, bookings), for CSV and JSON."""
    rows = [
        {
            "weekday": WEEKDAY_NAMES[weekday],
            "hour": hour,
            "bookings": int(heatmap.loc[weekday, hour]),
        }
        for weekday in heatmap.index
        for hour in heatmap.columns
    ]
    return pd.DataFrame(rows, columns=["weekday", "hour", "bookings"])


def utilisation_per_provider(appointments: pd.DataFrame, working: pd.DataFrame) -> pd.DataFrame:
    """Booked and working minutes per provider and their ratio, busiest first."""
    held = appointments[appointments["status"] != CANCELLED].assign(
        booked_minutes=_booked_minutes(appointments)
    )
    booked = held.groupby(["provider_id", "provider"], as_index=False)["booked_minutes"].sum()
    merged = pd.merge(
        working[WORKING_COLUMNS], booked, on=["provider_id", "provider"], how="outer"
    ).fillna({"booked_minutes": 0.0, "working_minutes": 0.0})
    merged["utilisation"] = [
        ratio(b, w)
        for b, w in zip(merged["booked_minutes"], merged["working_minutes"], strict=True)
    ]
    merged = merged.astype({"booked_minutes": float, "working_minutes": float})
    merged["sort_key"] = merged["utilisation"].fillna(-1.0)
    merged = merged.sort_values(["sort_key", "provider"], ascending=[False, True])
    columns = ["provider_id", "provider", "booked_minutes", "working_minutes", "utilisation"]
    return merged[columns].reset_index(drop=True)


def bookings_per_service(appointments: pd.DataFrame) -> pd.DataFrame:
    """Bookings and cancellations per service, most booked first."""
    if appointments.empty:
        return pd.DataFrame(columns=["service_id", "service", "bookings", "cancellations"])
    grouped = appointments.assign(cancelled=appointments["status"] == CANCELLED).groupby(
        ["service_id", "service"], as_index=False
    )
    table = grouped.agg(bookings=("id", "count"), cancellations=("cancelled", "sum"))
    table = table.astype({"bookings": int, "cancellations": int})
    return table.sort_values(["bookings", "service"], ascending=[False, True]).reset_index(
        drop=True
    )


def forecast_bookings(
    daily: pd.DataFrame,
    *,
    first_day: date,
    days: int = 14,
    weeks: int = 8,
    trend: bool = False,
) -> pd.DataFrame:
    """Bookings per day for `days` days from `first_day`, from weekday seasonality.

    `daily` has one row per date (zeros included) with a `bookings` column. Each weekday's
    forecast is its mean over the last `weeks` weeks of history; with `trend`, a straight line
    fitted to what the weekday means leave unexplained is added on top. Never negative.
    """
    future = [first_day + timedelta(days=offset) for offset in range(days)]
    history = daily[pd.to_datetime(daily["date"]) < pd.Timestamp(first_day)]
    history = history.sort_values("date").tail(weeks * 7)
    if history.empty:
        values = np.zeros(days)
    else:
        weekdays = pd.to_datetime(history["date"]).dt.weekday.to_numpy()
        counts = history["bookings"].to_numpy(dtype=float)
        means = pd.Series(counts).groupby(weekdays).mean()
        seasonal = means.reindex(range(7), fill_value=0.0)
        values = np.array([seasonal[day.weekday()] for day in future])
        if trend and len(history) >= 14:
            ordinal = np.array([d.toordinal() for d in pd.to_datetime(history["date"]).dt.date])
            residuals = counts - seasonal.to_numpy()[weekdays]
            slope, intercept = np.polyfit(ordinal, residuals, 1)
            values = values + slope * np.array([d.toordinal() for d in future]) + intercept
        values = np.clip(values, 0.0, None)
    return pd.DataFrame({"date": future, "bookings": np.round(values, 2), "forecast": True})


# --- no-shows (predicted by attendance, against what happened) ----------------------------

NO_SHOW_COLUMNS = [
    "id",
    "provider",
    "service",
    "status",
    "start",
    "created_at",
    "probability",  # the stored risk (the last estimate before the day); NaN: never scored
]


def empty_no_shows() -> pd.DataFrame:
    frame = pd.DataFrame({column: [] for column in NO_SHOW_COLUMNS})
    for column in ("start", "created_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def no_show_rates(outcomes: pd.DataFrame, by: pd.Series | str) -> pd.DataFrame:
    """Attended and missed appointments per group: `appointments`, `no_shows`, `rate`."""
    keys = outcomes[by] if isinstance(by, str) else by
    missed = (outcomes["status"] == NO_SHOW).astype(int)
    grouped = missed.groupby(keys, sort=True).agg(["size", "sum"])
    result = pd.DataFrame(
        {
            "group": grouped.index.astype(str),
            "appointments": grouped["size"].astype(int).to_numpy(),
            "no_shows": grouped["sum"].astype(int).to_numpy(),
        }
    )
    result["rate"] = (result["no_shows"] / result["appointments"]).round(4)
    return result


def no_show_by_lead_time(outcomes: pd.DataFrame) -> pd.DataFrame:
    """The rate per lead-time bucket (booked -> start), in the buckets' own order."""
    lead_days = (outcomes["start"] - outcomes["created_at"]) / pd.Timedelta(days=1)
    buckets = lead_days.map(lead_bucket)
    rates = no_show_rates(outcomes, buckets.map(LEAD_LABELS))
    order = {label: number for number, label in enumerate(LEAD_LABELS.values())}
    return rates.sort_values("group", key=lambda s: s.map(order)).reset_index(drop=True)


def no_show_by_weekday(outcomes: pd.DataFrame, *, tz: str) -> pd.DataFrame:
    weekdays = _local_starts(outcomes, tz).dt.weekday
    rates = no_show_rates(outcomes, weekdays)
    rates["group"] = [WEEKDAY_NAMES[int(day)] for day in rates["group"]]
    return rates


def no_show_calibration_by_week(outcomes: pd.DataFrame, *, tz: str) -> pd.DataFrame:
    """Per week (Monday, in `tz`) of the appointments that were scored: how many no-shows the
    risks predicted (their sum) and how many there were."""
    scored = outcomes[outcomes["probability"].notna()]
    if scored.empty:
        return pd.DataFrame(columns=["week", "appointments", "predicted", "actual"])
    local = _local_starts(scored, tz)
    week = (local.dt.normalize() - pd.to_timedelta(local.dt.weekday, unit="D")).dt.date
    missed = (scored["status"] == NO_SHOW).astype(int)
    grouped = pd.DataFrame({"week": week, "p": scored["probability"], "m": missed}).groupby("week")
    return pd.DataFrame(
        {
            "week": list(grouped.groups.keys()),
            "appointments": grouped.size().to_numpy(),
            "predicted": grouped["p"].sum().round(2).to_numpy(),
            "actual": grouped["m"].sum().astype(int).to_numpy(),
        }
    )
