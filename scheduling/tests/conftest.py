"""Fixtures of the scheduling tests: a clinic frozen in time."""

from datetime import UTC, datetime

import pytest
import time_machine

from providers.tests.factories import ProviderFactory, ServiceFactory

# A Monday; the factory provider works Monday to Friday 09:00-17:00 Europe/London (GMT now).
NOW = datetime(2026, 1, 12, 8, 0, tzinfo=UTC)


@pytest.fixture
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def service(db):
    return ServiceFactory(duration_minutes=30)


@pytest.fixture
def clinic_provider(db, service):
    return ProviderFactory(services=[service])


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant in January 2026 (UTC; London is on GMT then)."""
    return datetime(2026, 1, day, hour, minute, tzinfo=UTC)
