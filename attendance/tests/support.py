"""Helpers of attendance's tests: a small generated clinic written to the database."""

import pandas as pd

from attendance.generator import generate_clinic
from attendance.simulation import generated_clinic_write


def write_small_clinic(*, now, seed: int = 7, appointments: int = 1500, label: str = "gen"):
    """A generated year of appointments that ends just before `now`; returns the clinic and
    generated id -> appointment pk."""
    clinic = generate_clinic(seed=seed, appointments=appointments, providers=4, services=3)
    shift = pd.Timestamp(now) - clinic.now - pd.Timedelta(hours=1)
    return clinic, generated_clinic_write(clinic, label=label, shift=shift.to_pytimedelta())
