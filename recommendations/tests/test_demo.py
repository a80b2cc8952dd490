import pytest

from recommendations.demo import create_demo_history
from recommendations.models import RecommendationLog
from scheduling.models import Appointment, AppointmentStatus

pytestmark = pytest.mark.slow  # a whole-clinic run; CI runs it


@pytest.mark.django_db
def test_demo_history_builds_past_and_upcoming_appointments_once(settings, tmp_path):
    from accounts.demo import create_demo_users
    from providers.demo import create_demo_clinic

    settings.MODEL_ARTIFACT_DIR = tmp_path
    create_demo_users()
    create_demo_clinic()
    create_demo_history()
    past = Appointment.objects.filter(status=AppointmentStatus.COMPLETED).count()
    picks = RecommendationLog.objects.filter(picked_item__isnull=False).count()
    assert past > 100
    assert Appointment.objects.filter(status=AppointmentStatus.NO_SHOW).exists()
    assert Appointment.objects.filter(status=AppointmentStatus.CANCELLED).exists()
    assert picks >= 20
    assert RecommendationLog.objects.filter(client__email="alice@smartbook.test").exists()
    total = Appointment.objects.count()
    create_demo_history()
    assert Appointment.objects.count() == total
