"""The policies' simulation: each policy changes exactly the appointments it touches, with the
same draws in every scenario, and the command reports the product's own defaults."""

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command

from attendance.features import HISTORY_COLUMNS
from attendance.models import NoShowSettings
from attendance.policy_simulation import (
    SCENARIOS,
    Assumptions,
    HeldFacts,
    _held_facts,
    _held_out,
    _outcomes,
    report,
    simulate,
)
from scheduling.models import BookingPolicy

# Four appointments of 30, 60, 30 and 60 minutes: the first two high risk, the second and
# fourth missed; the draws decide the reminder's effect, the confirmation and the refill.
MISSED = np.array([False, True, False, True])
MINUTES = np.array([30.0, 60.0, 30.0, 60.0])
FLAGGED = np.array([True, True, False, False])
NONE_CONFIRMED = np.zeros(4, dtype=bool)
DRAWS = np.array(
    [
        [0.9, 0.1, 0.1, 0.1],  # the reminder: 0.1 < 0.23 saves the second appointment
        [0.5, 0.5, 0.5, 0.5],  # confirmations: 0.5 < 0.8 (coming) confirms, 0.5 >= 0.2 not
        [0.4, 0.4, 0.4, 0.4],  # refill: 0.4 < 0.5 rebooks released time
        [0.9, 0.01, 0.9, 0.9],  # the refill's no-show: 0.01 < 0.05 misses
    ]
)


def outcomes(*, reminders, release, draws=DRAWS, confirmed_before=NONE_CONFIRMED, **changes):
    return _outcomes(
        missed=MISSED,
        minutes=MINUTES,
        flagged=FLAGGED,
        confirmed_before=confirmed_before,
        draws=draws,
        assumptions=Assumptions(**changes),
        reminders=reminders,
        release=release,
    )


def test_without_policies_the_recorded_outcomes_stand():
    row = outcomes(reminders=False, release=False)
    assert row == {
        "appointments": 4,
        "no_shows": 2,
        "no_show_rate": 0.5,
        "utilisation": 0.3333,  # 60 of 180 minutes attended
        "extra_reminders": 0,
        "released": 0,
        "released_who_would_have_come": 0,
        "refilled": 0,
    }


def test_the_extra_reminder_saves_a_high_risk_no_show_with_its_draw():
    row = outcomes(reminders=True, release=False)
    assert (row["no_shows"], row["utilisation"], row["extra_reminders"]) == (1, 0.6667, 2)
    # Not reminded, the fourth (low risk) stays missed whatever its draw.
    assert outcomes(reminders=True, release=False, reminder_risk_ratio=1.0)["no_shows"] == 2


def test_confirm_or_release_releases_the_unconfirmed_and_refills_from_the_waitlist():
    # With the reminder, the second appointment will be kept, so its client confirms (0.5 <
    # 0.8): nothing is released. With a confirmation rate of 0.3 for those coming, both
    # high-risk appointments are released, both refilled, one refill missed.
    assert outcomes(reminders=True, release=True)["released"] == 0
    row = outcomes(reminders=True, release=True, confirm_if_coming=0.3)
    assert row == {
        "appointments": 4,
        "no_shows": 2,  # the fourth, and the second's refill
        "no_show_rate": 0.5,
        "utilisation": 0.3333,  # the first's refill (30) and the third (30) of 180 minutes
        "extra_reminders": 2,
        "released": 2,
        "released_who_would_have_come": 2,
        "refilled": 2,
    }


def test_a_confirmation_before_the_deadline_keeps_the_appointment():
    confirmed = np.array([True, True, False, False])
    row = outcomes(reminders=True, release=True, confirm_if_coming=0.0, confirmed_before=confirmed)
    assert row["released"] == 0


def test_time_released_without_a_refill_is_lost():
    row = outcomes(reminders=True, release=True, confirm_if_coming=0.3, refill_share=0.0)
    assert (row["appointments"], row["refilled"], row["utilisation"]) == (2, 0, 0.1667)


def test_a_draw_equal_to_its_chance_does_not_happen():
    # Each chance is "draw < probability": a draw of exactly 0.5 against 0.5 never happens.
    half = np.full((4, 4), 0.5)
    row = outcomes(reminders=True, release=False, draws=half, reminder_risk_ratio=0.5)
    assert row["no_shows"] == 2  # not saved
    row = outcomes(
        reminders=False,
        release=True,
        draws=half,
        confirm_if_coming=0.5,
        confirm_if_missing=0.5,
        refill_share=0.6,
        refill_no_show=0.5,
    )
    assert (row["released"], row["refilled"], row["no_shows"]) == (2, 2, 1)  # none confirm
    row = outcomes(reminders=False, release=True, draws=half, confirm_if_coming=0.0)
    assert (row["released"], row["refilled"]) == (2, 0)  # refill_share 0.5: not rebooked


def test_each_chance_reads_its_own_draw():
    # The confirmation reads the second row of draws, the refill the third, its no-show the
    # fourth: swapping rows changes the figures.
    draws = np.array([[0.9] * 4, [0.1] * 4, [0.9] * 4, [0.9] * 4])
    assert outcomes(reminders=True, release=True, draws=draws)["released"] == 0
    draws = np.array([[0.9] * 4, [0.9] * 4, [0.1] * 4, [0.9] * 4])
    row = outcomes(reminders=True, release=True, draws=draws)
    assert (row["released"], row["refilled"], row["no_shows"]) == (2, 2, 1)
    draws = np.array([[0.9] * 4, [0.9] * 4, [0.1] * 4, [0.01] * 4])
    assert outcomes(reminders=True, release=True, draws=draws)["no_shows"] == 3


def test_rates_are_rounded_to_four_places_and_an_empty_clinic_has_none():
    missed = np.array([True, False, False])
    row = _outcomes(
        missed=missed,
        minutes=np.array([30.0, 30.0, 30.0]),
        flagged=np.zeros(3, dtype=bool),
        confirmed_before=np.zeros(3, dtype=bool),
        draws=np.full((4, 3), 0.9),
        assumptions=Assumptions(),
        reminders=False,
        release=False,
    )
    assert (row["no_show_rate"], row["utilisation"]) == (0.3333, 0.6667)
    nothing_left = outcomes(reminders=False, release=True, confirm_if_coming=0.0, refill_share=0.0)
    assert nothing_left["appointments"] == 2
    everything_released = _outcomes(
        missed=np.array([True]),
        minutes=np.array([30.0]),
        flagged=np.array([True]),
        confirmed_before=np.array([False]),
        draws=np.full((4, 1), 0.9),
        assumptions=Assumptions(),
        reminders=False,
        release=True,
    )
    assert (everything_released["appointments"], everything_released["no_show_rate"]) == (0, 0.0)


def test_the_report_has_every_scenario_on_the_same_draws():
    facts = HeldFacts(
        predict_at=pd.Series([], dtype="datetime64[ns, UTC]"),
        confirmed_before=NONE_CONFIRMED,
        minutes=MINUTES,
        missed=MISSED,
    )
    result = report(facts, FLAGGED, DRAWS, Assumptions(confirm_if_coming=0.3))
    assert list(result) == [
        "appointments",
        "high_risk",
        "high_risk_no_show_rate",
        "scenarios",
        "assumptions",
    ]
    assert (result["appointments"], result["high_risk"]) == (4, 2)
    assert result["high_risk_no_show_rate"] == 0.5
    assert (
        list(result["scenarios"])
        == list(SCENARIOS)
        == [
            "without",
            "targeted reminders",
            "reminders + confirm-or-release",
        ]
    )
    for name, (reminders, release) in zip(
        SCENARIOS, [(False, False), (True, False), (True, True)], strict=True
    ):
        assert result["scenarios"][name] == outcomes(
            reminders=reminders, release=release, confirm_if_coming=0.3
        )
    # the three differ here: the second saves one no-show, the third releases two
    assert len({str(row) for row in result["scenarios"].values()}) == 3
    assert result["assumptions"]["reminder_risk_ratio"] == 0.77
    nobody = report(facts, np.zeros(4, dtype=bool), DRAWS, Assumptions())
    assert (nobody["high_risk"], nobody["high_risk_no_show_rate"]) == (0, 0)
    three = report(facts, np.array([True, True, True, False]), DRAWS, Assumptions())
    assert three["high_risk_no_show_rate"] == 0.3333


def test_the_assumptions_and_facts_are_values():
    with pytest.raises(AttributeError):
        Assumptions().high_from = 0.5  # type: ignore[misc]
    facts = HeldFacts(
        predict_at=pd.Series([]), confirmed_before=MISSED, minutes=MINUTES, missed=MISSED
    )
    with pytest.raises(AttributeError):
        facts.missed = MISSED  # type: ignore[misc]


T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _history(rows):
    base = dict.fromkeys(HISTORY_COLUMNS)
    return pd.DataFrame([{**base, **row} for row in rows], columns=list(HISTORY_COLUMNS))


def test_held_out_are_the_finished_appointments_none_of_whose_rows_was_trained_on():
    history = _history(
        [
            {"id": pk, "status": status, "start": T + timedelta(days=days)}
            for pk, status, days in [
                (1, "completed", 1),
                (2, "no_show", 2),
                (3, "completed", 3),
                (4, "no_show", 9),
                (5, "cancelled", 5),
                (6, "completed", 6),
            ]
        ]
    )
    # The last four rows are held out; appointment 3 also has a row in training.
    targets = pd.DataFrame({"appointment_id": [1, 2, 3, 3, 4, 5, 6]})
    held = _held_out(history, targets, test_rows=4)
    assert held["id"].tolist() == [6, 4]  # by start; the cancelled one is no outcome
    assert held.index.tolist() == [0, 1] and list(held.columns) == list(HISTORY_COLUMNS)


def test_held_facts_reminder_time_deadline_and_length():
    held = _history(
        [
            {
                "id": 1,
                "start": T,
                "end": T + timedelta(minutes=30),
                "created_at": T - timedelta(days=5),
                "confirmed_at": T - timedelta(hours=25),
                "status": "no_show",
            },
            {
                "id": 2,
                "start": T,
                "end": T + timedelta(minutes=60),
                "created_at": T - timedelta(days=1),  # booked after the reminder was due
                "confirmed_at": T - timedelta(hours=24),  # at the deadline: too late
                "status": "completed",
            },
            {
                "id": 3,
                "start": T,
                "end": T + timedelta(minutes=45),
                "created_at": T - timedelta(days=3),
                "confirmed_at": None,
                "status": "completed",
            },
        ]
    )
    facts = _held_facts(held, Assumptions())
    assert facts.predict_at.tolist() == [
        pd.Timestamp(T - timedelta(hours=48)),
        pd.Timestamp(T - timedelta(days=1)),
        pd.Timestamp(T - timedelta(hours=48)),
    ]
    assert facts.confirmed_before.tolist() == [True, False, False]
    assert facts.minutes.tolist() == [30.0, 60.0, 45.0]
    assert facts.missed.tolist() == [True, False, False]
    later = _held_facts(held, Assumptions(confirm_by_hours_before=23, reminder_hours_before=12))
    assert later.confirmed_before.tolist() == [True, True, False]
    assert later.predict_at.tolist()[1] == pd.Timestamp(T - timedelta(hours=12))


def test_the_assumptions_default_to_the_products_settings_and_the_literature():
    assumptions = Assumptions()
    policy = BookingPolicy._meta
    assert assumptions.high_from == NoShowSettings._meta.get_field("high_from").default
    assert (
        assumptions.reminder_hours_before == policy.get_field("extra_reminder_hours_before").default
    )
    assert (
        assumptions.confirm_by_hours_before == policy.get_field("confirm_by_hours_before").default
    )
    assert (
        assumptions.reminder_risk_ratio,
        assumptions.confirm_if_coming,
        assumptions.confirm_if_missing,
        assumptions.refill_share,
        assumptions.refill_no_show,
    ) == (0.77, 0.8, 0.2, 0.5, 0.05)


@pytest.mark.slow
def test_on_a_generated_clinic_each_policy_lowers_the_no_show_rate():
    result = simulate(seed=3, appointments=4000)
    rates = [result["scenarios"][name]["no_show_rate"] for name in SCENARIOS]
    assert rates[0] > rates[1] > rates[2]
    assert result["scenarios"]["targeted reminders"]["extra_reminders"] == result["high_risk"]
    assert result["high_risk_no_show_rate"] > rates[0]  # the model finds the risky ones
    assert simulate(seed=3, appointments=4000) == result  # seeded


@pytest.mark.slow
def test_the_command_uses_the_products_defaults(capsys):
    call_command("simulate_no_show_policies", "--seed", "2", "--appointments", "3000", "--json")
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["assumptions"]["high_from"] == 0.30
    assert result["assumptions"]["reminder_hours_before"] == 48
    assert result["assumptions"]["confirm_by_hours_before"] == 24
    assert set(result["scenarios"]) == set(SCENARIOS)
