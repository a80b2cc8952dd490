"""Fixtures of the waitlist tests: the root's frozen Monday (12 January 2026, 08:00 UTC;
London on GMT), a clinic provider working 09:00-17:00 Monday to Friday, a 30-minute service,
and no booking notice, so the day's own freed time can be offered."""

import pytest

from providers.tests.factories import ProviderFactory, ServiceFactory
from scheduling.models import BookingPolicy


@pytest.fixture
def service(db):
    return ServiceFactory(duration_minutes=30)


@pytest.fixture
def clinic_provider(db, service):
    return ProviderFactory(services=[service])


@pytest.fixture
def policy(db):
    policy = BookingPolicy.load()
    policy.min_notice_minutes = 60
    policy.max_client_appointments_per_day = 2
    policy.save()
    return policy
