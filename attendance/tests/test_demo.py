from io import StringIO

import pytest
from django.core.management import call_command

from attendance.models import NoShowModelVersion, RiskScore
from scheduling.models import ACTIVE_STATUSES, Appointment, AppointmentStatus

pytestmark = pytest.mark.slow  # a whole-clinic run; CI runs it


@pytest.mark.django_db(transaction=True)
def test_the_demo_has_realistic_no_shows_a_model_and_scored_upcoming_appointments(
    settings, tmp_path
):
    settings.MODEL_ARTIFACT_DIR = tmp_path
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
