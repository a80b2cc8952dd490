"""The generator's published structure, and the reasons in plain words (pure, no database)."""

import numpy as np
import pandas as pd

from attendance.generator import generate_clinic
from attendance.reasons import reasons


def test_the_generated_clinic_has_the_published_structure():
    clinic = generate_clinic(seed=4, appointments=20_000)
    history = clinic.history
    finished = history[history["status"] != "cancelled"]
    missed = finished["status"] == "no_show"
    assert 0.15 <= missed.mean() <= 0.25
    lead = (finished["start"] - finished["created_at"]) / pd.Timedelta(days=1)
    same_day = missed[lead < 1].mean()
    weeks_2_4 = missed[(lead >= 14) & (lead < 29)].mean()
    assert same_day < 0.1 and weeks_2_4 > 0.28
    by_client = missed.groupby(finished["client_id"]).agg(["sum", "size"])
    regulars = by_client[by_client["size"] >= 5]
    assert (regulars["sum"] == 0).mean() > 0.3  # a share never misses
    # Past attendance predicts: clients who missed before miss more afterwards.
    ordered = finished.assign(missed=missed).sort_values("start")
    before = ordered.groupby("client_id")["missed"].transform(
        lambda s: s.shift().expanding().mean()
    )
    assert ordered["missed"][before > 0.3].mean() > 2 * ordered["missed"][before == 0].mean()
    assert clinic.history["end"].max() < clinic.now
    same = generate_clinic(seed=4, appointments=20_000)
    assert same.history.equals(history)


def test_reasons_say_the_facts_that_raise_the_risk_most_first():
    row = {
        "past_visits": np.log1p(6),
        "recent_no_shows": 2,
        "is_new": 0,
        "days_since_last_visit": np.log1p(90),
        "past_cancellations": np.log1p(1),
        "lead_14_28_days": 1,
        "weekday_monday": 1,
        "hour_early": 1,
        "reminders_delivered": 0,
        "confirmed": 0,
    }
    contributions = {
        "attendance": 0.9,
        "lead_time": 0.4,
        "weekday": 0.2,
        "confirmed": 0.1,
        "experience": -0.3,
        "service": 0.01,
    }
    assert reasons(contributions, row) == (
        "Missed 2 of their last 4 appointments",
        "Booked 2 to 4 weeks ahead",
        "Mondays are missed more often",
    )
    lowering = {"attendance": -0.8, "confirmed": -0.5, "lead_time": 0.01}
    calm = {**row, "recent_no_shows": 0, "confirmed": 1}
    assert reasons(lowering, calm) == (
        "Came to all of their last 4 appointments",
        "Confirmed they are coming",
    )
