"""Fixtures of the scheduling tests: a clinic frozen in time (the root `frozen_now`, a Monday
08:00 UTC; the factory provider works Monday to Friday 09:00-17:00 Europe/London, GMT now)."""

import pytest

from providers.tests.factories import ProviderFactory, ServiceFactory


@pytest.fixture
def service(db):
    return ServiceFactory(duration_minutes=30)


@pytest.fixture
def clinic_provider(db, service):
    return ProviderFactory(services=[service])
