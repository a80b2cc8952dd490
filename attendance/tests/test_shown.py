"""The risk where decisions are made: the provider's schedule and the staff appointment admin."""

from datetime import UTC, datetime, timedelta

import pytest

from attendance.models import RiskLevel, RiskScore
from scheduling.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 1, 12, 8, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
def scored(provider, time_machine):
    time_machine.move_to(NOW, tick=False)
    appointment = AppointmentFactory(provider=provider, start=NOW + timedelta(days=1, hours=2))
    RiskScore.objects.create(
        appointment=appointment,
        probability=0.42,
        level=RiskLevel.HIGH,
        reasons=["Missed 2 of their last 4 appointments", "Booked 2 to 4 weeks ahead"],
    )
    return appointment


def test_the_schedule_shows_the_risk_badge_with_its_reasons(client, provider, scored):
    client.force_login(provider.user)
    page = client.get("/schedule").content.decode()
    assert "High risk of not coming · 42%" in page
    assert "<li>Missed 2 of their last 4 appointments</li>" in page
    assert "<li>Booked 2 to 4 weeks ahead</li>" in page


def test_the_schedule_estimates_an_unscored_appointment_by_the_base_rate(
    client, provider, time_machine
):
    time_machine.move_to(NOW, tick=False)
    AppointmentFactory(provider=provider, start=NOW + timedelta(days=1))
    client.force_login(provider.user)
    page = client.get("/schedule").content.decode()
    # No outcomes at all: the published average, 20%.
    assert "Medium risk of not coming · 20%" in page
    assert "this is the usual rate" in page


def test_the_admin_list_has_a_risk_column_and_the_change_page_the_badge(client, admin_user, scored):
    client.force_login(admin_user)
    listing = client.get("/admin/scheduling/appointment/").content.decode()
    assert "No-show risk" in listing
    assert "High (42%)" in listing
    detail = client.get(f"/admin/scheduling/appointment/{scored.pk}/change/").content.decode()
    assert "High risk of not coming · 42%" in detail
    assert "Missed 2 of their last 4 appointments" in detail


def test_the_versions_admin_lists_metrics(client, admin_user):
    from attendance.models import NoShowModelVersion

    NoShowModelVersion.objects.create(
        version=1,
        kind="logistic",
        artifact_path="x.joblib",
        metrics={"auc": 0.81, "pr_auc": 0.5, "brier": 0.12, "ece": 0.02},
        baseline_metrics={"active": None, "base_rate": {"brier": 0.15}},
    )
    client.force_login(admin_user)
    page = client.get("/admin/attendance/noshowmodelversion/").content.decode()
    for figure in ("0.81", "0.12", "0.02", "0.15"):
        assert f">{figure}<" in page
