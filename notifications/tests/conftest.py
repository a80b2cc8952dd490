"""Fixtures of the notifications tests: a clinic frozen on a Monday morning in January
(`notifications.tests.support`)."""

import pytest

from notifications.tests.support import APPOINTMENT_START, NOW
from providers.tests.factories import ProviderFactory, ServiceFactory
from scheduling.tests.factories import AppointmentFactory


@pytest.fixture
def frozen_instant():
    return NOW


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
    return AppointmentFactory(
        client=client_user, provider=clinic_provider, service=service, start=APPOINTMENT_START
    )
