from datetime import UTC, datetime, timedelta

import pytest

from attendance.models import NoShowSettings, RiskLevel, RiskScore
from attendance.selectors import Risk, appointment_risks, high_risk_upcoming
from scheduling.models import AppointmentStatus
from scheduling.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db


def test_settings_defaults_and_levels():
    settings = NoShowSettings.load()
    assert (settings.medium_from, settings.high_from, settings.min_outcomes) == (0.15, 0.30, 200)
    assert settings.level_for(0.1499) == RiskLevel.LOW
    assert settings.level_for(0.15) == RiskLevel.MEDIUM
    assert settings.level_for(0.30) == RiskLevel.HIGH


def test_stored_risks_and_high_risk_upcoming():
    start = datetime(2027, 3, 1, 9, tzinfo=UTC)
    high = AppointmentFactory(start=start)
    low = AppointmentFactory(start=start + timedelta(hours=2))
    RiskScore.objects.create(
        appointment=high, probability=0.4, level=RiskLevel.HIGH, reasons=["a", "b", "c", "d"]
    )
    RiskScore.objects.create(appointment=low, probability=0.05, level=RiskLevel.LOW)
    assert appointment_risks([high.pk, low.pk])[high.pk] == Risk(0.4, "high", ("a", "b", "c"), None)
    found = high_risk_upcoming(start=start, end=start + timedelta(days=1))
    assert list(found) == [high]
    high.status = AppointmentStatus.CANCELLED
    high.save(update_fields=["status"])
    assert not high_risk_upcoming(start=start, end=start + timedelta(days=1)).exists()
