"""The series benchmark runs end to end (a tiny series) and reports its figures."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import scheduling

pytestmark = pytest.mark.slow  # a whole-clinic run; CI runs it

ROOT = Path(scheduling.__file__).resolve().parent.parent


def test_bench_series_prints_one_json_object_with_the_figures():
    # A subprocess: the command builds and drops its own throw-away database.
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "bench_series",
            "--weeks",
            "12",
            "--busy",
            "30",
            "--repeat",
            "1",
            "--json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    figures = json.loads(result.stdout)
    assert figures["weeks"] == 12
    assert figures["refused"] == 1  # the tenth Monday is taken
    assert figures["refused_alternatives"] == [3]
    assert figures["booked"] == 11
    assert figures["local_times"] == ["09:00"]  # every week at the same local time
    # The query count of checking and booking does not grow with the series.
    assert figures["check_queries"] == 8
    assert figures["book_queries"] < figures["one_at_a_time_queries"]
