"""Seeded synthetic appointment histories for training and evaluating the no-show model, pure
(numpy and pandas, no Django).

The structure follows the published studies: past attendance is the strongest predictor (each
client has a lasting propensity, and a share of clients never miss), the lead-time curve is
not monotone (about 5% for same-day bookings against about a third at two to four weeks),
Mondays and early or late hours are missed more, a delivered reminder lowers the risk (risk
ratio about 0.77) and clients who confirm nearly always come. The average no-show rate is
about 20%.

It builds the same frames `attendance.history` reads from the database (`HISTORY_COLUMNS`,
`REMINDER_COLUMNS`), so the generated clinic goes through the one feature implementation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from attendance.features import HISTORY_COLUMNS, REMINDER_COLUMNS

ZONES = ("Europe/London", "Europe/Berlin", "America/New_York", "Australia/Sydney")
NEVER_MISS_SHARE = 0.3

# Lead-time buckets (days, low inclusive, high exclusive), how often clients book that far
# ahead, and the effect on the log-odds of a no-show.
LEAD_MIX = (
    (0, 1, 0.15, -1.7),
    (1, 4, 0.25, -0.5),
    (4, 14, 0.30, 0.3),
    (14, 29, 0.20, 1.15),
    (29, 60, 0.10, 0.85),
)
# Monday .. Saturday (the clinic is closed on Sundays): share of appointments, effect.
WEEKDAY_MIX = ((0.19, 0.3), (0.18, 0.0), (0.18, -0.1), (0.18, -0.05), (0.17, 0.15), (0.10, 0.1))
# Local start hour 8 .. 18 and its effect: early mornings and late afternoons are missed more.
HOURS = np.arange(8, 19)
HOUR_EFFECT = np.array([0.35, 0.2, 0.0, -0.1, -0.1, 0.0, -0.05, 0.0, 0.15, 0.25, 0.3])
REMINDER_EFFECT = np.log(0.77)  # about a risk ratio of 0.77 at these rates
CONFIRMED_EFFECT = -1.4
BASE_LOG_ODDS = -1.0


@dataclass(frozen=True)
class GeneratedClinic:
    history: pd.DataFrame  # HISTORY_COLUMNS
    reminders: pd.DataFrame  # REMINDER_COLUMNS
    now: pd.Timestamp  # every appointment has ended by then


def _sigmoid(value: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-value))


def no_show_log_odds(
    *,
    propensity: np.ndarray,
    lead_days: np.ndarray,
    weekday: np.ndarray,
    hour: np.ndarray,
    reminded: np.ndarray,
    confirmed: np.ndarray,
) -> np.ndarray:
    """The log-odds of a no-show from the published structure (before any service's or
    provider's own effect): the client's propensity, the lead-time curve, the weekday (local,
    Monday 0) and hour (local), a delivered reminder and a confirmation."""
    lows = np.array([low for low, _, _, _ in LEAD_MIX])
    bucket = np.clip(np.searchsorted(lows, np.asarray(lead_days, float), side="right") - 1, 0, None)
    weekday_effect = np.array([effect for _, effect in WEEKDAY_MIX] + [0.0])
    hour_index = np.clip(np.asarray(hour) - HOURS[0], 0, HOURS.size - 1)
    return (
        BASE_LOG_ODDS
        + np.asarray(propensity, float)
        + np.array([effect for _, _, _, effect in LEAD_MIX])[bucket]
        + weekday_effect[np.asarray(weekday)]
        + HOUR_EFFECT[hour_index]
        + np.where(reminded, REMINDER_EFFECT, 0.0)
        + np.where(confirmed, CONFIRMED_EFFECT, 0.0)
    )


def generate_clinic(
    *,
    seed: int,
    appointments: int = 20_000,
    providers: int = 12,
    services: int = 6,
    days: int = 365,
    start: str = "2025-01-06",
) -> GeneratedClinic:
    """About `appointments` appointments over `days` days, each client with 1 to about 25."""
    rng = np.random.default_rng(seed)
    per_client = 1 + rng.poisson(7, size=max(1, appointments // 8 + 1))
    per_client = per_client[np.cumsum(per_client) <= appointments]
    if per_client.size == 0:
        per_client = np.array([max(1, appointments)])
    clients = per_client.size
    client_of = np.repeat(np.arange(clients), per_client)
    n = client_of.size

    never_miss = rng.random(clients) < NEVER_MISS_SHARE
    propensity = rng.normal(0.0, 1.1, size=clients)
    zone_of_client = rng.integers(0, len(ZONES), size=clients)
    home_provider = rng.integers(0, providers, size=clients)
    service_effect = rng.normal(0.0, 0.3, size=services)
    provider_effect = rng.normal(0.0, 0.2, size=providers)

    # The start: a clinic day (Monday to Saturday) and a local hour.
    origin = pd.Timestamp(start)
    weeks = days // 7
    week = rng.integers(0, max(1, weeks), size=n)
    weekday_share = np.array([share for share, _ in WEEKDAY_MIX])
    weekday = rng.choice(len(WEEKDAY_MIX), size=n, p=weekday_share / weekday_share.sum())
    hour_index = rng.integers(0, HOURS.size, size=n)
    minute = rng.choice([0, 15, 30, 45], size=n)
    local_start = (
        origin
        + pd.to_timedelta(week * 7 + weekday, unit="D")
        + pd.to_timedelta(HOURS[hour_index], unit="h")
        + pd.to_timedelta(minute, unit="m")
    )
    zone_of = zone_of_client[client_of]
    start_utc = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns, UTC]")
    for number, zone in enumerate(ZONES):
        rows = np.flatnonzero(zone_of == number)
        if rows.size:
            localised = pd.DatetimeIndex(local_start[rows]).tz_localize(
                zone, ambiguous=False, nonexistent="shift_forward"
            )
            start_utc.iloc[rows] = localised.tz_convert("UTC")
    duration = pd.to_timedelta(rng.choice([20, 30, 45, 60], size=n), unit="m")
    end_utc = start_utc + duration

    lead_share = np.array([share for _, _, share, _ in LEAD_MIX])
    bucket = rng.choice(len(LEAD_MIX), size=n, p=lead_share / lead_share.sum())
    low = np.array([low for low, _, _, _ in LEAD_MIX])[bucket]
    high = np.array([high for _, high, _, _ in LEAD_MIX])[bucket]
    lead_days = low + rng.random(n) * (high - low)
    # A same-day booking is made at least an hour before.
    lead = pd.to_timedelta(np.maximum(lead_days * 24, 1.0), unit="h")
    created = (start_utc - lead).dt.floor("s")

    service = rng.integers(0, services, size=n)
    usual = rng.random(n) < 0.8
    provider = np.where(usual, home_provider[client_of], rng.integers(0, providers, size=n))

    # Cancellations: clients who miss also cancel more; made between booking and the start.
    offset = propensity[client_of]
    cancel_probability = 0.05 + 0.12 * _sigmoid(offset - 0.5)
    cancelled = rng.random(n) < cancel_probability
    cancelled_at = (created + (start_utc - created) * rng.uniform(0.1, 0.95, size=n)).dt.floor("s")

    # A reminder the day before, delivered for most appointments booked earlier than that.
    reminder_at = start_utc - pd.Timedelta(hours=24)
    reminded = (rng.random(n) < 0.85) & (reminder_at > created).to_numpy()
    # Confirmations: more likely from reliable clients, a few hours before the start.
    confirms = rng.random(n) < 0.45 * (1 - _sigmoid(offset)) + 0.1
    confirm_at = (start_utc - pd.to_timedelta(rng.uniform(2, 20, size=n), unit="h")).dt.floor("s")
    confirmed = confirms & (confirm_at > created).to_numpy() & ~cancelled

    log_odds = (
        no_show_log_odds(
            propensity=offset,
            lead_days=lead_days,
            weekday=weekday,
            hour=HOURS[hour_index],
            reminded=reminded,
            confirmed=confirmed,
        )
        + service_effect[service]
        + provider_effect[provider]
    )
    missed = (rng.random(n) < _sigmoid(log_odds)) & ~never_miss[client_of]
    status = np.where(cancelled, "cancelled", np.where(missed, "no_show", "completed"))

    history = pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "client_id": client_of + 1,
            "service_id": service + 1,
            "provider_id": provider + 1,
            "client_zone": np.array(ZONES)[zone_of],
            "created_at": created,
            "start": start_utc,
            "end": end_utc,
            "status": status,
            "cancelled_at": cancelled_at.where(pd.Series(cancelled), pd.NaT),
            "confirmed_at": confirm_at.where(pd.Series(confirmed), pd.NaT),
        }
    )[list(HISTORY_COLUMNS)]
    reminder_rows = np.flatnonzero(reminded & ~cancelled)
    reminders = pd.DataFrame(
        {
            "appointment_id": history["id"].to_numpy()[reminder_rows],
            "delivered_at": reminder_at.iloc[reminder_rows].to_numpy(),
        }
    )[list(REMINDER_COLUMNS)]
    reminders["delivered_at"] = pd.to_datetime(reminders["delivered_at"], utc=True)
    return GeneratedClinic(
        history=history, reminders=reminders, now=end_utc.max() + pd.Timedelta(days=1)
    )
