import json

import pytest
from django.core.management import call_command

from recommendations.models import RecommendationLog
from scheduling.models import Appointment

pytestmark = pytest.mark.slow  # a whole-clinic run; CI runs it


@pytest.mark.django_db
def test_bench_command_reports_latency_and_leaves_nothing_behind(capsys):
    call_command("bench_recommender", "--providers", "3", "--days", "3", "--runs", "2", "--json")
    result = json.loads(capsys.readouterr().out)
    assert result["providers"] == 3
    assert result["candidates"] > 0
    assert result["median_ms"] > 0
    assert not Appointment.objects.exists()
    assert not RecommendationLog.objects.exists()
