"""The dashboard's no-show section: exact figures on a small clinic."""

from datetime import UTC, date, datetime, timedelta

import pytest

from analytics.selectors import DashboardQuery, no_show_report
from attendance.models import RiskLevel, RiskScore
from providers.tests.factories import ProviderFactory, ServiceFactory
from scheduling.models import Appointment, AppointmentStatus
from scheduling.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _finished(*, start, status, provider, service, lead_days, probability=None):
    appointment = AppointmentFactory(start=start, status=status, provider=provider, service=service)
    Appointment.objects.filter(pk=appointment.pk).update(
        created_at=start - timedelta(days=lead_days)
    )
    if probability is not None:
        RiskScore.objects.create(
            appointment=appointment, probability=probability, level=RiskLevel.LOW
        )
    return appointment


@pytest.fixture
def clinic():
    checkup, scan = ServiceFactory(name="Check-up"), ServiceFactory(name="Scan")
    ann, ben = ProviderFactory(display_name="Dr Ann"), ProviderFactory(display_name="Dr Ben")
    done, missed = AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW
    # Week 1 (Monday 2 March): three, one missed; predicted 0.2 + 0.5 + 0.1 = 0.8.
    _finished(
        start=MONDAY, status=missed, provider=ann, service=checkup, lead_days=20, probability=0.5
    )
    _finished(
        start=MONDAY + timedelta(hours=2),
        status=done,
        provider=ann,
        service=checkup,
        lead_days=0.2,
        probability=0.2,
    )
    _finished(
        start=MONDAY + timedelta(days=1),
        status=done,
        provider=ben,
        service=scan,
        lead_days=2,
        probability=0.1,
    )
    # Week 2 (Monday 9 March): two, both missed, one never scored.
    _finished(
        start=MONDAY + timedelta(days=7),
        status=missed,
        provider=ben,
        service=scan,
        lead_days=20,
        probability=0.4,
    )
    _finished(
        start=MONDAY + timedelta(days=8), status=missed, provider=ben, service=checkup, lead_days=40
    )
    # Neither attended nor missed: left out.
    AppointmentFactory(start=MONDAY + timedelta(days=2), status=AppointmentStatus.CANCELLED)
    AppointmentFactory(start=MONDAY + timedelta(days=2, hours=3))


def _rows(frame):
    return [
        tuple(row)
        for row in frame[["group", "appointments", "no_shows", "rate"]].itertuples(index=False)
    ]


def test_the_report_counts_predicted_and_actual_no_shows(clinic):
    report = no_show_report(DashboardQuery(first_day=date(2026, 3, 1), last_day=date(2026, 3, 31)))
    assert (report.outcomes, report.no_shows, report.rate) == (5, 3, 0.6)
    weeks = report.calibration.to_dict("records")
    assert weeks == [
        {"week": date(2026, 3, 2), "appointments": 3, "predicted": 0.8, "actual": 1},
        {"week": date(2026, 3, 9), "appointments": 1, "predicted": 0.4, "actual": 1},
    ]
    assert _rows(report.by_service) == [("Check-up", 3, 2, 0.6667), ("Scan", 2, 1, 0.5)]
    assert _rows(report.by_provider) == [("Dr Ann", 2, 1, 0.5), ("Dr Ben", 3, 2, 0.6667)]
    assert _rows(report.by_lead_time) == [
        ("Same day", 1, 0, 0.0),
        ("1 to 3 days", 1, 0, 0.0),
        ("2 to 4 weeks", 2, 2, 1.0),
        ("Over 4 weeks", 1, 1, 1.0),
    ]
    assert _rows(report.by_weekday) == [("Mon", 3, 2, 0.6667), ("Tue", 2, 1, 0.5)]


def test_the_weekday_is_the_dashboards_zone(clinic):
    late = DashboardQuery(
        first_day=date(2026, 3, 1), last_day=date(2026, 3, 31), tz="Pacific/Kiritimati"
    )
    # Kiritimati is UTC+14: Monday 10:00 UTC is Tuesday there.
    assert _rows(no_show_report(late).by_weekday)[0][0] == "Tue"


def test_the_dashboard_shows_the_section_with_its_tables(client, admin_user, clinic, time_machine):
    time_machine.move_to(datetime(2026, 3, 20, 9, 0, tzinfo=UTC), tick=False)
    client.force_login(admin_user)
    page = client.get("/admin/?first_day=2026-03-01&last_day=2026-03-31&tz=UTC").content.decode()
    assert "No-shows: predicted and actual" in page
    assert "3 of 5 finished appointments were missed (60%)." in page
    assert '<th scope="row">2 Mar 2026</th><td>3</td><td>0.8</td><td>1</td>' in page
    assert '<th scope="row">Check-up</th><td>3</td><td>2</td><td>67%</td>' in page
    assert '<svg role="img"' in page
