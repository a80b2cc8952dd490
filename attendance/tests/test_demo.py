from datetime import UTC, datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from attendance.models import NoShowModelVersion, RiskScore
from scheduling.models import ACTIVE_STATUSES, Appointment, AppointmentStatus

pytestmark = pytest.mark.slow  # a whole-clinic run; CI runs it

# The demo's history is laid out around today, so its outcomes (and whether its small held-out
# slice lets a model beat the base rate) change with the date: the test runs on one day. The
# clock ticks from there, because calibration's fit never returns under a stopped clock.
DEMO_DAY = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.mark.django_db(transaction=True)
def test_the_demo_has_realistic_no_shows_a_model_and_scored_upcoming_appointments(
    settings, tmp_path
):
    settings.MODEL_ARTIFACT_DIR = tmp_path
    with time_machine.travel(DEMO_DAY, tick=True):
        _the_demo_seeded_twice()


def _the_demo_seeded_twice():
    call_command("seed_demo", stdout=StringIO())
    finished = Appointment.objects.filter(
        status__in=[AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW]
    )
    rate = finished.filter(status=AppointmentStatus.NO_SHOW).count() / finished.count()
    assert 0.1 <= rate <= 0.3
    assert NoShowModelVersion.objects.filter(is_active=True).exists()
    upcoming = Appointment.objects.filter(status__in=ACTIVE_STATUSES).count()
    assert RiskScore.objects.count() == upcoming > 0
    assert RiskScore.objects.filter(model_version__isnull=False).exclude(reasons=[]).exists()
    before = list(RiskScore.objects.order_by("pk").values_list("pk", "probability"))
    call_command("seed_demo", stdout=StringIO())  # idempotent
    assert list(RiskScore.objects.order_by("pk").values_list("pk", "probability")) == before
