"""The availability benchmark runs end to end (tiny sizes) and reports its figures."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import scheduling

pytestmark = pytest.mark.slow  # a whole-clinic run; CI runs it

ROOT = Path(scheduling.__file__).resolve().parent.parent
KEYS = {
    "one_provider_ms",
    "one_provider_queries",
    "all_providers_ms",
    "all_providers_first_ms",
    "all_providers_queries",
    "bookings_per_second",
    "providers",
    "days",
    "appointments",
    "floor_ms",
    "floor_queries",
    "all_providers_over_floor",
}


def test_bench_availability_prints_one_json_object_with_the_figures():
    # A subprocess: the command builds and drops its own throw-away database.
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "bench_availability",
            "--providers",
            "3",
            "--days",
            "2",
            "--appointments",
            "10",
            "--repeat",
            "2",
            "--bookings",
            "5",
            "--json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(figures) >= KEYS
    assert (figures["providers"], figures["days"], figures["appointments"]) == (3, 2, 10)
    # The query count is the same for one provider and for all of them.
    assert figures["one_provider_queries"] == figures["all_providers_queries"] <= 6
    assert figures["all_providers_slots"] > 0
    # The floor runs exactly the statements availability ran, alone.
    assert figures["floor_queries"] == figures["all_providers_queries"]
    assert figures["floor_ms"] > 0 and figures["all_providers_over_floor"] > 0
    assert figures["bookings"] == 5 and figures["bookings_per_second"] > 0
