"""Fixtures of the scheduling tests: a clinic frozen in time (the root `frozen_now`, a Monday
08:00 UTC; the factory provider works Monday to Friday 09:00-17:00 Europe/London, GMT now)."""

import pytest

from providers.tests.factories import ProviderFactory, ServiceFactory
from scheduling.services import appointment_book


@pytest.fixture
def service(db):
    return ServiceFactory(duration_minutes=30)


@pytest.fixture
def clinic_provider(db, service):
    return ProviderFactory(services=[service])


@pytest.fixture
def book(client_user, clinic_provider, service):
    """Book for `client_user` with `clinic_provider` and `service` unless told otherwise."""

    def _book(start, **kwargs):
        kwargs.setdefault("client", client_user)
        kwargs.setdefault("provider", clinic_provider)
        kwargs.setdefault("service", service)
        return appointment_book(start=start, **kwargs)

    return _book
