"""The waitlist simulation runs end to end (a tiny clinic), its figures are consistent, and
the same seed gives the same figures."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import waitlist

pytestmark = pytest.mark.slow  # two whole-clinic runs, twice; CI runs it

ROOT = Path(waitlist.__file__).resolve().parent.parent
TINY = [
    "--days",
    "6",
    "--warmup-days",
    "1",
    "--window-days",
    "4",
    "--providers",
    "1",
    "--clients",
    "30",
    "--requests-per-day",
    "15",
    "--sweep-minutes",
    "120",
]
SHARES = ("cancelled_share", "late_share_of_cancellations", "share_refilled")
SHARES_AHEAD = ("share_refilled_ahead", "utilisation")


def _simulate(*arguments: str) -> dict:
    # A subprocess: the command builds and drops its own throw-away databases.
    result = subprocess.run(
        [sys.executable, "manage.py", "simulate_waitlist", *TINY, *arguments, "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def figures() -> dict:
    return _simulate("--seed", "7")


def test_both_runs_report_every_figure(figures):
    assert set(figures["runs"]) == {"without", "with"}
    for run in figures["runs"].values():
        assert run["requests"] == 90  # 15 a day for 6 days
        assert run["bookings"] > 0 and run["cancelled"] > 0
        assert run["freed_minutes"] > 0
        for key in (*SHARES, *SHARES_AHEAD, "median_minutes_to_refill"):
            assert key in run
        assert {"clients", "served_share", "median_wait_hours", "p90_wait_hours"} <= set(
            run["waitlisted"]
        )


def test_figures_are_consistent(figures):
    for run in figures["runs"].values():
        for key in (*SHARES, *SHARES_AHEAD, "waitlisted"):
            value = run[key]["served_share"] if key == "waitlisted" else run[key]
            assert value is None or 0 <= value <= 1, key
        assert run["refilled_minutes"] <= run["freed_minutes"]
        assert run["refilled_by_waitlist_minutes"] <= run["refilled_minutes"]
        assert run["freed_ahead_minutes"] <= run["freed_minutes"]
        assert run["refilled_ahead_minutes"] <= run["freed_ahead_minutes"]
        waits = run["waitlisted"]
        if waits["median_wait_hours"] is not None:
            assert 0 <= waits["median_wait_hours"] <= waits["p90_wait_hours"]
        # The split by lead time keeps the dashboard's own definition of refilled time.
        dashboard = run["dashboard"]
        assert dashboard["freed_minutes"] == run["freed_minutes"]
        assert dashboard["refilled_minutes"] == run["refilled_minutes"]
        assert dashboard["median_minutes_to_refill"] == run["median_minutes_to_refill"]


def test_without_the_waitlist_nothing_is_refilled_through_it(figures):
    without, with_waitlist = figures["runs"]["without"], figures["runs"]["with"]
    assert without["joined"] == 0
    assert without["refilled_by_waitlist_minutes"] == 0
    assert without["dashboard"]["offers_accepted"] == 0
    assert sum(without["offers"].values()) == 0
    # With it, clients who walked away joined and were offered time.
    assert with_waitlist["joined"] > 0
    assert sum(with_waitlist["offers"].values()) > 0


def test_the_same_seed_gives_the_same_figures(figures):
    assert _simulate("--seed", "7")["runs"] == figures["runs"]
