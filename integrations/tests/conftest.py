"""Fixtures of the webhook tests: a real receiver on loopback (allowed explicitly), the
root's frozen Monday (12 January 2026, 08:00 UTC; London on GMT) and a clinic provider
working 09:00-17:00 Monday to Friday with a 30-minute service."""

import pytest

from integrations.tests.support import Receiver
from providers.tests.factories import ProviderFactory, ServiceFactory
from scheduling.models import BookingPolicy
from scheduling.services import appointment_book


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    server = Receiver().start()
    yield server
    server.stop()


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


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what a block sends on commit (the events, their webhook deliveries)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def book(committed, client_user, clinic_provider, service):
    """Book for `client_user` with `clinic_provider` and `service`, its events run."""

    def _book(start, **kwargs):
        kwargs.setdefault("client", client_user)
        kwargs.setdefault("provider", clinic_provider)
        kwargs.setdefault("service", service)
        with committed():
            return appointment_book(start=start, **kwargs)

    return _book
