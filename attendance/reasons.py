"""The reasons of a risk in plain words, pure: from the model's contributions (by family of
features, `attendance.learning.NoShowModel.contributions`) and the features themselves."""

from __future__ import annotations

import math
from collections.abc import Mapping

from attendance.features import HOUR_BUCKETS, LEAD_BUCKETS, RECENT_COUNT, WEEKDAYS

MAX_REASONS = 3
# Contributions smaller than this (log-odds) say nothing worth showing.
MIN_CONTRIBUTION = 0.05
BASE_RATE_REASON = "Not enough past appointments to learn from yet: this is the usual rate"

_LEAD_WORDS = {
    "lead_same_day": "Booked the same day",
    "lead_1_3_days": "Booked 1 to 3 days ahead",
    "lead_4_13_days": "Booked 4 to 13 days ahead",
    "lead_14_28_days": "Booked 2 to 4 weeks ahead",
    "lead_over_28_days": "Booked more than 4 weeks ahead",
}
_HOUR_WORDS = {
    "hour_early": "early-morning",
    "hour_midday": "late-morning and lunchtime",
    "hour_afternoon": "afternoon",
    "hour_evening": "late-afternoon and evening",
}


def _count(log_value: float) -> int:
    return int(round(math.expm1(log_value)))


def _plural(number: int, word: str) -> str:
    return f"{number} {word}" + ("" if number == 1 else "s")


def _one_hot(row: Mapping, names) -> str | None:
    return next((name for name in names if row.get(name, 0) >= 0.5), None)


def describe(family: str, row: Mapping, raises: bool) -> str | None:
    """One family's fact, as a person would say it, when it reads the way the model used it
    (None: nothing worth saying, or a fact that would read the wrong way, like "has never
    cancelled" given as a reason for a higher risk)."""
    visits = _count(row["past_visits"])
    if family == "attendance":
        recent = min(visits, RECENT_COUNT)
        missed = int(row["recent_no_shows"])
        if recent == 0:
            return None
        if missed:
            return (
                f"Missed {missed} of their last {_plural(recent, 'appointment')}"
                if raises
                else None
            )
        return (
            None
            if raises
            else (
                "Came to their last appointment"
                if recent == 1
                else f"Came to all of their last {recent} appointments"
            )
        )
    if family == "experience":
        if row["is_new"] >= 0.5:
            return "First appointment with the clinic"
        return None if raises else f"{_plural(visits, 'past appointment')} with the clinic"
    if family == "recency":
        if row["is_new"] >= 0.5:
            return None
        days = _count(row["days_since_last_visit"])
        if days >= 60:
            return f"Last visit {days // 30} months ago"
        return f"Last visit {_plural(days, 'day')} ago"
    if family == "cancellations":
        cancelled = _count(row["past_cancellations"])
        if cancelled:
            return f"Cancelled {_plural(cancelled, 'appointment')} before" if raises else None
        return None if raises else "Has never cancelled"
    if family == "lead_time":
        bucket = _one_hot(row, [name for name, _, _ in LEAD_BUCKETS])
        return _LEAD_WORDS.get(bucket) if bucket else None
    if family == "days_left":
        return None  # how far off the day is tells a person nothing about the client
    if family == "weekday":
        day = _one_hot(row, [f"weekday_{day}" for day in WEEKDAYS])
        if not day:
            return None
        name = day.removeprefix("weekday_").capitalize()
        return f"{name}s are missed more often" if raises else f"{name}s are rarely missed"
    if family == "hour":
        bucket = _one_hot(row, [name for name, _, _ in HOUR_BUCKETS])
        if not bucket:
            return None
        words = _HOUR_WORDS[bucket]
        return (
            f"{words.capitalize()} times are missed more often"
            if raises
            else f"{words.capitalize()} times are rarely missed"
        )
    if family == "reminders":
        if int(row["reminders_delivered"]):
            return None if raises else "A reminder reached them"
        return "No reminder has reached them yet" if raises else None
    if family == "confirmed":
        if row["confirmed"] >= 0.5:
            return None if raises else "Confirmed they are coming"
        return "Not confirmed yet" if raises else None
    if family == "service":
        return "This service is missed more often" if raises else "This service is rarely missed"
    if family == "provider":
        return (
            "This provider's appointments are missed more often"
            if raises
            else "This provider's appointments are rarely missed"
        )
    return None


def reasons(contributions: Mapping[str, float], row: Mapping) -> tuple[str, ...]:
    """At most `MAX_REASONS`, most important first: what raises the risk most; when nothing
    raises it, what lowers it most."""
    ordered = sorted(contributions.items(), key=lambda item: item[1], reverse=True)
    raising = [(f, c) for f, c in ordered if c >= MIN_CONTRIBUTION]
    chosen = raising or [(f, c) for f, c in reversed(ordered) if c <= -MIN_CONTRIBUTION]
    words: list[str] = []
    for family, contribution in chosen:
        text = describe(family, row, raises=contribution > 0)
        if text and text not in words:
            words.append(text)
        if len(words) == MAX_REASONS:
            break
    return tuple(words)
