"""The external calendars benchmark runs end to end (tiny sizes) and reports its figures."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import calendars

pytestmark = pytest.mark.slow  # starts Radicale and builds a clinic; CI runs it

ROOT = Path(calendars.__file__).resolve().parent.parent


def test_bench_calendars_prints_one_json_object_with_the_figures():
    # A subprocess: the command builds and drops its own throw-away database.
    result = subprocess.run(
        [sys.executable, "manage.py", "bench_calendars", "--events", "40", "--providers", "3"]
        + ["--days", "3", "--repeat", "1", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["calendar_objects"] == 40 and figures["recurring_events"] == 4
    assert figures["occurrences_imported"] > 0
    assert figures["full_sync_s"] > 0 and figures["incremental_resync_one_changed_s"] > 0
    # The same queries with and without external busy time, whatever its size.
    assert figures["availability_with_busy_queries"] == figures["availability_without_queries"]
    assert figures["external_busy_rows"] == 3 * figures["occurrences_imported"]
    assert figures["availability_with_busy_slots"] < figures["availability_without_slots"]
