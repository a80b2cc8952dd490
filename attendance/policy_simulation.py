"""What the clinic's no-show policies do, simulated on a generated clinic
(`python manage.py simulate_no_show_policies`). Pure: numpy and pandas, no Django.

The model is trained as in production (`attendance.evaluation`: the generated clinic, the one
feature implementation, the older three quarters of the appointments) and scores each
held-out appointment as it would be scored when the extra reminder is due. The held-out
appointments' recorded outcomes are the clinic without the policies; each policy then changes
what happens to the appointments it touches, with the same random draws in every scenario:

- **targeted reminders**: a high-risk appointment gets the extra reminder, which turns a
  no-show into a visit with probability 1 - `reminder_risk_ratio` (a risk ratio of about 0.77
  in the published trials);
- **confirm-or-release**, on top: the reminder asks the client to confirm; a client who will
  come confirms with probability `confirm_if_coming`, one who will not with
  `confirm_if_missing` (a confirmation recorded before the deadline counts); an unconfirmed
  appointment is released, and its time is rebooked through the waitlist with probability
  `refill_share` by a client who misses it with probability `refill_no_show` (short-notice
  bookings are the ones kept best).

Utilisation is the booked time that was used (attended), over the time booked without the
policies. The assumptions are printed with the figures: they are the simulation's, not the
clinic's.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from attendance.features import MISSED, OUTCOMES, feature_frame, training_targets
from attendance.generator import generate_clinic
from attendance.learning import train_and_evaluate


@dataclass(frozen=True)
class Assumptions:
    high_from: float = 0.30  # NoShowSettings.high_from's default
    reminder_hours_before: float = 48.0  # BookingPolicy.extra_reminder_hours_before's default
    confirm_by_hours_before: float = 24.0  # BookingPolicy.confirm_by_hours_before's default
    reminder_risk_ratio: float = 0.77
    confirm_if_coming: float = 0.8
    confirm_if_missing: float = 0.2
    refill_share: float = 0.5
    refill_no_show: float = 0.05


SCENARIOS = ("without", "targeted reminders", "reminders + confirm-or-release")


def _held_out(history: pd.DataFrame, targets: pd.DataFrame, test_rows: int) -> pd.DataFrame:
    """The finished appointments whose every training row was held out."""
    held_ids = set(targets["appointment_id"].iloc[len(targets) - test_rows :])
    trained_ids = set(targets["appointment_id"].iloc[: len(targets) - test_rows])
    ids = held_ids - trained_ids
    finished = history[history["status"].isin(OUTCOMES) & history["id"].isin(ids)]
    return finished.sort_values("start", kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class HeldFacts:
    """What the policies need to know of each held-out appointment."""

    predict_at: pd.Series  # when the extra reminder is due (at booking, if booked later)
    confirmed_before: np.ndarray  # a confirmation recorded before the confirm-by deadline
    minutes: np.ndarray
    missed: np.ndarray


def _held_facts(held: pd.DataFrame, assumptions: Assumptions) -> HeldFacts:
    start = pd.to_datetime(held["start"], utc=True)
    created = pd.to_datetime(held["created_at"], utc=True)
    reminder_at = start - pd.Timedelta(hours=assumptions.reminder_hours_before)
    confirmed_at = pd.to_datetime(held["confirmed_at"], utc=True)
    deadline = start - pd.Timedelta(hours=assumptions.confirm_by_hours_before)
    return HeldFacts(
        predict_at=reminder_at.where(reminder_at > created, created),
        confirmed_before=(confirmed_at.notna() & (confirmed_at < deadline)).to_numpy(),
        minutes=(pd.to_datetime(held["end"], utc=True) - start).dt.total_seconds().to_numpy()
        / 60.0,
        missed=(held["status"] == MISSED).to_numpy(),
    )


def _outcomes(
    *,
    missed: np.ndarray,
    minutes: np.ndarray,
    flagged: np.ndarray,
    confirmed_before: np.ndarray,
    draws: np.ndarray,
    assumptions: Assumptions,
    reminders: bool,
    release: bool,
) -> dict:
    if reminders:
        missed = missed & ~(flagged & (draws[0] < 1 - assumptions.reminder_risk_ratio))
    released = np.zeros_like(missed)
    if release:
        confirms = np.where(
            missed,
            draws[1] < assumptions.confirm_if_missing,
            draws[1] < assumptions.confirm_if_coming,
        )
        released = flagged & ~(confirms | confirmed_before)
    kept = ~released
    refilled = released & (draws[2] < assumptions.refill_share)
    refill_missed = refilled & (draws[3] < assumptions.refill_no_show)
    appointments = int(kept.sum() + refilled.sum())
    no_shows = int((missed & kept).sum() + refill_missed.sum())
    attended_minutes = minutes[kept & ~missed].sum() + minutes[refilled & ~refill_missed].sum()
    return {
        "appointments": appointments,
        "no_shows": no_shows,
        "no_show_rate": round(no_shows / appointments, 4) if appointments else 0.0,
        "utilisation": round(float(attended_minutes / minutes.sum()), 4),
        "extra_reminders": int(flagged.sum()) if reminders else 0,
        "released": int(released.sum()),
        "released_who_would_have_come": int((released & ~missed).sum()),
        "refilled": int(refilled.sum()),
    }


def simulate(
    *, seed: int, appointments: int = 20_000, assumptions: Assumptions | None = None
) -> dict:
    assumptions = assumptions or Assumptions()
    clinic = generate_clinic(seed=seed, appointments=appointments)
    history = clinic.history
    targets = training_targets(history)
    features = feature_frame(history, clinic.reminders, targets)
    evaluation = train_and_evaluate(
        features, targets["missed"].to_numpy(), targets["start"], seed=seed
    )
    held = _held_out(history, targets, evaluation.test_rows)
    facts = _held_facts(held, assumptions)
    scored = feature_frame(
        history,
        clinic.reminders,
        pd.DataFrame({"appointment_id": held["id"], "predict_at": facts.predict_at}),
    )
    flagged = evaluation.model.probabilities(scored) >= assumptions.high_from
    draws = np.random.default_rng(seed).random((4, len(held)))
    return {"seed": seed, **report(facts, flagged, draws, assumptions)}


# Each scenario of SCENARIOS: (the extra reminder, confirm-or-release).
SETTINGS = ((False, False), (True, False), (True, True))


def report(
    facts: HeldFacts, flagged: np.ndarray, draws: np.ndarray, assumptions: Assumptions
) -> dict:
    """The figures of every scenario on the same held-out appointments and draws."""
    missed = facts.missed
    return {
        "appointments": len(missed),
        "high_risk": int(flagged.sum()),
        "high_risk_no_show_rate": round(float(missed[flagged].mean()), 4) if flagged.any() else 0,
        "scenarios": {
            name: _outcomes(
                missed=missed,
                minutes=facts.minutes,
                flagged=flagged,
                confirmed_before=facts.confirmed_before,
                draws=draws,
                assumptions=assumptions,
                reminders=reminders,
                release=release,
            )
            for name, (reminders, release) in zip(SCENARIOS, SETTINGS, strict=True)
        },
        "assumptions": asdict(assumptions),
    }
