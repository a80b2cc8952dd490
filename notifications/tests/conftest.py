"""Fixtures of the notifications tests: a clinic frozen on a Monday morning in January."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from notifications.tests.factories import appointment_at
from providers.tests.factories import ProviderFactory, ServiceFactory

# Monday 12 January 2026, 08:00 UTC (London is on GMT, so local time equals UTC).
NOW = datetime(2026, 1, 12, 8, 0, tzinfo=UTC)
# Wednesday 14 January 2026, 10:00 UTC: two days ahead, inside working hours.
APPOINTMENT_START = datetime(2026, 1, 14, 10, 0, tzinfo=UTC)


@pytest.fixture
def frozen_now():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def service(db):
    return ServiceFactory(name="Physiotherapy", duration_minutes=30)


@pytest.fixture
def clinic_provider(db, service):
    provider = ProviderFactory(services=[service], display_name="Dr. Ada Jones")
    provider.user.timezone = "America/New_York"
    provider.user.save(update_fields=["timezone"])
    return provider


@pytest.fixture
def appointment(frozen_now, client_user, clinic_provider, service):
    return appointment_at(
        client=client_user, provider=clinic_provider, service=service, start=APPOINTMENT_START
    )


def shifted(value: datetime, **delta: int) -> datetime:
    return value + timedelta(**delta)
